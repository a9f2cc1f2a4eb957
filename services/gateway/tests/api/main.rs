//! API tests of the gateway service against a real Postgres (and Redis where configured).

// A failed unwrap in a test helper fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

mod calendar;
mod chinook;
mod finance;
#[cfg(feature = "fuzzing")]
mod fuzz_catalog;
mod health;
mod helpers;
mod home;
mod hostile;
mod json_depth;
mod limits;
mod notifications;
mod permissions;
mod subscriptions;
