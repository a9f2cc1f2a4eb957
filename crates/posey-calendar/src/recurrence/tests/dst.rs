//! DST: a wall-clock time the change skips still happens (with the offset before the gap), one
//! it repeats happens once (the first time), and other times keep their wall clock.

use super::*;

fn starts(
    series: &Series,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(NaiveDateTime, DateTime<Utc>)> {
    within(series, from, to).iter().map(|o| (o.id.local(), o.start)).collect()
}

#[test]
fn berlin_daily_at_half_past_two_across_the_spring_gap() {
    let daily = series(zoned(BERLIN, at(2024, 3, 29, 2, 30)), &["FREQ=DAILY;COUNT=5"]);
    let found = starts(&daily, utc(2024, 3, 1, 0, 0), utc(2024, 5, 1, 0, 0));
    assert_eq!(
        found,
        [
            (at(2024, 3, 29, 2, 30), utc(2024, 3, 29, 1, 30)),
            (at(2024, 3, 30, 2, 30), utc(2024, 3, 30, 1, 30)),
            // 02:30 does not exist on 2024-03-31: read with CET, it is 03:30 CEST.
            (at(2024, 3, 31, 2, 30), utc(2024, 3, 31, 1, 30)),
            (at(2024, 4, 1, 2, 30), utc(2024, 4, 1, 0, 30)),
            (at(2024, 4, 2, 2, 30), utc(2024, 4, 2, 0, 30)),
        ]
    );
    // Also found by a window around that instant alone.
    let found = starts(&daily, utc(2024, 3, 31, 1, 0), utc(2024, 3, 31, 2, 0));
    assert_eq!(found, [(at(2024, 3, 31, 2, 30), utc(2024, 3, 31, 1, 30))]);
}

#[test]
fn berlin_daily_at_half_past_two_across_the_autumn_fold() {
    let daily = series(zoned(BERLIN, at(2024, 10, 25, 2, 30)), &["FREQ=DAILY"]);
    let found = starts(&daily, utc(2024, 10, 25, 0, 0), utc(2024, 10, 29, 0, 0));
    assert_eq!(
        found,
        [
            (at(2024, 10, 25, 2, 30), utc(2024, 10, 25, 0, 30)),
            (at(2024, 10, 26, 2, 30), utc(2024, 10, 26, 0, 30)),
            // 02:30 happens twice on 2024-10-27; the occurrence is the first, in CEST, once.
            (at(2024, 10, 27, 2, 30), utc(2024, 10, 27, 0, 30)),
            (at(2024, 10, 28, 2, 30), utc(2024, 10, 28, 1, 30)),
        ]
    );
}

#[test]
fn new_york_across_both_changes() {
    let spring = series(zoned(NEW_YORK, at(2024, 3, 9, 2, 15)), &["FREQ=DAILY;COUNT=3"]);
    let found = starts(&spring, utc(2024, 3, 1, 0, 0), utc(2024, 3, 20, 0, 0));
    assert_eq!(
        found,
        [
            (at(2024, 3, 9, 2, 15), utc(2024, 3, 9, 7, 15)),
            // In the gap: EST's offset, so 03:15 EDT.
            (at(2024, 3, 10, 2, 15), utc(2024, 3, 10, 7, 15)),
            (at(2024, 3, 11, 2, 15), utc(2024, 3, 11, 6, 15)),
        ]
    );
    let autumn = series(zoned(NEW_YORK, at(2024, 11, 2, 1, 30)), &["FREQ=DAILY;COUNT=3"]);
    let found = starts(&autumn, utc(2024, 11, 1, 0, 0), utc(2024, 11, 10, 0, 0));
    assert_eq!(
        found,
        [
            (at(2024, 11, 2, 1, 30), utc(2024, 11, 2, 5, 30)),
            // Repeated: the first 01:30, in EDT.
            (at(2024, 11, 3, 1, 30), utc(2024, 11, 3, 5, 30)),
            (at(2024, 11, 4, 1, 30), utc(2024, 11, 4, 6, 30)),
        ]
    );
}

#[test]
fn a_weekly_meeting_keeps_nine_o_clock_in_berlin() {
    let weekly = series(zoned(BERLIN, at(2024, 3, 18, 9, 0)), &["FREQ=WEEKLY"]);
    let found = within(&weekly, utc(2024, 3, 1, 0, 0), utc(2024, 11, 15, 0, 0));
    assert_eq!(found.len(), 35);
    for occurrence in &found {
        let local = occurrence.start.with_timezone(&BERLIN).naive_local();
        assert_eq!(local, occurrence.id.local());
        assert_eq!(local.time(), at(2024, 1, 1, 9, 0).time());
        let summer = local > at(2024, 3, 31, 3, 0) && local < at(2024, 10, 27, 2, 0);
        let hour = if summer { 7 } else { 8 };
        assert_eq!(
            occurrence.start,
            utc(2024, 1, 1, hour, 0) + (local.date() - at(2024, 1, 1, 0, 0).date())
        );
    }
}

#[test]
fn an_hourly_rule_keeps_both_ids_that_meet_in_the_gap() {
    // 02:00 (skipped) is read as 03:00 CEST, the same instant as 03:00 itself; both are
    // occurrences with their own RECURRENCE-ID.
    let hourly = series(zoned(BERLIN, at(2024, 3, 31, 0, 0)), &["FREQ=HOURLY;COUNT=5"]);
    let found = starts(&hourly, utc(2024, 3, 30, 0, 0), utc(2024, 4, 1, 0, 0));
    assert_eq!(
        found,
        [
            (at(2024, 3, 31, 0, 0), utc(2024, 3, 30, 23, 0)),
            (at(2024, 3, 31, 1, 0), utc(2024, 3, 31, 0, 0)),
            (at(2024, 3, 31, 2, 0), utc(2024, 3, 31, 1, 0)),
            (at(2024, 3, 31, 3, 0), utc(2024, 3, 31, 1, 0)),
            (at(2024, 3, 31, 4, 0), utc(2024, 3, 31, 2, 0)),
        ]
    );
}

#[test]
fn floating_and_all_day_series_are_read_in_the_floating_zone() {
    let floating = series(When::Floating(at(2024, 3, 30, 2, 30)), &["FREQ=DAILY;COUNT=2"]);
    let found = floating
        .occurrences(
            utc(2024, 3, 1, 0, 0),
            utc(2024, 4, 1, 0, 0),
            Duration::zero(),
            BERLIN,
            &Caps::DEFAULT,
        )
        .expect("occurrences");
    let found: Vec<_> = found.iter().map(|o| (o.id, o.start)).collect();
    assert_eq!(
        found,
        [
            (When::Floating(at(2024, 3, 30, 2, 30)), utc(2024, 3, 30, 1, 30)),
            (When::Floating(at(2024, 3, 31, 2, 30)), utc(2024, 3, 31, 1, 30)),
        ]
    );
    let day = |d: u32| When::Date(NaiveDate::from_ymd_opt(2024, 7, d).expect("a day"));
    let birthday = series(day(1), &["FREQ=DAILY;UNTIL=20240703"]);
    let found = birthday
        .occurrences(
            utc(2024, 6, 1, 0, 0),
            utc(2024, 8, 1, 0, 0),
            Duration::days(1),
            NEW_YORK,
            &Caps::DEFAULT,
        )
        .expect("occurrences");
    let found: Vec<_> = found.iter().map(|o| (o.id, o.start)).collect();
    assert_eq!(
        found,
        [
            (day(1), utc(2024, 7, 1, 4, 0)),
            (day(2), utc(2024, 7, 2, 4, 0)),
            (day(3), utc(2024, 7, 3, 4, 0))
        ]
    );
}
