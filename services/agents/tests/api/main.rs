//! API tests of the agents service against a real Postgres, with posey-models' test models.

// A failed unwrap in a test helper fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

mod caldav;
mod caldav_basic;
mod caldav_vdirsyncer;
mod calendar;
mod calendar_alarms;
mod calendar_corpus;
mod calendar_export;
mod calendar_subscriptions;
mod calendar_tools;
mod chat;
mod conversations;
mod documents;
mod documents_hostile;
mod export;
mod finance;
mod finance_export;
mod finance_imports;
mod finance_recurring;
mod finance_reports;
mod health;
mod helpers;
mod home;
mod home_export;
mod home_replicas;
mod home_tools;
mod hostile_input;
mod json_depth;
mod mcp;
mod memory;
mod models;
mod openai;
mod openapi;
mod plugin;
mod schedule;
mod service;
mod shutdown;
mod turn_endings;
mod usage;
