//! `instances` (occurrences in a window with their overrides) and `span` (what an object
//! covers, for indexing).

use posey_calendar::object::Span;
use posey_calendar::recurrence::RecurrenceError;

use super::*;

/// Weekly on Mondays from 2024-01-08 (COUNT=10): 01-22 moved out (to 03-20), 02-19 moved in
/// (to Wednesday 01-24, 14:00-15:30), 01-29 excluded.
fn moved_about() -> Object {
    let mut master = weekly("FREQ=WEEKLY;COUNT=10");
    master.exdates = vec![berlin(2024, 1, 29, 10, 0)];
    let mut moved_in = override_at(
        &master,
        berlin(2024, 2, 19, 10, 0),
        berlin(2024, 1, 24, 14, 0),
        berlin(2024, 1, 24, 15, 30),
    );
    moved_in.summary = Some("Moved in".into());
    let moved_out = override_at(
        &master,
        berlin(2024, 1, 22, 10, 0),
        berlin(2024, 3, 20, 9, 0),
        berlin(2024, 3, 20, 10, 0),
    );
    object(master, vec![moved_out, moved_in])
}

#[test]
fn overrides_moved_into_the_window_are_in_and_those_moved_out_are_not() {
    let object = moved_about();
    let found = object
        .instances(utc(2024, 1, 15, 0, 0), utc(2024, 2, 5, 0, 0), BERLIN, &Caps::DEFAULT)
        .expect("instances");
    let seen: Vec<_> = found
        .iter()
        .map(|i| (i.occurrence.id, i.start, i.end, i.item.summary.as_deref()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                berlin(2024, 1, 15, 10, 0),
                utc(2024, 1, 15, 9, 0),
                utc(2024, 1, 15, 10, 0),
                Some("Standup")
            ),
            (
                berlin(2024, 2, 19, 10, 0),
                utc(2024, 1, 24, 13, 0),
                utc(2024, 1, 24, 14, 30),
                Some("Moved in")
            ),
        ]
    );
    assert_eq!(found[1].occurrence.start, utc(2024, 2, 19, 9, 0));
    assert!(std::ptr::eq(found[1].item, &object.overrides[1]));
    // Over the whole series: 10 less the one excluded, the moved ones where they went.
    let all = starts(&object);
    assert_eq!(all.len(), 9);
    assert!(all.contains(&utc(2024, 3, 20, 8, 0)) && !all.contains(&utc(2024, 1, 22, 9, 0)));
    assert!(!all.contains(&utc(2024, 1, 29, 9, 0)) && !all.contains(&utc(2024, 2, 19, 9, 0)));
}

#[test]
fn an_excluded_occurrence_stays_excluded_even_with_an_override() {
    let mut object = moved_about();
    let master = object.master.as_mut().expect("a master");
    master.exdates.push(berlin(2024, 2, 19, 10, 0));
    assert_eq!(listed(&object, utc(2024, 1, 15, 0, 0), utc(2024, 2, 5, 0, 0)).len(), 1);
}

#[test]
fn all_day_events_cover_their_days_in_the_calendars_zone() {
    let mut birthday = Item::new(Kind::Event, "birthday");
    birthday.start = Some(When::Date(day(2024, 4, 12)));
    birthday.end = Some(End::At(When::Date(day(2024, 4, 13))));
    birthday.rules = vec![rule("FREQ=YEARLY")];
    let birthday = object(birthday, Vec::new());
    let found = birthday
        .instances(utc(2025, 1, 1, 0, 0), utc(2026, 1, 1, 0, 0), BERLIN, &Caps::DEFAULT)
        .expect("instances");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].occurrence.id, When::Date(day(2025, 4, 12)));
    // Midnight to midnight in Berlin (UTC+2 in April).
    assert_eq!((found[0].start, found[0].end), (utc(2025, 4, 11, 22, 0), utc(2025, 4, 12, 22, 0)));
    // A window from the next midnight does not see it; one ending a minute into the day does.
    assert!(listed(&birthday, utc(2025, 4, 12, 22, 0), utc(2025, 4, 20, 0, 0)).is_empty());
    assert_eq!(listed(&birthday, utc(2025, 4, 1, 0, 0), utc(2025, 4, 11, 22, 1)).len(), 1);
    // An all-day event without an end lasts the day.
    let mut holiday = Item::new(Kind::Event, "holiday");
    holiday.start = Some(When::Date(day(2024, 5, 1)));
    let found = object(holiday, Vec::new());
    let found = found
        .instances(utc(2024, 4, 1, 0, 0), utc(2024, 6, 1, 0, 0), Tz::UTC, &Caps::DEFAULT)
        .expect("instances");
    assert_eq!((found[0].start, found[0].end), (utc(2024, 5, 1, 0, 0), utc(2024, 5, 2, 0, 0)));
}

fn single(start: DateTime<Utc>, end: DateTime<Utc>) -> Object {
    let mut item = Item::new(Kind::Event, "single");
    item.start = Some(When::Utc(start));
    item.end = Some(End::At(When::Utc(end)));
    object(item, Vec::new())
}

#[test]
fn an_event_overlapping_the_window_is_in_it() {
    let (from, to) = (utc(2024, 1, 1, 10, 0), utc(2024, 1, 1, 11, 0));
    let count = |start, end| {
        single(start, end).instances(from, to, Tz::UTC, &Caps::DEFAULT).expect("instances").len()
    };
    // Started before, still going.
    assert_eq!(count(utc(2024, 1, 1, 9, 0), utc(2024, 1, 1, 12, 0)), 1);
    assert_eq!(count(utc(2024, 1, 1, 9, 0), utc(2024, 1, 1, 10, 1)), 1);
    // Ending exactly at `from`; starting exactly at `to`.
    assert_eq!(count(utc(2024, 1, 1, 9, 0), utc(2024, 1, 1, 10, 0)), 0);
    assert_eq!(count(utc(2024, 1, 1, 11, 0), utc(2024, 1, 1, 12, 0)), 0);
    // No length: in when it starts in the window.
    assert_eq!(count(from, from), 1);
    assert_eq!(count(to, to), 0);
    // The same for an override that was moved.
    let master = weekly("FREQ=WEEKLY;COUNT=3");
    let moved = override_at(
        &master,
        berlin(2024, 1, 15, 10, 0),
        berlin(2024, 1, 10, 9, 0),
        berlin(2024, 1, 10, 11, 0),
    );
    let object = object(master, vec![moved]);
    assert_eq!(listed(&object, utc(2024, 1, 10, 9, 0), utc(2024, 1, 10, 9, 30)).len(), 1);
    assert!(listed(&object, utc(2024, 1, 10, 10, 0), utc(2024, 1, 10, 11, 0)).is_empty());
}

#[test]
fn too_many_instances_are_refused() {
    let caps = Caps { max_occurrences: 3, ..Caps::DEFAULT };
    let daily = object(weekly("FREQ=DAILY"), Vec::new());
    let found = daily.instances(utc(2024, 2, 1, 0, 0), utc(2024, 2, 11, 0, 0), BERLIN, &caps);
    assert_eq!(found.err(), Some(RecurrenceError::TooMany { limit: 3 }));
    // Three of the series in the window, and a fourth moved into it: too many as well.
    let master = weekly("FREQ=WEEKLY");
    let moved = override_at(
        &master,
        berlin(2024, 6, 3, 10, 0),
        berlin(2024, 1, 10, 10, 0),
        berlin(2024, 1, 10, 11, 0),
    );
    let weekly = object(master, vec![moved]);
    let found = weekly.instances(utc(2024, 1, 8, 0, 0), utc(2024, 1, 27, 0, 0), BERLIN, &caps);
    assert_eq!(found.err(), Some(RecurrenceError::TooMany { limit: 3 }));
    let window =
        weekly.instances(utc(2024, 1, 1, 0, 0), utc(2040, 1, 1, 0, 0), BERLIN, &Caps::DEFAULT);
    assert!(matches!(window, Err(RecurrenceError::WindowTooLong { .. })));
}

#[test]
fn overrides_without_their_series_are_each_one_instance() {
    let master = weekly("FREQ=WEEKLY");
    let mut item = override_at(
        &master,
        berlin(2024, 1, 15, 10, 0),
        berlin(2024, 1, 16, 10, 0),
        berlin(2024, 1, 16, 11, 0),
    );
    item.summary = Some("Invited to one".into());
    let mut no_start = override_at(
        &master,
        berlin(2024, 1, 22, 10, 0),
        berlin(2024, 1, 22, 10, 0),
        berlin(2024, 1, 22, 10, 0),
    );
    no_start.start = None;
    no_start.end = None;
    let only = Object {
        uid: master.uid,
        kind: Kind::Event,
        master: None,
        overrides: vec![item, no_start],
    };
    let found = listed(&only, utc(2024, 1, 1, 0, 0), utc(2024, 2, 1, 0, 0));
    assert_eq!(
        found,
        vec![
            (utc(2024, 1, 16, 9, 0), "Invited to one".to_owned()),
            (utc(2024, 1, 22, 9, 0), "Standup".to_owned())
        ]
    );
}

fn span(object: &Object) -> Span {
    object.span(BERLIN, &Caps::DEFAULT).expect("a span")
}

#[test]
fn the_span_covers_every_occurrence() {
    let one = single(utc(2024, 1, 1, 9, 0), utc(2024, 1, 1, 10, 30));
    assert_eq!(
        span(&one),
        Span { first_start: Some(utc(2024, 1, 1, 9, 0)), last_end: Some(utc(2024, 1, 1, 10, 30)) }
    );
    // COUNT=10: the tenth Monday, 2024-03-11 10:00-11:00 CET.
    let counted = object(weekly("FREQ=WEEKLY;COUNT=10"), Vec::new());
    assert_eq!(
        span(&counted),
        Span { first_start: Some(utc(2024, 1, 8, 9, 0)), last_end: Some(utc(2024, 3, 11, 10, 0)) }
    );
    // UNTIL: the last Tuesday of the swims, 2024-06-25 17:00-18:00 CEST.
    let swim = posey_calendar::object::parse_calendar(
        include_str!("../data/google.ics"),
        &posey_calendar::ics::Limits::FILE,
    )
    .expect("google");
    assert_eq!(
        span(&swim[0]),
        Span { first_start: Some(utc(2024, 3, 5, 16, 0)), last_end: Some(utc(2024, 6, 25, 16, 0)) }
    );
    // Endless.
    let endless = object(weekly("FREQ=WEEKLY"), Vec::new());
    assert_eq!(span(&endless), Span { first_start: Some(utc(2024, 1, 8, 9, 0)), last_end: None });
    // An override moved past the end and one moved before the start widen it.
    let (early, late) = (utc(2024, 1, 1, 8, 0), utc(2024, 4, 2, 7, 0));
    let moved = moved_about();
    let mut before = override_at(
        moved.master.as_ref().expect("a master"),
        berlin(2024, 2, 26, 10, 0),
        berlin(2024, 1, 1, 9, 0),
        berlin(2024, 4, 2, 9, 0),
    );
    before.summary = None;
    let mut moved = moved;
    moved.overrides.push(before);
    assert_eq!(span(&moved), Span { first_start: Some(early), last_end: Some(late) });
}

#[test]
fn the_span_of_a_to_do_is_its_start_and_due() {
    let mut todo = Item::new(Kind::Todo, "todo");
    todo.end = Some(End::At(berlin(2024, 5, 31, 17, 0)));
    let due = utc(2024, 5, 31, 15, 0);
    assert_eq!(
        span(&object(todo.clone(), Vec::new())),
        Span { first_start: Some(due), last_end: Some(due) }
    );
    todo.start = Some(berlin(2024, 5, 1, 9, 0));
    assert_eq!(
        span(&object(todo.clone(), Vec::new())),
        Span { first_start: Some(utc(2024, 5, 1, 7, 0)), last_end: Some(due) }
    );
    todo.end = None;
    assert_eq!(
        span(&object(todo, Vec::new())),
        Span { first_start: Some(utc(2024, 5, 1, 7, 0)), last_end: Some(utc(2024, 5, 1, 7, 0)) }
    );
    // Neither: nothing to index it by.
    let nothing = object(Item::new(Kind::Todo, "someday"), Vec::new());
    assert_eq!(span(&nothing), Span { first_start: None, last_end: None });
}
