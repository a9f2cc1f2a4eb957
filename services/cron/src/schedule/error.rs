//! What a schedule that cannot be read says, and which field it blames.

/// A parse failure: `field` is "schedule" or "time_zone"; `message` says what is wrong (shown to users in a 422).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ScheduleError {
    pub field: &'static str,
    pub message: String,
}

impl ScheduleError {
    pub(super) fn schedule(message: impl Into<String>) -> Self {
        Self { field: "schedule", message: message.into() }
    }

    pub(super) fn time_zone(message: impl Into<String>) -> Self {
        Self { field: "time_zone", message: message.into() }
    }
}
