//! Edits and deletions of an event or to-do in the three scopes people know from every
//! calendar: this occurrence (an override, or an EXDATE), this and the following ones (the
//! series is split in two at the occurrence), and all of them (the master).

use chrono::Duration;

use crate::object::{Item, Object};
use crate::when::When;

mod series;
mod types;

use series::{change_all, override_of, sort_overrides, split};
pub use types::{Edit, EditError, Edited, Patch, Scope};
use types::{check, master, touch};

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
