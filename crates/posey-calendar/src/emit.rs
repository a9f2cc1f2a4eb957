//! Writing an [`Item`] as its VEVENT or VTODO: the modelled fields in a steady order, then
//! what was kept as given, then the alarms.

use chrono::{DateTime, Utc};

use crate::ics::{Component, Property, values};
use crate::object::{Alarm, End, Item, Kind, Trigger};
use crate::when::When;

fn utc(at: DateTime<Utc>) -> String {
    values::write_date_time(at.naive_utc(), true)
}

/// `when` as the value of property `name`, with TZID or VALUE=DATE as its form needs.
pub fn when_property(name: &str, when: &When) -> Property {
    match *when {
        When::Date(day) => Property::new(name, values::write_date(day)).with_param("VALUE", "DATE"),
        When::Floating(local) => Property::new(name, values::write_date_time(local, false)),
        When::Utc(at) => Property::new(name, utc(at)),
        When::Zoned { local, zone } => Property::new(name, values::write_date_time(local, false))
            .with_param("TZID", zone.name()),
    }
}

/// Several dates of one form in one property (RDATE, EXDATE), one property per form.
fn when_lists(name: &str, whens: &[When], into: &mut Vec<Property>) {
    let mut groups: Vec<(Property, Vec<String>)> = Vec::new();
    for when in whens {
        let property = when_property(name, when);
        match groups.iter_mut().find(|(p, _)| p.params == property.params) {
            Some((_, values)) => values.push(property.value),
            None => {
                let value = property.value.clone();
                groups.push((property, vec![value]));
            }
        }
    }
    for (mut property, values) in groups {
        property.value = values.join(",");
        into.push(property);
    }
}

/// The DTSTAMP written for an item that has none of its own: when it last changed (RFC 5545,
/// 3.8.7.2, for objects in a calendar store), else when it was made.
pub fn stamp(item: &Item) -> DateTime<Utc> {
    item.last_modified.or(item.created).unwrap_or(DateTime::UNIX_EPOCH)
}

pub fn component(item: &Item) -> Component {
    let mut component = Component::new(item.kind.component());
    let out = &mut component.properties;
    out.push(Property::new("UID", item.uid.clone()));
    if !item.extra.iter().any(|p| p.name == "DTSTAMP") {
        out.push(Property::new("DTSTAMP", utc(stamp(item))));
    }
    if let Some(rid) = &item.recurrence_id {
        out.push(when_property("RECURRENCE-ID", rid));
    }
    if let Some(start) = &item.start {
        out.push(when_property("DTSTART", start));
    }
    match item.end {
        Some(End::At(end)) => {
            out.push(when_property(if item.kind == Kind::Event { "DTEND" } else { "DUE" }, &end));
        }
        Some(End::Duration(duration)) => {
            out.push(Property::new("DURATION", values::write_duration(duration)));
        }
        None => {}
    }
    for (name, text) in [
        ("SUMMARY", &item.summary),
        ("DESCRIPTION", &item.description),
        ("LOCATION", &item.location),
    ] {
        if let Some(text) = text {
            out.push(Property::new(name, values::write_text(text)));
        }
    }
    if let Some(status) = item.status {
        out.push(Property::new("STATUS", status.as_ics()));
    }
    if !item.categories.is_empty() {
        out.push(Property::new("CATEGORIES", values::write_text_list(&item.categories)));
    }
    if item.transparent {
        out.push(Property::new("TRANSP", "TRANSPARENT"));
    }
    if let Some(priority) = item.priority {
        out.push(Property::new("PRIORITY", priority.to_string()));
    }
    if let Some(completed) = item.completed {
        out.push(Property::new("COMPLETED", utc(completed)));
    }
    if let Some(percent) = item.percent_complete {
        out.push(Property::new("PERCENT-COMPLETE", percent.to_string()));
    }
    if let Some(parent) = &item.parent {
        out.push(Property::new("RELATED-TO", values::write_text(parent)));
    }
    for rule in &item.rules {
        out.push(Property::new("RRULE", rule.to_string()));
    }
    when_lists("RDATE", &item.rdates, out);
    when_lists("EXDATE", &item.exdates, out);
    if item.sequence > 0 {
        out.push(Property::new("SEQUENCE", item.sequence.to_string()));
    }
    if let Some(created) = item.created {
        out.push(Property::new("CREATED", utc(created)));
    }
    if let Some(modified) = item.last_modified {
        out.push(Property::new("LAST-MODIFIED", utc(modified)));
    }
    out.extend(item.extra.iter().cloned());
    component.components.extend(item.alarms.iter().map(alarm));
    component.components.extend(item.extra_components.iter().cloned());
    component
}

fn alarm(alarm: &Alarm) -> Component {
    let mut component = Component::new("VALARM");
    component.push("ACTION", alarm.action.clone());
    let trigger = match alarm.trigger {
        Trigger::Relative { offset, to_end } => {
            let property = Property::new("TRIGGER", values::write_duration(offset));
            if to_end { property.with_param("RELATED", "END") } else { property }
        }
        Trigger::Absolute(at) => Property::new("TRIGGER", utc(at)).with_param("VALUE", "DATE-TIME"),
    };
    component.properties.push(trigger);
    // DISPLAY and EMAIL alarms need a DESCRIPTION (RFC 5545, 3.6.6).
    let description = alarm
        .description
        .clone()
        .or_else(|| (alarm.action != "AUDIO").then(|| "Reminder".to_owned()));
    if let Some(description) = description {
        component.push("DESCRIPTION", values::write_text(&description));
    }
    component.properties.extend(alarm.extra.iter().cloned());
    component
}
