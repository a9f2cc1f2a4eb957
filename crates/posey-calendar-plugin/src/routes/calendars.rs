//! `/v1/calendars`: a person's calendars (list, create, read, change, delete), each one's ICS
//! export and import, and its private feed URL (made, replaced and revoked here, read at
//! `/v1/feeds/{token}` without signing in). Someone else's calendar is a 404.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use posey_domain::CalendarId;
use posey_http::auth::Person;
use posey_http::openapi::Error;
use posey_http::{ApiError, AppJson, PathId};
use posey_plugin::responses::{BadInput, NeedsPerson};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{NoSuchCalendar, ReadOnly, RouteState, person_zone};
use crate::db::{self, Calendar};
use crate::schemas::{nullable, parse_zone};
use crate::service::{self, ImportReport};
use crate::store::StoreError;

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new()
        .routes(routes!(list_calendars, create_calendar))
        .routes(routes!(get_calendar, update_calendar, delete_calendar))
        .routes(routes!(export_calendar))
        .routes(routes!(import_calendar))
        .routes(routes!(create_feed, revoke_feed))
        .routes(routes!(read_feed))
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct CalendarList {
    pub(super) calendars: Vec<Calendar>,
}

/// The person's calendars, oldest first
#[utoipa::path(get, path = "/v1/calendars", tag = "calendar", operation_id = "listCalendars",
    security(("bearer" = [])),
    responses((status = 200, description = "The calendars", body = CalendarList), NeedsPerson))]
async fn list_calendars(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Json<CalendarList>, ApiError> {
    let calendars = db::list_calendars(state.db(), person).await.map_err(StoreError::from)?;
    Ok(Json(CalendarList { calendars }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CalendarFields {
    /// Required when creating.
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    /// `#rrggbb`
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = "^#[0-9a-fA-F]{6}$")]
    colour: Option<Option<String>>,
    /// An IANA zone; the person's when creating without one.
    time_zone: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    description: Option<Option<String>>,
}

struct Checked {
    name: Option<String>,
    colour: Option<Option<String>>,
    time_zone: Option<String>,
    description: Option<Option<String>>,
}

fn check(fields: CalendarFields) -> Result<Checked, ApiError> {
    let mut problems = std::collections::BTreeMap::<String, Vec<String>>::new();
    let mut problem = |field: &str, message: String| {
        problems.entry(field.to_owned()).or_default().push(message);
    };
    let name = fields.name.map(|name| name.trim().to_owned());
    if let Some(name) = &name
        && (name.is_empty() || name.chars().count() > 200)
    {
        problem("name", "must be 1 to 200 characters".into());
    }
    let colour = fields.colour.map(|colour| colour.map(|c| c.trim().to_ascii_lowercase()));
    if let Some(Some(colour)) = &colour
        && !(colour.len() == 7
            && colour.starts_with('#')
            && colour[1..].bytes().all(|b| b.is_ascii_hexdigit()))
    {
        problem("colour", format!("{colour:?} is not a colour like #3366cc"));
    }
    let time_zone = match fields.time_zone.as_deref().map(parse_zone) {
        Some(Ok(zone)) => Some(zone.name().to_owned()),
        Some(Err(message)) => {
            problem("time_zone", message);
            None
        }
        None => None,
    };
    if let Some(Some(description)) = &fields.description
        && description.chars().count() > 2000
    {
        problem("description", "must be at most 2000 characters".into());
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    Ok(Checked { name, colour, time_zone, description: fields.description })
}

/// Make a calendar
#[utoipa::path(post, path = "/v1/calendars", tag = "calendar", operation_id = "createCalendar",
    security(("bearer" = [])), request_body = CalendarFields,
    responses((status = 201, description = "The calendar", body = Calendar), BadInput, NeedsPerson))]
async fn create_calendar(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(fields): AppJson<CalendarFields>,
) -> Result<(StatusCode, Json<Calendar>), ApiError> {
    let fields = check(fields)?;
    let name = fields.name.ok_or_else(|| ApiError::invalid("name", "is required"))?;
    let time_zone = match fields.time_zone {
        Some(zone) => zone,
        None => person_zone(&state, person).await?.name().to_owned(),
    };
    let calendar = db::insert_calendar(
        state.db(),
        person,
        &name,
        fields.colour.flatten().as_deref(),
        &time_zone,
        fields.description.flatten().as_deref(),
    )
    .await
    .map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, Json(calendar)))
}

async fn find(state: &RouteState, person: Uuid, id: Uuid) -> Result<Calendar, ApiError> {
    db::calendar(state.db(), person, id)
        .await
        .map_err(StoreError::from)?
        .ok_or_else(|| ApiError::NotFound("no such calendar".into()))
}

/// A calendar
#[utoipa::path(get, path = "/v1/calendars/{id}", tag = "calendar", operation_id = "getCalendar",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The calendar", body = Calendar), NoSuchCalendar, BadInput, NeedsPerson))]
async fn get_calendar(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<CalendarId>,
) -> Result<Json<Calendar>, ApiError> {
    let id = id.as_uuid();
    Ok(Json(find(&state, person, id).await?))
}

/// Change a calendar's name, colour, zone or description
#[utoipa::path(patch, path = "/v1/calendars/{id}", tag = "calendar", operation_id = "updateCalendar",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = CalendarFields,
    responses((status = 200, description = "The calendar", body = Calendar), NoSuchCalendar, BadInput, NeedsPerson))]
async fn update_calendar(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<CalendarId>,
    AppJson(fields): AppJson<CalendarFields>,
) -> Result<Json<Calendar>, ApiError> {
    let id = id.as_uuid();
    let fields = check(fields)?;
    let calendar = db::update_calendar(
        state.db(),
        person,
        id,
        fields.name.as_deref(),
        fields.colour.as_ref().map(Option::as_deref),
        fields.time_zone.as_deref(),
        fields.description.as_ref().map(Option::as_deref),
    )
    .await
    .map_err(StoreError::from)?
    .ok_or_else(|| ApiError::NotFound("no such calendar".into()))?;
    Ok(Json(calendar))
}

/// Delete a calendar with its events and to-dos
#[utoipa::path(delete, path = "/v1/calendars/{id}", tag = "calendar", operation_id = "deleteCalendar",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), NoSuchCalendar, BadInput, NeedsPerson))]
async fn delete_calendar(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<CalendarId>,
) -> Result<StatusCode, ApiError> {
    let id = id.as_uuid();
    if db::delete_calendar(state.db(), person, id).await.map_err(StoreError::from)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such calendar".into()))
    }
}

fn ics_response(name: &str, text: String) -> Response {
    let file: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}.ics\"")),
        ],
        text,
    )
        .into_response()
}

/// The calendar as an iCalendar file
#[utoipa::path(get, path = "/v1/calendars/{id}/export", tag = "calendar",
    operation_id = "exportCalendar", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The iCalendar file", content_type = "text/calendar", body = String),
        NoSuchCalendar, BadInput, NeedsPerson))]
async fn export_calendar(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<CalendarId>,
) -> Result<Response, ApiError> {
    let id = id.as_uuid();
    let calendar = find(&state, person, id).await?;
    let text = service::export(state.db(), &calendar).await?;
    Ok(ics_response(&calendar.name, text))
}

/// Import an iCalendar file: events and to-dos are matched by UID and written in one
/// transaction; one that is invalid on its own is skipped with the reason, and a file that is not
/// iCalendar (or is over the limits) is refused whole, naming the line
#[utoipa::path(post, path = "/v1/calendars/{id}/import", tag = "calendar",
    operation_id = "importCalendar", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body(content = String, content_type = "text/calendar"),
    responses((status = 200, description = "What the import added, updated, found unchanged and skipped (with why)", body = ImportReport),
        (status = 415, description = "The body is not text/calendar", body = Error),
        NoSuchCalendar, BadInput, NeedsPerson, ReadOnly))]
async fn import_calendar(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<CalendarId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ImportReport>, ApiError> {
    let id = id.as_uuid();
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with("text/calendar") {
        return Err(ApiError::UnsupportedMediaType("send the file as text/calendar".into()));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|error| ApiError::invalid("file", format!("is not UTF-8 ({error})")))?;
    let calendar = find(&state, person, id).await?;
    Ok(Json(service::import(state.db(), person, &calendar, text).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Feed {
    /// The secret that reads the calendar: keep it like a password.
    token: String,
    /// Where a calendar app subscribes (on this service's address).
    path: String,
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Make the calendar's private feed URL (read-only ICS for other calendar apps); replaces any
/// earlier one, which stops working
#[utoipa::path(post, path = "/v1/calendars/{id}/feed", tag = "calendar",
    operation_id = "createCalendarFeed", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 201, description = "The feed's token and path", body = Feed),
        NoSuchCalendar, BadInput, NeedsPerson))]
async fn create_feed(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<CalendarId>,
) -> Result<(StatusCode, Json<Feed>), ApiError> {
    let id = id.as_uuid();
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    if !db::set_feed(state.db(), person, id, Some(&token_hash(&token)))
        .await
        .map_err(StoreError::from)?
    {
        return Err(ApiError::NotFound("no such calendar".into()));
    }
    let path = format!("/v1/feeds/{token}.ics");
    Ok((StatusCode::CREATED, Json(Feed { token, path })))
}

/// Revoke the calendar's feed URL
#[utoipa::path(delete, path = "/v1/calendars/{id}/feed", tag = "calendar",
    operation_id = "revokeCalendarFeed", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked"), NoSuchCalendar, BadInput, NeedsPerson))]
async fn revoke_feed(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<CalendarId>,
) -> Result<StatusCode, ApiError> {
    let id = id.as_uuid();
    if db::set_feed(state.db(), person, id, None).await.map_err(StoreError::from)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such calendar".into()))
    }
}

/// A calendar's private feed (no sign-in: the token is the key)
#[utoipa::path(get, path = "/v1/feeds/{token}", tag = "calendar", operation_id = "readCalendarFeed",
    params(("token" = String, Path, description = "The feed's token, optionally followed by .ics")),
    responses((status = 200, description = "The iCalendar file", content_type = "text/calendar", body = String),
        (status = 404, description = "No feed has this token (it may have been revoked)", body = Error)))]
async fn read_feed(
    State(state): State<RouteState>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let token = token.strip_suffix(".ics").unwrap_or(&token);
    let not_found = || ApiError::NotFound("no such feed".into());
    if token.is_empty() || token.len() > 100 {
        return Err(not_found());
    }
    let calendar = db::calendar_by_feed(state.db(), &token_hash(token))
        .await
        .map_err(StoreError::from)?
        .ok_or_else(not_found)?;
    let text = service::export(state.db(), &calendar).await?;
    let mut response = ics_response(&calendar.name, text);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, max-age=300"));
    Ok(response)
}
