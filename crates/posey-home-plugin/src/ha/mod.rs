//! Home Assistant over its WebSocket API (`/api/websocket`), REST as fallback: a [`Link`]
//! authenticates with a long-lived access token, keeps `posey-home`'s [`Mirror`] of the home
//! live from a snapshot and `state_changed` events, reports each [`Change`], calls services,
//! and after a gap reconnects with backoff and resynchronises.
//!
//! [`Mirror`]: posey_home::ha::Mirror
//! [`Change`]: posey_home::Change

mod endpoint;
mod error;
mod link;
mod socket;

pub use crate::Backoff;
pub use endpoint::Endpoint;
pub use error::LinkError;
pub use link::{Changes, Delivery, Link, LinkConfig, LinkStatus};
