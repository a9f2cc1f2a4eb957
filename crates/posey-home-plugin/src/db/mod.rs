//! The plugin's SQL, one module a table (schema `home`, see `migrations`). Unchecked queries:
//! a plugin's tables are not in the service's compile-time schema.

pub mod audit;
pub mod connections;
pub mod entities;
pub mod exposure;
pub mod history;
pub mod notices;
pub mod watches;
