//! Calendars as collections: MKCALENDAR (and an extended MKCOL of a calendar, RFC 5689) makes
//! one at the segment the client chose, PROPPATCH changes its name, colour, description or
//! zone (not a subscribed calendar's: it is read-only over CalDAV), DELETE deletes it with its
//! events and to-dos (a subscribed one too: that is unsubscribing), GET exports it as one
//! iCalendar file.
//!
//! PROPPATCH applies the properties Posey keeps and refuses the others (403) without failing
//! the whole request as RFC 4918 would have it: clients set properties of their own (iOS's
//! calendar-order) beside the name and colour, and those should still change.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono_tz::Tz;
use posey_calendar::ics::{self, Limits};

use super::multistatus::{self, Multistatus, Name};
use super::xml::{APPLE, CALDAV, DAV, Element};
use super::{Dav, bad_request, calendar_path, internal, not_found, writable};
use crate::db;
use crate::service;

/// The calendar properties a client may set.
#[derive(Debug, Default)]
struct Fields {
    name: Option<String>,
    colour: Option<Option<String>>,
    description: Option<Option<String>>,
    time_zone: Option<String>,
}

/// Reads one property into `fields`; `Err` with the status it is refused with.
fn take(fields: &mut Fields, property: &Element, remove: bool) -> Result<(), StatusCode> {
    let text = property.trimmed_text();
    match (property.ns.as_str(), property.name.as_str()) {
        (DAV, "displayname") if !remove => {
            if text.is_empty() || text.chars().count() > 200 {
                return Err(StatusCode::CONFLICT);
            }
            fields.name = Some(text.to_owned());
        }
        (APPLE, "calendar-color") if remove => fields.colour = Some(None),
        (APPLE, "calendar-color") => {
            fields.colour = Some(Some(colour(text).ok_or(StatusCode::CONFLICT)?));
        }
        (CALDAV, "calendar-description") if remove || text.is_empty() => {
            fields.description = Some(None);
        }
        (CALDAV, "calendar-description") => {
            if text.chars().count() > 2000 {
                return Err(StatusCode::CONFLICT);
            }
            fields.description = Some(Some(text.to_owned()));
        }
        (CALDAV, "calendar-timezone") if !remove => {
            fields.time_zone =
                Some(zone_of_vtimezone(text).ok_or(StatusCode::CONFLICT)?.name().into());
        }
        (CALDAV, "calendar-timezone-id") if !remove => {
            let zone = text.parse::<Tz>().map_err(|_| StatusCode::CONFLICT)?;
            fields.time_zone = Some(zone.name().into());
        }
        _ => return Err(StatusCode::FORBIDDEN),
    }
    Ok(())
}

/// `#rrggbb` of a colour given as `#rrggbb` or `#rrggbbaa` (Apple's).
fn colour(text: &str) -> Option<String> {
    let hex = text.strip_prefix('#')?;
    let ok = (hex.len() == 6 || hex.len() == 8) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| format!("#{}", hex[..6].to_ascii_lowercase()))
}

/// The zone a `calendar-timezone` (a VCALENDAR with one VTIMEZONE) names by its TZID.
fn zone_of_vtimezone(text: &str) -> Option<Tz> {
    let tree = ics::parse(text, &Limits::OBJECT).ok()?;
    let zone = tree.iter().flat_map(|c| c.components_named("VTIMEZONE")).next()?;
    ics::values::resolve_tzid(&zone.property("TZID")?.value)
}

/// The properties in the `set` (or `remove`) elements of a request's root.
fn updates(root: &Element) -> impl Iterator<Item = (&Element, bool)> {
    root.children
        .iter()
        .filter(|op| op.ns == DAV && (op.name == "set" || op.name == "remove"))
        .flat_map(|op| {
            let remove = op.name == "remove";
            op.children_named(DAV, "prop").flat_map(|prop| &prop.children).map(move |p| (p, remove))
        })
}

pub async fn make(dav: Dav, segment: &str, mkcalendar: bool) -> Result<Response, Response> {
    let body = dav.xml()?;
    if let Some(root) = &body
        && !(root.is(CALDAV, "mkcalendar") || root.is(DAV, "mkcol"))
    {
        return Err(bad_request("the body is neither a CALDAV:mkcalendar nor a DAV:mkcol".into()));
    }
    let mut fields = Fields::default();
    let mut is_calendar = mkcalendar;
    for (property, remove) in body.iter().flat_map(updates) {
        if property.is(DAV, "resourcetype") {
            is_calendar |= property.child(CALDAV, "calendar").is_some();
            continue;
        }
        // Properties it cannot keep (the supported components, say) are not worth a refusal.
        let _ = take(&mut fields, property, remove);
    }
    if !is_calendar {
        return Err(multistatus::error(
            StatusCode::FORBIDDEN,
            DAV,
            "valid-resourcetype",
            "only calendars can be made here",
        ));
    }
    if segment.chars().count() > 200 || matches!(segment, "." | "..") {
        return Err(bad_request("the calendar's name in the path is too long".into()));
    }
    let time_zone = match fields.time_zone {
        Some(zone) => zone,
        None => dav
            .state
            .host
            .profiles
            .profile(dav.person)
            .await
            .map_err(|error| internal(crate::store::StoreError::Internal(error)))?
            .time_zone
            .tz()
            .name()
            .to_owned(),
    };
    let name = fields.name.unwrap_or_else(|| segment.to_owned());
    let made = db::insert_dav_calendar(
        dav.db(),
        dav.person,
        segment,
        &name,
        fields.colour.flatten().as_deref(),
        &time_zone,
        fields.description.flatten().as_deref(),
    )
    .await
    .map_err(internal)?;
    let Some(calendar) = made else {
        return Err(multistatus::error(
            StatusCode::METHOD_NOT_ALLOWED,
            DAV,
            "resource-must-be-null",
            "a calendar is there already",
        ));
    };
    let location = calendar_path(dav.person, &calendar);
    let mut response = StatusCode::CREATED.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

pub async fn proppatch(dav: Dav, segment: &str) -> Result<Response, Response> {
    let body = dav.xml()?;
    let Some(root) = body.filter(|root| root.is(DAV, "propertyupdate")) else {
        return Err(bad_request("the body of a PROPPATCH is a DAV:propertyupdate".into()));
    };
    let calendar = dav.calendar(segment).await?.ok_or_else(not_found)?;
    writable(&calendar.calendar)?;
    let mut fields = Fields::default();
    let mut done: Vec<(Name, multistatus::Value)> = Vec::new();
    let mut refused: Vec<(Name, StatusCode)> = Vec::new();
    for (property, remove) in updates(&root) {
        let name = multistatus::name(&property.ns, &property.name);
        match take(&mut fields, property, remove) {
            Ok(()) => done.push((name, multistatus::Value::Empty)),
            Err(status) => refused.push((name, status)),
        }
    }
    db::update_calendar(
        dav.db(),
        dav.person,
        calendar.calendar.id,
        fields.name.as_deref(),
        fields.colour.as_ref().map(Option::as_deref),
        fields.time_zone.as_deref(),
        fields.description.as_ref().map(Option::as_deref),
    )
    .await
    .map_err(internal)?;
    let mut out = Multistatus::new();
    out.resource(&calendar_path(dav.person, &calendar), &done, &[], &refused);
    Ok(out.finish())
}

pub async fn delete(dav: Dav, segment: &str) -> Result<Response, Response> {
    let calendar = dav.calendar(segment).await?.ok_or_else(not_found)?;
    if db::delete_calendar(dav.db(), dav.person, calendar.calendar.id).await.map_err(internal)? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(not_found())
    }
}

pub async fn export(dav: Dav, segment: &str) -> Result<Response, Response> {
    let calendar = dav.calendar(segment).await?.ok_or_else(not_found)?;
    let text = service::export(dav.db(), &calendar.calendar).await.map_err(internal)?;
    Ok(([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], text).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_come_as_rgb_or_rgba() {
        assert_eq!(colour("#FF2968FF").as_deref(), Some("#ff2968"));
        assert_eq!(colour("#3366cc").as_deref(), Some("#3366cc"));
        assert_eq!(colour("red"), None);
        assert_eq!(colour("#12345"), None);
    }
}
