//! What is not one valid calendar object is refused in words that name the problem; time
//! zones are found however clients name them.

use posey_calendar::ObjectError;
use posey_calendar::ics::Limits;
use posey_calendar::object::parse_calendar;

use super::*;

fn error(body: &str) -> String {
    match Object::parse(&calendar(body), &Limits::OBJECT) {
        Err(error) => error.to_string(),
        Ok(object) => panic!("should be refused: {object:?}"),
    }
}

fn event(lines: &str) -> String {
    format!("BEGIN:VEVENT\nUID:e@x\nDTSTAMP:20240101T000000Z\n{lines}\nEND:VEVENT")
}

fn assert_names(message: &str, words: &[&str]) {
    for word in words {
        assert!(message.contains(word), "`{message}` should name {word}");
    }
}

#[test]
fn one_resource_holds_one_uid() {
    let two = format!(
        "{}\n{}",
        event("DTSTART:20240101T100000Z"),
        event("DTSTART:20240102T100000Z").replace("e@x", "other@x")
    );
    assert_names(&error(&two), &["2 different UIDs", "e@x", "other@x"]);
    // A file may hold many.
    let objects = parse_calendar(&calendar(&two), &Limits::FILE).expect("a file");
    assert_eq!(objects.iter().map(|o| o.uid.as_str()).collect::<Vec<_>>(), ["e@x", "other@x"]);
    assert_names(&error(""), &["no VEVENT or VTODO"]);
}

#[test]
fn an_event_needs_consistent_times() {
    let cases = [
        ("SUMMARY:no start", vec!["e@x", "DTSTART"]),
        ("DTSTART:20240101T100000Z\nDTEND:20240101T090000Z", vec!["DTEND", "before DTSTART"]),
        (
            "DTSTART:20240101T100000Z\nDTEND:20240101T110000Z\nDURATION:PT1H",
            vec!["DURATION", "DTEND"],
        ),
        ("DTSTART;VALUE=DATE:20240101\nDTEND:20240102T000000", vec!["DTEND", "date"]),
        ("DTSTART:20240101T100000\nDTEND;VALUE=DATE:20240102", vec!["DTEND", "date"]),
        ("DTSTART:20240101T100000Z\nDURATION:-PT1H", vec!["DURATION", "negative"]),
        ("DTSTART:2024-01-01", vec!["DTSTART", "2024-01-01"]),
        ("DTSTART:20240101T100000Z\nRRULE:FREQ=SOMETIMES", vec!["RRULE", "SOMETIMES"]),
        ("DTSTART:20240101T100000Z\nSTATUS:NEEDS-ACTION", vec!["STATUS", "NEEDS-ACTION"]),
        ("DTSTART:20240101T100000Z\nPRIORITY:10", vec!["PRIORITY"]),
    ];
    for (lines, words) in cases {
        assert_names(&error(&event(lines)), &words);
    }
    let todo = "BEGIN:VTODO\nUID:t@x\nDUE:20240101T100000Z\nDTSTART:20240102T100000Z\nEND:VTODO";
    assert_names(&error(todo), &["DUE", "before DTSTART"]);
    let todo = "BEGIN:VTODO\nUID:t@x\nDURATION:PT1H\nEND:VTODO";
    assert_names(&error(todo), &["DURATION", "DTSTART"]);
}

#[test]
fn an_unknown_time_zone_is_named_unless_the_calendar_defines_it() {
    let body = event("DTSTART;TZID=Mars/Olympus_Mons:20240101T100000");
    assert_names(&error(&body), &["Mars/Olympus_Mons", "IANA"]);
    let zone = "BEGIN:VTIMEZONE\nTZID:Mars/Olympus_Mons\nBEGIN:STANDARD\nDTSTART:19700101T000000\n\
                TZOFFSETFROM:+0100\nTZOFFSETTO:+0100\nEND:STANDARD\nEND:VTIMEZONE";
    let object = parse(&calendar(&format!("{zone}\n{body}")));
    let start = object.master.and_then(|m| m.start);
    let gmt_plus_one: Tz = "Etc/GMT-1".parse().expect("a zone");
    assert_eq!(start, Some(zoned(gmt_plus_one, at(2024, 1, 1, 10, 0))));
    assert_eq!(start.map(|s| s.instant(Tz::UTC)), Some(utc(2024, 1, 1, 9, 0)));
    // Behind a vendor prefix, or named by its X-LIC-LOCATION.
    let prefixed = event("DTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20240101T100000");
    assert_eq!(
        parse(&calendar(&prefixed)).master.and_then(|m| m.start),
        Some(berlin(2024, 1, 1, 10, 0))
    );
    let named = zone.replace("BEGIN:STANDARD", "X-LIC-LOCATION:America/New_York\nBEGIN:STANDARD");
    let object = parse(&calendar(&format!("{named}\n{body}")));
    assert_eq!(object.master.and_then(|m| m.start), Some(zoned(NEW_YORK, at(2024, 1, 1, 10, 0))));
}

/// A VTIMEZONE named `tzid` with New York's rules since 2007.
fn eastern(tzid: &str) -> String {
    format!(
        "BEGIN:VTIMEZONE\nTZID:{tzid}\nBEGIN:DAYLIGHT\nDTSTART:20070311T020000\n\
         RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0400\n\
         END:DAYLIGHT\nBEGIN:STANDARD\nDTSTART:20071104T020000\n\
         RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\n\
         END:STANDARD\nEND:VTIMEZONE"
    )
}

#[test]
fn a_custom_vtimezone_is_the_iana_zone_that_agrees_with_it_and_keeps_its_dst() {
    let zone = eastern("custom_America/New_York");
    let body = event(
        "DTSTART;TZID=custom_America/New_York:20140829T080000\n\
         RRULE:FREQ=WEEKLY;COUNT=20\nEXDATE;TZID=custom_America/New_York:20141107T080000",
    );
    let master = parse(&calendar(&format!("{zone}\n{body}"))).master.expect("a master");
    assert_eq!(master.start, Some(zoned(NEW_YORK, at(2014, 8, 29, 8, 0))));
    assert_eq!(master.start.map(|s| s.instant(Tz::UTC)), Some(utc(2014, 8, 29, 12, 0)));
    assert_eq!(master.exdates, [zoned(NEW_YORK, at(2014, 11, 7, 8, 0))]);
    // Its series stays at 08:00 across the change in November.
    let occurrences = master
        .series()
        .expect("a series")
        .occurrences(
            utc(2014, 10, 30, 0, 0),
            utc(2014, 11, 20, 0, 0),
            chrono::Duration::zero(),
            Tz::UTC,
            &Caps::DEFAULT,
        )
        .expect("occurrences");
    let starts: Vec<_> = occurrences.iter().map(|o| o.start).collect();
    assert_eq!(starts, [utc(2014, 10, 31, 12, 0), utc(2014, 11, 14, 13, 0)]);
}

#[test]
fn a_custom_vtimezone_no_iana_zone_agrees_with_makes_its_times_instants() {
    let zone = "BEGIN:VTIMEZONE\nTZID:MyTimezone\nBEGIN:STANDARD\nTZOFFSETFROM:+1000\n\
                TZOFFSETTO:+1200\nDTSTART:20240101T000000\nEND:STANDARD\nBEGIN:DAYLIGHT\n\
                TZOFFSETFROM:+1200\nTZOFFSETTO:+1000\nDTSTART:20240505T080000\nEND:DAYLIGHT\n\
                END:VTIMEZONE";
    let cases = [
        ("20240303T080000", utc(2024, 3, 2, 20, 0)),
        ("20240803T080000", utc(2024, 8, 2, 22, 0)),
        // 06:00-08:00 on May 5th happens twice: the first time.
        ("20240505T070000", utc(2024, 5, 4, 19, 0)),
        ("20240505T080000", utc(2024, 5, 4, 22, 0)),
    ];
    for (local, instant) in cases {
        let body = event(&format!("DTSTART;TZID=MyTimezone:{local}"));
        let master = parse(&calendar(&format!("{zone}\n{body}"))).master.expect("a master");
        assert_eq!(master.start, Some(When::Utc(instant)), "{local}");
    }
    // A VTIMEZONE that cannot be read says why.
    let broken = zone.replace("TZOFFSETFROM:+1000\n", "");
    let body = event("DTSTART;TZID=MyTimezone:20240303T080000");
    assert_names(&error(&format!("{broken}\n{body}")), &["MyTimezone", "TZOFFSETFROM"]);
}

#[test]
fn a_start_or_end_given_twice_is_refused() {
    let twice = event("DTSTART:20140829T080000Z\nDTSTART:20140829T100000Z");
    assert_names(&error(&twice), &["DTSTART", "more than once"]);
    let twice = event("DTSTART:20140829T080000Z\nDURATION:PT1H\nDURATION:PT2H");
    assert_names(&error(&twice), &["DURATION", "more than once"]);
}

#[test]
fn an_rdate_period_of_dates_is_from_the_start_of_its_first_day() {
    let body = event("DTSTART:19970101T180000Z\nRDATE;VALUE=PERIOD:19970101/19970102");
    let master = parse(&calendar(&body)).master.expect("a master");
    assert_eq!(master.rdates, [When::Floating(at(1997, 1, 1, 0, 0))]);
    let body = event(
        "DTSTART;TZID=America/New_York:19970101T180000\n\
         RDATE;TZID=America/New_York;VALUE=PERIOD:19970101/P1D",
    );
    let master = parse(&calendar(&body)).master.expect("a master");
    assert_eq!(master.rdates, [zoned(NEW_YORK, at(1997, 1, 1, 0, 0))]);
    let bad = event("DTSTART:19970101T180000Z\nRDATE;VALUE=PERIOD:19970101/soon");
    assert_names(&error(&bad), &["RDATE", "period"]);
}

#[test]
fn outlooks_windows_zone_names_are_iana_zones() {
    let object = parse(include_str!("../data/outlook.ics"));
    let item = &object.overrides[0];
    assert_eq!(item.recurrence_id, Some(berlin(2024, 6, 18, 10, 0)));
    assert_eq!(item.start, Some(berlin(2024, 6, 18, 11, 0)));
    assert_eq!(item.end, Some(End::At(berlin(2024, 6, 18, 12, 0))));
    assert_eq!(item.priority, Some(5));
}

#[test]
fn an_alarm_needs_a_trigger_and_an_action() {
    let alarm = |lines: &str| {
        event(&format!("DTSTART:20240101T100000Z\nBEGIN:VALARM\n{lines}\nEND:VALARM"))
    };
    assert_names(&error(&alarm("ACTION:DISPLAY\nDESCRIPTION:x")), &["VALARM", "TRIGGER"]);
    assert_names(&error(&alarm("TRIGGER:-PT5M")), &["VALARM", "ACTION"]);
    assert_names(&error(&alarm("ACTION:DISPLAY\nTRIGGER:soon")), &["TRIGGER", "soon"]);
}

#[test]
fn an_occurrence_is_overridden_once() {
    let master = event("DTSTART;TZID=Europe/Berlin:20240101T100000\nRRULE:FREQ=DAILY");
    let once = |rid: &str| event(&format!("RECURRENCE-ID{rid}\nDTSTART:20240102T120000Z"));
    let twice = format!(
        "{master}\n{}\n{}",
        once(";TZID=Europe/Berlin:20240102T100000"),
        once(";TZID=Europe/Berlin:20240102T100000")
    );
    assert_names(&error(&twice), &["e@x", "twice"]);
    // The same occurrence named once in Berlin and once in UTC.
    let twice = format!(
        "{master}\n{}\n{}",
        once(";TZID=Europe/Berlin:20240102T100000"),
        once(":20240102T090000Z")
    );
    assert_names(&error(&twice), &["e@x", "twice"]);
    let two_masters = format!("{master}\n{master}");
    assert_names(&error(&two_masters), &["e@x", "two VEVENTs"]);
    let mixed = format!("{master}\n{}", event("DUE:20240101T100000Z").replace("VEVENT", "VTODO"));
    assert_names(&error(&mixed), &["e@x", "VEVENT and a VTODO"]);
}

#[test]
fn an_item_without_a_uid_gets_one_from_its_content() {
    let body = "BEGIN:VEVENT\nDTSTART:20240101T100000Z\nSUMMARY:Nameless\nEND:VEVENT";
    let first = parse(&calendar(body));
    assert!(first.uid.starts_with("posey-"), "{}", first.uid);
    assert_eq!(first.master.as_ref().map(|m| m.uid.as_str()), Some(first.uid.as_str()));
    assert_eq!(parse(&calendar(body)).uid, first.uid);
    let other = parse(&calendar(&body.replace("Nameless", "Another")));
    assert_ne!(other.uid, first.uid);
}

#[test]
fn text_that_is_no_calendar_is_an_ics_error() {
    assert!(matches!(Object::parse("BEGIN:VEVENT\r\n", &Limits::OBJECT), Err(ObjectError::Ics(_))));
    let outside = Object::parse("BEGIN:VEVENT\r\nEND:VEVENT\r\n", &Limits::OBJECT);
    assert!(matches!(outside, Err(ObjectError::Invalid(m)) if m.contains("no VCALENDAR")));
}
