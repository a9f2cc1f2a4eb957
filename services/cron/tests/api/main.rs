//! API tests of the cron service against a real Postgres (and Redis where configured).

mod health;
mod helpers;
