//! Reading a VEVENT or VTODO component into an [`Item`]: its times in their zones (TZIDs as
//! real clients write them), its recurrence, alarms and the properties Posey keeps as given.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::emit::stamp;
use crate::ics::{Component, Property, values};
use crate::object::{Alarm, End, Item, Kind, ObjectError, Status, Trigger};
use crate::recurrence::Rule;
use crate::when::When;
use crate::zone::Definition;

/// Properties an [`Item`] holds in its own fields; every other one goes to `extra`.
const MODELLED: &[&str] = &[
    "UID",
    "RECURRENCE-ID",
    "SUMMARY",
    "DESCRIPTION",
    "LOCATION",
    "DTSTART",
    "DTEND",
    "DUE",
    "DURATION",
    "STATUS",
    "CATEGORIES",
    "TRANSP",
    "PRIORITY",
    "COMPLETED",
    "PERCENT-COMPLETE",
    "RRULE",
    "RDATE",
    "EXDATE",
    "SEQUENCE",
    "CREATED",
    "LAST-MODIFIED",
];

/// The zones a calendar's TZIDs name: IANA names (also behind the prefixes and Windows names
/// clients use, or in a VTIMEZONE's X-LIC-LOCATION), else the calendar's own VTIMEZONE: the
/// IANA zone that agrees with it where the calendar's times are, or, when none does, its own
/// offsets (the times in it become UTC instants).
pub struct Zones {
    named: HashMap<String, Tz>,
    own: HashMap<String, Definition>,
    /// VTIMEZONEs that cannot be read, and why.
    broken: HashMap<String, String>,
}

/// What a TZID names.
#[derive(Clone, Copy)]
enum Zone<'a> {
    Iana(Tz),
    Own(&'a Definition),
}

/// Through this year a zone must agree with a VTIMEZONE that a recurring series uses: the
/// series goes on past the times the file writes.
const RECENT: i32 = 2030;

/// The local times a calendar writes with one TZID, and whether a series uses it.
#[derive(Default)]
struct Uses {
    times: Vec<NaiveDateTime>,
    recurring: bool,
}

/// The date-times written with each TZID outside the VTIMEZONEs.
fn uses_of(calendar: &Component) -> HashMap<String, Uses> {
    let mut found: HashMap<String, Uses> = HashMap::new();
    let mut pending: Vec<&Component> =
        calendar.components.iter().filter(|c| c.name != "VTIMEZONE").collect();
    while let Some(component) = pending.pop() {
        pending.extend(&component.components);
        let recurring =
            component.property("RRULE").is_some() || component.property("RDATE").is_some();
        for property in &component.properties {
            let Some(tzid) = property.param("TZID") else { continue };
            let uses = found.entry(tzid.to_owned()).or_default();
            uses.recurring |= recurring;
            for text in property.value.split(',') {
                let text = text.trim().split('/').next().unwrap_or_default();
                if let Ok((local, false)) = values::date_time(text) {
                    uses.times.push(local);
                }
            }
        }
    }
    found
}

impl Zones {
    pub fn of(calendar: &Component) -> Self {
        let mut zones = Self { named: HashMap::new(), own: HashMap::new(), broken: HashMap::new() };
        let mut uses = uses_of(calendar);
        for zone in calendar.components_named("VTIMEZONE") {
            let Some(tzid) = zone.property("TZID").map(|p| p.value.clone()) else { continue };
            if values::resolve_tzid(&tzid).is_some() {
                continue;
            }
            if let Some(found) =
                zone.property("X-LIC-LOCATION").and_then(|p| values::resolve_tzid(&p.value))
            {
                zones.named.insert(tzid, found);
                continue;
            }
            let Some(used) = uses.remove(&tzid) else { continue };
            let years = used.times.iter().map(|time| time.year());
            let (Some(first), Some(last)) = (years.clone().min(), years.max()) else { continue };
            let last = if used.recurring { last.max(RECENT) } else { last };
            match Definition::read(zone, last) {
                Ok(definition) => match definition.iana_zone(&tzid, &used.times, first..=last) {
                    Some(found) => {
                        zones.named.insert(tzid, found);
                    }
                    None => {
                        zones.own.insert(tzid, definition);
                    }
                },
                Err(why) => {
                    zones.broken.insert(tzid, why);
                }
            }
        }
        zones
    }

    fn resolve(&self, tzid: &str) -> Result<Zone<'_>, String> {
        if let Some(zone) = values::resolve_tzid(tzid).or_else(|| self.named.get(tzid).copied()) {
            return Ok(Zone::Iana(zone));
        }
        if let Some(definition) = self.own.get(tzid) {
            return Ok(Zone::Own(definition));
        }
        Err(match self.broken.get(tzid) {
            Some(why) => format!("the VTIMEZONE of {tzid:?} cannot be read: {why}"),
            None => format!("unknown time zone {tzid:?}; use an IANA name such as Europe/Berlin"),
        })
    }
}

fn bad(item: &str, property: &str, message: impl std::fmt::Display) -> ObjectError {
    ObjectError::Invalid(format!("{item}: {property}: {message}"))
}

/// The date or date-times of `property` (several for RDATE and EXDATE).
fn whens(property: &Property, zones: &Zones, item: &str) -> Result<Vec<When>, ObjectError> {
    if let Some(value) = property.param("VALUE")
        && !["DATE", "DATE-TIME", "PERIOD"].iter().any(|v| v.eq_ignore_ascii_case(value))
    {
        return Err(bad(
            item,
            &property.name,
            format!("VALUE={value} is not one it takes (DATE, DATE-TIME or PERIOD)"),
        ));
    }
    let is_date = property.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
    let is_period = property.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("PERIOD"));
    let zone = match property.param("TZID") {
        Some(tzid) => Some(zones.resolve(tzid).map_err(|why| bad(item, &property.name, why))?),
        None => None,
    };
    let mut found = Vec::new();
    for text in property.value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if is_date || (text.len() == 8 && !is_period) {
            found.push(When::Date(values::date(text).map_err(|m| bad(item, &property.name, m))?));
            continue;
        }
        let (local, utc) = if is_period {
            match date_period(text).map_err(|m| bad(item, &property.name, m))? {
                Some(day) => (day.and_time(NaiveTime::MIN), false),
                None => {
                    let (start, utc, _) =
                        values::period(text).map_err(|m| bad(item, &property.name, m))?;
                    (start, utc)
                }
            }
        } else {
            values::date_time(text).map_err(|m| bad(item, &property.name, m))?
        };
        found.push(match (utc, zone) {
            (true, _) => When::Utc(DateTime::<Utc>::from_naive_utc_and_offset(local, Utc)),
            (false, Some(Zone::Iana(zone))) => When::Zoned { local, zone },
            (false, Some(Zone::Own(definition))) => When::Utc(definition.instant_of(local)),
            (false, None) => When::Floating(local),
        });
    }
    Ok(found)
}

/// The first day of a period of dates (`19970101/19970102`): not RFC 5545, whose periods are
/// of date-times, but written; read as from midnight of that day, as `icalendar` reads it.
/// None for a period of date-times.
fn date_period(text: &str) -> Result<Option<NaiveDate>, String> {
    let Some((start, end)) = text.split_once('/') else { return Ok(None) };
    let Ok(day) = values::date(start) else { return Ok(None) };
    if values::date(end).is_err() && values::duration(end).is_err() {
        return Err(format!("the period from {start} ends in neither a date nor a duration"));
    }
    Ok(Some(day))
}

fn one_when(property: &Property, zones: &Zones, item: &str) -> Result<When, ObjectError> {
    let mut found = whens(property, zones, item)?;
    match found.len() {
        1 => Ok(found.remove(0)),
        _ => Err(bad(item, &property.name, "needs exactly one date or date-time")),
    }
}

fn utc_time(property: &Property, item: &str) -> Result<DateTime<Utc>, ObjectError> {
    let (local, _) =
        values::date_time(&property.value).map_err(|m| bad(item, &property.name, m))?;
    // CREATED, LAST-MODIFIED and COMPLETED are UTC by the RFC; a client that left off the Z
    // meant UTC all the same.
    Ok(DateTime::<Utc>::from_naive_utc_and_offset(local, Utc))
}

fn number(property: &Property, item: &str, max: u32) -> Result<u32, ObjectError> {
    property
        .value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| bad(item, &property.name, format!("must be a whole number 0 to {max}")))
}

/// A content hash for a component that came without a UID, so importing the same file twice
/// names it the same both times (FNV-1a: stable across builds, unlike std's hasher).
fn made_up_uid(component: &Component) -> String {
    let text = crate::ics::write(component);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("posey-{hash:016x}")
}

/// A component's UID, or one made from its content when it has none.
pub fn uid_of(component: &Component) -> String {
    match component.property("UID") {
        Some(uid) if !uid.value.trim().is_empty() => uid.value.trim().to_owned(),
        _ => made_up_uid(component),
    }
}

/// The item a VEVENT or VTODO holds.
pub fn item(component: &Component, kind: Kind, zones: &Zones) -> Result<Item, ObjectError> {
    let uid = uid_of(component);
    let name = format!("{} {uid}", kind.component());
    let label = name.as_str();
    // Which of two starts (or ends) would be the event's is anyone's guess.
    for once in ["DTSTART", "DTEND", "DUE", "DURATION", "RECURRENCE-ID"] {
        if component.properties_named(once).nth(1).is_some() {
            return Err(bad(label, once, "is given more than once; RFC 5545 allows one"));
        }
    }
    let mut item = Item::new(kind, uid);
    let mut duration = None;
    for property in &component.properties {
        match property.name.as_str() {
            "UID" => {}
            "RECURRENCE-ID" => item.recurrence_id = Some(one_when(property, zones, label)?),
            "SUMMARY" => item.summary = Some(values::text(&property.value)),
            "DESCRIPTION" => item.description = Some(values::text(&property.value)),
            "LOCATION" => item.location = Some(values::text(&property.value)),
            "DTSTART" => item.start = Some(one_when(property, zones, label)?),
            "DTEND" if kind == Kind::Event => {
                item.end = Some(End::At(one_when(property, zones, label)?));
            }
            "DUE" if kind == Kind::Todo => {
                item.end = Some(End::At(one_when(property, zones, label)?));
            }
            "DURATION" => {
                duration =
                    Some(values::duration(&property.value).map_err(|m| bad(label, "DURATION", m))?);
            }
            "STATUS" => {
                item.status = Some(Status::parse(kind, &property.value).ok_or_else(|| {
                    bad(
                        label,
                        "STATUS",
                        format!("{:?} is no status of a {}", property.value, kind.component()),
                    )
                })?);
            }
            "CATEGORIES" => item.categories.extend(values::text_list(&property.value)),
            "TRANSP" => {
                item.transparent = property.value.trim().eq_ignore_ascii_case("TRANSPARENT")
            }
            "PRIORITY" => {
                item.priority = Some(number(property, label, 9)? as u8).filter(|p| *p > 0);
            }
            "COMPLETED" => item.completed = Some(utc_time(property, label)?),
            "PERCENT-COMPLETE" => item.percent_complete = Some(number(property, label, 100)? as u8),
            "RELATED-TO"
                if property.param("RELTYPE").is_none_or(|t| t.eq_ignore_ascii_case("PARENT"))
                    && item.parent.is_none() =>
            {
                item.parent = Some(values::text(&property.value));
            }
            "RRULE" => item
                .rules
                .push(Rule::parse(&property.value).map_err(|error| bad(label, "RRULE", error))?),
            "RDATE" => item.rdates.extend(whens(property, zones, label)?),
            "EXDATE" => item.exdates.extend(whens(property, zones, label)?),
            "SEQUENCE" => item.sequence = number(property, label, u32::MAX)?,
            "CREATED" => item.created = Some(utc_time(property, label)?),
            "LAST-MODIFIED" => item.last_modified = Some(utc_time(property, label)?),
            name if MODELLED.contains(&name) => item.extra.push(property.clone()),
            _ => item.extra.push(property.clone()),
        }
    }
    if let Some(duration) = duration {
        if item.end.is_some() {
            let end = if kind == Kind::Event { "DTEND" } else { "DUE" };
            return Err(bad(label, "DURATION", format!("given with {end}; give one of them")));
        }
        if item.start.is_none() {
            return Err(bad(label, "DURATION", "needs a DTSTART"));
        }
        item.end = Some(End::Duration(duration));
    }
    // A DTSTAMP that says what Posey writes (LAST-MODIFIED, else CREATED) is written again from
    // them, so an item reads back equal to itself; another is kept as given.
    let written = stamp(&item).naive_utc();
    item.extra.retain(|property| {
        property.name != "DTSTAMP" || values::date_time(&property.value) != Ok((written, true))
    });
    check_times(&item)?;
    for sub in &component.components {
        if sub.name == "VALARM" {
            item.alarms.push(alarm(sub, zones, label)?);
        } else {
            item.extra_components.push(sub.clone());
        }
    }
    Ok(item)
}

/// An item's times make sense together: an event has a start, an end is after the start and
/// of its form (a date for a date), a duration is not negative.
pub(crate) fn check_times(item: &Item) -> Result<(), ObjectError> {
    let label = format!("{} {}", item.kind.component(), item.uid);
    let label = label.as_str();
    let Some(start) = item.start else {
        if item.kind == Kind::Event && item.recurrence_id.is_none() {
            return Err(bad(label, "DTSTART", "an event needs a start"));
        }
        return Ok(());
    };
    if let Some(End::At(end)) = item.end {
        let end_name = if item.kind == Kind::Event { "DTEND" } else { "DUE" };
        if start.is_date() != end.is_date() {
            return Err(bad(
                label,
                end_name,
                "must be a date when DTSTART is a date, and a date-time otherwise",
            ));
        }
        if end.instant(Tz::UTC) < start.instant(Tz::UTC) {
            return Err(bad(label, end_name, "is before DTSTART"));
        }
    }
    if let Some(End::Duration(duration)) = item.end
        && duration < chrono::Duration::zero()
    {
        return Err(bad(label, "DURATION", "is negative"));
    }
    Ok(())
}

fn alarm(component: &Component, zones: &Zones, item: &str) -> Result<Alarm, ObjectError> {
    let label = format!("{item} VALARM");
    let action = component
        .property("ACTION")
        .map(|p| p.value.trim().to_ascii_uppercase())
        .ok_or_else(|| bad(&label, "ACTION", "is missing"))?;
    let trigger =
        component.property("TRIGGER").ok_or_else(|| bad(&label, "TRIGGER", "is missing"))?;
    let absolute = trigger.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME"));
    let trigger = if absolute {
        match one_when(trigger, zones, &label)? {
            When::Utc(at) => Trigger::Absolute(at),
            other => Trigger::Absolute(other.instant(Tz::UTC)),
        }
    } else {
        Trigger::Relative {
            offset: values::duration(&trigger.value).map_err(|m| bad(&label, "TRIGGER", m))?,
            to_end: trigger.param("RELATED").is_some_and(|r| r.eq_ignore_ascii_case("END")),
        }
    };
    let description = component.property("DESCRIPTION").map(|p| values::text(&p.value));
    let extra = component
        .properties
        .iter()
        .filter(|p| !matches!(p.name.as_str(), "ACTION" | "TRIGGER" | "DESCRIPTION"))
        .cloned()
        .collect();
    Ok(Alarm { action, trigger, description, extra })
}
