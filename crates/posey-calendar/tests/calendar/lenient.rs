//! Importing a file: an event or to-do wrong on its own is left out with its UID and why, the
//! rest is read; a text that is not iCalendar is refused whole; one object stays strict.

use posey_calendar::ObjectError;
use posey_calendar::ics::Limits;
use posey_calendar::object::{Skipped, parse_calendar, parse_calendar_lenient};

use super::*;

fn event(uid: &str, lines: &str) -> String {
    format!("BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20240101T000000Z\n{lines}\nEND:VEVENT")
}

fn lenient(body: &str) -> (Vec<String>, Vec<Skipped>) {
    let (objects, skipped) =
        parse_calendar_lenient(&calendar(body), &Limits::FILE).expect("an iCalendar text");
    (objects.into_iter().map(|object| object.uid).collect(), skipped)
}

#[test]
fn each_invalid_event_or_todo_is_skipped_with_its_reason_and_the_rest_is_read() {
    let body = [
        event("good@x", "DTSTART:20240101T100000Z\nRRULE:FREQ=DAILY;COUNT=3"),
        event("no-start@x", "SUMMARY:when?"),
        event("bad-rule@x", "DTSTART:20240101T100000Z\nRRULE:FREQ=SOMETIMES"),
        event("unknown-zone@x", "DTSTART;TZID=Western/Central Europe:20240101T100000"),
        event("bad-rdate@x", "DTSTART:20240101T100000Z\nRDATE:20240230T100000Z"),
        event("time-rdate@x", "DTSTART:20240101T100000Z\nRDATE;VALUE=TIME:083000"),
        event("twice@x", "DTSTART:20240101T100000Z\nDTSTART:20240101T110000Z"),
        // A valid master with an invalid override: the whole UID is left out.
        event("series@x", "DTSTART:20240101T100000Z\nRRULE:FREQ=DAILY"),
        event(
            "series@x",
            "RECURRENCE-ID:20240102T100000Z\nDTSTART:20240102T120000Z\nDTEND:20240102T110000Z",
        ),
        event("also-good@x", "DTSTART;VALUE=DATE:20240101"),
        "BEGIN:VTODO\nUID:todo@x\nDUE;VALUE=DATE:2024-05-01\nEND:VTODO".to_owned(),
        "BEGIN:VTODO\nUID:good-todo@x\nDUE;VALUE=DATE:20240501\nEND:VTODO".to_owned(),
    ]
    .join("\n");
    let (read, skipped) = lenient(&body);
    assert_eq!(read, ["good@x", "also-good@x", "good-todo@x"]);
    let expected = [
        ("no-start@x", "DTSTART"),
        ("bad-rule@x", "SOMETIMES"),
        ("unknown-zone@x", "Western/Central Europe"),
        ("bad-rdate@x", "20240230"),
        ("time-rdate@x", "VALUE=TIME"),
        ("twice@x", "more than once"),
        ("series@x", "DTEND"),
        ("todo@x", "2024-05-01"),
    ];
    let got: Vec<_> = skipped.iter().map(|s| s.uid.as_str()).collect();
    assert_eq!(got, expected.map(|(uid, _)| uid));
    for (skip, (_, word)) in skipped.iter().zip(expected) {
        assert!(skip.reason.contains(word), "{}: `{}` should name {word}", skip.uid, skip.reason);
    }
    // Read strictly (a feed, a PUT of one object), the first of them refuses it all.
    let strict = parse_calendar(&calendar(&body), &Limits::FILE).expect_err("strict");
    assert!(strict.to_string().contains("no-start@x"), "{strict}");
}

#[test]
fn a_uid_that_does_not_hold_together_is_skipped_whole() {
    let master = event("e@x", "DTSTART:20240101T100000Z\nRRULE:FREQ=DAILY");
    let body = [
        master.clone(),
        master,
        event("o@x", "DTSTART:20240101T100000Z\nRRULE:FREQ=DAILY"),
        event("o@x", "RECURRENCE-ID:20240102T100000Z\nDTSTART:20240102T120000Z"),
        event("o@x", "RECURRENCE-ID:20240102T100000Z\nDTSTART:20240102T130000Z"),
        event("m@x", "DTSTART:20240101T100000Z"),
        "BEGIN:VTODO\nUID:m@x\nEND:VTODO".to_owned(),
        event("fine@x", "DTSTART:20240101T100000Z"),
    ]
    .join("\n");
    let (read, skipped) = lenient(&body);
    assert_eq!(read, ["fine@x"]);
    let reasons: Vec<_> = skipped.iter().map(|s| (s.uid.as_str(), s.reason.as_str())).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].0 == "e@x" && reasons[0].1.contains("two VEVENTs"), "{reasons:?}");
    assert!(reasons[1].0 == "m@x" && reasons[1].1.contains("VEVENT and a VTODO"), "{reasons:?}");
    assert!(reasons[2].0 == "o@x" && reasons[2].1.contains("twice"), "{reasons:?}");
}

#[test]
fn a_text_that_is_not_icalendar_is_refused_whole() {
    let good = event("good@x", "DTSTART:20240101T100000Z");
    let cases = [
        // A line without ':'.
        calendar(&format!("{good}\nX")),
        // BEGIN and END that do not match.
        calendar(&format!("{good}\nBEGIN:VEVENT")),
        calendar(&good).replace("END:VCALENDAR", "END:VCALENDARD"),
        // No VCALENDAR.
        format!("{good}\n").replace('\n', "\r\n"),
    ];
    for text in cases {
        let refused = parse_calendar_lenient(&text, &Limits::FILE);
        assert!(
            matches!(refused, Err(ObjectError::Ics(_)) | Err(ObjectError::Invalid(_))),
            "{text}: {refused:?}"
        );
    }
    let tiny = Limits { max_bytes: 64, ..Limits::FILE };
    assert!(parse_calendar_lenient(&calendar(&good), &tiny).is_err());
}

#[test]
fn one_object_stays_strict() {
    let text = calendar(&event("no-start@x", "SUMMARY:when?"));
    assert!(Object::parse(&text, &Limits::OBJECT).is_err());
}
