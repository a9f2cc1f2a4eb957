//! PROPFIND: the properties of the root, the principal, the calendar home, a calendar and its
//! resources (Depth 0 or 1; `infinity` is answered as 1), for `prop`, `allprop` or `propname`.

use axum::response::Response;
use chrono::{Datelike, Utc};
use posey_calendar::ics::{self, Component};
use uuid::Uuid;

use super::multistatus::{Multistatus, Name, Value, empty, href, name};
use super::xml::{APPLE, CALDAV, CS, DAV, Element};
use super::{
    Dav, Target, calendar_path, home_path, internal, not_found, object_path, principal_path,
    sync_token,
};
use crate::db::{self, DavCalendar, ObjectRow};
use crate::store;

/// What a PROPFIND (or a report's `prop`) asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    Props(Vec<Name>),
    All,
    Names,
}

impl Wanted {
    /// From a `propfind` element (no body: everything).
    pub fn of(root: Option<&Element>) -> Self {
        let Some(root) = root else { return Self::All };
        if root.child(DAV, "propname").is_some() {
            return Self::Names;
        }
        match root.child(DAV, "prop") {
            Some(prop) => Self::props(prop),
            None => Self::All,
        }
    }

    /// The names in a `prop` element.
    pub fn props(prop: &Element) -> Self {
        Self::Props(prop.children.iter().map(|p| (p.ns.clone(), p.name.clone())).collect())
    }
}

/// A resource whose properties are asked for.
pub enum Resource<'a> {
    Root,
    Principal,
    Home,
    Calendar(&'a DavCalendar),
    Object(&'a ObjectRow),
}

pub async fn propfind(dav: Dav, target: Target) -> Result<Response, Response> {
    let depth = match dav.header(axum::http::header::HeaderName::from_static("depth")) {
        Some("0") => 0,
        _ => 1,
    };
    let body = dav.xml()?;
    if let Some(root) = &body
        && !root.is(DAV, "propfind")
    {
        return Err(super::bad_request("the body of a PROPFIND is a DAV:propfind".into()));
    }
    let wanted = Wanted::of(body.as_ref());
    let person = dav.person;
    let mut out = Multistatus::new();
    match target {
        Target::Root | Target::Collections => {
            write(&mut out, person, "/dav/", &Resource::Root, &wanted);
            if depth == 1 {
                write(&mut out, person, &principal_path(person), &Resource::Principal, &wanted);
                write(&mut out, person, &home_path(person), &Resource::Home, &wanted);
            }
        }
        Target::Principal(_) => {
            write(&mut out, person, &principal_path(person), &Resource::Principal, &wanted);
        }
        Target::Home(_) => {
            write(&mut out, person, &home_path(person), &Resource::Home, &wanted);
            if depth == 1 {
                let calendars = db::dav_calendars(dav.db(), person).await.map_err(internal)?;
                for calendar in &calendars {
                    let path = calendar_path(person, calendar);
                    write(&mut out, person, &path, &Resource::Calendar(calendar), &wanted);
                }
            }
        }
        Target::Calendar(_, segment) => {
            let calendar = dav.calendar(&segment).await?.ok_or_else(not_found)?;
            let path = calendar_path(person, &calendar);
            write(&mut out, person, &path, &Resource::Calendar(&calendar), &wanted);
            if depth == 1 {
                let id = calendar.calendar.id;
                let rows =
                    db::dav_objects(dav.db(), id, None, None, None).await.map_err(internal)?;
                for row in &rows {
                    let at = object_path(&path, &row.href);
                    write(&mut out, person, &at, &Resource::Object(row), &wanted);
                }
            }
        }
        Target::Object(_, segment, href) => {
            let calendar = dav.calendar(&segment).await?.ok_or_else(not_found)?;
            let row = db::object_by_href(dav.db(), calendar.calendar.id, &href)
                .await
                .map_err(internal)?
                .filter(|row| row.ics.is_some())
                .ok_or_else(not_found)?;
            let at = object_path(&calendar_path(person, &calendar), &row.href);
            write(&mut out, person, &at, &Resource::Object(&row), &wanted);
        }
    }
    Ok(out.finish())
}

/// One resource's response in a multistatus.
pub fn write(
    out: &mut Multistatus,
    person: Uuid,
    path: &str,
    resource: &Resource,
    wanted: &Wanted,
) {
    let names = match wanted {
        Wanted::Props(names) => names.clone(),
        Wanted::All => all_names(resource).into_iter().filter(|n| n.1 != "calendar-data").collect(),
        Wanted::Names => {
            let found: Vec<(Name, Value)> =
                all_names(resource).into_iter().map(|n| (n, Value::Empty)).collect();
            out.resource(path, &found, &[], &[]);
            return;
        }
    };
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for name in names {
        match property(person, resource, &name) {
            Some(value) => found.push((name, value)),
            None if *wanted == Wanted::All => {}
            None => missing.push(name),
        }
    }
    out.resource(path, &found, &missing, &[]);
}

fn all_names(resource: &Resource) -> Vec<Name> {
    let common = [
        (DAV, "resourcetype"),
        (DAV, "displayname"),
        (DAV, "current-user-principal"),
        (DAV, "current-user-privilege-set"),
        (DAV, "owner"),
    ];
    let own: &[(&str, &str)] = match resource {
        Resource::Root => &[(DAV, "principal-collection-set")],
        Resource::Principal => &[
            (DAV, "principal-URL"),
            (DAV, "principal-collection-set"),
            (CALDAV, "calendar-home-set"),
        ],
        Resource::Home => &[],
        Resource::Calendar(_) => &[
            (CALDAV, "calendar-description"),
            (CALDAV, "calendar-timezone"),
            (CALDAV, "calendar-timezone-id"),
            (CALDAV, "supported-calendar-component-set"),
            (CALDAV, "supported-calendar-data"),
            (CALDAV, "max-resource-size"),
            (APPLE, "calendar-color"),
            (CS, "getctag"),
            (DAV, "sync-token"),
            (DAV, "supported-report-set"),
        ],
        Resource::Object(_) => &[
            (DAV, "getetag"),
            (DAV, "getcontenttype"),
            (DAV, "getcontentlength"),
            (DAV, "getlastmodified"),
            (CALDAV, "calendar-data"),
        ],
    };
    common.iter().chain(own).map(|(ns, local)| name(ns, local)).collect()
}

/// A property's value on a resource, `None` when it has none.
pub fn property(person: Uuid, resource: &Resource, (ns, local): &Name) -> Option<Value> {
    let xml = Value::Xml;
    let value = match (ns.as_str(), local.as_str(), resource) {
        (DAV, "resourcetype", Resource::Root | Resource::Home) => xml(empty(DAV, "collection")),
        (DAV, "resourcetype", Resource::Principal) => xml(empty(DAV, "principal")),
        (DAV, "resourcetype", Resource::Calendar(_)) => {
            xml(format!("{}{}", empty(DAV, "collection"), empty(CALDAV, "calendar")))
        }
        (DAV, "resourcetype", Resource::Object(_)) => Value::Empty,
        (DAV, "displayname", Resource::Root | Resource::Principal) => Value::Text("Posey".into()),
        (DAV, "displayname", Resource::Home) => Value::Text("Calendars".into()),
        (DAV, "displayname", Resource::Calendar(c)) => Value::Text(given_name(c)?.to_owned()),
        (DAV, "current-user-principal", _) => xml(href(&principal_path(person))),
        (DAV, "owner", Resource::Principal | Resource::Home | Resource::Calendar(_)) => {
            xml(href(&principal_path(person)))
        }
        (DAV, "principal-URL", Resource::Principal) => xml(href(&principal_path(person))),
        (DAV, "principal-collection-set", Resource::Root | Resource::Principal) => {
            xml(href("/dav/principals/"))
        }
        (CALDAV, "calendar-home-set", Resource::Principal) => xml(href(&home_path(person))),
        (DAV, "current-user-privilege-set", Resource::Calendar(c)) if c.calendar.subscribed => {
            xml(read_only_privileges())
        }
        (DAV, "current-user-privilege-set", _) => xml(privileges()),
        (CALDAV, "calendar-description", Resource::Calendar(c)) => {
            Value::Text(c.calendar.description.clone()?)
        }
        (CALDAV, "calendar-timezone", Resource::Calendar(c)) => Value::Text(timezone(c)),
        (CALDAV, "calendar-timezone-id", Resource::Calendar(c)) => {
            Value::Text(c.calendar.time_zone.clone())
        }
        (CALDAV, "supported-calendar-component-set", Resource::Calendar(_)) => {
            xml(r#"<c:comp name="VEVENT"/><c:comp name="VTODO"/>"#.into())
        }
        (CALDAV, "supported-calendar-data", Resource::Calendar(_)) => {
            xml(r#"<c:calendar-data content-type="text/calendar" version="2.0"/>"#.into())
        }
        (CALDAV, "max-resource-size", Resource::Calendar(_)) => {
            Value::Text(ics::Limits::OBJECT.max_bytes.to_string())
        }
        (APPLE, "calendar-color", Resource::Calendar(c)) => Value::Text(c.calendar.colour.clone()?),
        (CS, "getctag", Resource::Calendar(c)) => Value::Text(format!(
            "\"{}-{}\"",
            c.calendar.sync_seq,
            c.calendar.updated_at.timestamp_micros()
        )),
        (DAV, "sync-token", Resource::Calendar(c)) => {
            Value::Text(sync_token(c, c.calendar.sync_seq))
        }
        (DAV, "supported-report-set", Resource::Calendar(_)) => xml(reports()),
        (DAV, "getetag", Resource::Object(row)) => Value::Text(row.etag.clone()),
        (DAV, "getcontenttype", Resource::Object(row)) => {
            let component = if row.kind == "todo" { "vtodo" } else { "vevent" };
            Value::Text(format!("text/calendar; charset=utf-8; component={component}"))
        }
        (DAV, "getcontentlength", Resource::Object(row)) => {
            Value::Text(row.ics.as_deref().unwrap_or_default().len().to_string())
        }
        (DAV, "getlastmodified", Resource::Object(row)) => {
            Value::Text(row.updated_at.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        }
        (CALDAV, "calendar-data", Resource::Object(row)) => Value::Text(row.ics.clone()?),
        _ => return None,
    };
    Some(value)
}

/// The name a calendar was given, `None` for one made without (vdirsyncer's MKCOL): Posey
/// names it after its segment, but to a client that name is no displayname, or a sync tool
/// takes it for a change and copies it over the other server's real one (vdirsyncer's
/// metasync, "a wins"), or calls the two a conflict.
fn given_name(calendar: &DavCalendar) -> Option<&str> {
    let name = calendar.calendar.name.as_str();
    (calendar.slug.as_deref() != Some(name)).then_some(name)
}

fn privileges() -> String {
    ["all", "read", "write", "write-properties", "write-content", "bind", "unbind"]
        .iter()
        .map(|privilege| format!("<d:privilege>{}</d:privilege>", empty(DAV, privilege)))
        .chain(std::iter::once(format!(
            "<d:privilege>{}</d:privilege>",
            empty(CALDAV, "read-free-busy")
        )))
        .collect()
}

/// A subscribed calendar's: its events are read, never written, over CalDAV.
fn read_only_privileges() -> String {
    format!(
        "<d:privilege>{}</d:privilege><d:privilege>{}</d:privilege>",
        empty(DAV, "read"),
        empty(CALDAV, "read-free-busy")
    )
}

fn reports() -> String {
    [(CALDAV, "calendar-query"), (CALDAV, "calendar-multiget"), (DAV, "sync-collection")]
        .iter()
        .map(|(ns, report)| {
            format!(
                "<d:supported-report><d:report>{}</d:report></d:supported-report>",
                empty(ns, report)
            )
        })
        .collect()
}

/// The calendar's zone as a VCALENDAR holding its VTIMEZONE (RFC 4791 5.2.2).
fn timezone(calendar: &DavCalendar) -> String {
    let zone = store::zone_of(&calendar.calendar);
    let year = Utc::now().year();
    let from = chrono::NaiveDate::from_ymd_opt(year - 1, 1, 1).unwrap_or_default();
    let to = chrono::NaiveDate::from_ymd_opt(year + 5, 1, 1).unwrap_or_default();
    let mut wrapper = Component::new("VCALENDAR");
    wrapper.push("VERSION", "2.0");
    wrapper.push("PRODID", store::PRODID);
    wrapper.components.push(ics::values::vtimezone(zone, from, to));
    ics::write(&wrapper)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Calendar;

    fn calendar(name: &str, slug: Option<&str>) -> DavCalendar {
        let now = Utc::now();
        let calendar = Calendar {
            id: Uuid::now_v7(),
            user_id: Uuid::now_v7(),
            name: name.into(),
            colour: None,
            time_zone: "UTC".into(),
            description: None,
            sync_seq: 0,
            has_feed: false,
            subscribed: false,
            created_at: now,
            updated_at: now,
        };
        DavCalendar { calendar, slug: slug.map(str::to_owned) }
    }

    #[test]
    fn a_calendar_made_without_a_name_has_no_displayname() {
        let displayname = |c: &DavCalendar| {
            let value = property(Uuid::now_v7(), &Resource::Calendar(c), &name(DAV, "displayname"));
            value.map(|value| match value {
                Value::Text(text) => text,
                _ => panic!("a displayname is text"),
            })
        };
        assert_eq!(displayname(&calendar("Work", Some("work"))).as_deref(), Some("Work"));
        assert_eq!(displayname(&calendar("Family", None)).as_deref(), Some("Family"));
        // MKCOL at .../home/ with no displayname: Posey calls it "home", CalDAV has no name.
        assert_eq!(displayname(&calendar("home", Some("home"))), None);
    }
}
