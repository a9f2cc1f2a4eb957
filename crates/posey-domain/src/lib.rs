//! Posey's domain types: identifiers and newtypes that are the only way in for the values they
//! guard, and the clock code reads "now" from. No I/O here: no sqlx, axum or redis.

pub mod clock;
pub mod email;
pub mod id;
pub mod time_zone;

pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use email::{Email, EmailError};
pub use id::{
    ActionId, ConversationId, DocumentId, IdError, MemoryId, NotificationId, PushSubscriptionId,
    SessionId, TaskId, TypedId, UserId,
};
pub use time_zone::{TimeZone, TimeZoneError};
