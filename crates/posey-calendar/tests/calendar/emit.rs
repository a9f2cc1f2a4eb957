//! Objects written as iCalendar: a VTIMEZONE for each zone the times use, DTSTAMP on every
//! component, text any parser reads back.

use posey_calendar::ics::{self, Component, Limits};
use posey_calendar::object::calendar_of;

use super::*;

fn zones(calendar: &Component) -> Vec<String> {
    calendar
        .components_named("VTIMEZONE")
        .filter_map(|zone| zone.property("TZID").map(|p| p.value.clone()))
        .collect()
}

fn written(objects: &[Object]) -> Component {
    let text = ics::write(&calendar_of(objects, "-//Posey//test//EN", Some("Family, friends")));
    let mut tree = ics::parse(&text, &Limits::FILE).expect("text ics reads");
    assert_eq!(tree.len(), 1);
    tree.remove(0)
}

#[test]
fn a_vtimezone_is_written_for_each_zone_used() {
    let mut master = weekly("FREQ=WEEKLY;COUNT=10");
    master.end = Some(End::At(zoned(NEW_YORK, at(2024, 1, 8, 12, 0))));
    master.exdates = vec![zoned(chrono_tz::America::Chicago, at(2024, 1, 15, 3, 0))];
    master.rdates = vec![zoned(chrono_tz::Asia::Tokyo, at(2024, 1, 20, 18, 0))];
    let moved = override_at(
        &master,
        zoned(chrono_tz::Europe::London, at(2024, 1, 22, 9, 0)),
        When::Utc(utc(2024, 1, 23, 9, 0)),
        When::Utc(utc(2024, 1, 23, 10, 0)),
    );
    let calendar = written(&[object(master, vec![moved])]);
    assert_eq!(
        zones(&calendar),
        ["America/Chicago", "America/New_York", "Asia/Tokyo", "Europe/Berlin", "Europe/London"]
    );
    assert_eq!(
        calendar.property("X-WR-CALNAME").map(|p| p.value.as_str()),
        Some("Family\\, friends")
    );
    assert_eq!(calendar.property("VERSION").map(|p| p.value.as_str()), Some("2.0"));
    // Each zone covers the times used: Berlin's has its changes to and from summer time.
    let berlin = calendar
        .components_named("VTIMEZONE")
        .find(|z| z.property("TZID").is_some_and(|p| p.value == "Europe/Berlin"));
    let berlin = berlin.expect("Berlin's VTIMEZONE");
    assert!(
        berlin
            .components_named("DAYLIGHT")
            .any(|d| d.property("DTSTART").is_some_and(|p| p.value == "20240331T020000"))
    );
}

#[test]
fn no_vtimezone_for_utc_floating_and_dates() {
    let mut utc_item = Item::new(Kind::Event, "utc");
    utc_item.start = Some(When::Utc(utc(2024, 1, 1, 9, 0)));
    utc_item.exdates = vec![When::Floating(at(2024, 1, 2, 9, 0))];
    let mut all_day = Item::new(Kind::Event, "day");
    all_day.start = Some(When::Date(day(2024, 1, 1)));
    let calendar = written(&[object(utc_item, Vec::new()), object(all_day, Vec::new())]);
    assert!(zones(&calendar).is_empty());
    assert_eq!(calendar.components_named("VEVENT").count(), 2);
}

#[test]
fn every_component_has_a_dtstamp_and_the_text_reads_back() {
    let mut master = weekly("FREQ=WEEKLY;COUNT=10");
    master.last_modified = Some(utc(2024, 2, 1, 8, 0));
    let moved = override_at(
        &master,
        berlin(2024, 1, 22, 10, 0),
        berlin(2024, 1, 23, 10, 0),
        berlin(2024, 1, 23, 11, 0),
    );
    let object = object(master, vec![moved]);
    let text = object.to_ics("-//Posey//test//EN");
    assert!(text.lines().all(|line| line.len() <= 75), "{text}");
    assert!(text.ends_with("END:VCALENDAR\r\n"));
    let tree = ics::parse(&text, &Limits::OBJECT).expect("it reads");
    let events: Vec<&Component> = tree[0].components_named("VEVENT").collect();
    assert_eq!(events.len(), 2);
    let stamps: Vec<&str> =
        events.iter().filter_map(|e| e.property("DTSTAMP")).map(|p| p.value.as_str()).collect();
    assert_eq!(stamps, ["20240201T080000Z", "19700101T000000Z"]);
    assert!(events.iter().all(|e| e.properties_named("DTSTAMP").count() == 1));
    // Written in the order clients expect: UID first, the override's RECURRENCE-ID in the zone.
    assert_eq!(events[0].properties[0].name, "UID");
    let rid = events[1].property("RECURRENCE-ID").expect("a RECURRENCE-ID");
    assert_eq!((rid.param("TZID"), rid.value.as_str()), (Some("Europe/Berlin"), "20240122T100000"));
}

#[test]
fn a_dtstamp_as_given_is_kept() {
    let text = include_str!("../data/google.ics");
    let objects = posey_calendar::object::parse_calendar(text, &Limits::FILE).expect("google");
    let written = objects[0].to_ics("p");
    assert!(written.contains("DTSTAMP:20240301T091500Z"), "{written}");
    assert_eq!(written.matches("DTSTAMP").count(), 1);
}
