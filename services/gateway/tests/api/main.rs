//! API tests of the gateway service against a real Postgres (and Redis where configured).

mod health;
mod helpers;
