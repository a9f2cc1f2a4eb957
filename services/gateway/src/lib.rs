//! The gateway service: a Hasura-style GraphQL engine over Postgres. The schema is generated from
//! the database (introspection) and a metadata file of per-role permissions; each root field
//! compiles to one SQL statement; subscriptions are multiplexed live queries.
//! Built as a library so tests and the `posey` launcher start it in-process on any port.

mod catalog;
mod compile;
pub mod config;
mod errors;
mod execute;
mod fast;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod gateway;
pub mod guard;
mod introspect;
mod live;
pub mod metadata;
mod nested;
mod routes;
mod schema;
mod sel;
mod session;
mod startup;
pub mod state;

pub use config::Config;
pub use startup::{Application, SERVICE};
