//! `/v1/events`: a person's events: their occurrences in a window (recurring ones expanded),
//! one event whole, create, and edit or delete one occurrence, it and the following ones, or
//! all. Every event has an ETag; an `If-Match` that no longer holds is a 412, so two devices
//! never silently overwrite each other.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use posey_calendar::edit::Patch;
use posey_calendar::{End, Item, Kind};
use posey_domain::EventId;
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson, PathId, Query};
use posey_plugin::responses::{BadInput, NeedsPerson};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::items::{self, EventChange, Where, check_times};
use super::{Changed, NoSuchCalendar, NoSuchEvent, ReadOnly, RouteState};
use crate::schemas::{AlarmJson, Recurrence, Time, nullable, parse_duration, parse_status};
use crate::service::{self, EventJson, OccurrenceJson};

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new().routes(routes!(list_events, create_event)).routes(routes!(
        get_event,
        update_event,
        delete_event
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Window {
    /// The window's start (RFC 3339).
    #[param(required = true)]
    from: Option<String>,
    /// The window's end (RFC 3339), at most 3660 days after `from`.
    #[param(required = true)]
    to: Option<String>,
    /// Only this calendar's events.
    calendar_id: Option<Uuid>,
}

fn instant(field: &'static str, text: Option<&str>) -> Result<DateTime<Utc>, ApiError> {
    let text = text.ok_or_else(|| ApiError::invalid(field, "is required (RFC 3339)"))?;
    DateTime::parse_from_rfc3339(text.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| ApiError::invalid(field, format!("{text:?} is not an RFC 3339 time")))
}

#[derive(Serialize, utoipa::ToSchema)]
struct OccurrenceList {
    occurrences: Vec<OccurrenceJson>,
}

/// The person's events that overlap a window, each occurrence of a recurring one on its own,
/// by start
#[utoipa::path(get, path = "/v1/events", tag = "calendar", operation_id = "listEvents",
    security(("bearer" = [])), params(Window),
    responses((status = 200, description = "The occurrences", body = OccurrenceList), BadInput, NeedsPerson))]
async fn list_events(
    State(state): State<RouteState>,
    Person(person): Person,
    Query(window): Query<Window>,
) -> Result<Json<OccurrenceList>, ApiError> {
    let from = instant("from", window.from.as_deref())?;
    let to = instant("to", window.to.as_deref())?;
    let occurrences =
        service::occurrences(state.db(), person, window.calendar_id, from, to).await?;
    Ok(Json(OccurrenceList { occurrences }))
}

/// A new event.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    /// The calendar; the person's first (made when they have none) when left out.
    calendar_id: Option<Uuid>,
    #[schema(min_length = 1, max_length = 500)]
    summary: String,
    description: Option<String>,
    location: Option<String>,
    start: Time,
    /// Give `end` or `duration` (neither: an all-day event lasts its day, a timed one no time).
    end: Option<Time>,
    /// ISO 8601, such as `PT1H30M`.
    duration: Option<String>,
    /// `tentative`, `confirmed` or `cancelled`.
    status: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    /// Leaves its time free (not busy).
    #[serde(default)]
    transparent: bool,
    recurrence: Option<Recurrence>,
    #[serde(default)]
    alarms: Vec<AlarmJson>,
}

fn end_of(
    end: Option<&Time>,
    duration: Option<&str>,
    field: &'static str,
    zone: Tz,
) -> Result<Option<End>, ApiError> {
    match (end, duration) {
        (Some(_), Some(_)) => Err(ApiError::invalid("duration", "give end or duration, not both")),
        (Some(end), None) => Ok(Some(End::At(end.parse(field, zone)?))),
        (None, Some(duration)) => Ok(Some(End::Duration(parse_duration("duration", duration)?))),
        (None, None) => Ok(None),
    }
}

impl NewEvent {
    fn item(&self, zone: Tz) -> Result<Item, ApiError> {
        let mut item = Item::new(Kind::Event, service::new_uid());
        item.summary = Some(items::summary(&self.summary)?);
        item.description = items::optional_text("description", self.description.as_deref())?;
        item.location = items::optional_text("location", self.location.as_deref())?;
        item.start = Some(self.start.parse("start", zone)?);
        item.end = end_of(self.end.as_ref(), self.duration.as_deref(), "end", zone)?;
        item.status = self.status.as_deref().map(|s| parse_status(s, false)).transpose()?;
        item.categories = items::categories(&self.categories);
        item.transparent = self.transparent;
        if let Some(recurrence) = &self.recurrence {
            recurrence.apply(&mut item, zone)?;
        }
        item.alarms = items::alarms(&self.alarms)?;
        check_times(&item)?;
        Ok(item)
    }
}

/// Make an event
#[utoipa::path(post, path = "/v1/events", tag = "calendar", operation_id = "createEvent",
    security(("bearer" = [])), request_body = NewEvent,
    responses((status = 201, description = "The event, with its ETag", body = EventJson),
        NoSuchCalendar, BadInput, NeedsPerson, ReadOnly))]
async fn create_event(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(input): AppJson<NewEvent>,
) -> Result<Response, ApiError> {
    items::create(&state, person, input.calendar_id, Kind::Event, |zone| input.item(zone)).await
}

/// An event whole: its series, recurrence and changed occurrences
#[utoipa::path(get, path = "/v1/events/{id}", tag = "calendar", operation_id = "getEvent",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The event, with its ETag", body = EventJson),
        NoSuchEvent, BadInput, NeedsPerson))]
async fn get_event(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<EventId>,
) -> Result<Response, ApiError> {
    items::read(&state, person, id.as_uuid(), Kind::Event, StatusCode::OK).await
}

/// Changes to an event: what is left out stays as it is; null clears.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventChanges {
    summary: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    location: Option<Option<String>>,
    start: Option<Time>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Time>)]
    end: Option<Option<Time>>,
    duration: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    status: Option<Option<String>>,
    categories: Option<Vec<String>>,
    transparent: Option<bool>,
    /// The whole series' or the following ones' recurrence; null: no longer recurring.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Recurrence>)]
    recurrence: Option<Option<Recurrence>>,
    alarms: Option<Vec<AlarmJson>>,
}

impl EventChanges {
    fn patch(&self, zone: Tz) -> Result<Patch, ApiError> {
        let mut patch = Patch::default();
        if let Some(summary) = &self.summary {
            patch.summary = Some(Some(items::summary(summary)?));
        }
        if let Some(description) = &self.description {
            patch.description = Some(items::optional_text("description", description.as_deref())?);
        }
        if let Some(location) = &self.location {
            patch.location = Some(items::optional_text("location", location.as_deref())?);
        }
        if let Some(start) = &self.start {
            patch.start = Some(start.parse("start", zone)?);
        }
        match (&self.end, &self.duration) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid("duration", "give end or duration, not both"));
            }
            (Some(None), None) => patch.end = Some(None),
            (Some(Some(end)), None) => patch.end = Some(Some(End::At(end.parse("end", zone)?))),
            (None, Some(duration)) => {
                patch.end = Some(Some(End::Duration(parse_duration("duration", duration)?)));
            }
            (None, None) => {}
        }
        if let Some(status) = &self.status {
            patch.status = Some(status.as_deref().map(|s| parse_status(s, false)).transpose()?);
        }
        patch.categories = self.categories.as_deref().map(items::categories);
        patch.transparent = self.transparent;
        if let Some(recurrence) = &self.recurrence {
            let mut item = Item::new(Kind::Event, String::new());
            if let Some(recurrence) = recurrence {
                recurrence.apply(&mut item, zone)?;
            }
            patch.rules = Some(item.rules);
            patch.rdates = Some(item.rdates);
            patch.exdates = Some(item.exdates);
        }
        if let Some(alarms) = &self.alarms {
            patch.alarms = Some(items::alarms(alarms)?);
        }
        Ok(patch)
    }
}

/// Change an event: one occurrence, it and the following ones, or all
#[utoipa::path(patch, path = "/v1/events/{id}", tag = "calendar", operation_id = "updateEvent",
    security(("bearer" = [])), params(("id" = Uuid, Path), Where,
        ("If-Match" = Option<String>, Header, description = "The ETag read; a 412 if it changed since")),
    request_body = EventChanges,
    responses((status = 200, description = "The event as it is now (and the series split off)", body = EventChange),
        NoSuchEvent, Changed, BadInput, NeedsPerson, ReadOnly))]
async fn update_event(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<EventId>,
    Query(place): Query<Where>,
    headers: HeaderMap,
    AppJson(changes): AppJson<EventChanges>,
) -> Result<Response, ApiError> {
    let place = (&place, &headers);
    items::update(&state, person, id.as_uuid(), Kind::Event, place, |zone| changes.patch(zone))
        .await
}

/// Delete an event: one occurrence, it and the following ones, or all
#[utoipa::path(delete, path = "/v1/events/{id}", tag = "calendar", operation_id = "deleteEvent",
    security(("bearer" = [])), params(("id" = Uuid, Path), Where,
        ("If-Match" = Option<String>, Header, description = "The ETag read; a 412 if it changed since")),
    responses((status = 204, description = "Deleted"), NoSuchEvent, Changed, BadInput, NeedsPerson,
        ReadOnly))]
async fn delete_event(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<EventId>,
    Query(place): Query<Where>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    items::remove(&state, person, id.as_uuid(), Kind::Event, (&place, &headers)).await
}
