//! End to end: the real `posey` binary with no DATABASE_URL creates and starts a private
//! PostgreSQL cluster, serves all four services (each in its own process) until Ctrl-C, stops
//! the cluster, and reuses its data on the next run; a crashed service is restarted while the
//! others keep serving, and a killed `posey up` leaves nothing running; and every hostile input
//! of issue 12, sent at one `posey up`, leaves all four services up without a restart; the web
//! app runs beside them as one more supervised child; without `MQTT_URL` an MQTT broker runs
//! in `posey up`, and a seal key for the home plugin is made once and kept; a deleted person is
//! erased from every table and vector collection; a backup taken while serving restores identically,
//! and cron's scheduled backups rotate; the fault drills (Postgres restarted and Redis gone under
//! load, agents killed mid-turn and mid-ingestion, a full disk) keep every acknowledged write; and
//! schemathesis finds every answer of auth, agents and cron as their OpenAPI documents say.

// A failed unwrap in a test helper fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

mod backup;
mod drill_database;
mod drill_processes;
mod erasure;
mod home;
mod hostile;
mod lifecycle;
mod schemathesis;
mod support;
mod web;
