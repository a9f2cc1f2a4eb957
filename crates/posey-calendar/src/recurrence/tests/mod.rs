//! Tests of recurrence: parsing, RFC 5545's examples, DST, caps, splitting and properties.

mod caps;
mod dst;
mod props;
mod rfc;
mod series;
mod split;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::When;

const BERLIN: Tz = chrono_tz::Europe::Berlin;
const NEW_YORK: Tz = chrono_tz::America::New_York;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d).and_then(|day| day.and_hms_opt(h, min, 0)).expect("a time")
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&at(y, m, d, h, min))
}

fn zoned(zone: Tz, local: NaiveDateTime) -> When {
    When::Zoned { local, zone }
}

fn series(start: When, rules: &[&str]) -> Series {
    let rules = rules.iter().map(|rule| Rule::parse(rule).expect("a valid rule")).collect();
    Series { start, rules, rdates: Vec::new(), exdates: Vec::new() }
}

/// Occurrences of zero-length events in [from, to), floating times read in UTC.
fn within(series: &Series, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Occurrence> {
    series.occurrences(from, to, Duration::zero(), Tz::UTC, &Caps::DEFAULT).expect("occurrences")
}

fn parse_error(rule: &str) -> String {
    match Rule::parse(rule) {
        Err(RecurrenceError::Invalid(message)) => message,
        other => panic!("{rule} should be invalid, got {other:?}"),
    }
}

#[test]
fn invalid_rules_are_refused_naming_the_part() {
    let cases = [
        ("", "empty"),
        ("COUNT=3", "FREQ"),
        ("FREQ=FORTNIGHTLY", "FORTNIGHTLY"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20240101T000000Z", "COUNT and UNTIL"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL"),
        ("FREQ=DAILY;COUNT=0", "COUNT"),
        ("FREQ=DAILY;COUNT=-1", "COUNT"),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY"),
        ("FREQ=DAILY;BYHOUR=24", "BYHOUR"),
        ("FREQ=WEEKLY;BYDAY=1MO", "BYDAY"),
        ("FREQ=YEARLY;BYWEEKNO=20;BYDAY=1MO", "BYWEEKNO"),
        ("FREQ=MONTHLY;BYDAY=XMO", "BYDAY"),
        ("FREQ=MONTHLY;BYDAY=MONDAY", "BYDAY"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY"),
        ("FREQ=MONTHLY;BYYEARDAY=1", "BYYEARDAY"),
        ("FREQ=MONTHLY;BYWEEKNO=1", "BYWEEKNO"),
        ("FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ is given twice"),
        ("FREQ=DAILY;COLOR=RED", "COLOR"),
        ("FREQ=DAILY;BYDAY", "BYDAY"),
        ("FREQ=DAILY;UNTIL=2024-01-01", "UNTIL"),
        ("FREQ=DAILY;UNTIL=20241301", "UNTIL"),
        ("FREQ=DAILY;BYDAY=MÖ", "ASCII"),
    ];
    for (rule, named) in cases {
        let message = parse_error(rule);
        assert!(message.contains(named), "{rule}: `{message}` should name {named}");
    }
}

#[test]
fn rules_print_in_one_normal_form_and_parse_back() {
    let cases = [
        ("freq=monthly;byday=1mo,-1fr,1MO;count=3", "FREQ=MONTHLY;COUNT=3;BYDAY=-1FR,1MO"),
        ("RRULE:FREQ=WEEKLY;WKST=MO;INTERVAL=1;BYDAY=FR,MO", "FREQ=WEEKLY;BYDAY=MO,FR"),
        // Blanks around commas, as Exchange wrote them.
        ("FREQ=DAILY;BYDAY=MO, TU, WE ;BYHOUR=9, 17", "FREQ=DAILY;BYDAY=MO,TU,WE;BYHOUR=9,17"),
        (
            "FREQ=WEEKLY;WKST=SU;INTERVAL=2;BYDAY=TU,TH",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=SU",
        ),
        (
            "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1",
            "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1",
        ),
        ("FREQ=DAILY;UNTIL=20240105", "FREQ=DAILY;UNTIL=20240105"),
        ("FREQ=DAILY;UNTIL=20240105T090000", "FREQ=DAILY;UNTIL=20240105T090000"),
        (
            "FREQ=MONTHLY;BYMONTHDAY=15,-1,1;BYSETPOS=-1",
            "FREQ=MONTHLY;BYMONTHDAY=-1,1,15;BYSETPOS=-1",
        ),
        ("FREQ=YEARLY;BYDAY=+20MO", "FREQ=YEARLY;BYDAY=20MO"),
    ];
    for (text, normal) in cases {
        let rule = Rule::parse(text).expect("a valid rule");
        assert_eq!(rule.to_string(), normal);
        assert_eq!(Rule::parse(&rule.to_string()), Ok(rule));
    }
    let rule = Rule::parse("FREQ=DAILY;UNTIL=20240105T090000Z").expect("a valid rule");
    assert_eq!(rule.frequency(), Frequency::Daily);
    assert_eq!(rule.until(), Some(When::Utc(utc(2024, 1, 5, 9, 0))));
    assert_eq!(Rule::parse("FREQ=DAILY;COUNT=4").map(|r| r.count()), Ok(Some(4)));
}

#[test]
fn error_messages_say_what_to_do() {
    let too_long = RecurrenceError::WindowTooLong { max_days: 3660 }.to_string();
    assert!(too_long.contains("3660 days") && too_long.contains("shorter"), "{too_long}");
    let too_many = RecurrenceError::TooMany { limit: 5000 }.to_string();
    assert!(too_many.contains("5000") && too_many.contains("shorter window"), "{too_many}");
    let costly = RecurrenceError::TooExpensive { freq: Frequency::Secondly, estimate: 9, limit: 2 };
    assert!(costly.to_string().contains("FREQ=SECONDLY"), "{costly}");
}
