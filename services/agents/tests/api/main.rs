//! API tests of the agents service against a real Postgres (and Redis where configured).

mod health;
mod helpers;
