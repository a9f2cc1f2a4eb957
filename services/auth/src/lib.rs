//! The auth service: accounts, credentials, sessions, access tokens and their JWKS, RBAC and the audit log.
//! Built as a library so tests and the `posey` launcher start it in-process on any port.

pub mod config;
mod routes;
mod startup;
pub mod state;

pub use config::Config;
pub use startup::Application;

/// The service's name in logs and spans.
pub const SERVICE: &str = "auth";
