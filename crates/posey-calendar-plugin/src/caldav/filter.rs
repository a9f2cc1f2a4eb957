//! calendar-query's filter (RFC 4791 9.7): comp-filters, prop-filters and text-matches read
//! from the request and decided on a stored object's components; a time-range on a VEVENT or
//! VTODO is decided on the object's occurrences (a recurring event whose series began before
//! the window matches when one of its occurrences falls in it).

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use posey_calendar::ics::Component;
use posey_calendar::{End, Kind, Object};

use super::xml::{CALDAV, Element};
use crate::store::CAPS;

/// A window, either end open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Range {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompFilter {
    pub name: String,
    pub not_defined: bool,
    pub range: Option<Range>,
    pub props: Vec<PropFilter>,
    pub comps: Vec<CompFilter>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropFilter {
    name: String,
    not_defined: bool,
    text: Option<TextMatch>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TextMatch {
    text: String,
    negate: bool,
    /// `i;ascii-casemap` (the default); `i;octet` compares exactly.
    caseless: bool,
}

/// The filter of a calendar-query, or why it cannot be read.
pub fn parse(filter: &Element) -> Result<CompFilter, String> {
    let top = filter.child(CALDAV, "comp-filter").ok_or("the filter has no comp-filter")?;
    let top = comp(top)?;
    if top.name != "VCALENDAR" {
        return Err("the filter's outer comp-filter must name VCALENDAR".into());
    }
    Ok(top)
}

fn comp(element: &Element) -> Result<CompFilter, String> {
    let name = element.attribute("name").ok_or("a comp-filter has no name")?.to_ascii_uppercase();
    let range = element.child(CALDAV, "time-range").map(range).transpose()?;
    Ok(CompFilter {
        name,
        not_defined: element.child(CALDAV, "is-not-defined").is_some(),
        range,
        props: element.children_named(CALDAV, "prop-filter").map(prop).collect::<Result<_, _>>()?,
        comps: element.children_named(CALDAV, "comp-filter").map(comp).collect::<Result<_, _>>()?,
    })
}

fn prop(element: &Element) -> Result<PropFilter, String> {
    let name = element.attribute("name").ok_or("a prop-filter has no name")?.to_ascii_uppercase();
    let text = element.child(CALDAV, "text-match").map(|m| TextMatch {
        text: m.text.clone(),
        negate: m.attribute("negate-condition") == Some("yes"),
        caseless: m.attribute("collation") != Some("i;octet"),
    });
    Ok(PropFilter { name, not_defined: element.child(CALDAV, "is-not-defined").is_some(), text })
}

/// A `time-range` element's window (`start` and `end` in UTC, e.g. `20240101T000000Z`).
pub fn range(element: &Element) -> Result<Range, String> {
    let at = |name: &str| element.attribute(name).map(utc).transpose();
    let range = Range { from: at("start")?, to: at("end")? };
    if range.from.is_none() && range.to.is_none() {
        return Err("a time-range needs a start or an end".into());
    }
    Ok(range)
}

fn utc(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%SZ")
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y%m%d").map(|d| d.and_time(Default::default()))
        })
        .map(|at| at.and_utc())
        .map_err(|_| format!("{text:?} is not a UTC time like 20240101T000000Z"))
}

impl CompFilter {
    /// The kind and window the database can narrow the objects by (VCALENDAR > VEVENT|VTODO).
    pub fn narrowing(&self) -> (Option<&'static str>, Range) {
        match self.comps.as_slice() {
            [inner] if !inner.not_defined => {
                let kind = match inner.name.as_str() {
                    "VEVENT" => Some("event"),
                    "VTODO" => Some("todo"),
                    _ => None,
                };
                (kind, inner.range.unwrap_or_default())
            }
            _ => (None, Range::default()),
        }
    }

    /// Whether the stored object (its `tree`, read as `object`) matches.
    pub fn matches(&self, tree: &Component, object: &Object, zone: Tz) -> bool {
        self.matches_in(std::slice::from_ref(tree), object, zone)
    }

    fn matches_in(&self, siblings: &[Component], object: &Object, zone: Tz) -> bool {
        let mut named = siblings.iter().filter(|c| c.name == self.name).peekable();
        if self.not_defined {
            return named.peek().is_none();
        }
        if let Some(range) = self.range
            && matches!(self.name.as_str(), "VEVENT" | "VTODO")
            && !occurs(object, zone, range)
        {
            return false;
        }
        named.any(|component| {
            self.props.iter().all(|p| p.matches(component))
                && self.comps.iter().all(|c| c.matches_in(&component.components, object, zone))
        })
    }
}

impl PropFilter {
    fn matches(&self, component: &Component) -> bool {
        let mut named = component.properties_named(&self.name).peekable();
        if self.not_defined {
            return named.peek().is_none();
        }
        match &self.text {
            None => named.peek().is_some(),
            Some(text) => named.any(|p| text.matches(&posey_calendar::ics::values::text(&p.value))),
        }
    }
}

impl TextMatch {
    fn matches(&self, value: &str) -> bool {
        let found = if self.caseless {
            value.to_lowercase().contains(&self.text.to_lowercase())
        } else {
            value.contains(&self.text)
        };
        found != self.negate
    }
}

/// Whether the object has an occurrence in the window (to-dos without a start by RFC 4791
/// 9.9's rules on their due, completed and created times).
pub fn occurs(object: &Object, zone: Tz, range: Range) -> bool {
    if object.kind == Kind::Todo
        && let Some(master) = &object.master
        && master.start.is_none()
    {
        let after = |at: DateTime<Utc>| range.from.is_none_or(|from| from <= at);
        let before = |at: DateTime<Utc>| range.to.is_none_or(|to| to >= at);
        return match (master.end, master.completed, master.created) {
            (Some(End::At(due)), _, _) => {
                let due = due.instant(zone);
                range.from.is_none_or(|from| from < due) && before(due)
            }
            (_, Some(done), Some(made)) => {
                (after(made) || after(done)) && (before(made) || before(done))
            }
            (_, Some(done), None) => after(done) && before(done),
            (_, None, Some(made)) => range.to.is_none_or(|to| to > made),
            _ => true,
        };
    }
    let Ok(span) = object.span(zone, &CAPS) else { return true };
    let Some(first) = span.first_start else { return true };
    // The window clipped to the object's span, then looked at in steps the caps allow.
    let step = Duration::days(3000);
    let start = range.from.map_or(first, |from| from.max(first - Duration::days(1)));
    let end = match (range.to, span.last_end) {
        (Some(to), Some(last)) => to.min(last + Duration::days(1)),
        (Some(to), None) => to,
        (None, Some(last)) => last + Duration::days(1),
        // A series that never ends, asked about a window that never ends.
        (None, None) => return true,
    };
    let mut from = start;
    for _ in 0..40 {
        if from >= end {
            return false;
        }
        let to = (from + step).min(end);
        match object.instances(from, to, zone, &CAPS) {
            Ok(instances) if !instances.is_empty() => return true,
            Ok(_) => {}
            // Too many to list is some; a rule too costly to expand is kept rather than lost.
            Err(_) => return true,
        }
        from = to;
    }
    false
}
