//! The bounds on an expansion, an occurrence, and why an expansion fails.

use chrono::{DateTime, Duration, Utc};
use rrule::Frequency;

use crate::When;

/// Bounds on one expansion, so no rule (FREQ=SECONDLY over ten years) can exhaust the server.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// Occurrences returned by one call.
    pub max_occurrences: usize,
    /// The longest window asked for.
    pub max_window: Duration,
    /// Candidate times examined (the rule's periods and the times they give) before giving up.
    pub max_steps: u64,
}

impl Caps {
    pub const DEFAULT: Caps =
        Caps { max_occurrences: 5_000, max_window: Duration::days(3_660), max_steps: 2_000_000 };
}

impl Default for Caps {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One occurrence of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// Its original start in the series' form (date, floating, UTC or the series' zone): what a
    /// RECURRENCE-ID matches.
    pub id: When,
    /// The instant it starts.
    pub start: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    #[error("invalid RRULE: {0}")]
    Invalid(String),
    #[error("the time window is longer than {max_days} days; ask for a shorter one")]
    WindowTooLong { max_days: i64 },
    #[error("the series has more than {limit} occurrences in the window; ask for a shorter window")]
    TooMany { limit: usize },
    #[error(
        "the rule repeats too often to expand here (FREQ={freq}, about {estimate} steps where \
         {limit} are allowed); ask for a shorter window or a rule that repeats less often"
    )]
    TooExpensive { freq: Frequency, estimate: u64, limit: u64 },
    /// A "this and following" split at a time the series cannot be cut at.
    #[error("cannot split the series there: {0}")]
    CannotSplit(String),
}
