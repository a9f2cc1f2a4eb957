//! Properties over random simple rules: in UTC (no DST) the expansion agrees exactly with the
//! rrule crate's own; results are sorted, unique, in the window and free of EXDATEs; windows
//! split cleanly; zoned series keep their wall clock; a split loses and adds nothing.

use proptest::prelude::*;
use rrule::RRuleSet;

use super::*;

/// A simple rule's text without its end, and its end: none, COUNT or UNTIL days after DTSTART.
#[derive(Debug, Clone)]
struct Simple {
    body: String,
    end: End,
}

#[derive(Debug, Clone, Copy)]
enum End {
    Never,
    Count(u32),
    UntilDays(i64),
}

fn simple() -> impl Strategy<Value = Simple> {
    let days = proptest::sample::subsequence(vec!["MO", "TU", "WE", "TH", "FR", "SA", "SU"], 1..=3);
    let end = prop_oneof![
        Just(End::Never),
        (1..40u32).prop_map(End::Count),
        (0..500i64).prop_map(End::UntilDays)
    ];
    (
        0..4usize,
        1..=4u16,
        proptest::option::of(days),
        proptest::option::of(prop_oneof![1..=28i8, Just(-1i8)]),
        proptest::option::of(proptest::sample::subsequence((1..=12u8).collect::<Vec<_>>(), 1..=4)),
        end,
    )
        .prop_map(|(freq, interval, by_day, by_month_day, by_month, end)| {
            let freq = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"][freq];
            let mut body = format!("FREQ={freq};INTERVAL={interval}");
            if let Some(days) = by_day {
                body += &format!(";BYDAY={}", days.join(","));
            }
            // BYMONTHDAY is not allowed with WEEKLY.
            if let Some(day) = by_month_day.filter(|_| freq != "WEEKLY") {
                body += &format!(";BYMONTHDAY={day}");
            }
            if let Some(months) = by_month {
                let months: Vec<String> = months.iter().map(u8::to_string).collect();
                body += &format!(";BYMONTH={}", months.join(","));
            }
            Simple { body, end }
        })
}

impl Simple {
    fn text(&self, start: NaiveDateTime) -> String {
        match self.end {
            End::Never => self.body.clone(),
            End::Count(n) => format!("{};COUNT={n}", self.body),
            End::UntilDays(days) => {
                let until = start + Duration::days(days) + Duration::hours(3);
                format!("{};UNTIL={}Z", self.body, until.format("%Y%m%dT%H%M%S"))
            }
        }
    }
}

fn moment() -> impl Strategy<Value = NaiveDateTime> {
    (2000..2030i32, 1..=12u32, 1..=28u32, 0..24u32, 0..4u32)
        .prop_map(|(y, m, d, h, quarter)| at(y, m, d, h, quarter * 15))
}

/// The rrule crate's times for the rule with a UTC DTSTART, in [from, to).
fn reference(
    start: NaiveDateTime,
    text: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Vec<NaiveDateTime> {
    let set: RRuleSet = format!("DTSTART:{}Z\nRRULE:{text}", start.format("%Y%m%dT%H%M%S"))
        .parse()
        .expect("rrule parses it");
    let before = rrule::Tz::UTC.from_utc_datetime(&to);
    let times = set.before(before).all(u16::MAX).dates;
    times.iter().map(|t| t.naive_utc()).filter(|t| *t >= from && *t < to).collect()
}

/// A DTSTART the rule gives (the first time from `seed`), as RFC 5545 asks; None if none soon.
fn synchronised(body: &str, seed: NaiveDateTime) -> Option<NaiveDateTime> {
    let first = reference(seed, body, seed, seed + Duration::days(3660)).first().copied()?;
    (reference(first, body, first, first + Duration::days(1)).first() == Some(&first))
        .then_some(first)
}

fn utc_of(local: NaiveDateTime) -> DateTime<Utc> {
    Utc.from_utc_datetime(&local)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_the_rrule_crate_in_utc(
        rule in simple(),
        seed in moment(),
        offset in -400..400i64,
        length in 1..800i64,
        excluded in proptest::collection::vec(0..40usize, 0..4),
    ) {
        let Some(start) = synchronised(&rule.body, seed) else { return Ok(()) };
        let text = rule.text(start);
        let from = start + Duration::days(offset);
        let to = from + Duration::days(length);
        let mut want = reference(start, &text, from, to);
        let mut series = series(When::Utc(utc_of(start)), &[text.as_str()]);
        let got = within(&series, utc_of(from), utc_of(to));
        let got: Vec<NaiveDateTime> = got.iter().map(|o| o.start.naive_utc()).collect();
        prop_assert_eq!(&got, &want, "{}", text);
        prop_assert!(got.windows(2).all(|pair| pair[0] < pair[1]));

        // EXDATEs picked among them are gone, and nothing else.
        let exdates: Vec<NaiveDateTime> = excluded.iter().filter_map(|i| want.get(*i).copied()).collect();
        series.exdates = exdates.iter().map(|t| When::Utc(utc_of(*t))).collect();
        want.retain(|t| !exdates.contains(t));
        let got = within(&series, utc_of(from), utc_of(to));
        let got: Vec<NaiveDateTime> = got.iter().map(|o| o.start.naive_utc()).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn windows_split_cleanly(
        rule in simple(),
        seed in moment(),
        offset in -100..300i64,
        first in 0..400i64,
        second in 0..400i64,
        zone in prop_oneof![Just(Tz::UTC), Just(BERLIN), Just(NEW_YORK)],
    ) {
        let text = rule.text(seed);
        let series = series(zoned(zone, seed), &[text.as_str()]);
        let a = utc_of(seed) + Duration::days(offset);
        let (b, c) = (a + Duration::hours(first * 13), a + Duration::hours((first + second) * 13));
        let whole = within(&series, a, c);
        let parts = [within(&series, a, b), within(&series, b, c)].concat();
        prop_assert_eq!(&whole, &parts);
        prop_assert!(whole.iter().all(|o| o.start >= a && o.start < c));
    }

    #[test]
    fn a_berlin_series_keeps_its_wall_clock(rule in simple(), seed in moment(), hour in 0..24u32) {
        let start = seed.date().and_hms_opt(hour, 30, 0).expect("a time");
        let text = rule.text(start);
        let series = series(zoned(BERLIN, start), &[text.as_str()]);
        let from = utc_of(start) - Duration::days(1);
        for occurrence in within(&series, from, from + Duration::days(1500)) {
            let wall = occurrence.start.with_timezone(&BERLIN).naive_local();
            let local = occurrence.id.local();
            let in_gap = BERLIN.from_local_datetime(&local).earliest().is_none();
            let expected = if in_gap { local + Duration::hours(1) } else { local };
            prop_assert_eq!(wall, expected, "{}", text);
        }
    }

    #[test]
    fn a_split_loses_and_adds_nothing(rule in simple(), seed in moment(), pick in 0..1000usize) {
        let text = rule.text(seed);
        let series = series(zoned(BERLIN, seed), &[text.as_str()]);
        let (from, to) = (utc_of(seed) - Duration::days(2), utc_of(seed) + Duration::days(3000));
        let original = within(&series, from, to);
        if original.len() < 2 {
            return Ok(());
        }
        let at = original[1 + pick % (original.len() - 1)].id;
        // Every occurrence after DTSTART is the rule's, so the split can be made.
        let split = series.split(&at, Tz::UTC, &Caps::DEFAULT);
        let (head, tail) = split.map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let mut joined = [within(&head, from, to), within(&tail, from, to)].concat();
        joined.sort_by_key(|o| (o.start, o.id.local()));
        prop_assert_eq!(joined, original, "{}", text);
    }
}
