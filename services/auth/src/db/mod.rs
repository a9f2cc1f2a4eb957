//! The auth service's SQL, one module per aggregate.

pub mod audit;
pub mod email_flows;
pub mod install;
pub mod invites;
pub mod roles;
pub mod sessions;
pub mod users;
