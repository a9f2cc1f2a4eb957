//! The auth service: accounts, credentials, sessions, access tokens and their JWKS, RBAC and the
//! audit log, speaking Supabase Auth's HTTP API so that its clients work unchanged.
//! Built as a library so tests and the `posey` launcher start it in-process on any port.

pub mod config;
mod db;
mod emails;
pub mod error;
pub mod external;
mod extract;
pub mod key_encryption;
pub mod keys;
mod mailer;
mod mfa;
mod oidc;
mod onetime;
pub mod password;
mod pkce;
mod policy;
mod routes;
mod seal;
mod session;
mod startup;
pub mod state;
mod tokens;
mod webauthn;

pub use config::Config;
pub use startup::{Application, Overrides, SERVICE};

/// The OpenAPI 3.1 document of this service's API (what `GET /openapi.json` serves), for tools
/// that generate clients from it without starting the service.
pub fn openapi_json() -> String {
    routes::document().to_pretty_json().expect("the OpenAPI document serialises")
}
