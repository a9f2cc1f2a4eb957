//! REPORTs on a calendar: calendar-query (a filter, time ranges decided on occurrences),
//! calendar-multiget (resources by href; a missing one is a 404 in the multistatus) and
//! sync-collection (RFC 6578, level 1: what changed since a token, deletions as 404s).

use axum::http::StatusCode;
use axum::response::Response;
use chrono_tz::Tz;
use posey_calendar::Object;
use posey_calendar::ics::{self, Limits};

use super::filter;
use super::multistatus::{Multistatus, error};
use super::propfind::{Resource, Wanted, write};
use super::xml::{CALDAV, DAV, Element};
use super::{
    Dav, Target, bad_request, calendar_path, internal, not_found, object_path, sync_token,
};
use crate::db::{self, DavCalendar, ObjectRow};

/// The most hrefs one multiget names.
const MAX_HREFS: usize = 5_000;

pub async fn report(dav: Dav, segment: &str) -> Result<Response, Response> {
    let body = dav.xml()?;
    let root = body.ok_or_else(|| bad_request("a REPORT needs a body".into()))?;
    let calendar = dav.calendar(segment).await?.ok_or_else(not_found)?;
    let wanted = root.child(DAV, "prop").map_or(Wanted::All, Wanted::props);
    match (root.ns.as_str(), root.name.as_str()) {
        (CALDAV, "calendar-query") => query(&dav, &calendar, &root, &wanted).await,
        (CALDAV, "calendar-multiget") => multiget(&dav, &calendar, &root, &wanted).await,
        (DAV, "sync-collection") => sync(&dav, &calendar, &root, &wanted).await,
        _ => Err(error(
            StatusCode::FORBIDDEN,
            DAV,
            "supported-report",
            "this calendar answers calendar-query, calendar-multiget and sync-collection",
        )),
    }
}

fn zone(calendar: &DavCalendar) -> Tz {
    crate::store::zone_of(&calendar.calendar)
}

async fn query(
    dav: &Dav,
    calendar: &DavCalendar,
    root: &Element,
    wanted: &Wanted,
) -> Result<Response, Response> {
    let filter = root.child(CALDAV, "filter").ok_or_else(|| {
        error(StatusCode::FORBIDDEN, CALDAV, "valid-filter", "a calendar-query needs a filter")
    })?;
    let filter = filter::parse(filter)
        .map_err(|message| error(StatusCode::FORBIDDEN, CALDAV, "valid-filter", &message))?;
    let (kind, range) = filter.narrowing();
    let rows = db::dav_objects(dav.db(), calendar.calendar.id, kind, range.from, range.to)
        .await
        .map_err(internal)?;
    let path = calendar_path(dav.person, calendar);
    let zone = zone(calendar);
    let mut out = Multistatus::new();
    for row in &rows {
        let text = row.ics.as_deref().unwrap_or_default();
        let (Ok(tree), Ok(object)) =
            (ics::parse(text, &Limits::FILE), Object::parse(text, &Limits::FILE))
        else {
            tracing::warn!(object = %row.id, "a stored calendar object does not parse");
            continue;
        };
        let Some(vcalendar) = tree.iter().find(|c| c.name == "VCALENDAR") else { continue };
        if filter.matches(vcalendar, &object, zone) {
            let at = object_path(&path, &row.href);
            write(&mut out, dav.person, &at, &Resource::Object(row), wanted);
        }
    }
    Ok(out.finish())
}

/// The resource name an href names in `calendar`, if it is one of its resources.
fn member(dav: &Dav, calendar: &DavCalendar, given: &str) -> Option<String> {
    // An absolute URL is read for its path.
    let path = match given.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => given,
    };
    match Target::parse(path)? {
        Target::Object(owner, segment, href)
            if owner == dav.person
                && (segment == calendar.segment()
                    || segment == calendar.calendar.id.to_string()) =>
        {
            Some(href)
        }
        _ => None,
    }
}

async fn multiget(
    dav: &Dav,
    calendar: &DavCalendar,
    root: &Element,
    wanted: &Wanted,
) -> Result<Response, Response> {
    let given: Vec<&str> = root.children_named(DAV, "href").map(Element::trimmed_text).collect();
    if given.len() > MAX_HREFS {
        return Err(bad_request(format!("a multiget names at most {MAX_HREFS} hrefs")));
    }
    let names: Vec<Option<String>> = given.iter().map(|href| member(dav, calendar, href)).collect();
    let wanted_names: Vec<String> = names.iter().flatten().cloned().collect();
    let rows = db::objects_by_hrefs(dav.db(), calendar.calendar.id, &wanted_names)
        .await
        .map_err(internal)?;
    let mut out = Multistatus::new();
    for (href, name) in given.iter().zip(&names) {
        match name.as_ref().and_then(|name| rows.iter().find(|row| &row.href == name)) {
            Some(row) => write(&mut out, dav.person, href, &Resource::Object(row), wanted),
            None => out.status(href, StatusCode::NOT_FOUND),
        }
    }
    Ok(out.finish())
}

/// The sequence number a token names: `None` for the empty token (everything); `Err` for one
/// this calendar never gave.
fn since(calendar: &DavCalendar, token: &str) -> Result<Option<i64>, ()> {
    if token.is_empty() {
        return Ok(None);
    }
    let rest = token.strip_prefix("http://posey/sync/").ok_or(())?;
    let (id, seq) = rest.split_once('/').ok_or(())?;
    let seq: i64 = seq.parse().map_err(|_| ())?;
    let ours = id == calendar.calendar.id.to_string();
    if ours && (0..=calendar.calendar.sync_seq).contains(&seq) { Ok(Some(seq)) } else { Err(()) }
}

async fn sync(
    dav: &Dav,
    calendar: &DavCalendar,
    root: &Element,
    wanted: &Wanted,
) -> Result<Response, Response> {
    let token = root.child(DAV, "sync-token").map(Element::trimmed_text).unwrap_or_default();
    let since = since(calendar, token).map_err(|()| {
        error(
            StatusCode::FORBIDDEN,
            DAV,
            "valid-sync-token",
            "the sync token is not one of this calendar's; sync again from the start",
        )
    })?;
    let level = root.child(DAV, "sync-level").map(Element::trimmed_text).unwrap_or("1");
    if level != "1" && level != "infinite" {
        return Err(bad_request(format!("sync-level {level:?} is not 1")));
    }
    let limit = match root.child(DAV, "limit").and_then(|l| l.child(DAV, "nresults")) {
        Some(n) => Some(
            n.trimmed_text()
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| bad_request("nresults is not a positive number".into()))?,
        ),
        None => None,
    };
    let upto = calendar.calendar.sync_seq;
    let fetch = limit.map_or(i64::MAX, |n| n.saturating_add(1));
    let mut rows: Vec<ObjectRow> =
        db::changes(dav.db(), calendar.calendar.id, since, upto, fetch).await.map_err(internal)?;
    let path = calendar_path(dav.person, calendar);
    let mut out = Multistatus::new();
    let mut seq = upto;
    if let Some(limit) = limit
        && rows.len() as i64 > limit
    {
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        seq = rows.last().map_or(since.unwrap_or(0), |row| row.seq);
        out.status(&path, StatusCode::INSUFFICIENT_STORAGE);
    }
    for row in &rows {
        let at = object_path(&path, &row.href);
        if row.ics.is_some() {
            write(&mut out, dav.person, &at, &Resource::Object(row), wanted);
        } else {
            out.status(&at, StatusCode::NOT_FOUND);
        }
    }
    out.sync_token(&sync_token(calendar, seq));
    Ok(out.finish())
}
