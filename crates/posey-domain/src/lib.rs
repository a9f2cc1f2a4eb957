//! Posey's domain types: identifiers and newtypes that are the only way in for the values they
//! guard, the clock code reads "now" from, and the time phrases a person gives a reminder. No I/O here: no sqlx, axum or redis.

pub mod clock;
pub mod email;
pub mod id;
pub mod time_zone;
pub mod when;

pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use email::{Email, EmailError};
pub use id::{
    ActionId, AppPasswordId, CalendarId, ConversationId, CsvMappingId, DocumentId, EventId,
    FinanceAccountId, FinanceBillId, FinanceImportId, FinanceRecurringId, FinanceRuleId,
    FinanceTransactionId, HomeConnectionId, HomeWatchId, IdError, MemoryId, NotificationId,
    PushSubscriptionId, SessionId, TaskId, TodoId, TypedId, UserId,
};
pub use time_zone::{TimeZone, TimeZoneError};
pub use when::{Moment, parse_moment, split_moment};
