//! Typed identifiers, so a session id can never be passed where a user id is expected. Every
//! id that crosses services is here; each knows the word for what it names ("no such task").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An identifier type: parsed from the text of a path or a token, shown as that text, and named
/// in words when it names nothing (`no such push subscription`).
pub trait TypedId: FromStr + fmt::Display + Copy + Send + 'static {
    /// What it identifies, in words: `user`, `push subscription`.
    const NOUN: &'static str;
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $noun:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id (UUIDv7), so indexes on it stay compact.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| IdError { kind: stringify!($name) })
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl TypedId for $name {
            const NOUN: &'static str = $noun;
        }
    };
}

uuid_id!(
    /// A person with an account.
    UserId, "user"
);
uuid_id!(
    /// One signed-in device or browser of a person.
    SessionId, "session"
);
uuid_id!(
    /// A conversation between a person and their agent.
    ConversationId, "conversation"
);
uuid_id!(
    /// A scheduled task of the cron service (an agent's tasks are cron's too).
    TaskId, "task"
);
uuid_id!(
    /// A document a person gave their agent.
    DocumentId, "document"
);
uuid_id!(
    /// A notification the cron service delivered to a person.
    NotificationId, "notification"
);
uuid_id!(
    /// A browser's Web Push subscription.
    PushSubscriptionId, "push subscription"
);
uuid_id!(
    /// Something the companion remembers about a person.
    MemoryId, "memory"
);
uuid_id!(
    /// An action a tool asked the person to confirm.
    ActionId, "action"
);
uuid_id!(
    /// A secret a person gave one app to sign in with (CalDAV sync, say).
    AppPasswordId, "app password"
);
uuid_id!(
    /// One of a person's calendars.
    CalendarId, "calendar"
);
uuid_id!(
    /// An event (a series and its changed occurrences) in a calendar.
    EventId, "event"
);
uuid_id!(
    /// A to-do in a calendar.
    TodoId, "to-do"
);
uuid_id!(
    /// One of a person's money accounts (a current account, a card, a loan) or categories
    /// (their income and expense accounts).
    FinanceAccountId, "account"
);
uuid_id!(
    /// A transaction in a person's books, with its splits.
    FinanceTransactionId, "transaction"
);
uuid_id!(
    /// A rule that categorises a person's transactions.
    FinanceRuleId, "rule"
);
uuid_id!(
    /// One bank file a person imported (or is previewing).
    FinanceImportId, "import"
);
uuid_id!(
    /// A bill a person expects to pay again and again.
    FinanceBillId, "bill"
);
uuid_id!(
    /// A transaction that posts itself on every date of a cadence.
    FinanceRecurringId, "recurring transaction"
);
uuid_id!(
    /// A person's link to their home: a Home Assistant instance or an MQTT broker.
    HomeConnectionId, "home connection"
);
uuid_id!(
    /// A person's watch on a home entity's state.
    HomeWatchId, "watch"
);
uuid_id!(
    /// How one bank's CSV files are read, saved by a person.
    CsvMappingId, "CSV mapping"
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {kind}: expected a UUID")]
pub struct IdError {
    kind: &'static str,
}

impl IdError {
    /// The id type that did not parse (`UserId`).
    pub fn kind(&self) -> &'static str {
        self.kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uuids_and_refuses_anything_else() {
        let id = UserId::new();
        assert_eq!(id.to_string().parse::<UserId>(), Ok(id));
        let err = "42".parse::<UserId>().unwrap_err();
        assert_eq!(err.to_string(), "not a valid UserId: expected a UUID");
    }

    #[test]
    fn each_id_names_what_it_identifies() {
        assert_eq!(UserId::NOUN, "user");
        assert_eq!(PushSubscriptionId::NOUN, "push subscription");
        let raw = Uuid::now_v7();
        assert_eq!(TaskId::from(raw).as_uuid(), raw);
        assert_eq!(Uuid::from(TaskId::from(raw)), raw);
        assert_eq!("nope".parse::<TaskId>().unwrap_err().kind(), "TaskId");
    }

    #[test]
    fn serialises_as_a_bare_uuid() {
        let id = SessionId::new();
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{id}\""));
    }

    #[test]
    fn new_ids_are_time_ordered() {
        let a = UserId::new();
        let b = UserId::new();
        assert!(a < b);
    }
}
