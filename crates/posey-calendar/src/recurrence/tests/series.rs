//! What a series' occurrences are: DTSTART, RDATEs, EXDATEs, event length, and the questions
//! `has_occurrence` and `last_start` answer.

use super::*;

fn ids(found: &[Occurrence]) -> Vec<NaiveDateTime> {
    found.iter().map(|o| o.id.local()).collect()
}

#[test]
fn dtstart_counts_as_the_first_even_off_the_rule() {
    // 2024-07-02 is a Tuesday; the rule gives Mondays. COUNT includes DTSTART (RFC 5545).
    let series = series(zoned(BERLIN, at(2024, 7, 2, 9, 0)), &["FREQ=WEEKLY;BYDAY=MO;COUNT=3"]);
    let found = within(&series, utc(2024, 7, 1, 0, 0), utc(2024, 9, 1, 0, 0));
    assert_eq!(ids(&found), [at(2024, 7, 2, 9, 0), at(2024, 7, 8, 9, 0), at(2024, 7, 15, 9, 0)]);
}

#[test]
fn rdates_join_once_and_exdates_in_any_form_remove() {
    let mut series = series(zoned(BERLIN, at(2024, 7, 1, 9, 0)), &["FREQ=DAILY;COUNT=5"]);
    series.rdates = vec![
        zoned(BERLIN, at(2024, 7, 3, 9, 0)),    // also a rule occurrence
        When::Utc(utc(2024, 7, 10, 16, 0)),     // 18:00 in Berlin
        zoned(NEW_YORK, at(2024, 7, 11, 3, 0)), // 09:00 in Berlin
    ];
    series.exdates = vec![
        When::Utc(utc(2024, 7, 2, 7, 0)), // 09:00 in Berlin
        zoned(BERLIN, at(2024, 7, 11, 9, 0)),
    ];
    let found = within(&series, utc(2024, 6, 1, 0, 0), utc(2024, 8, 1, 0, 0));
    assert_eq!(
        ids(&found),
        [
            at(2024, 7, 1, 9, 0),
            at(2024, 7, 3, 9, 0),
            at(2024, 7, 4, 9, 0),
            at(2024, 7, 5, 9, 0),
            at(2024, 7, 10, 18, 0)
        ]
    );
    assert!(found.iter().all(|o| o.id.zone() == Some(BERLIN)));
    let excluded = |exdate: When| {
        let mut series = series.clone();
        series.exdates = vec![exdate];
        within(&series, utc(2024, 6, 1, 0, 0), utc(2024, 8, 1, 0, 0)).len()
    };
    // DTSTART itself can be excluded.
    assert_eq!(excluded(zoned(BERLIN, at(2024, 7, 1, 9, 0))), 6);
}

#[test]
fn an_event_still_going_at_the_window_start_is_included() {
    let series = series(When::Utc(utc(2024, 7, 1, 9, 0)), &["FREQ=DAILY"]);
    let occurrences = |from, to, hours| {
        let found = series.occurrences(from, to, Duration::hours(hours), Tz::UTC, &Caps::DEFAULT);
        ids(&found.expect("occurrences"))
    };
    // [10:00, 11:00) on the 3rd: the 09:00 occurrence lasting two hours overlaps it.
    assert_eq!(
        occurrences(utc(2024, 7, 3, 10, 0), utc(2024, 7, 3, 11, 0), 2),
        [at(2024, 7, 3, 9, 0)]
    );
    // Lasting one hour it ends at 10:00 and does not.
    assert!(occurrences(utc(2024, 7, 3, 10, 0), utc(2024, 7, 3, 11, 0), 1).is_empty());
    // Zero-length: at `from` included, at `to` not.
    assert_eq!(
        occurrences(utc(2024, 7, 3, 9, 0), utc(2024, 7, 4, 9, 0), 0),
        [at(2024, 7, 3, 9, 0)]
    );
    assert!(occurrences(utc(2024, 7, 3, 9, 0), utc(2024, 7, 3, 9, 0), 0).is_empty());
}

#[test]
fn has_occurrence_matches_in_the_series_form() {
    let mut series = series(zoned(BERLIN, at(2024, 7, 1, 9, 0)), &["FREQ=WEEKLY;BYDAY=MO,WE"]);
    series.rdates = vec![zoned(BERLIN, at(2024, 7, 5, 12, 0))];
    series.exdates = vec![zoned(BERLIN, at(2024, 7, 8, 9, 0))];
    let has = |id: When| series.has_occurrence(&id, Tz::UTC, &Caps::DEFAULT).expect("an answer");
    assert!(has(zoned(BERLIN, at(2024, 7, 1, 9, 0))));
    assert!(has(zoned(BERLIN, at(2024, 7, 3, 9, 0))));
    assert!(has(When::Utc(utc(2031, 1, 1, 8, 0)))); // a Wednesday, 09:00 CET
    assert!(has(zoned(BERLIN, at(2024, 7, 5, 12, 0))));
    assert!(!has(zoned(BERLIN, at(2024, 7, 8, 9, 0)))); // excluded
    assert!(!has(zoned(BERLIN, at(2024, 7, 2, 9, 0)))); // a Tuesday
    assert!(!has(zoned(BERLIN, at(2024, 7, 3, 9, 30))));
    assert!(!has(zoned(BERLIN, at(2024, 6, 26, 9, 0)))); // before DTSTART
}

#[test]
fn last_start_of_ending_and_endless_series() {
    let last = |start: When, rule: &str| {
        series(start, &[rule]).last_start(Tz::UTC, &Caps::DEFAULT).expect("an answer")
    };
    let nine = zoned(BERLIN, at(2024, 7, 1, 9, 0));
    assert_eq!(last(nine, "FREQ=DAILY;COUNT=10"), Some(utc(2024, 7, 10, 7, 0)));
    assert_eq!(last(nine, "FREQ=WEEKLY;UNTIL=20241231T000000Z"), Some(utc(2024, 12, 30, 8, 0)));
    // UNTIL is 01:00 in Berlin, an occurrence, so the last.
    assert_eq!(last(nine, "FREQ=MINUTELY;UNTIL=20341231T000000Z"), Some(utc(2034, 12, 31, 0, 0)));
    assert_eq!(last(nine, "FREQ=DAILY"), None);
    let second = When::Utc(utc(2024, 1, 1, 0, 0));
    assert_eq!(
        last(second, "FREQ=SECONDLY;COUNT=1000000"),
        Some(utc(2024, 1, 1, 0, 0) + Duration::seconds(999_999))
    );
    // The last one excluded: the one before it.
    let mut series = series(nine, &["FREQ=DAILY;COUNT=10"]);
    series.exdates = vec![zoned(BERLIN, at(2024, 7, 10, 9, 0))];
    assert_eq!(series.last_start(Tz::UTC, &Caps::DEFAULT), Ok(Some(utc(2024, 7, 9, 7, 0))));
    // A later RDATE is the end.
    series.rdates = vec![When::Utc(utc(2025, 1, 1, 0, 0))];
    assert_eq!(series.last_start(Tz::UTC, &Caps::DEFAULT), Ok(Some(utc(2025, 1, 1, 0, 0))));
    assert_eq!(
        Series::single(nine).last_start(Tz::UTC, &Caps::DEFAULT),
        Ok(Some(utc(2024, 7, 1, 7, 0)))
    );
    assert!(!Series::single(nine).is_recurring());
}

#[test]
fn an_until_before_dtstart_leaves_dtstart() {
    let series = series(When::Utc(utc(2024, 7, 1, 9, 0)), &["FREQ=DAILY;UNTIL=20240101T000000Z"]);
    assert_eq!(
        ids(&within(&series, utc(2024, 1, 1, 0, 0), utc(2025, 1, 1, 0, 0))),
        [at(2024, 7, 1, 9, 0)]
    );
}
