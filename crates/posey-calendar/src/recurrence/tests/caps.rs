//! Caps: no rule or window makes an expansion cost more than `Caps` allows, and a rule that
//! never matches does not hang.

use super::*;

fn expand(
    series: &Series,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Occurrence>, RecurrenceError> {
    series.occurrences(from, to, Duration::zero(), Tz::UTC, &Caps::DEFAULT)
}

#[test]
fn secondly_from_thirty_years_ago_is_refused_before_iterating() {
    for start in [When::Utc(utc(1994, 1, 1, 0, 0)), zoned(BERLIN, at(1994, 1, 1, 0, 0))] {
        let secondly = series(start, &["FREQ=SECONDLY"]);
        let result = expand(&secondly, utc(2024, 1, 1, 0, 0), utc(2024, 2, 1, 0, 0));
        assert!(
            matches!(result, Err(RecurrenceError::TooExpensive { freq: Frequency::Secondly, .. })),
            "{result:?}"
        );
        // A million seconds counted from DTSTART cannot be skipped over: refused up front too.
        let counted = series(start, &["FREQ=SECONDLY;COUNT=3000000"]);
        let result = expand(&counted, utc(2024, 1, 1, 0, 0), utc(2024, 1, 2, 0, 0));
        assert!(matches!(result, Err(RecurrenceError::TooExpensive { .. })), "{result:?}");
        // Ten seconds thirty years ago are cheap, and over.
        let short = series(start, &["FREQ=SECONDLY;COUNT=10"]);
        assert_eq!(expand(&short, utc(2024, 1, 1, 0, 0), utc(2024, 2, 1, 0, 0)), Ok(Vec::new()));
    }
}

#[test]
fn an_hour_of_a_secondly_rule_from_long_ago_is_fine() {
    let secondly = series(When::Utc(utc(1994, 1, 1, 0, 0)), &["FREQ=SECONDLY;INTERVAL=10"]);
    let found =
        expand(&secondly, utc(2024, 1, 1, 0, 0), utc(2024, 1, 1, 1, 0)).expect("occurrences");
    assert_eq!(found.len(), 360);
    assert_eq!(found[0].start, utc(2024, 1, 1, 0, 0));
}

#[test]
fn a_twenty_year_window_is_too_long() {
    let daily = series(When::Utc(utc(2024, 1, 1, 9, 0)), &["FREQ=DAILY"]);
    let result = expand(&daily, utc(2024, 1, 1, 0, 0), utc(2044, 1, 1, 0, 0));
    assert_eq!(result, Err(RecurrenceError::WindowTooLong { max_days: 3660 }));
}

#[test]
fn a_minutely_rule_over_a_week_is_too_many() {
    let minutely = series(zoned(BERLIN, at(2024, 1, 1, 0, 0)), &["FREQ=MINUTELY"]);
    let result = expand(&minutely, utc(2024, 3, 1, 0, 0), utc(2024, 3, 8, 0, 0));
    assert_eq!(result, Err(RecurrenceError::TooMany { limit: 5000 }));
    // A day is fine.
    let found =
        expand(&minutely, utc(2024, 3, 1, 0, 0), utc(2024, 3, 2, 0, 0)).expect("occurrences");
    assert_eq!(found.len(), 1440);
}

#[test]
fn many_fine_times_a_day_over_years_are_refused_up_front() {
    let busy = series(
        When::Utc(utc(2000, 1, 1, 0, 0)),
        &[
            "FREQ=DAILY;COUNT=1000000000;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,10,20,30,40,50;BYSECOND=0,15,30,45",
        ],
    );
    let result = expand(&busy, utc(2024, 1, 1, 0, 0), utc(2024, 1, 2, 0, 0));
    assert!(
        matches!(result, Err(RecurrenceError::TooExpensive { freq: Frequency::Daily, .. })),
        "{result:?}"
    );
}

#[test]
fn a_rule_that_never_matches_leaves_only_dtstart() {
    for rule in [
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4",
        "FREQ=MONTHLY;INTERVAL=3;BYMONTH=2", // January, April, July, October
        "FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1", // left to rrule's own bound,
    ] {
        let never = series(When::Utc(utc(2024, 1, 1, 9, 0)), &[rule]);
        let found =
            expand(&never, utc(2024, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0)).expect("occurrences");
        assert_eq!(
            found.iter().map(|o| o.start).collect::<Vec<_>>(),
            [utc(2024, 1, 1, 9, 0)],
            "{rule}"
        );
        assert_eq!(
            expand(&never, utc(2025, 1, 1, 0, 0), utc(2030, 1, 1, 0, 0)),
            Ok(Vec::new()),
            "{rule}"
        );
        assert_eq!(
            never.has_occurrence(&When::Utc(utc(2028, 2, 29, 9, 0)), Tz::UTC, &Caps::DEFAULT),
            Ok(false)
        );
    }
}

#[test]
fn smaller_caps_are_kept() {
    let caps = Caps { max_occurrences: 10, max_window: Duration::days(30), max_steps: 1_000 };
    let daily = series(When::Utc(utc(2020, 1, 1, 9, 0)), &["FREQ=DAILY;COUNT=5000"]);
    let run = |from, to| daily.occurrences(from, to, Duration::zero(), Tz::UTC, &caps);
    assert_eq!(
        run(utc(2020, 1, 1, 0, 0), utc(2020, 3, 1, 0, 0)),
        Err(RecurrenceError::WindowTooLong { max_days: 30 })
    );
    assert_eq!(
        run(utc(2020, 1, 1, 0, 0), utc(2020, 1, 20, 0, 0)),
        Err(RecurrenceError::TooMany { limit: 10 })
    );
    assert!(matches!(
        run(utc(2023, 1, 1, 0, 0), utc(2023, 1, 5, 0, 0)),
        Err(RecurrenceError::TooExpensive { .. })
    ));
    // A plain rule's end is arithmetic; one with BYxxx parts is walked, within the caps.
    assert_eq!(daily.last_start(Tz::UTC, &caps), Ok(Some(utc(2033, 9, 8, 9, 0))));
    let by_hour = series(When::Utc(utc(2020, 1, 1, 9, 0)), &["FREQ=DAILY;BYHOUR=9;COUNT=5000"]);
    assert!(matches!(
        by_hour.last_start(Tz::UTC, &caps),
        Err(RecurrenceError::TooExpensive { .. })
    ));
}
