//! API tests of the auth service against a real Postgres (and Redis where configured).

mod health;
mod helpers;
