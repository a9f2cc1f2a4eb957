//! The agents service's SQL, one module per table, as plain functions over a pool or a
//! transaction. Every query about a person's data is scoped by their id.

pub mod conversations;
pub mod messages;
pub mod pending_calls;
pub mod profiles;
pub mod turns;
pub mod usage;
