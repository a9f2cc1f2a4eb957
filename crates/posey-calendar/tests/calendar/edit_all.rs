//! "All of them": the master changes, and its overrides follow where they had not changed the
//! same thing themselves.

use posey_calendar::edit::{self, EditError, Edited, Patch, Scope};

use super::*;

fn all() -> Edit<'static> {
    at_occurrence(Scope::All, None)
}

fn edited(object: &Object, patch: &Patch) -> Object {
    let Edited { object, split } = edit::edit(object, patch, &all()).expect("an edit");
    assert!(split.is_none());
    object.expect("still there")
}

/// Weekly COUNT=10 with 01-29 excluded; 01-15 overridden in UTC as it was (the master's
/// summary), 02-05 moved to 14:00 (the master's summary), 02-12 unmoved with its own summary and
/// length.
fn series() -> Object {
    let mut master = weekly("FREQ=WEEKLY;COUNT=10");
    master.exdates = vec![berlin(2024, 1, 29, 10, 0)];
    master.sequence = 3;
    let mut as_was = override_at(
        &master,
        When::Utc(utc(2024, 1, 15, 9, 0)),
        berlin(2024, 1, 15, 10, 0),
        berlin(2024, 1, 15, 11, 0),
    );
    as_was.location = Some("Room 1".into());
    let moved = override_at(
        &master,
        berlin(2024, 2, 5, 10, 0),
        berlin(2024, 2, 5, 14, 0),
        berlin(2024, 2, 5, 15, 0),
    );
    let mut own = override_at(
        &master,
        berlin(2024, 2, 12, 10, 0),
        berlin(2024, 2, 12, 10, 0),
        berlin(2024, 2, 12, 11, 0),
    );
    own.summary = Some("Own".into());
    own.end = Some(End::At(berlin(2024, 2, 12, 10, 30)));
    object(master, vec![as_was, moved, own])
}

#[test]
fn moving_the_series_moves_its_exdates_and_overrides() {
    let patch = Patch {
        start: Some(berlin(2024, 1, 8, 11, 0)),
        summary: Some(Some("Daily sync".into())),
        ..Patch::default()
    };
    let after = edited(&series(), &patch);
    let master = after.master.as_ref().expect("a master");
    assert_eq!(
        (master.start, master.end),
        (Some(berlin(2024, 1, 8, 11, 0)), Some(End::At(berlin(2024, 1, 8, 12, 0))))
    );
    assert_eq!(master.exdates, [berlin(2024, 1, 29, 11, 0)]);
    assert_eq!((master.sequence, master.last_modified), (4, Some(now())));

    let [as_was, moved, own] = &after.overrides[..] else {
        panic!("three overrides: {:?}", after.overrides)
    };
    // The one named in UTC moves by the hour on Berlin's clock, as its occurrence does.
    assert_eq!(as_was.recurrence_id, Some(berlin(2024, 1, 15, 11, 0)));
    assert_eq!(
        (as_was.start, as_was.end),
        (Some(berlin(2024, 1, 15, 11, 0)), Some(End::At(berlin(2024, 1, 15, 12, 0))))
    );
    assert_eq!(
        (as_was.summary.as_deref(), as_was.location.as_deref()),
        (Some("Daily sync"), Some("Room 1"))
    );
    assert_eq!(moved.recurrence_id, Some(berlin(2024, 2, 5, 11, 0)));
    assert_eq!(
        (moved.start, moved.summary.as_deref()),
        (Some(berlin(2024, 2, 5, 14, 0)), Some("Daily sync"))
    );
    assert_eq!(own.recurrence_id, Some(berlin(2024, 2, 12, 11, 0)));
    assert_eq!(
        (own.start, own.summary.as_deref()),
        (Some(berlin(2024, 2, 12, 11, 0)), Some("Own"))
    );
    // What changed is stamped.
    assert!([as_was, moved, own].iter().all(|item| item.last_modified == Some(now())));

    let found = listed(&after, utc(2024, 1, 1, 0, 0), utc(2024, 4, 1, 0, 0));
    assert_eq!(found.len(), 9);
    let at_eleven =
        |(start, _): &&(DateTime<Utc>, String)| start.time() == at(2024, 1, 1, 10, 0).time();
    assert_eq!(found.iter().filter(at_eleven).count(), 8, "{found:?}");
    assert!(found.contains(&(utc(2024, 2, 5, 13, 0), "Daily sync".to_owned())));
    assert!(!found.iter().any(|(start, _)| *start == utc(2024, 1, 29, 10, 0)));
}

#[test]
fn new_rules_drop_the_overrides_of_occurrences_gone() {
    let patch = Patch { rules: Some(vec![rule("FREQ=WEEKLY;COUNT=4")]), ..Patch::default() };
    let after = edited(&series(), &patch);
    assert_eq!(after.overrides.len(), 1);
    assert_eq!(after.overrides[0].recurrence_id, Some(When::Utc(utc(2024, 1, 15, 9, 0))));
    assert_eq!(starts(&after).len(), 3);
    // No rule at all: a single event, with no overrides.
    let patch = Patch { rules: Some(Vec::new()), ..Patch::default() };
    let after = edited(&series(), &patch);
    assert!(after.overrides.is_empty());
    assert!(!after.master.as_ref().is_some_and(Item::is_recurring));
}

#[test]
fn exdates_given_with_a_move_are_taken_as_given() {
    let patch = Patch {
        start: Some(berlin(2024, 1, 8, 11, 0)),
        exdates: Some(vec![berlin(2024, 2, 19, 11, 0)]),
        ..Patch::default()
    };
    let after = edited(&series(), &patch);
    assert_eq!(
        after.master.as_ref().map(|m| m.exdates.clone()),
        Some(vec![berlin(2024, 2, 19, 11, 0)])
    );
    assert!(!starts(&after).contains(&utc(2024, 2, 19, 10, 0)));
}

#[test]
fn every_edit_stamps_what_it_changed() {
    let once =
        edited(&series(), &Patch { location: Some(Some("Room 3".into())), ..Patch::default() });
    let twice = edited(&once, &Patch { location: Some(None), ..Patch::default() });
    let master = twice.master.as_ref().expect("a master");
    assert_eq!(
        (master.sequence, master.last_modified, master.location.as_deref()),
        (5, Some(now()), None)
    );
    // The override with a location of its own kept it.
    assert_eq!(twice.overrides[0].location.as_deref(), Some("Room 1"));
    // A DTSTAMP a client wrote is replaced by the time of the edit.
    let google = posey_calendar::object::parse_calendar(
        include_str!("../data/google.ics"),
        &posey_calendar::ics::Limits::FILE,
    )
    .expect("google");
    let text = edited(&google[0], &Patch::default()).to_ics("p");
    assert!(
        text.contains("DTSTAMP:20240601T120000Z") && !text.contains("DTSTAMP:20240301"),
        "{text}"
    );
}

#[test]
fn a_new_length_reaches_the_overrides_that_had_the_old_one() {
    let patch = Patch { end: Some(Some(End::At(berlin(2024, 1, 8, 12, 0)))), ..Patch::default() };
    let after = edited(&series(), &patch);
    let ends: Vec<_> = after.overrides.iter().map(|item| item.end).collect();
    let ends_at = |y, m, d, h, min| Some(End::At(berlin(y, m, d, h, min)));
    assert_eq!(
        ends,
        [ends_at(2024, 1, 15, 12, 0), ends_at(2024, 2, 5, 16, 0), ends_at(2024, 2, 12, 10, 30)]
    );
    let lengths =
        after.instances(utc(2024, 1, 1, 0, 0), utc(2024, 4, 1, 0, 0), BERLIN, &Caps::DEFAULT);
    let lengths = lengths
        .expect("instances")
        .iter()
        .filter(|i| i.end - i.start == chrono::Duration::hours(2))
        .count();
    assert_eq!(lengths, 8);
}

#[test]
fn changing_a_timed_series_to_all_day_keeps_a_valid_end() {
    let patch = Patch { start: Some(When::Date(day(2024, 1, 8))), ..Patch::default() };
    let after = edited(&series(), &patch);
    let master = after.master.as_ref().expect("a master");
    assert_eq!(master.start, Some(When::Date(day(2024, 1, 8))));
    assert!(master.end.is_none(), "{:?}", master.end);
    // The overrides and EXDATEs name their days now.
    let ids: Vec<_> = after.overrides.iter().map(|item| item.recurrence_id).collect();
    let days = [day(2024, 1, 15), day(2024, 2, 5), day(2024, 2, 12)].map(|d| Some(When::Date(d)));
    assert_eq!(ids, days);
    assert_eq!(master.exdates, [When::Date(day(2024, 1, 29))]);
    // The one that had not moved is all-day with the series; the one moved keeps its time.
    assert_eq!(after.overrides[0].start, Some(When::Date(day(2024, 1, 15))));
    assert_eq!(after.overrides[1].start, Some(berlin(2024, 2, 5, 14, 0)));
    // It reads back.
    assert_eq!(
        Object::parse(&after.to_ics("p"), &posey_calendar::ics::Limits::OBJECT).as_ref(),
        Ok(&after)
    );
    let backwards =
        Patch { end: Some(Some(End::At(berlin(2024, 1, 8, 9, 0)))), ..Patch::default() };
    assert!(matches!(edit::edit(&series(), &backwards, &all()), Err(EditError::Invalid(_))));
}

#[test]
fn an_edit_of_only_overrides_is_refused() {
    let mut only = series();
    only.master = None;
    assert!(matches!(edit::edit(&only, &Patch::default(), &all()), Err(EditError::Invalid(_))));
}
