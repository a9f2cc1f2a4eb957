//! "This and following": a series split at an occurrence into a head ending just before it and
//! a tail starting at it, which together give exactly the original occurrences.

use super::*;

fn sorted(mut found: Vec<Occurrence>) -> Vec<Occurrence> {
    found.sort_by_key(|o| (o.start, o.id.local()));
    found
}

/// Splits at `at` and checks head and tail against the original over [from, to).
fn split_and_check(
    series: &Series,
    at: When,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> (Series, Series) {
    let (head, tail) = series.split(&at, Tz::UTC, &Caps::DEFAULT).expect("a split");
    let original = within(series, from, to);
    let (before, after) = (within(&head, from, to), within(&tail, from, to));
    let cut = series.start.in_form_of(&at, Tz::UTC).local();
    assert!(before.iter().all(|o| o.id.local() < cut), "head {before:?}");
    assert!(after.iter().all(|o| o.id.local() >= cut), "tail {after:?}");
    assert_eq!(after.first().map(|o| o.id), Some(series.start.in_form_of(&at, Tz::UTC)));
    assert_eq!(sorted([before, after].concat()), original);
    (head, tail)
}

#[test]
fn a_counted_daily_series_splits_with_the_count_carried_over() {
    let daily = series(zoned(BERLIN, at(2024, 7, 1, 9, 0)), &["FREQ=DAILY;COUNT=10"]);
    let fourth = zoned(BERLIN, at(2024, 7, 4, 9, 0));
    let (head, tail) =
        split_and_check(&daily, fourth, utc(2024, 6, 1, 0, 0), utc(2024, 8, 1, 0, 0));
    assert_eq!(head.rules[0].to_string(), "FREQ=DAILY;UNTIL=20240704T065959Z");
    assert_eq!(tail.start, fourth);
    assert_eq!(tail.rules[0].to_string(), "FREQ=DAILY;COUNT=7");
    let rule = &daily.rules[0];
    assert_eq!(daily.remaining_count(rule, &fourth, Tz::UTC, &Caps::DEFAULT), Ok(Some(7)));
    assert_eq!(
        daily.remaining_count(rule, &zoned(BERLIN, at(2024, 8, 1, 9, 0)), Tz::UTC, &Caps::DEFAULT),
        Ok(Some(0))
    );
}

#[test]
fn an_endless_weekly_series_splits_with_its_rdates_and_exdates() {
    let mut weekly =
        series(zoned(BERLIN, at(2024, 3, 4, 9, 0)), &["FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR"]);
    weekly.rdates =
        vec![zoned(BERLIN, at(2024, 3, 9, 10, 0)), zoned(BERLIN, at(2024, 5, 4, 10, 0))];
    weekly.exdates =
        vec![zoned(BERLIN, at(2024, 3, 6, 9, 0)), zoned(BERLIN, at(2024, 5, 13, 9, 0))];
    // Given in UTC, as a RECURRENCE-ID may be: 09:00 CEST on Wednesday 2024-04-17.
    let at = When::Utc(utc(2024, 4, 17, 7, 0));
    let (head, tail) = split_and_check(&weekly, at, utc(2024, 1, 1, 0, 0), utc(2024, 12, 1, 0, 0));
    assert_eq!(head.rdates.len(), 1);
    assert_eq!(tail.rdates.len(), 1);
    assert_eq!(tail.exdates.len(), 1);
    assert_eq!(tail.rules, weekly.rules);
    assert_eq!(tail.start, zoned(BERLIN, super::at(2024, 4, 17, 9, 0)));
}

#[test]
fn all_day_and_floating_series_end_in_their_own_form() {
    let day = |m: u32, d: u32| When::Date(NaiveDate::from_ymd_opt(2024, m, d).expect("a day"));
    let monthly = series(day(1, 31), &["FREQ=MONTHLY;BYMONTHDAY=31;COUNT=6"]);
    let (head, tail) =
        split_and_check(&monthly, day(5, 31), utc(2024, 1, 1, 0, 0), utc(2025, 6, 1, 0, 0));
    assert_eq!(head.rules[0].until(), Some(day(5, 30)));
    assert_eq!(tail.rules[0].count(), Some(4)); // May, July, August and October 31st
    let floating =
        series(When::Floating(at(2024, 1, 1, 7, 30)), &["FREQ=DAILY;UNTIL=20240110T073000"]);
    let (head, _) = split_and_check(
        &floating,
        When::Floating(at(2024, 1, 5, 7, 30)),
        utc(2023, 12, 1, 0, 0),
        utc(2024, 2, 1, 0, 0),
    );
    assert_eq!(head.rules[0].to_string(), "FREQ=DAILY;UNTIL=20240105T072959");
}

#[test]
fn a_count_that_starts_off_the_rule_carries_over() {
    // Tuesday, then Mondays: DTSTART is the first of the four.
    let weekly = series(zoned(BERLIN, at(2024, 7, 2, 9, 0)), &["FREQ=WEEKLY;BYDAY=MO;COUNT=4"]);
    let (_, tail) = split_and_check(
        &weekly,
        zoned(BERLIN, at(2024, 7, 15, 9, 0)),
        utc(2024, 6, 1, 0, 0),
        utc(2024, 9, 1, 0, 0),
    );
    assert_eq!(tail.rules[0].count(), Some(2));
}

#[test]
fn a_rule_used_up_before_an_rdate_stays_in_the_head() {
    let mut daily = series(When::Utc(utc(2024, 7, 1, 9, 0)), &["FREQ=DAILY;COUNT=3"]);
    daily.rdates = vec![When::Utc(utc(2024, 8, 1, 9, 0)), When::Utc(utc(2024, 9, 1, 9, 0))];
    let (head, tail) = split_and_check(
        &daily,
        When::Utc(utc(2024, 8, 1, 9, 0)),
        utc(2024, 6, 1, 0, 0),
        utc(2024, 12, 1, 0, 0),
    );
    assert_eq!(head.rules, daily.rules);
    assert!(tail.rules.is_empty());
    assert_eq!(tail.rdates, [When::Utc(utc(2024, 9, 1, 9, 0))]);
}

#[test]
fn splits_that_cannot_be_made_are_refused() {
    let mut daily = series(When::Utc(utc(2024, 7, 1, 9, 0)), &["FREQ=DAILY"]);
    daily.rdates = vec![When::Utc(utc(2024, 7, 5, 12, 0))];
    daily.exdates = vec![When::Utc(utc(2024, 7, 3, 9, 0))];
    for at in [
        utc(2024, 7, 1, 9, 0),
        utc(2024, 7, 2, 10, 0),
        utc(2024, 7, 3, 9, 0),
        utc(2024, 7, 5, 12, 0),
    ] {
        let result = daily.split(&When::Utc(at), Tz::UTC, &Caps::DEFAULT);
        assert!(matches!(result, Err(RecurrenceError::CannotSplit(_))), "{at}: {result:?}");
    }
}

#[test]
fn ending_before_writes_until_in_the_series_form() {
    let rule = Rule::parse("FREQ=WEEKLY;COUNT=20").expect("a rule");
    let before = When::Utc(utc(2024, 3, 11, 8, 0));
    let ending = |start: When| rule.ending_before(&start, &before, BERLIN).to_string();
    assert_eq!(ending(zoned(BERLIN, at(2024, 3, 4, 9, 0))), "FREQ=WEEKLY;UNTIL=20240311T075959Z");
    assert_eq!(ending(When::Utc(utc(2024, 3, 4, 8, 0))), "FREQ=WEEKLY;UNTIL=20240311T075959Z");
    assert_eq!(ending(When::Floating(at(2024, 3, 4, 9, 0))), "FREQ=WEEKLY;UNTIL=20240311T085959");
    let day = When::Date(NaiveDate::from_ymd_opt(2024, 3, 4).expect("a day"));
    assert_eq!(ending(day), "FREQ=WEEKLY;UNTIL=20240310");
    // An UNTIL already earlier stays.
    let short = Rule::parse("FREQ=WEEKLY;UNTIL=20240305T000000Z").expect("a rule");
    assert_eq!(short.ending_before(&When::Utc(utc(2024, 3, 4, 8, 0)), &before, BERLIN), short);
}
