//! Posey's domain types: identifiers and newtypes that are the only way in for the values they
//! guard. No I/O here: no sqlx, axum or redis.

pub mod email;
pub mod id;

pub use email::{Email, EmailError};
pub use id::{SessionId, UserId};
