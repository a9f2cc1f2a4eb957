//! RRULE values (RFC 5545) on a series, expanded as the calendar does: the occurrences of a
//! window, where the series ends, and a "this and following" split. The bytes pick the series'
//! start (its form, zone and time, near DST changes or anywhere) up to the first newline; the
//! rest is the rule's text.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use libfuzzer_sys::fuzz_target;
use posey_calendar::When;
use posey_calendar::recurrence::{Rule, Series};

const ZONES: [Tz; 5] = [
    Tz::Europe__Berlin,
    Tz::America__New_York,
    Tz::Australia__Lord_Howe,
    Tz::Pacific__Apia,
    Tz::UTC,
];

fn local(u: &mut Unstructured<'_>) -> arbitrary::Result<NaiveDateTime> {
    // The spring-forward and fall-back days of Berlin and New York, or any minute of 1900-2200.
    let days = [(2027, 3, 28), (2027, 10, 31), (2027, 3, 14), (2027, 11, 7), (2024, 2, 29)];
    if bool::arbitrary(u)? {
        let (y, m, d) = *u.choose(&days)?;
        let day = NaiveDate::from_ymd_opt(y, m, d).expect("a real day");
        let minute = u.int_in_range(0..=24 * 60 - 1)?;
        Ok(day.and_hms_opt(minute / 60, minute % 60, 0).expect("a real time"))
    } else {
        let base =
            NaiveDate::from_ymd_opt(1900, 1, 1).expect("1900").and_hms_opt(0, 0, 0).expect("0");
        Ok(base + Duration::minutes(u.int_in_range(0..=300 * 366 * 24 * 60)?))
    }
}

fn start(u: &mut Unstructured<'_>) -> arbitrary::Result<When> {
    let at = local(u)?;
    Ok(match u.int_in_range(0..=3)? {
        0 => When::Date(at.date()),
        1 => When::Floating(at),
        2 => When::Utc(Utc.from_utc_datetime(&at)),
        _ => When::Zoned { local: at, zone: *u.choose(&ZONES)? },
    })
}

fuzz_target!(|data: &[u8]| {
    let (head, rule) = posey_fuzz::split_line(data);
    let Ok(rule) = std::str::from_utf8(rule) else { return };
    let mut u = Unstructured::new(head);
    let Ok(start) = start(&mut u) else { return };
    let zone = u.choose(&ZONES).copied().unwrap_or(Tz::UTC);
    let Ok(rule) = Rule::parse(rule) else { return };
    let series =
        Series { start, rules: vec![rule.clone()], rdates: Vec::new(), exdates: Vec::new() };
    let caps = posey_fuzz::CALENDAR_CAPS;
    let from = start.instant(zone) - Duration::days(1);
    let Some(to) = from.checked_add_signed(Duration::days(400)) else { return };
    let _ = series.last_start(zone, &caps);
    let Ok(occurrences) = series.occurrences(from, to, Duration::hours(1), zone, &caps) else {
        return;
    };
    if let Some(third) = occurrences.get(2) {
        let _ = series.has_occurrence(&third.id, zone, &caps);
        let _ = series.remaining_count(&rule, &third.id, zone, &caps);
        let _ = rule.ending_before(&start, &third.id, zone);
        if let Ok((before, after)) = series.split(&third.id, zone, &caps) {
            let _ = before.occurrences(from, to, Duration::hours(1), zone, &caps);
            let _ = after.occurrences(from, to, Duration::hours(1), zone, &caps);
        }
    }
});
