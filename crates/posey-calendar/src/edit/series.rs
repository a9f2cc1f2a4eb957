//! The series-wide side of an edit: the whole series changed (its overrides following it), and
//! a series split in two for "this and following".

use chrono_tz::Tz;

use super::types::{Edit, EditError, Patch, check, master, moved_end, touch};
use crate::object::{End, Item, Object};
use crate::when::When;

/// How a series' start moved, for the times that belong to it (RDATEs, EXDATEs, overrides'
/// recurrence ids).
struct Moved {
    old: When,
    new: When,
}

impl Moved {
    fn between(old: &Item, new: &Item) -> Option<Self> {
        match (old.start, new.start) {
            (Some(old), Some(new)) if old != new => Some(Self { old, new }),
            _ => None,
        }
    }

    /// `when`, a time of the old series, where it is in the new one: as far from the new start
    /// on its wall clock as it was from the old start on the old one, in the new start's form
    /// (a time given in UTC for a zoned series is read in the zone first). So each occurrence
    /// of a weekly series moved by an hour is an hour later, on either side of a DST change.
    fn when(&self, when: &When, zone: Tz) -> When {
        let offset = self.old.in_form_of(when, zone).local() - self.old.local();
        match self.new.local().checked_add_signed(offset) {
            Some(local) => self.new.with_local(local),
            None => *when,
        }
    }

    fn all(&self, whens: &mut [When], zone: Tz) {
        for when in whens {
            *when = self.when(when, zone);
        }
    }
}

/// The whole series changed: the master, and with it what its overrides share with it; the
/// overrides of occurrences the series no longer has are dropped.
pub(super) fn change_all(
    object: &Object,
    patch: &Patch,
    at: &Edit<'_>,
) -> Result<Object, EditError> {
    let zone = at.floating_zone;
    let master = master(object)?;
    let mut new_master = master.clone();
    patch.apply(&mut new_master, zone);
    touch(&mut new_master, at.now);
    let moved = Moved::between(master, &new_master);
    // RDATEs and EXDATEs the patch gives are already where they belong.
    if let Some(moved) = moved.as_ref().filter(|_| patch.rdates.is_none()) {
        moved.all(&mut new_master.rdates, zone);
    }
    if let Some(moved) = moved.as_ref().filter(|_| patch.exdates.is_none()) {
        moved.all(&mut new_master.exdates, zone);
    }
    check(&new_master)?;
    let series = new_master.series();
    let mut overrides = Vec::with_capacity(object.overrides.len());
    for original in &object.overrides {
        let mut item = original.clone();
        let same_length = item.duration(zone) == master.duration(zone);
        patch.apply_to_override(master, &mut item, zone);
        if let Some(moved) = &moved {
            move_override(&mut item, moved, zone);
        }
        // A new length for the series is one for the overrides that had its old one.
        if patch.end.is_some()
            && same_length
            && let Some(start) = item.start
        {
            item.end = match (new_master.start, new_master.end) {
                (Some(from), Some(End::At(end))) => {
                    moved_end(&from, &end, &start, zone).map(End::At)
                }
                (_, end) => end,
            };
        }
        let occurs = match (&series, item.recurrence_id) {
            (Some(series), Some(rid)) => series.has_occurrence(&rid, zone, at.caps).unwrap_or(true),
            _ => true,
        };
        if !occurs {
            continue;
        }
        if item != *original {
            touch(&mut item, at.now);
            check(&item)?;
        }
        overrides.push(item);
    }
    let mut object = Object { master: Some(new_master), overrides, ..object.clone() };
    sort_overrides(&mut object);
    Ok(object)
}

/// An override of a series whose start moved: its recurrence id moves with the series (and
/// takes the series' new form), and so does its own start when it had not been moved itself.
fn move_override(item: &mut Item, moved: &Moved, zone: Tz) {
    let Some(rid) = item.recurrence_id else { return };
    let new_rid = moved.when(&rid, zone);
    if let Some(start) = item.start.filter(|start| start.instant(zone) == rid.instant(zone)) {
        if let Some(End::At(end)) = item.end {
            item.end = moved_end(&start, &end, &new_rid, zone).map(End::At);
        }
        item.start = Some(new_rid);
    }
    item.recurrence_id = Some(new_rid);
}

/// An override of occurrence `id` as the master has it.
pub(super) fn override_of(master: &Item, id: &When, zone: Tz) -> Item {
    let mut item = master.clone();
    item.recurrence_id = Some(*id);
    if let (Some(start), Some(End::At(end))) = (master.start, master.end) {
        item.end = moved_end(&start, &end, id, zone).map(End::At);
    }
    item.start = Some(*id);
    item.rules.clear();
    item.rdates.clear();
    item.exdates.clear();
    item
}

pub(super) fn sort_overrides(object: &mut Object) {
    object.overrides.sort_by_key(|item| item.recurrence_id.map(|rid| rid.instant(Tz::UTC)));
}

/// The series cut before occurrence `id` (of its form): the head keeps what comes before it,
/// the tail (a new UID, a new series) starts at it with the same rules, COUNT reduced by what
/// the head used ([`crate::recurrence::Series::split`]); the overrides go with their
/// occurrences.
pub(super) fn split(
    object: &Object,
    master: &Item,
    id: &When,
    at: &Edit<'_>,
) -> Result<(Object, Object), EditError> {
    let zone = at.floating_zone;
    let series =
        master.series().ok_or_else(|| EditError::Invalid("the series has no start".into()))?;
    let (head_series, tail_series) = series.split(id, zone, at.caps)?;

    let mut head_master = master.clone();
    head_master.rules = head_series.rules;
    head_master.rdates = head_series.rdates;
    head_master.exdates = head_series.exdates;
    touch(&mut head_master, at.now);

    let mut tail_master = master.clone();
    tail_master.uid = at.new_uid.to_owned();
    if let (Some(start), Some(End::At(end))) = (master.start, master.end) {
        tail_master.end = moved_end(&start, &end, id, zone).map(End::At);
    }
    tail_master.start = Some(tail_series.start);
    tail_master.rules = tail_series.rules;
    tail_master.rdates = tail_series.rdates;
    tail_master.exdates = tail_series.exdates;
    tail_master.created = Some(at.now);

    // The same cut as the series': on its wall clock.
    let cut = id.local();
    let (early, late): (Vec<Item>, Vec<Item>) =
        object.overrides.iter().cloned().partition(|item| {
            item.recurrence_id.is_some_and(|rid| series.start.in_form_of(&rid, zone).local() < cut)
        });
    let head = Object { master: Some(head_master), overrides: early, ..object.clone() };
    let mut tail = Object {
        uid: at.new_uid.to_owned(),
        kind: object.kind,
        master: Some(tail_master),
        overrides: late,
    };
    for item in &mut tail.overrides {
        item.uid = at.new_uid.to_owned();
    }
    Ok((head, tail))
}
