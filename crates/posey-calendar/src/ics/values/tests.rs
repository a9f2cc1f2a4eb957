use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::ics::{Limits, parse, write};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a day")
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> NaiveDateTime {
    day(y, m, d).and_hms_opt(h, min, s).expect("a time")
}

#[test]
fn text_is_unescaped_and_escaped() {
    assert_eq!(text("a\\, b\\; c\\\\d\\ne\\Nf"), "a, b; c\\d\ne\nf");
    // Unknown escapes and a trailing backslash keep their backslash.
    assert_eq!(text("C:\\temp\\"), "C:\\temp\\");
    assert_eq!(write_text("a, b; c\\d\r\ne\rf\ng"), "a\\, b\\; c\\\\d\\ne\\nf\\ng");
    let tricky = "one,two;\\n three\n";
    assert_eq!(text(&write_text(tricky)), tricky);
}

#[test]
fn text_lists_split_on_unescaped_commas_only() {
    assert_eq!(text_list("Work,Family\\, close,a\\\\,b"), ["Work", "Family, close", "a\\", "b"]);
    assert_eq!(text_list(""), Vec::<String>::new());
    assert_eq!(text_list("a,,b"), ["a", "", "b"]);
    let items = vec!["x,y".to_string(), "back\\slash".into(), "semi;".into()];
    assert_eq!(write_text_list(&items), "x\\,y,back\\\\slash,semi\\;");
    assert_eq!(text_list(&write_text_list(&items)), items);
}

#[test]
fn dates_are_read_and_written() {
    assert_eq!(date("20240229"), Ok(day(2024, 2, 29)));
    assert_eq!(write_date(day(987, 1, 5)), "09870105");
    assert_eq!(date("2024-02-29"), Err("'2024-02-29' is not a date (YYYYMMDD)".into()));
    assert_eq!(date("20230229"), Err("'20230229' is not a day of the calendar".into()));
    assert!(date("").is_err());
    assert!(date("2024022").is_err());
    assert!(date("２０２４０２２９").is_err());
    // A long bad value is cut short in the message.
    let error = date(&"9".repeat(10_000)).expect_err("too long");
    assert_eq!(error, format!("'{}...' is not a date (YYYYMMDD)", "9".repeat(40)));
}

#[test]
fn date_times_are_read_with_their_utc_mark() {
    assert_eq!(date_time("20240331T020000"), Ok((at(2024, 3, 31, 2, 0, 0), false)));
    assert_eq!(date_time("20240331T020000Z"), Ok((at(2024, 3, 31, 2, 0, 0), true)));
    assert_eq!(date_time("20161231T235960Z"), Ok((at(2016, 12, 31, 23, 59, 59), true)));
    assert_eq!(write_date_time(at(2024, 1, 2, 3, 4, 5), true), "20240102T030405Z");
    assert_eq!(write_date_time(at(2024, 1, 2, 3, 4, 5), false), "20240102T030405");
    for bad in ["20240101", "20240101T0900", "20240101T250000", "20240101T096000", "x"] {
        let error = date_time(bad).expect_err(bad);
        assert!(error.contains(bad), "{error}");
    }
    assert!(date_time("20240101T090000ZZ").is_err());
}

#[test]
fn durations_are_read_in_every_form() {
    let cases = [
        ("P1W", Duration::weeks(1)),
        ("-PT15M", Duration::minutes(-15)),
        ("+P1DT2H", Duration::hours(26)),
        ("PT1H0M5S", Duration::seconds(3_605)),
        ("PT1H5S", Duration::seconds(3_605)),
        ("P15DT5H0M20S", Duration::seconds(15 * 86_400 + 5 * 3_600 + 20)),
        ("P1W2D", Duration::days(9)),
        ("PT0S", Duration::zero()),
        ("P0D", Duration::zero()),
    ];
    for (text, expected) in cases {
        assert_eq!(duration(text), Ok(expected), "{text}");
    }
}

#[test]
fn bad_durations_say_why() {
    let cases = [
        ("P", "no length"),
        ("PT", "T has nothing after it"),
        ("1H", "starts with P"),
        ("P1", "no unit"),
        ("PT1D", "'D' is out of place"),
        ("P1D1W", "'W' is out of place"),
        ("PT1M1H", "'H' is out of place"),
        ("PT1.5H", "'.' is out of place"),
        ("PTH", "needs a number"),
        ("P99999999999999D", "needs a number"),
        ("P36526D", "longer than 100 years"),
        ("P5300W", "longer than 100 years"),
    ];
    for (text, why) in cases {
        let error = duration(text).expect_err(text);
        assert!(error.contains(why) && error.contains(&format!("'{text}'")), "{text}: {error}");
    }
}

#[test]
fn durations_are_written_canonically() {
    assert_eq!(write_duration(Duration::weeks(2)), "P2W");
    assert_eq!(write_duration(Duration::minutes(-15)), "-PT15M");
    assert_eq!(write_duration(Duration::hours(26)), "P1DT2H");
    assert_eq!(write_duration(Duration::days(3)), "P3D");
    assert_eq!(write_duration(Duration::seconds(3_605)), "PT1H0M5S");
    assert_eq!(write_duration(Duration::zero()), "PT0S");
}

#[test]
fn utc_offsets_are_read_and_written() {
    assert_eq!(utc_offset("+0100").map(|o| o.local_minus_utc()), Ok(3_600));
    assert_eq!(utc_offset("-053000").map(|o| o.local_minus_utc()), Ok(-19_800));
    assert_eq!(utc_offset("+054510").map(|o| o.local_minus_utc()), Ok(20_710));
    for bad in ["0100", "+100", "+2400", "+0160", "+01:00", ""] {
        assert!(utc_offset(bad).is_err(), "{bad}");
    }
    let offset = |seconds| FixedOffset::east_opt(seconds).expect("an offset");
    assert_eq!(write_utc_offset(offset(3_600)), "+0100");
    assert_eq!(write_utc_offset(offset(-19_800)), "-0530");
    assert_eq!(write_utc_offset(offset(0)), "+0000");
    assert_eq!(write_utc_offset(offset(-4_210)), "-011010");
}

#[test]
fn periods_end_at_a_time_or_after_a_duration() {
    let start = at(1997, 1, 1, 18, 0, 0);
    assert_eq!(
        period("19970101T180000Z/19970102T070000Z"),
        Ok((start, true, PeriodEnd::End(at(1997, 1, 2, 7, 0, 0), true)))
    );
    assert_eq!(
        period("19970101T180000Z/PT5H30M"),
        Ok((start, true, PeriodEnd::Duration(Duration::minutes(330))))
    );
    for value in ["19970101T180000Z/19970102T070000Z", "19970101T180000/PT5H30M"] {
        let (start, utc, end) = period(value).expect("a period");
        assert_eq!(write_period(start, utc, end), value);
    }
    assert!(period("19970101T180000Z").is_err());
    assert!(period("19970101T180000Z/19970101T170000Z").is_err());
    assert!(period("19970101T180000Z/-PT1H").is_err());
    assert!(period("19970101/PT1H").is_err());
}

#[test]
fn tzids_resolve_as_clients_send_them() {
    let cases = [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("/mozilla.org/20050126_1/Europe/Berlin", "Europe/Berlin"),
        ("/softwarestudio.org/Olson_20011030_5/America/New_York", "America/New_York"),
        (
            "/citadel.org/20190914_1/America/Argentina/Buenos_Aires",
            "America/Argentina/Buenos_Aires",
        ),
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Romance Standard Time", "Europe/Paris"),
        ("GMT Standard Time", "Europe/London"),
        ("Central Europe Standard Time", "Europe/Budapest"),
        ("Eastern Standard Time", "America/New_York"),
        ("Central Standard Time", "America/Chicago"),
        ("Mountain Standard Time", "America/Denver"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("India Standard Time", "Asia/Kolkata"),
        ("China Standard Time", "Asia/Shanghai"),
        ("Tokyo Standard Time", "Asia/Tokyo"),
        ("AUS Eastern Standard Time", "Australia/Sydney"),
        ("UTC", "UTC"),
        ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Berlin"),
        ("(GMT-05:00) Eastern Time (US & Canada)", "America/New_York"),
        ("\"Europe/Paris\"", "Europe/Paris"),
    ];
    for (tzid, zone) in cases {
        assert_eq!(resolve_tzid(tzid).map(Tz::name), Some(zone), "{tzid}");
    }
    for unknown in ["Mars/Olympus_Mons", "", "Customized Time Zone", "(UTC+01:00) Atlantis"] {
        assert_eq!(resolve_tzid(unknown), None, "{unknown}");
    }
    assert_eq!(resolve_tzid(&"/".repeat(100_000)), None);
}

#[test]
fn every_mapped_zone_is_a_real_iana_zone() {
    for (windows, zone) in WINDOWS_ZONES {
        assert_eq!(resolve_tzid(windows).map(Tz::name), Some(*zone), "{windows}");
    }
    for (cities, zone) in DISPLAY_NAMES {
        let display = format!("(UTC+00:00) {cities}");
        assert_eq!(resolve_tzid(&display).map(Tz::name), Some(*zone), "{display}");
    }
}

/// The onsets after the first: (DTSTART, TZOFFSETFROM, TZOFFSETTO, component name).
fn transitions(timezone: &Component) -> Vec<(String, String, String, String)> {
    let value = |c: &Component, name: &str| c.property(name).map(|p| p.value.clone());
    timezone.components[1..]
        .iter()
        .map(|c| {
            (
                value(c, "DTSTART").unwrap_or_default(),
                value(c, "TZOFFSETFROM").unwrap_or_default(),
                value(c, "TZOFFSETTO").unwrap_or_default(),
                c.name.clone(),
            )
        })
        .collect()
}

fn assert_valid(timezone: &Component, zone: Tz) {
    let text = write(timezone);
    let back = parse(&text, &Limits::OBJECT).expect("parses").remove(0);
    assert_eq!(&back, timezone);
    assert_eq!(back.property("TZID").map(|p| p.value.as_str()), Some(zone.name()));
    assert!(!back.components.is_empty());
    for onset in &back.components {
        assert!(onset.name == "STANDARD" || onset.name == "DAYLIGHT");
        for required in ["DTSTART", "TZOFFSETFROM", "TZOFFSETTO"] {
            assert!(onset.property(required).is_some(), "{} lacks {required}", onset.name);
        }
        let dtstart = onset.property("DTSTART").map(|p| p.value.as_str()).unwrap_or_default();
        assert_eq!(date_time(dtstart).map(|(_, utc)| utc), Ok(false));
    }
}

#[test]
fn a_vtimezone_for_berlin_has_exactly_its_known_transitions() {
    let zone = chrono_tz::Europe::Berlin;
    let timezone = vtimezone(zone, day(2023, 1, 1), day(2026, 12, 31));
    assert_valid(&timezone, zone);
    let first = &timezone.components[0];
    assert_eq!(first.name, "STANDARD");
    assert_eq!(first.property("DTSTART").map(|p| p.value.as_str()), Some("20230101T000000"));
    assert_eq!(first.property("TZOFFSETTO").map(|p| p.value.as_str()), Some("+0100"));
    assert_eq!(first.property("TZNAME").map(|p| p.value.as_str()), Some("CET"));
    let (spring, autumn) = (("+0100", "+0200", "DAYLIGHT"), ("+0200", "+0100", "STANDARD"));
    let expected: Vec<_> = [
        ("20230326T020000", spring),
        ("20231029T030000", autumn),
        ("20240331T020000", spring),
        ("20241027T030000", autumn),
        ("20250330T020000", spring),
        ("20251026T030000", autumn),
        ("20260329T020000", spring),
        ("20261025T030000", autumn),
    ]
    .into_iter()
    .map(|(at, (from, to, name))| (at.into(), from.into(), to.into(), name.into()))
    .collect();
    assert_eq!(transitions(&timezone), expected);
    let summer = &timezone.components[1];
    assert_eq!(summer.property("TZNAME").map(|p| p.value.as_str()), Some("CEST"));
}

#[test]
fn a_vtimezone_for_new_york_has_exactly_its_known_transitions() {
    let zone = chrono_tz::America::New_York;
    let timezone = vtimezone(zone, day(2023, 1, 1), day(2026, 12, 31));
    assert_valid(&timezone, zone);
    let (spring, autumn) = (("-0500", "-0400", "DAYLIGHT"), ("-0400", "-0500", "STANDARD"));
    let expected: Vec<_> = [
        ("20230312T020000", spring),
        ("20231105T020000", autumn),
        ("20240310T020000", spring),
        ("20241103T020000", autumn),
        ("20250309T020000", spring),
        ("20251102T020000", autumn),
        ("20260308T020000", spring),
        ("20261101T020000", autumn),
    ]
    .into_iter()
    .map(|(at, (from, to, name))| (at.into(), from.into(), to.into(), name.into()))
    .collect();
    assert_eq!(transitions(&timezone), expected);
}

#[test]
fn a_zone_without_transitions_still_gets_a_valid_vtimezone() {
    for zone in [chrono_tz::UTC, chrono_tz::Asia::Kolkata] {
        let timezone = vtimezone(zone, day(2020, 1, 1), day(2030, 1, 1));
        assert_valid(&timezone, zone);
        assert_eq!(timezone.components.len(), 1);
    }
    let kolkata = vtimezone(chrono_tz::Asia::Kolkata, day(2024, 1, 1), day(2024, 2, 1));
    let only = &kolkata.components[0];
    assert_eq!(only.property("TZOFFSETFROM").map(|p| p.value.as_str()), Some("+0530"));
    assert_eq!(only.property("TZOFFSETTO").map(|p| p.value.as_str()), Some("+0530"));
}

#[test]
fn a_vtimezone_spans_at_most_50_years() {
    let timezone = vtimezone(chrono_tz::Europe::Berlin, day(2000, 1, 1), day(2200, 1, 1));
    // Two changes a year for 50 years, plus the first onset.
    assert_eq!(timezone.components.len(), 101);
    // A span that ends before it starts is just the offset at its start.
    let backwards = vtimezone(chrono_tz::Europe::Berlin, day(2024, 6, 1), day(2024, 1, 1));
    assert_eq!(backwards.components.len(), 1);
    assert_eq!(backwards.components[0].name, "DAYLIGHT");
}

proptest! {
    #[test]
    fn any_duration_reads_back_as_written(seconds in -MAX_DURATION_DAYS * 86_400..=MAX_DURATION_DAYS * 86_400) {
        let length = Duration::seconds(seconds);
        prop_assert_eq!(duration(&write_duration(length)), Ok(length));
    }

    #[test]
    fn any_date_time_reads_back_as_written(
        seconds in 0_i64..253_402_300_799,
        utc in any::<bool>(),
    ) {
        let at = DateTime::from_timestamp(seconds, 0).map(|t| t.naive_utc()).expect("in range");
        prop_assert_eq!(date_time(&write_date_time(at, utc)), Ok((at, utc)));
    }

    #[test]
    fn any_utc_offset_reads_back_as_written(seconds in -86_399_i32..=86_399) {
        let offset = FixedOffset::east_opt(seconds).expect("in range");
        prop_assert_eq!(utc_offset(&write_utc_offset(offset)), Ok(offset));
    }
}
