//! Whole calendars: many objects written as one VCALENDAR with the VTIMEZONEs their times
//! need, and a calendar's text read into its objects, grouped by UID.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;

use super::model::{End, Item, Kind, Object, ObjectError, invalid};
use crate::ics::{self, Component, Limits, values};
use crate::when::When;

/// A whole VCALENDAR of `objects` (an export, a feed, a CalDAV GET), with `name` as
/// X-WR-CALNAME when given.
pub fn calendar_of(objects: &[Object], prodid: &str, name: Option<&str>) -> Component {
    let mut calendar = Component::new("VCALENDAR");
    calendar.push("VERSION", "2.0");
    calendar.push("PRODID", prodid);
    // No CALSCALE: GREGORIAN is the default (RFC 5545, 3.7.1), and a sync tool that compares
    // items by their text (vdirsyncer) takes a line the other server does not write for a
    // change.
    if let Some(name) = name {
        calendar.push("X-WR-CALNAME", values::write_text(name));
    }
    let mut zones: BTreeMap<&'static str, (Tz, NaiveDate, NaiveDate)> = BTreeMap::new();
    for item in objects.iter().flat_map(Object::items) {
        let end = match item.end {
            Some(End::At(end)) => Some(end),
            _ => None,
        };
        let times = [item.start, item.recurrence_id, end].into_iter().flatten();
        for when in times.chain(item.rdates.iter().copied()).chain(item.exdates.iter().copied()) {
            if let When::Zoned { local, zone } = when {
                let day = local.date();
                let entry = zones.entry(zone.name()).or_insert((zone, day, day));
                entry.1 = entry.1.min(day);
                entry.2 = entry.2.max(day);
            }
        }
    }
    for (zone, first, last) in zones.into_values() {
        // Clients without an IANA database read the offsets from here: cover the years the
        // object's times name, and a few after for series that go on.
        let from = NaiveDate::from_ymd_opt(first.year() - 1, 1, 1).unwrap_or(first);
        let to = last.max(first + Duration::days(5 * 366));
        calendar.components.push(values::vtimezone(zone, from, to));
    }
    for object in objects {
        calendar.components.extend(object.items().map(component_of));
    }
    calendar
}

/// Every object in an iCalendar text, grouped by UID (a subscribed feed). Items without a UID
/// get one made from their content, so the same file reads the same way twice. Any problem,
/// in the text or in one event, refuses it all.
pub fn parse_calendar(text: &str, limits: &Limits) -> Result<Vec<Object>, ObjectError> {
    let (objects, problems) = read_calendar(text, limits)?;
    match problems.into_iter().next() {
        Some((_, error)) => Err(error),
        None => Ok(objects),
    }
}

/// An event or to-do left out of a calendar, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub uid: String,
    pub reason: String,
}

/// Every valid object in an iCalendar text (an import), and the UIDs left out with the reason:
/// an event or to-do that is wrong on its own (no DTSTART, a bad RRULE, a time zone no one
/// defines) leaves out every component of its UID and nothing else. A text that is not
/// iCalendar (lines, BEGIN/END, no VCALENDAR, over the limits) is refused whole.
pub fn parse_calendar_lenient(
    text: &str,
    limits: &Limits,
) -> Result<(Vec<Object>, Vec<Skipped>), ObjectError> {
    let (objects, problems) = read_calendar(text, limits)?;
    let skipped = problems
        .into_iter()
        .map(|(uid, error)| Skipped { uid, reason: error.to_string() })
        .collect();
    Ok((objects, skipped))
}

/// UIDs that cannot be read, each with its first problem.
type Problems = Vec<(String, ObjectError)>;

/// The objects of a text and, apart, the UIDs that cannot be read with the first problem of
/// each (in the order of the text); a structural problem is the error.
fn read_calendar(text: &str, limits: &Limits) -> Result<(Vec<Object>, Problems), ObjectError> {
    let tree = ics::parse(text, limits)?;
    let calendars: Vec<&Component> = tree.iter().filter(|c| c.name == "VCALENDAR").collect();
    if calendars.is_empty() {
        return Err(invalid("the text holds no VCALENDAR"));
    }
    let mut by_uid: BTreeMap<String, Object> = BTreeMap::new();
    let mut order = Vec::new();
    let mut problems: Problems = Vec::new();
    let mut problem = |uid: String, error: ObjectError| {
        if !problems.iter().any(|(seen, _)| *seen == uid) {
            problems.push((uid, error));
        }
    };
    for calendar in calendars {
        let zones = crate::read::Zones::of(calendar);
        for component in &calendar.components {
            let kind = match component.name.as_str() {
                "VEVENT" => Kind::Event,
                "VTODO" => Kind::Todo,
                _ => continue,
            };
            let item = match crate::read::item(component, kind, &zones) {
                Ok(item) => item,
                Err(error) => {
                    problem(crate::read::uid_of(component), error);
                    continue;
                }
            };
            let object = by_uid.entry(item.uid.clone()).or_insert_with(|| {
                order.push(item.uid.clone());
                Object { uid: item.uid.clone(), kind, master: None, overrides: Vec::new() }
            });
            if object.kind != kind {
                let error = invalid(format!("UID {} is both a VEVENT and a VTODO", item.uid));
                problem(item.uid, error);
            } else if item.recurrence_id.is_some() {
                object.overrides.push(item);
            } else if object.master.is_some() {
                let error = invalid(format!(
                    "UID {} has two {}s without RECURRENCE-ID",
                    item.uid,
                    kind.component()
                ));
                problem(item.uid, error);
            } else {
                object.master = Some(item);
            }
        }
    }
    let mut objects = Vec::with_capacity(order.len());
    for uid in order {
        let Some(mut object) = by_uid.remove(&uid) else { continue };
        object.overrides.sort_by_key(|item| item.recurrence_id.map(|rid| rid.instant(Tz::UTC)));
        let ids: Vec<_> = object.overrides.iter().map(|item| item.recurrence_id).collect();
        if ids
            .windows(2)
            .any(|pair| pair[0].map(|a| a.instant(Tz::UTC)) == pair[1].map(|b| b.instant(Tz::UTC)))
        {
            problem(uid.clone(), invalid(format!("UID {uid} overrides one occurrence twice")));
        }
        objects.push(object);
    }
    // A UID with a problem is left out whole, whichever of its components has it.
    objects.retain(|object| !problems.iter().any(|(uid, _)| *uid == object.uid));
    Ok((objects, problems))
}

/// An item as its VEVENT or VTODO.
pub fn component_of(item: &Item) -> Component {
    crate::emit::component(item)
}

impl Object {
    /// The one object in an iCalendar text (a CalDAV PUT, a REST body).
    pub fn parse(text: &str, limits: &Limits) -> Result<Self, ObjectError> {
        let mut objects = parse_calendar(text, limits)?;
        match objects.len() {
            0 => Err(invalid("the calendar holds no VEVENT or VTODO")),
            1 => Ok(objects.remove(0)),
            n => {
                let uids: Vec<&str> = objects.iter().map(|object| object.uid.as_str()).collect();
                Err(invalid(format!(
                    "the calendar holds {n} different UIDs ({}); one resource holds one event or \
                     to-do",
                    uids.join(", ")
                )))
            }
        }
    }

    /// The object as an iCalendar text: one VCALENDAR with a VTIMEZONE for every zone its
    /// times use.
    pub fn to_ics(&self, prodid: &str) -> String {
        ics::write(&calendar_of(std::slice::from_ref(self), prodid, None))
    }
}
