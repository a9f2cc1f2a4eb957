//! The auth service's SQL, one module per aggregate.

pub mod audit;
pub mod sessions;
pub mod users;
