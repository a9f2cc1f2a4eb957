//! API tests of the auth service against a real Postgres (and Redis where configured).

// A failed unwrap in a test helper fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

mod account_export;
mod admin;
mod app_passwords;
mod auth_js;
mod claims;
mod email_flows;
mod first_run;
mod health;
mod helpers;
mod hostile_input;
mod invites;
mod json_depth;
mod mfa;
mod oidc;
mod openapi;
mod passkeys;
mod sessions;
mod signing_keys;
mod signup;
mod social;
mod token;
mod user;
