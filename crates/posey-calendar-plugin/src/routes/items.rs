//! What the event and to-do routes share: making, reading, changing and deleting one item
//! (with its ETag, the edit scope and `If-Match`), and the checks on what a body gives.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono_tz::Tz;
use posey_calendar::edit::{Patch, Scope};
use posey_calendar::{Alarm, End, Item, Kind};
use posey_http::ApiError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{RouteState, person_zone};
use crate::schemas::{AlarmJson, parse_occurrence};
use crate::service::{self, EventJson, Outcome, Target};
use crate::store::zone_of;

/// The longest description or location.
const MAX_TEXT: usize = 10_000;

fn check_text(field: &'static str, text: &str, max: usize) -> Result<String, ApiError> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(ApiError::invalid(field, format!("must be at most {max} characters")));
    }
    Ok(text.to_owned())
}

/// An event's or to-do's summary: 1 to 500 characters, trimmed.
pub(super) fn summary(text: &str) -> Result<String, ApiError> {
    let summary = check_text("summary", text, 500)?;
    if summary.is_empty() {
        return Err(ApiError::invalid("summary", "must not be empty"));
    }
    Ok(summary)
}

/// A description or location: at most 10,000 characters, trimmed; empty is none.
pub(super) fn optional_text(
    field: &'static str,
    text: Option<&str>,
) -> Result<Option<String>, ApiError> {
    text.map(|text| check_text(field, text, MAX_TEXT))
        .transpose()
        .map(|text| text.filter(|text| !text.is_empty()))
}

/// Categories trimmed, the empty ones left out.
pub(super) fn categories(given: &[String]) -> Vec<String> {
    given.iter().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect()
}

pub(super) fn alarms(given: &[AlarmJson]) -> Result<Vec<Alarm>, ApiError> {
    Ok(given.iter().map(AlarmJson::parse).collect::<Result<_, _>>()?)
}

/// The checks the domain makes on an item read from iCalendar, made on one built from JSON.
pub(super) fn check_times(item: &Item) -> Result<(), ApiError> {
    let end_field = if item.kind == Kind::Event { "end" } else { "due" };
    if let (Some(start), Some(End::At(end))) = (item.start, item.end) {
        if start.is_date() != end.is_date() {
            return Err(ApiError::invalid(
                end_field,
                "must be a date when start is a date, and a time otherwise",
            ));
        }
        if end.instant(Tz::UTC) < start.instant(Tz::UTC) {
            return Err(ApiError::invalid(end_field, "is before start"));
        }
    }
    Ok(())
}

fn with_etag(status: StatusCode, etag: &str, body: impl Serialize) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct Where {
    /// `this` (one occurrence), `following` (it and every later one) or `all` (the default).
    scope: Option<String>,
    /// The occurrence (`occurrence` of the listing) for `this` and `following`.
    occurrence: Option<String>,
}

fn target(place: &Where, headers: &HeaderMap) -> Result<Target, ApiError> {
    let scope = match place.scope.as_deref().map(str::trim) {
        None | Some("all") => Scope::All,
        Some("this") => Scope::This,
        Some("following") => Scope::Following,
        Some(other) => {
            return Err(ApiError::invalid(
                "scope",
                format!("{other:?} is not this, following or all"),
            ));
        }
    };
    let occurrence = place.occurrence.as_deref().map(parse_occurrence).transpose()?;
    let if_match = headers.get(header::IF_MATCH).map(|value| {
        value
            .to_str()
            .map(str::to_owned)
            .map_err(|_| ApiError::BadRequest("If-Match is not text".into()))
    });
    Ok(Target { scope, occurrence, if_match: if_match.transpose()? })
}

/// What an edit left.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventChange {
    /// The event as it is now.
    #[schema(required = true)]
    event: Option<EventJson>,
    /// For `following`: the new series that starts at the occurrence.
    #[schema(required = true)]
    split: Option<EventJson>,
}

async fn change_json(
    state: &RouteState,
    person: Uuid,
    kind: Kind,
    outcome: Outcome,
) -> Result<(Option<String>, EventChange), ApiError> {
    let mut etag = None;
    let mut event = None;
    if let Some(saved) = outcome.object {
        let (row, object) = service::load(state.db(), person, saved.id, kind).await?;
        etag = Some(row.etag.clone());
        event = Some(service::event_json(&row, &object));
    }
    let mut split = None;
    if let Some(saved) = outcome.split {
        let (row, object) = service::load(state.db(), person, saved.id, kind).await?;
        split = Some(service::event_json(&row, &object));
    }
    Ok((etag, EventChange { event, split }))
}

/// Stores a new item that `build` makes in the zone of the calendar given (or of the person's
/// first): the 201 with it and its ETag.
pub(super) async fn create(
    state: &RouteState,
    person: Uuid,
    calendar_id: Option<Uuid>,
    kind: Kind,
    build: impl FnOnce(Tz) -> Result<Item, ApiError>,
) -> Result<Response, ApiError> {
    let zone = person_zone(state, person).await?;
    let calendar = service::calendar_or_default(state.db(), person, calendar_id, zone).await?;
    let item = build(zone_of(&calendar))?;
    let saved = service::create(state.db(), person, &calendar, item).await?;
    read(state, person, saved.id, kind, StatusCode::CREATED).await
}

/// One item whole, with its ETag.
pub(super) async fn read(
    state: &RouteState,
    person: Uuid,
    id: Uuid,
    kind: Kind,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let (row, object) = service::load(state.db(), person, id, kind).await?;
    Ok(with_etag(status, &row.etag, service::event_json(&row, &object)))
}

/// Changes the occurrences `place` names by the patch `patch_of` makes in the item's zone.
pub(super) async fn update(
    state: &RouteState,
    person: Uuid,
    id: Uuid,
    kind: Kind,
    (place, headers): (&Where, &HeaderMap),
    patch_of: impl FnOnce(Tz) -> Result<Patch, ApiError>,
) -> Result<Response, ApiError> {
    let target = target(place, headers)?;
    let (row, _) = service::load(state.db(), person, id, kind).await?;
    let patch = patch_of(row.time_zone.parse().unwrap_or(Tz::UTC))?;
    if target.scope == Scope::This
        && (patch.rules.is_some() || patch.rdates.is_some() || patch.exdates.is_some())
    {
        return Err(ApiError::invalid(
            "recurrence",
            "changes for all or following, not one occurrence",
        ));
    }
    let outcome = service::change(state.db(), person, id, kind, Some(&patch), &target).await?;
    let (etag, body) = change_json(state, person, kind, outcome).await?;
    Ok(with_etag(StatusCode::OK, etag.as_deref().unwrap_or_default(), body))
}

/// Deletes the occurrences `place` names.
pub(super) async fn remove(
    state: &RouteState,
    person: Uuid,
    id: Uuid,
    kind: Kind,
    (place, headers): (&Where, &HeaderMap),
) -> Result<StatusCode, ApiError> {
    let target = target(place, headers)?;
    service::change(state.db(), person, id, kind, None, &target).await?;
    Ok(StatusCode::NO_CONTENT)
}
