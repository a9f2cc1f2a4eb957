//! API tests of the cron service against a real Postgres (and Redis where configured).

// A failed unwrap in a test helper fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

mod agent_tasks;
mod backup;
mod dispatch;
mod export;
mod health;
mod helpers;
mod hostile_input;
mod json_depth;
mod limits;
mod notifications;
mod openapi;
mod pausing;
mod scheduler;
mod status;
mod tasks;
mod webhook_destinations;
mod webpush;
