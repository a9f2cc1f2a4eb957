//! Objects survive being written and read back: the fixtures from real clients and a
//! hand-built object with every field Posey models, and what it keeps as given.

use chrono::Duration;
use posey_calendar::ics::{Component, Limits, Param, Property};
use posey_calendar::object::parse_calendar;
use posey_calendar::{Alarm, Status, Trigger};

use super::*;

const GOOGLE: &str = include_str!("../data/google.ics");
const THUNDERBIRD: &str = include_str!("../data/thunderbird.ics");
const OUTLOOK: &str = include_str!("../data/outlook.ics");

fn round_trip(object: &Object) -> Object {
    let text = object.to_ics("-//Posey//test//EN");
    Object::parse(&text, &Limits::OBJECT).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn every_fixture_survives_a_round_trip() {
    for text in [GOOGLE, THUNDERBIRD, OUTLOOK] {
        let objects = parse_calendar(text, &Limits::FILE).expect("the fixture");
        assert!(!objects.is_empty());
        for object in objects {
            assert_eq!(round_trip(&object), object);
            // Written again, the text is the same: nothing drifts.
            assert_eq!(round_trip(&object).to_ics("p"), object.to_ics("p"));
        }
    }
}

#[test]
fn the_fixtures_read_as_their_clients_meant() {
    let objects = parse_calendar(GOOGLE, &Limits::FILE).expect("google");
    let swim = objects[0].master.as_ref().expect("a master");
    assert_eq!(swim.summary.as_deref(), Some("Swimming lesson 🏊"));
    assert_eq!(
        swim.location.as_deref(),
        Some("Stadtbad Mitte, Gartenstraße 5, 10115 Berlin, Germany")
    );
    assert_eq!(swim.exdates, vec![berlin(2024, 4, 2, 17, 0)]);
    assert_eq!(swim.rules[0].to_string(), "FREQ=WEEKLY;UNTIL=20240625T150000Z;BYDAY=TU");
    assert_eq!(
        swim.alarms[0].trigger,
        Trigger::Relative { offset: Duration::minutes(-30), to_end: false }
    );
    assert_eq!(swim.sequence, 2);
    let birthday = objects[1].master.as_ref().expect("a master");
    assert_eq!(birthday.start, Some(When::Date(day(2024, 4, 12))));
    assert!(birthday.transparent);
    let attendees: Vec<&Property> =
        birthday.extra.iter().filter(|p| p.name == "ATTENDEE").collect();
    assert_eq!(attendees[1].param("CN"), Some("Doe, John"));

    let zahnarzt = parse(THUNDERBIRD);
    let item = zahnarzt.master.as_ref().expect("a master");
    assert_eq!(item.categories, vec!["Gesundheit".to_owned(), "Termine".to_owned()]);
    assert_eq!(item.start, Some(zoned(chrono_tz::Europe::Vienna, at(2024, 6, 14, 8, 30))));
    assert_eq!(item.alarms[1].trigger, Trigger::Absolute(utc(2024, 6, 13, 18, 0)));
    assert!(item.extra.iter().any(|p| p.name == "X-MOZ-GENERATION" && p.value == "3"));
}

fn param(name: &str, values: &[&str]) -> Param {
    Param { name: name.into(), values: values.iter().map(|v| (*v).to_owned()).collect() }
}

fn alarm(action: &str, trigger: Trigger, description: Option<&str>) -> Alarm {
    Alarm {
        action: action.into(),
        trigger,
        description: description.map(Into::into),
        extra: Vec::new(),
    }
}

/// A weekly series in Berlin ending in New York (a flight), with everything on it.
fn everything() -> Object {
    let mut master = Item::new(Kind::Event, "everything@posey");
    master.summary = Some("Flight; to \"NYC\", then on\\".into());
    master.description = Some("Line one\nLine two, with commas; and semicolons".into());
    master.location = Some("BER, Terminal 1".into());
    master.start = Some(berlin(2024, 3, 4, 10, 0));
    master.end = Some(End::At(zoned(NEW_YORK, at(2024, 3, 4, 12, 0))));
    master.status = Some(Status::Confirmed);
    master.categories = vec!["Travel, work".into(), "Flights".into(), "ä;b".into()];
    master.priority = Some(3);
    master.rules = vec![rule("FREQ=WEEKLY;COUNT=20;BYDAY=MO")];
    master.rdates = vec![
        berlin(2024, 3, 6, 10, 0),
        When::Utc(utc(2024, 3, 7, 9, 0)),
        When::Floating(at(2024, 3, 8, 10, 0)),
    ];
    master.exdates = vec![berlin(2024, 3, 11, 10, 0), When::Utc(utc(2024, 3, 18, 9, 0))];
    master.alarms = vec![
        alarm(
            "DISPLAY",
            Trigger::Relative { offset: Duration::minutes(-15), to_end: false },
            Some("Leave"),
        ),
        Alarm {
            extra: vec![Property::new("REPEAT", "2"), Property::new("DURATION", "PT5M")],
            ..alarm("AUDIO", Trigger::Relative { offset: Duration::minutes(5), to_end: true }, None)
        },
        alarm("EMAIL", Trigger::Absolute(utc(2024, 3, 3, 18, 0)), Some("Tomorrow")),
    ];
    master.sequence = 4;
    master.created = Some(utc(2024, 2, 1, 8, 0));
    master.last_modified = Some(utc(2024, 2, 2, 8, 30));
    master.extra = vec![
        Property {
            name: "ATTENDEE".into(),
            params: vec![
                param("CN", &["Doe, Jane"]),
                param("ROLE", &["REQ-PARTICIPANT"]),
                param("DELEGATED-TO", &["mailto:a@x.org", "mailto:b@x.org"]),
            ],
            value: "mailto:jane@example.com".into(),
        },
        Property::new("X-POSEY-TEST", "kept: as given, even \\, escapes"),
        Property::new("URL", "https://example.com/flight?id=1;x=2"),
    ];
    let mut note = Component::new("X-POSEY-NOTE");
    note.push("X-TEXT", "inside");
    master.extra_components = vec![note];

    // The second Monday, moved to Tuesday and given in UTC and with DURATION.
    let mut moved = Item::new(Kind::Event, master.uid.clone());
    moved.recurrence_id = Some(berlin(2024, 3, 25, 10, 0));
    moved.start = Some(When::Utc(utc(2024, 3, 26, 14, 0)));
    moved.end = Some(End::Duration(Duration::minutes(90)));
    moved.summary = Some("Moved flight".into());
    moved.sequence = 1;
    // One cancelled.
    let mut cancelled = override_at(
        &master,
        berlin(2024, 4, 1, 10, 0),
        berlin(2024, 4, 1, 10, 0),
        zoned(NEW_YORK, at(2024, 4, 1, 12, 0)),
    );
    cancelled.status = Some(Status::Cancelled);
    object(master, vec![moved, cancelled])
}

#[test]
fn a_series_with_every_field_survives_a_round_trip() {
    let object = everything();
    assert_eq!(round_trip(&object), object);
}

#[test]
fn all_day_floating_and_to_do_objects_survive_a_round_trip() {
    let mut birthday = Item::new(Kind::Event, "birthday@posey");
    birthday.start = Some(When::Date(day(2024, 4, 12)));
    birthday.end = Some(End::At(When::Date(day(2024, 4, 13))));
    birthday.rules = vec![rule("FREQ=YEARLY;UNTIL=20300412")];
    birthday.rdates = vec![When::Date(day(2024, 10, 12))];
    birthday.exdates = vec![When::Date(day(2026, 4, 12))];
    birthday.transparent = true;
    let mut override_ = Item::new(Kind::Event, "birthday@posey");
    override_.recurrence_id = Some(When::Date(day(2025, 4, 12)));
    override_.start = Some(When::Date(day(2025, 4, 13)));
    override_.end = Some(End::Duration(Duration::days(2)));
    let birthday = object(birthday, vec![override_]);
    assert_eq!(round_trip(&birthday), birthday);

    let mut floating = Item::new(Kind::Event, "floating@posey");
    floating.start = Some(When::Floating(at(2024, 5, 1, 7, 0)));
    floating.end = Some(End::Duration(Duration::minutes(45)));
    floating.rules = vec![rule("FREQ=DAILY;UNTIL=20240601T070000")];
    let floating = object(floating, Vec::new());
    assert_eq!(round_trip(&floating), floating);

    let mut todo = Item::new(Kind::Todo, "todo@posey");
    todo.summary = Some("Taxes".into());
    todo.start = Some(When::Floating(at(2024, 5, 1, 9, 0)));
    todo.end = Some(End::At(When::Floating(at(2024, 5, 31, 17, 0))));
    todo.status = Some(Status::Completed);
    todo.completed = Some(utc(2024, 5, 20, 10, 0));
    todo.percent_complete = Some(100);
    todo.priority = Some(1);
    todo.parent = Some("household@posey".into());
    let todo = object(todo, Vec::new());
    assert_eq!(round_trip(&todo), todo);
}

#[test]
fn an_object_of_only_overrides_survives_a_round_trip() {
    let object = parse(OUTLOOK);
    assert!(object.master.is_none());
    assert_eq!(round_trip(&object), object);
}
