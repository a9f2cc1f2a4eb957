//! Edits and deletions of an event or to-do in the three scopes people know from every
//! calendar: this occurrence (an override, or an EXDATE), this and the following ones (the
//! series is split in two at the occurrence), and all of them (the master).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::object::{Alarm, End, Item, Object, Status};
use crate::recurrence::{Caps, RecurrenceError, Rule};
use crate::when::When;

mod series;

use series::{change_all, moved_end, override_of, sort_overrides, split};

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
    fn apply(&self, item: &mut Item, zone: Tz) {
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
    fn apply_to_override(&self, old_master: &Item, item: &mut Item, zone: Tz) {
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

    fn changes_recurrence(&self) -> bool {
        self.rules.is_some() || self.rdates.is_some() || self.exdates.is_some()
    }
}

/// Marks `item` changed at `now`: SEQUENCE up, LAST-MODIFIED now, and a DTSTAMP a client
/// wrote dropped, so the one written is the time of this change.
fn touch(item: &mut Item, now: DateTime<Utc>) {
    item.sequence = item.sequence.saturating_add(1);
    item.last_modified = Some(now);
    item.extra.retain(|property| property.name != "DTSTAMP");
}

/// An edited item is one a client can read back: its end after its start, in its form.
fn check(item: &Item) -> Result<(), EditError> {
    crate::read::check_times(item).map_err(|error| EditError::Invalid(error.to_string()))
}

fn master(object: &Object) -> Result<&Item, EditError> {
    object
        .master
        .as_ref()
        .ok_or_else(|| EditError::Invalid("only some occurrences of this series are here".into()))
}

/// The occurrence `at` names, in the series' form. None when the whole object is meant (scope
/// `All`, or an event or to-do that does not repeat); an error when a series' occurrence is
/// needed and not named, or not one of its.
fn occurrence(master: &Item, at: &Edit<'_>) -> Result<Option<When>, EditError> {
    let series = match master.series() {
        Some(series) if at.scope != Scope::All && master.is_recurring() => series,
        _ => return Ok(None),
    };
    let Some(id) = at.occurrence else {
        return Err(EditError::Invalid(
            "name the occurrence: \"this\" and \"this and following\" need one of a series".into(),
        ));
    };
    let zone = at.floating_zone;
    let same_form = series.start.in_form_of(&id, zone);
    if series.has_occurrence(&same_form, zone, at.caps)? {
        return Ok(Some(same_form));
    }
    // An occurrence in a DST gap (02:30 on the spring-forward day) starts at an instant whose
    // wall-clock time is another (03:30): find it by that instant.
    let instant = id.instant(zone);
    let second = instant.checked_add_signed(Duration::seconds(1)).unwrap_or(instant);
    let found = series.occurrences(instant, second, Duration::zero(), zone, at.caps)?;
    match found.into_iter().find(|occurrence| occurrence.start == instant) {
        Some(occurrence) => Ok(Some(occurrence.id)),
        None => Err(EditError::NotAnOccurrence(describe(&same_form))),
    }
}

fn describe(when: &When) -> String {
    match when {
        When::Date(day) => day.to_string(),
        When::Floating(local) => local.to_string(),
        When::Utc(at) => at.to_rfc3339(),
        When::Zoned { local, zone } => format!("{local} {}", zone.name()),
    }
}

/// Applies `patch` to the occurrences `at` names.
pub fn edit(object: &Object, patch: &Patch, at: &Edit<'_>) -> Result<Edited, EditError> {
    let master = master(object)?;
    let Some(id) = occurrence(master, at)? else {
        return Ok(Edited { object: Some(change_all(object, patch, at)?), split: None });
    };
    match at.scope {
        Scope::This => {
            if patch.changes_recurrence() {
                return Err(EditError::Invalid(
                    "the recurrence changes for the whole series or this and following, not one occurrence".into(),
                ));
            }
            let mut object = object.clone();
            let zone = at.floating_zone;
            let found = object.overrides.iter().position(|item| {
                item.recurrence_id.map(|rid| id.in_form_of(&rid, zone)) == Some(id)
            });
            let index = found.unwrap_or_else(|| {
                object.overrides.push(override_of(master, &id, zone));
                object.overrides.len() - 1
            });
            let item = &mut object.overrides[index];
            patch.apply(item, zone);
            touch(item, at.now);
            check(item)?;
            sort_overrides(&mut object);
            Ok(Edited { object: Some(object), split: None })
        }
        _ if Some(id) == master.start => {
            Ok(Edited { object: Some(change_all(object, patch, at)?), split: None })
        }
        Scope::Following | Scope::All => {
            let (head, tail) = split(object, master, &id, at)?;
            let mut tail = change_all(&tail, patch, at)?;
            // A new series: its first version (RFC 5545, 3.8.7.4).
            if let Some(tail_master) = tail.master.as_mut() {
                tail_master.sequence = 0;
            }
            Ok(Edited { object: Some(head), split: Some(tail) })
        }
    }
}

/// Deletes the occurrences `at` names.
pub fn delete(object: &Object, at: &Edit<'_>) -> Result<Edited, EditError> {
    let gone = Edited { object: None, split: None };
    let Some(master) = object.master.as_ref() else {
        // Only overrides: "this" removes the one, anything else all.
        if let (Scope::This, Some(id)) = (at.scope, at.occurrence) {
            let mut object = object.clone();
            object.overrides.retain(|item| {
                item.recurrence_id.map(|rid| rid.instant(at.floating_zone))
                    != Some(id.instant(at.floating_zone))
            });
            return Ok(if object.overrides.is_empty() {
                gone
            } else {
                Edited { object: Some(object), split: None }
            });
        }
        return Ok(gone);
    };
    let Some(id) = occurrence(master, at)? else {
        return Ok(gone);
    };
    match at.scope {
        Scope::This => {
            let mut object = object.clone();
            object.overrides.retain(|item| {
                item.recurrence_id.map(|rid| id.in_form_of(&rid, at.floating_zone)) != Some(id)
            });
            if let Some(master) = object.master.as_mut() {
                master.exdates.push(id);
                touch(master, at.now);
            }
            Ok(Edited { object: Some(object), split: None })
        }
        _ if Some(id) == master.start => Ok(gone),
        Scope::Following | Scope::All => {
            let (head, _) = split(object, master, &id, at)?;
            Ok(Edited { object: Some(head), split: None })
        }
    }
}
