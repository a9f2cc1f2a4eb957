//! The auth service's SQL, one module per aggregate.

pub mod account_export;
pub mod app_passwords;
pub mod audit;
pub mod email_flows;
pub mod erasure;
pub mod factors;
pub mod identities;
pub mod install;
pub mod invites;
pub mod keys;
pub mod oauth;
pub mod onetime;
pub mod outbox;
pub mod passkeys;
pub mod pkce;
pub mod roles;
pub mod secrets;
pub mod sessions;
pub mod users;
