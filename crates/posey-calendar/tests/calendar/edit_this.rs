//! "This occurrence": an override of the one occurrence (or an EXDATE for a deletion), and
//! the same override again when it is edited twice.

use posey_calendar::edit::{self, EditError, Edited, Patch, Scope};

use super::*;

fn this(occurrence: When) -> Edit<'static> {
    at_occurrence(Scope::This, Some(occurrence))
}

fn renamed(summary: &str) -> Patch {
    Patch { summary: Some(Some(summary.into())), ..Patch::default() }
}

fn edited(object: &Object, patch: &Patch, at: &Edit<'_>) -> Object {
    let Edited { object, split } = edit::edit(object, patch, at).expect("an edit");
    assert!(split.is_none());
    object.expect("still there")
}

#[test]
fn this_makes_one_override_and_changes_only_that_occurrence() {
    for rules in ["FREQ=WEEKLY;COUNT=10", "FREQ=WEEKLY"] {
        makes_one_override(rules);
    }
}

fn makes_one_override(rules: &str) {
    let series = object(weekly(rules), Vec::new());
    let patch = Patch { start: Some(berlin(2024, 1, 22, 12, 0)), ..renamed("Moved") };
    let after = edited(&series, &patch, &this(berlin(2024, 1, 22, 10, 0)));
    assert_eq!(after.master, series.master);
    assert_eq!(after.overrides.len(), 1);
    let item = &after.overrides[0];
    assert_eq!(item.recurrence_id, Some(berlin(2024, 1, 22, 10, 0)));
    assert_eq!(
        (item.start, item.end),
        (Some(berlin(2024, 1, 22, 12, 0)), Some(End::At(berlin(2024, 1, 22, 13, 0))))
    );
    assert_eq!((item.summary.as_deref(), item.uid.as_str()), (Some("Moved"), "weekly@posey"));
    assert!(item.rules.is_empty() && item.rdates.is_empty() && item.exdates.is_empty());
    assert_eq!((item.sequence, item.last_modified), (1, Some(now())));
    let before = listed(&series, utc(2024, 1, 1, 0, 0), utc(2024, 4, 1, 0, 0));
    let now = listed(&after, utc(2024, 1, 1, 0, 0), utc(2024, 4, 1, 0, 0));
    assert_eq!(now.len(), before.len());
    let changed: Vec<_> = now.iter().filter(|seen| !before.contains(seen)).collect();
    assert_eq!(changed, [&(utc(2024, 1, 22, 11, 0), "Moved".to_owned())]);
}

#[test]
fn editing_an_occurrence_twice_edits_its_one_override() {
    let series = object(weekly("FREQ=WEEKLY;COUNT=10"), Vec::new());
    let once = edited(&series, &renamed("Moved"), &this(berlin(2024, 1, 22, 10, 0)));
    let patch = Patch { location: Some(Some("Room 2".into())), ..Patch::default() };
    // Named the second time by its instant in UTC.
    let twice = edited(&once, &patch, &this(When::Utc(utc(2024, 1, 22, 9, 0))));
    assert_eq!(twice.overrides.len(), 1);
    let item = &twice.overrides[0];
    assert_eq!(
        (item.summary.as_deref(), item.location.as_deref()),
        (Some("Moved"), Some("Room 2"))
    );
    assert_eq!(item.sequence, 2);
    // An override a client wrote with its RECURRENCE-ID in UTC is the same occurrence too.
    let master = weekly("FREQ=WEEKLY;COUNT=10");
    let theirs = override_at(
        &master,
        When::Utc(utc(2024, 1, 22, 9, 0)),
        berlin(2024, 1, 22, 10, 0),
        berlin(2024, 1, 22, 11, 0),
    );
    let theirs = object(master, vec![theirs]);
    let after = edited(&theirs, &renamed("Ours"), &this(berlin(2024, 1, 22, 10, 0)));
    assert_eq!(after.overrides.len(), 1);
    assert_eq!(after.overrides[0].summary.as_deref(), Some("Ours"));
}

#[test]
fn this_on_a_single_event_edits_the_event() {
    let mut single = weekly("FREQ=DAILY");
    single.rules.clear();
    let single = object(single, Vec::new());
    for occurrence in [None, Some(berlin(2024, 1, 8, 10, 0))] {
        let after = edited(&single, &renamed("Renamed"), &at_occurrence(Scope::This, occurrence));
        assert!(after.overrides.is_empty());
        let master = after.master.expect("a master");
        assert_eq!((master.summary.as_deref(), master.sequence), (Some("Renamed"), 1));
    }
}

#[test]
fn this_is_refused_where_it_makes_no_sense() {
    let series = object(weekly("FREQ=WEEKLY;COUNT=10"), Vec::new());
    let not_one = edit::edit(&series, &renamed("x"), &this(berlin(2024, 1, 22, 10, 30)));
    assert!(
        matches!(not_one, Err(EditError::NotAnOccurrence(m)) if m.contains("2024-01-22 10:30:00"))
    );
    let after_the_end = edit::edit(&series, &renamed("x"), &this(berlin(2024, 3, 18, 10, 0)));
    assert!(matches!(after_the_end, Err(EditError::NotAnOccurrence(_))));
    let rules = Patch { rules: Some(vec![rule("FREQ=DAILY")]), ..Patch::default() };
    let one_rule = edit::edit(&series, &rules, &this(berlin(2024, 1, 22, 10, 0)));
    assert!(matches!(one_rule, Err(EditError::Invalid(m)) if m.contains("recurrence")));
    let exdates = Patch { exdates: Some(Vec::new()), ..Patch::default() };
    assert!(edit::edit(&series, &exdates, &this(berlin(2024, 1, 22, 10, 0))).is_err());
    // Which one? Not the whole series.
    let unnamed = edit::edit(&series, &renamed("x"), &at_occurrence(Scope::This, None));
    assert!(matches!(&unnamed, Err(EditError::Invalid(_))), "{unnamed:?}");
    let gone = edit::delete(&series, &at_occurrence(Scope::This, None));
    assert!(matches!(&gone, Err(EditError::Invalid(_))), "{gone:?}");
    // An end before the start would make an event no client reads.
    let backwards =
        Patch { end: Some(Some(End::At(berlin(2024, 1, 22, 9, 0)))), ..Patch::default() };
    let backwards = edit::edit(&series, &backwards, &this(berlin(2024, 1, 22, 10, 0)));
    assert!(
        matches!(&backwards, Err(EditError::Invalid(m)) if m.contains("before")),
        "{backwards:?}"
    );
}

#[test]
fn an_override_keeps_an_end_in_another_zone() {
    // A flight: 10:00 in Berlin to 12:00 in New York, weekly.
    let mut master = weekly("FREQ=WEEKLY;COUNT=10");
    master.end = Some(End::At(zoned(NEW_YORK, at(2024, 1, 8, 12, 0))));
    let series = object(master, Vec::new());
    let after = edited(&series, &renamed("Late flight"), &this(berlin(2024, 1, 22, 10, 0)));
    assert_eq!(after.overrides[0].end, Some(End::At(zoned(NEW_YORK, at(2024, 1, 22, 12, 0)))));
    let found = listed(&after, utc(2024, 1, 22, 0, 0), utc(2024, 1, 23, 0, 0));
    assert_eq!(found, [(utc(2024, 1, 22, 9, 0), "Late flight".to_owned())]);
}

#[test]
fn deleting_this_occurrence_excludes_it_and_drops_its_override() {
    let master = weekly("FREQ=WEEKLY;COUNT=10");
    let moved = override_at(
        &master,
        When::Utc(utc(2024, 1, 22, 9, 0)),
        berlin(2024, 1, 23, 10, 0),
        berlin(2024, 1, 23, 11, 0),
    );
    let kept = override_at(
        &master,
        berlin(2024, 2, 5, 10, 0),
        berlin(2024, 2, 6, 10, 0),
        berlin(2024, 2, 6, 11, 0),
    );
    let series = object(master, vec![moved, kept.clone()]);
    let Edited { object: after, split } =
        edit::delete(&series, &this(berlin(2024, 1, 22, 10, 0))).expect("a deletion");
    assert!(split.is_none());
    let after = after.expect("the rest of the series");
    let master = after.master.as_ref().expect("a master");
    assert_eq!(master.exdates, [berlin(2024, 1, 22, 10, 0)]);
    assert_eq!((master.sequence, master.last_modified), (1, Some(now())));
    assert_eq!(after.overrides, [kept]);
    assert_eq!(starts(&after).len(), 9);
    assert!(!starts(&after).contains(&utc(2024, 1, 23, 9, 0)));
    // Once gone it is no occurrence to delete again.
    let again = edit::delete(&after, &this(berlin(2024, 1, 22, 10, 0)));
    assert!(matches!(again, Err(EditError::NotAnOccurrence(_))));
    let not_one = edit::delete(&after, &this(berlin(2024, 1, 29, 10, 30)));
    assert!(matches!(not_one, Err(EditError::NotAnOccurrence(_))));
}

#[test]
fn deleting_a_single_event_or_one_of_only_overrides() {
    let mut single = weekly("FREQ=DAILY");
    single.rules.clear();
    let single = object(single, Vec::new());
    assert_eq!(
        edit::delete(&single, &this(berlin(2024, 1, 8, 10, 0))),
        Ok(Edited { object: None, split: None })
    );
    let master = weekly("FREQ=WEEKLY");
    let one = override_at(
        &master,
        berlin(2024, 1, 15, 10, 0),
        berlin(2024, 1, 15, 10, 0),
        berlin(2024, 1, 15, 11, 0),
    );
    let two = override_at(
        &master,
        berlin(2024, 1, 22, 10, 0),
        berlin(2024, 1, 22, 10, 0),
        berlin(2024, 1, 22, 11, 0),
    );
    let invited = Object {
        uid: master.uid.clone(),
        kind: Kind::Event,
        master: None,
        overrides: vec![one, two.clone()],
    };
    let after =
        edit::delete(&invited, &this(When::Utc(utc(2024, 1, 15, 9, 0)))).expect("a deletion");
    assert_eq!(after.object.map(|o| o.overrides), Some(vec![two]));
}

#[test]
fn this_on_the_day_summer_time_skips_the_hour() {
    // Daily at 02:30 in Berlin; on 2024-03-31 02:30 does not exist and is read as 03:30 CEST.
    let mut master = weekly("FREQ=DAILY;COUNT=7");
    master.start = Some(berlin(2024, 3, 28, 2, 30));
    master.end = Some(End::At(berlin(2024, 3, 28, 3, 0)));
    let series = object(master, Vec::new());
    let gap = berlin(2024, 3, 31, 2, 30);
    let after = edited(&series, &renamed("In the gap"), &this(gap));
    let item = &after.overrides[0];
    assert_eq!((item.recurrence_id, item.start), (Some(gap), Some(gap)));
    assert_eq!(item.start.map(|s| s.instant(Tz::UTC)), Some(utc(2024, 3, 31, 1, 30)));
    // Half an hour long, as every occurrence: 02:00 UTC is 04:00 CEST.
    assert_eq!(item.end, Some(End::At(berlin(2024, 3, 31, 4, 0))));
    let found = listed(&after, utc(2024, 3, 31, 0, 0), utc(2024, 4, 1, 0, 0));
    assert_eq!(found, [(utc(2024, 3, 31, 1, 30), "In the gap".to_owned())]);
    // The instant a listing gives for it names the same occurrence.
    let again = edited(
        &after,
        &Patch { location: Some(Some("Home".into())), ..Patch::default() },
        &this(When::Utc(utc(2024, 3, 31, 1, 30))),
    );
    assert_eq!(again.overrides.len(), 1);
    assert_eq!(again.overrides[0].location.as_deref(), Some("Home"));
}
