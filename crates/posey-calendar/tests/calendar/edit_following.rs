//! "This and following": the series split at the occurrence into a head that ends before it
//! and a tail (a new UID) that starts at it, together the original occurrences.

use chrono::Duration;
use posey_calendar::edit::{self, EditError, Edited, Patch, Scope};

use super::*;

fn following(occurrence: When) -> Edit<'static> {
    at_occurrence(Scope::Following, Some(occurrence))
}

/// Weekly COUNT=10 with 01-22 and 02-19 excluded, 01-15 overridden (its own summary) and 02-12
/// moved to 14:00 (the master's summary).
fn series(rules: &str) -> Object {
    let mut master = weekly(rules);
    master.exdates = vec![berlin(2024, 1, 22, 10, 0), berlin(2024, 2, 19, 10, 0)];
    let mut early = override_at(
        &master,
        berlin(2024, 1, 15, 10, 0),
        berlin(2024, 1, 15, 10, 0),
        berlin(2024, 1, 15, 11, 0),
    );
    early.summary = Some("Own".into());
    let late = override_at(
        &master,
        When::Utc(utc(2024, 2, 12, 9, 0)),
        berlin(2024, 2, 12, 14, 0),
        berlin(2024, 2, 12, 15, 0),
    );
    object(master, vec![early, late])
}

fn split(object: &Object, patch: &Patch, at: When) -> (Object, Object) {
    let Edited { object: head, split: tail } =
        edit::edit(object, patch, &following(at)).expect("a split");
    (head.expect("a head"), tail.expect("a tail"))
}

#[test]
fn following_splits_the_series_at_the_occurrence() {
    let original = series("FREQ=WEEKLY;COUNT=10");
    let patch = Patch { summary: Some(Some("Later".into())), ..Patch::default() };
    let (head, tail) = split(&original, &patch, berlin(2024, 1, 29, 10, 0));

    let head_master = head.master.as_ref().expect("a master");
    assert_eq!(head.uid, "weekly@posey");
    assert_eq!(head_master.rules[0].to_string(), "FREQ=WEEKLY;UNTIL=20240129T085959Z");
    assert_eq!(head_master.exdates, [berlin(2024, 1, 22, 10, 0)]);
    assert_eq!(head_master.summary.as_deref(), Some("Standup"));
    assert_eq!((head_master.sequence, head_master.last_modified), (1, Some(now())));
    assert_eq!(head.overrides.len(), 1);
    assert_eq!(head.overrides[0].summary.as_deref(), Some("Own"));
    assert_eq!(starts(&head), [utc(2024, 1, 8, 9, 0), utc(2024, 1, 15, 9, 0)]);

    let tail_master = tail.master.as_ref().expect("a master");
    assert_eq!((tail.uid.as_str(), tail_master.uid.as_str()), ("tail@posey", "tail@posey"));
    assert_eq!(tail_master.start, Some(berlin(2024, 1, 29, 10, 0)));
    assert_eq!(tail_master.end, Some(End::At(berlin(2024, 1, 29, 11, 0))));
    assert_eq!(tail_master.rules[0].to_string(), "FREQ=WEEKLY;COUNT=7");
    assert_eq!(tail_master.exdates, [berlin(2024, 2, 19, 10, 0)]);
    assert_eq!(tail_master.summary.as_deref(), Some("Later"));
    assert_eq!((tail_master.created, tail_master.last_modified), (Some(now()), Some(now())));
    assert_eq!(tail_master.sequence, 0);
    assert_eq!(tail.overrides.len(), 1);
    let moved = &tail.overrides[0];
    assert_eq!((moved.uid.as_str(), moved.summary.as_deref()), ("tail@posey", Some("Later")));
    assert_eq!(moved.start, Some(berlin(2024, 2, 12, 14, 0)));

    // Together, exactly the original occurrences, the tail's renamed.
    let mut together = [starts(&head), starts(&tail)].concat();
    together.sort();
    assert_eq!(together, starts(&original));
    assert_eq!(together.len(), 8);
    // Without exclusions: 3 and 7 of the 10.
    let plain = object(weekly("FREQ=WEEKLY;COUNT=10"), Vec::new());
    let (plain_head, plain_tail) = split(&plain, &patch, berlin(2024, 1, 29, 10, 0));
    assert_eq!((starts(&plain_head).len(), starts(&plain_tail).len()), (3, 7));
    assert_eq!([starts(&plain_head), starts(&plain_tail)].concat(), starts(&plain));
    let names = listed(&tail, utc(2024, 1, 1, 0, 0), utc(2025, 1, 1, 0, 0));
    assert!(names.iter().all(|(_, name)| name == "Later"), "{names:?}");
}

#[test]
fn following_an_endless_series_leaves_the_tail_endless() {
    let original = series("FREQ=WEEKLY");
    let patch = Patch { start: Some(berlin(2024, 1, 29, 11, 0)), ..Patch::default() };
    let (head, tail) = split(&original, &patch, berlin(2024, 1, 29, 10, 0));
    assert_eq!(starts(&head), [utc(2024, 1, 8, 9, 0), utc(2024, 1, 15, 9, 0)]);
    let tail_master = tail.master.as_ref().expect("a master");
    assert_eq!(tail_master.rules[0].to_string(), "FREQ=WEEKLY");
    assert_eq!(tail_master.start, Some(berlin(2024, 1, 29, 11, 0)));
    assert_eq!(tail_master.end, Some(End::At(berlin(2024, 1, 29, 12, 0))));
    // The tail's EXDATE and its override's occurrence moved with it; the override's own time
    // did not.
    assert_eq!(tail_master.exdates, [berlin(2024, 2, 19, 11, 0)]);
    assert_eq!(tail.overrides[0].recurrence_id, Some(berlin(2024, 2, 12, 11, 0)));
    assert_eq!(tail.overrides[0].start, Some(berlin(2024, 2, 12, 14, 0)));
    let found = starts(&tail);
    assert_eq!(
        found[..4],
        [
            utc(2024, 1, 29, 10, 0),
            utc(2024, 2, 5, 10, 0),
            utc(2024, 2, 12, 13, 0),
            utc(2024, 2, 26, 10, 0)
        ]
    );
    assert!(tail.span(BERLIN, &Caps::DEFAULT).expect("a span").last_end.is_none());
}

#[test]
fn following_from_the_first_occurrence_changes_the_whole_series() {
    let original = series("FREQ=WEEKLY;COUNT=10");
    let patch = Patch { summary: Some(Some("Renamed".into())), ..Patch::default() };
    let from_first =
        edit::edit(&original, &patch, &following(berlin(2024, 1, 8, 10, 0))).expect("an edit");
    let all = edit::edit(&original, &patch, &at_occurrence(Scope::All, None)).expect("an edit");
    assert_eq!(from_first, all);
    assert!(from_first.split.is_none());
}

#[test]
fn a_long_series_splits_where_a_window_could_not_reach() {
    // Daily since 2010 for 6,000 days: more than any window holds before the cut.
    let mut master = weekly("FREQ=DAILY;COUNT=6000");
    master.start = Some(berlin(2010, 1, 1, 10, 0));
    master.end = Some(End::At(berlin(2010, 1, 1, 11, 0)));
    let original = object(master, Vec::new());
    let cut = berlin(2024, 6, 3, 10, 0);
    let (head, tail) = split(&original, &Patch::default(), cut);
    let used = (day(2024, 6, 3) - day(2010, 1, 1)).num_days();
    let tail_rule = tail.master.as_ref().map(|m| m.rules[0].to_string());
    assert_eq!(tail_rule, Some(format!("FREQ=DAILY;COUNT={}", 6000 - used)));
    let head_span = head.span(BERLIN, &Caps::DEFAULT).expect("a span");
    assert_eq!(head_span.last_end, Some(utc(2024, 6, 2, 9, 0)));
    let tail_span = tail.span(BERLIN, &Caps::DEFAULT).expect("a span");
    let original_span = original.span(BERLIN, &Caps::DEFAULT).expect("a span");
    assert_eq!(tail_span.last_end, original_span.last_end);
}

#[test]
fn following_is_refused_at_a_time_that_is_no_occurrence() {
    let original = series("FREQ=WEEKLY;COUNT=10");
    let at = following(berlin(2024, 1, 29, 10, 30));
    assert!(matches!(
        edit::edit(&original, &Patch::default(), &at),
        Err(EditError::NotAnOccurrence(_))
    ));
    assert!(matches!(edit::delete(&original, &at), Err(EditError::NotAnOccurrence(_))));
    let excluded = following(berlin(2024, 1, 22, 10, 0));
    assert!(matches!(edit::delete(&original, &excluded), Err(EditError::NotAnOccurrence(_))));
}

#[test]
fn deleting_this_and_following_keeps_the_head() {
    let original = series("FREQ=WEEKLY;COUNT=10");
    let Edited { object, split } =
        edit::delete(&original, &following(When::Utc(utc(2024, 1, 29, 9, 0)))).expect("a deletion");
    assert!(split.is_none());
    let head = object.expect("the head");
    assert_eq!(starts(&head), [utc(2024, 1, 8, 9, 0), utc(2024, 1, 15, 9, 0)]);
    let master = head.master.as_ref().expect("a master");
    assert_eq!(master.exdates, [berlin(2024, 1, 22, 10, 0)]);
    assert_eq!((master.sequence, master.last_modified), (1, Some(now())));
    assert_eq!(head.overrides.len(), 1);
    // From the first occurrence, or all of them: nothing is left.
    let gone = Edited { object: None, split: None };
    assert_eq!(edit::delete(&original, &following(berlin(2024, 1, 8, 10, 0))), Ok(gone.clone()));
    assert_eq!(edit::delete(&original, &at_occurrence(Scope::All, None)), Ok(gone.clone()));
    assert_eq!(
        edit::delete(&original, &at_occurrence(Scope::All, Some(berlin(2024, 1, 29, 10, 0)))),
        Ok(gone)
    );
}

#[test]
fn a_split_keeps_the_length_of_an_event_across_summer_time() {
    // Daily from 2024-03-28 at 02:30 for half an hour; split on the day 02:30 does not exist.
    let mut master = weekly("FREQ=DAILY;COUNT=7");
    master.start = Some(berlin(2024, 3, 28, 2, 30));
    master.end = Some(End::At(berlin(2024, 3, 28, 3, 0)));
    let original = object(master, Vec::new());
    let (head, tail) = split(&original, &Patch::default(), berlin(2024, 3, 31, 2, 30));
    assert_eq!(starts(&head).len(), 3);
    let tail_master = tail.master.as_ref().expect("a master");
    assert_eq!(tail_master.duration(BERLIN), Duration::minutes(30));
    assert_eq!(tail_master.rules[0].to_string(), "FREQ=DAILY;COUNT=4");
    assert_eq!(starts(&tail)[0], utc(2024, 3, 31, 1, 30));
}
