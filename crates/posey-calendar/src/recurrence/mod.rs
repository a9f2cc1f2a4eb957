//! Recurrence (RFC 5545 RRULE, RDATE, EXDATE) expanded into occurrences. The `rrule` crate does
//! the rule arithmetic on the series' wall clock as floating time (where no DST can drop an
//! occurrence); each wall-clock time then becomes an instant by [`When::instant`]'s DST rules.
//! Every expansion is bounded by [`Caps`], checked before iterating where it can be.

mod expand;
mod rule;
mod series;
mod types;

pub use rrule::Frequency;
pub use rule::Rule;
pub use series::Series;

pub use types::{Caps, Occurrence, RecurrenceError};

#[cfg(test)]
mod tests;
