//! What an edit is: its scope, the changes (`Patch`), where it happens (`Edit`) and what it
//! leaves, with the small steps every kind of edit takes.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::object::{Alarm, End, Item, Object, Status};
use crate::recurrence::{Caps, RecurrenceError, Rule};
use crate::when::When;

/// Which occurrences an edit or a deletion reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The one occurrence named.
    This,
    /// The occurrence named and every later one.
    Following,
    /// The whole series.
    All,
}

/// Changes to an event or to-do: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patch {
    pub summary: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub location: Option<Option<String>>,
    pub start: Option<When>,
    pub end: Option<Option<End>>,
    pub status: Option<Option<Status>>,
    pub categories: Option<Vec<String>>,
    pub transparent: Option<bool>,
    pub priority: Option<Option<u8>>,
    pub percent_complete: Option<Option<u8>>,
    pub completed: Option<Option<DateTime<Utc>>>,
    /// The recurrence (series scopes only).
    pub rules: Option<Vec<Rule>>,
    pub rdates: Option<Vec<When>>,
    pub exdates: Option<Vec<When>>,
    pub alarms: Option<Vec<Alarm>>,
}

/// Why an edit cannot be made, in words for the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("{0} is not an occurrence of this series")]
    NotAnOccurrence(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Recurrence(#[from] RecurrenceError),
}

/// What an edit leaves: the object (`None`: it is gone) and, for "this and following", the
/// new series split off it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub object: Option<Object>,
    pub split: Option<Object>,
}

/// Where an edit happens.
#[derive(Debug, Clone, Copy)]
pub struct Edit<'a> {
    pub scope: Scope,
    /// The occurrence's recurrence id (its original start, in any form, or the instant a
    /// listing gave for it); required for `This` and `Following` on a recurring series,
    /// ignored otherwise.
    pub occurrence: Option<When>,
    pub now: DateTime<Utc>,
    /// Where dates and floating times are read (the calendar's zone).
    pub floating_zone: Tz,
    pub caps: &'a Caps,
    /// The UID the series split off by `Following` gets.
    pub new_uid: &'a str,
}

impl Patch {
    /// Sets on `item` what the patch changes. A moved start takes a DTEND along, keeping the
    /// length (or drops it when the start changes between a date and a time).
    pub(super) fn apply(&self, item: &mut Item, zone: Tz) {
        let Self {
            summary,
            description,
            location,
            start,
            end,
            status,
            categories,
            transparent,
            priority,
            percent_complete,
            completed,
            rules,
            rdates,
            exdates,
            alarms,
        } = self;
        if let Some(value) = summary {
            item.summary.clone_from(value);
        }
        if let Some(value) = description {
            item.description.clone_from(value);
        }
        if let Some(value) = location {
            item.location.clone_from(value);
        }
        if let Some(new_start) = start {
            if end.is_none()
                && let (Some(old), Some(End::At(old_end))) = (item.start, item.end)
            {
                item.end = moved_end(&old, &old_end, new_start, zone).map(End::At);
            }
            item.start = Some(*new_start);
        }
        if let Some(value) = end {
            item.end = *value;
        }
        if let Some(value) = status {
            item.status = *value;
        }
        if let Some(value) = categories {
            item.categories.clone_from(value);
        }
        if let Some(value) = transparent {
            item.transparent = *value;
        }
        if let Some(value) = priority {
            item.priority = *value;
        }
        if let Some(value) = percent_complete {
            item.percent_complete = *value;
        }
        if let Some(value) = completed {
            item.completed = *value;
        }
        if let Some(value) = rules {
            item.rules.clone_from(value);
        }
        if let Some(value) = rdates {
            item.rdates.clone_from(value);
        }
        if let Some(value) = exdates {
            item.exdates.clone_from(value);
        }
        if let Some(value) = alarms {
            item.alarms.clone_from(value);
        }
    }

    /// The fields an override shares with its master when the master changes: those the
    /// override had the same as the master (it did not change them itself).
    pub(super) fn apply_to_override(&self, old_master: &Item, item: &mut Item, zone: Tz) {
        let same = Self {
            summary: self.summary.clone().filter(|_| item.summary == old_master.summary),
            description: self
                .description
                .clone()
                .filter(|_| item.description == old_master.description),
            location: self.location.clone().filter(|_| item.location == old_master.location),
            status: self.status.filter(|_| item.status == old_master.status),
            categories: self
                .categories
                .clone()
                .filter(|_| item.categories == old_master.categories),
            transparent: self.transparent.filter(|_| item.transparent == old_master.transparent),
            priority: self.priority.filter(|_| item.priority == old_master.priority),
            percent_complete: self
                .percent_complete
                .filter(|_| item.percent_complete == old_master.percent_complete),
            completed: self.completed.filter(|_| item.completed == old_master.completed),
            alarms: self.alarms.clone().filter(|_| item.alarms == old_master.alarms),
            ..Self::default()
        };
        same.apply(item, zone);
    }

    pub(super) fn changes_recurrence(&self) -> bool {
        self.rules.is_some() || self.rdates.is_some() || self.exdates.is_some()
    }
}

/// Marks `item` changed at `now`: SEQUENCE up, LAST-MODIFIED now, and a DTSTAMP a client
/// wrote dropped, so the one written is the time of this change.
pub(super) fn touch(item: &mut Item, now: DateTime<Utc>) {
    item.sequence = item.sequence.saturating_add(1);
    item.last_modified = Some(now);
    item.extra.retain(|property| property.name != "DTSTAMP");
}

/// An edited item is one a client can read back: its end after its start, in its form.
pub(super) fn check(item: &Item) -> Result<(), EditError> {
    crate::read::check_times(item).map_err(|error| EditError::Invalid(error.to_string()))
}

pub(super) fn master(object: &Object) -> Result<&Item, EditError> {
    object
        .master
        .as_ref()
        .ok_or_else(|| EditError::Invalid("only some occurrences of this series are here".into()))
}

/// Where the end `old_end` of an item starting at `old` goes when the start moves to `new`:
/// the same exact length after it (RFC 5545 gives each occurrence the master's exact
/// duration, so an occurrence in a DST gap still lasts as long), kept in the end's own form (a
/// flight's arrival stays in its zone); whole days for dates. None when the start changes
/// between a date and a time, which no end of the old form fits.
pub(super) fn moved_end(old: &When, old_end: &When, new: &When, zone: Tz) -> Option<When> {
    match (old_end.is_date(), new.is_date()) {
        (true, true) => {
            let days = old_end.local().date() - old.local().date();
            new.local().date().checked_add_signed(days).map(When::Date)
        }
        (false, false) => {
            let length = old_end.instant(zone) - old.instant(zone);
            let end = new.instant(zone).checked_add_signed(length)?;
            Some(old_end.in_form_of(&When::Utc(end), zone))
        }
        _ => None,
    }
}
