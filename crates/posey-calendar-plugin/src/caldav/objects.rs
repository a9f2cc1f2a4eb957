//! Calendar object resources: GET with its ETag, PUT of one event or to-do (all of one UID)
//! with `If-Match` / `If-None-Match: *`, DELETE with `If-Match`. A PUT is checked as the REST
//! routes check a body (`Object::parse`, then the store's recurrence caps) and refused with
//! the CalDAV precondition it breaks (RFC 4791 5.3.2.1). A subscribed calendar's resources are
//! read-only: a PUT or DELETE there is a 403 (DAV:need-privileges).
//!
//! Posey stores the object in its own serialisation (what it does not model kept as given),
//! so the ETag a PUT answers is that of the stored text, which a GET returns.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use posey_calendar::Object;
use posey_calendar::ics::Limits;

use super::multistatus::error;
use super::xml::CALDAV;
use super::{Dav, internal, not_found, writable};
use crate::db::{self, ObjectRow};
use crate::store::{self, Change, Precondition, StoreError};

/// The longest resource name kept.
const MAX_HREF: usize = 255;

async fn live(dav: &Dav, segment: &str, href: &str) -> Result<ObjectRow, Response> {
    let calendar = dav.calendar(segment).await?.ok_or_else(not_found)?;
    db::object_by_href(dav.db(), calendar.calendar.id, href)
        .await
        .map_err(internal)?
        .filter(|row| row.ics.is_some())
        .ok_or_else(not_found)
}

fn with_etag(mut response: Response, etag: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

fn precondition_failed(message: &str) -> Response {
    (StatusCode::PRECONDITION_FAILED, message.to_owned()).into_response()
}

pub async fn get(dav: Dav, segment: &str, href: &str, head: bool) -> Result<Response, Response> {
    let row = live(&dav, segment, href).await?;
    if dav.header(header::IF_NONE_MATCH).is_some_and(|given| store::matches(given, &row.etag)) {
        return Ok(with_etag(StatusCode::NOT_MODIFIED.into_response(), &row.etag));
    }
    let text = if head { String::new() } else { row.ics.clone().unwrap_or_default() };
    let modified = row.updated_at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let response = (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_owned()),
            (header::LAST_MODIFIED, modified),
        ],
        text,
    )
        .into_response();
    Ok(with_etag(response, &row.etag))
}

pub async fn put(dav: Dav, segment: &str, href: &str) -> Result<Response, Response> {
    let Some(calendar) = dav.calendar(segment).await? else {
        return Err((StatusCode::CONFLICT, "no such calendar: make it first").into_response());
    };
    writable(&calendar.calendar)?;
    if href.chars().count() > MAX_HREF {
        return Err((StatusCode::BAD_REQUEST, "the resource name is too long").into_response());
    }
    let content_type = dav.header(header::CONTENT_TYPE).unwrap_or_default().to_ascii_lowercase();
    if !content_type.starts_with("text/calendar") {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            CALDAV,
            "supported-calendar-data",
            "send the event or to-do as text/calendar",
        ));
    }
    let if_match = dav.header(header::IF_MATCH).map(str::to_owned);
    let absent = dav.header(header::IF_NONE_MATCH).is_some_and(|given| given.trim() == "*");
    let invalid =
        |message: &str| error(StatusCode::FORBIDDEN, CALDAV, "valid-calendar-data", message);
    let text =
        std::str::from_utf8(&dav.body).map_err(|_| invalid("the calendar data is not UTF-8"))?;
    let object = Object::parse(text, &Limits::OBJECT).map_err(|e| invalid(&e.to_string()))?;
    let id = calendar.calendar.id;
    let existing =
        db::object_by_href(dav.db(), id, href).await.map_err(internal)?.filter(|r| r.ics.is_some());
    let precondition = match (&if_match, absent, &existing) {
        (_, true, Some(_)) => return Err(precondition_failed("the resource exists already")),
        (_, true, None) => Precondition::Absent,
        (Some(_), _, None) => return Err(precondition_failed("the resource does not exist")),
        (Some(given), _, Some(row)) if !store::matches(given, &row.etag) => {
            return Err(precondition_failed("the resource changed since it was read (If-Match)"));
        }
        (Some(given), _, Some(_)) => Precondition::Exists(Some(given.clone())),
        (None, false, _) => Precondition::Any,
    };
    let change =
        Change::Put { object: Box::new(object), href: Some(href.to_owned()), precondition };
    let saved = match store::commit(dav.db(), dav.person, id, vec![change]).await {
        Ok(mut saved) => saved.remove(0),
        Err(StoreError::Precondition(message) | StoreError::NotFound(message)) => {
            return Err(precondition_failed(&message));
        }
        Err(StoreError::UidConflict(message)) => {
            return Err(error(StatusCode::FORBIDDEN, CALDAV, "no-uid-conflict", &message));
        }
        Err(StoreError::Invalid { message, .. }) => {
            return Err(error(
                StatusCode::FORBIDDEN,
                CALDAV,
                "valid-calendar-object-resource",
                &message,
            ));
        }
        Err(other) => return Err(internal(other)),
    };
    let status = if existing.is_some() { StatusCode::NO_CONTENT } else { StatusCode::CREATED };
    Ok(with_etag(status.into_response(), &saved.etag))
}

pub async fn delete(dav: Dav, segment: &str, href: &str) -> Result<Response, Response> {
    let calendar = dav.calendar(segment).await?.ok_or_else(not_found)?;
    writable(&calendar.calendar)?;
    let row = live(&dav, segment, href).await?;
    let if_match = dav.header(header::IF_MATCH).map(str::to_owned);
    if if_match.as_deref().is_some_and(|given| !store::matches(given, &row.etag)) {
        return Err(precondition_failed("the resource changed since it was read (If-Match)"));
    }
    let change =
        Change::Delete { uid: row.uid.clone(), precondition: Precondition::Exists(if_match) };
    match store::commit(dav.db(), dav.person, row.calendar_id, vec![change]).await {
        Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(StoreError::Precondition(message)) => Err(precondition_failed(&message)),
        Err(StoreError::NotFound(_)) => Err(not_found()),
        Err(other) => Err(internal(other)),
    }
}
