//! Tests of calendar objects through the public API: reading and writing iCalendar text
//! (round trips, errors), expanding instances and spans, and the three edit scopes.

mod edit_all;
mod edit_following;
mod edit_this;
mod emit;
mod instances;
mod lenient;
mod parse;
mod props;
mod roundtrip;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use posey_calendar::edit::{Edit, Scope};
use posey_calendar::ics::Limits;
use posey_calendar::recurrence::{Caps, Rule};
use posey_calendar::{End, Item, Kind, Object, When};

pub const BERLIN: Tz = chrono_tz::Europe::Berlin;
pub const NEW_YORK: Tz = chrono_tz::America::New_York;

pub fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    day(y, m, d).and_hms_opt(h, min, 0).expect("a time")
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a day")
}

pub fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&at(y, m, d, h, min))
}

pub fn zoned(zone: Tz, local: NaiveDateTime) -> When {
    When::Zoned { local, zone }
}

pub fn berlin(y: i32, m: u32, d: u32, h: u32, min: u32) -> When {
    zoned(BERLIN, at(y, m, d, h, min))
}

pub fn rule(text: &str) -> Rule {
    Rule::parse(text).expect("a valid rule")
}

/// `body` (lines joined by '\n') inside a VCALENDAR, with CRLF line ends.
pub fn calendar(body: &str) -> String {
    let text = format!("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{body}\nEND:VCALENDAR\n");
    text.replace('\n', "\r\n")
}

pub fn parse(text: &str) -> Object {
    Object::parse(text, &Limits::OBJECT).expect("one valid object")
}

/// An object of one master and the given overrides.
pub fn object(master: Item, overrides: Vec<Item>) -> Object {
    Object { uid: master.uid.clone(), kind: master.kind, master: Some(master), overrides }
}

/// Monday 2024-01-08 10:00-11:00 in Berlin, weekly, `rules` (COUNT=10 ends on 2024-03-11).
pub fn weekly(rules: &str) -> Item {
    let mut item = Item::new(Kind::Event, "weekly@posey");
    item.summary = Some("Standup".into());
    item.start = Some(berlin(2024, 1, 8, 10, 0));
    item.end = Some(End::At(berlin(2024, 1, 8, 11, 0)));
    item.rules = vec![rule(rules)];
    item
}

/// An override of `master`'s occurrence at `id`, as a client makes one: the master's fields,
/// its own start.
pub fn override_at(master: &Item, id: When, start: When, end: When) -> Item {
    let mut item = Item::new(master.kind, master.uid.clone());
    item.recurrence_id = Some(id);
    item.summary.clone_from(&master.summary);
    item.start = Some(start);
    item.end = Some(End::At(end));
    item
}

/// Instance starts and summaries in [from, to), times read in Berlin.
pub fn listed(
    object: &Object,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, String)> {
    object
        .instances(from, to, BERLIN, &Caps::DEFAULT)
        .expect("instances")
        .into_iter()
        .map(|i| (i.start, i.item.summary.clone().unwrap_or_default()))
        .collect()
}

/// The instance starts of `object` over 2023-2025.
pub fn starts(object: &Object) -> Vec<DateTime<Utc>> {
    listed(object, utc(2023, 1, 1, 0, 0), utc(2026, 1, 1, 0, 0))
        .into_iter()
        .map(|(s, _)| s)
        .collect()
}

/// The time every edit in these tests is made at.
pub fn now() -> DateTime<Utc> {
    utc(2024, 6, 1, 12, 0)
}

/// Where an edit happens: `scope` at `occurrence`, now, floating times in Berlin.
pub fn at_occurrence(scope: Scope, occurrence: Option<When>) -> Edit<'static> {
    Edit {
        scope,
        occurrence,
        now: now(),
        floating_zone: BERLIN,
        caps: &Caps::DEFAULT,
        new_uid: "tail@posey",
    }
}
