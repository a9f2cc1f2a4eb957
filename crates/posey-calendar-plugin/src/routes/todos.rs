//! `/v1/todos`: a person's to-dos (VTODO): list (open, done or all), create, read, change
//! (completing one sets when) and delete; subtasks name their parent by UID; recurring ones
//! are edited per occurrence like events. ETags and `If-Match` as for events.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono_tz::Tz;
use posey_calendar::edit::Patch;
use posey_calendar::{End, Item, Kind, Status};
use posey_domain::TodoId;
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson, PathId, Query};
use posey_plugin::responses::{BadInput, NeedsPerson};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::items::{self, EventChange, Where, check_times};
use super::{Changed, NoSuchCalendar, NoSuchEvent, ReadOnly, RouteState};
use crate::db;
use crate::schemas::{AlarmJson, Recurrence, Time, nullable, parse_status};
use crate::service::{self, EventJson};
use crate::store::{self, StoreError};

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new().routes(routes!(list_todos, create_todo)).routes(routes!(
        get_todo,
        update_todo,
        delete_todo
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Filter {
    /// `open` (the default: not completed or cancelled), `done` or `all`.
    status: Option<String>,
    calendar_id: Option<Uuid>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct TodoList {
    todos: Vec<EventJson>,
}

/// The person's to-dos: those due first, then by priority
#[utoipa::path(get, path = "/v1/todos", tag = "calendar", operation_id = "listTodos",
    security(("bearer" = [])), params(Filter),
    responses((status = 200, description = "The to-dos", body = TodoList), BadInput, NeedsPerson))]
async fn list_todos(
    State(state): State<RouteState>,
    Person(person): Person,
    Query(filter): Query<Filter>,
) -> Result<Json<TodoList>, ApiError> {
    let wanted = match filter.status.as_deref().map(str::trim) {
        None | Some("open") => Some(false),
        Some("done") => Some(true),
        Some("all") => None,
        Some(other) => {
            return Err(ApiError::invalid("status", format!("{other:?} is not open, done or all")));
        }
    };
    let rows = db::objects_in_range(state.db(), person, filter.calendar_id, "todo", None)
        .await
        .map_err(StoreError::from)?;
    let mut todos = Vec::new();
    for row in &rows {
        let object = store::read(row)?;
        let todo = service::event_json(row, &object);
        let done = matches!(todo.status.as_deref(), Some("completed" | "cancelled"));
        if wanted.is_none_or(|wanted| wanted == done) {
            todos.push(todo);
        }
    }
    todos.sort_by_key(|todo| {
        (
            todo.end.as_ref().and_then(|due| due.at.clone()).is_none(),
            todo.end.as_ref().and_then(|due| due.at.clone()),
            todo.priority.unwrap_or(10),
        )
    });
    Ok(Json(TodoList { todos }))
}

/// A new to-do.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTodo {
    /// The calendar; the person's first when left out.
    calendar_id: Option<Uuid>,
    #[schema(min_length = 1, max_length = 500)]
    summary: String,
    description: Option<String>,
    due: Option<Time>,
    start: Option<Time>,
    /// 1 (highest) to 9.
    #[schema(minimum = 1, maximum = 9)]
    priority: Option<u8>,
    /// The parent to-do's UID (this one is its subtask).
    parent_uid: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    recurrence: Option<Recurrence>,
    #[serde(default)]
    alarms: Vec<AlarmJson>,
}

fn priority(value: Option<u8>) -> Result<Option<u8>, ApiError> {
    match value {
        Some(p) if !(1..=9).contains(&p) => Err(ApiError::invalid("priority", "must be 1 to 9")),
        other => Ok(other),
    }
}

impl NewTodo {
    fn item(&self, zone: Tz) -> Result<Item, ApiError> {
        let mut item = Item::new(Kind::Todo, service::new_uid());
        item.summary = Some(items::summary(&self.summary)?);
        item.description = items::optional_text("description", self.description.as_deref())?;
        item.start = self.start.as_ref().map(|start| start.parse("start", zone)).transpose()?;
        item.end = self.due.as_ref().map(|due| due.parse("due", zone)).transpose()?.map(End::At);
        item.priority = priority(self.priority)?;
        item.parent =
            self.parent_uid.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
        item.status = Some(Status::NeedsAction);
        item.categories = items::categories(&self.categories);
        if let Some(recurrence) = &self.recurrence {
            if item.start.is_none() && item.end.is_none() {
                return Err(ApiError::invalid(
                    "recurrence",
                    "a recurring to-do needs a start or a due time",
                ));
            }
            if item.start.is_none() {
                // RFC 5545 anchors a to-do's recurrence on DTSTART: the due time is that.
                item.start = match item.end {
                    Some(End::At(due)) => Some(due),
                    _ => None,
                };
            }
            recurrence.apply(&mut item, zone)?;
        }
        item.alarms = items::alarms(&self.alarms)?;
        check_times(&item)?;
        Ok(item)
    }
}

/// Make a to-do
#[utoipa::path(post, path = "/v1/todos", tag = "calendar", operation_id = "createTodo",
    security(("bearer" = [])), request_body = NewTodo,
    responses((status = 201, description = "The to-do, with its ETag", body = EventJson),
        NoSuchCalendar, BadInput, NeedsPerson, ReadOnly))]
async fn create_todo(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(input): AppJson<NewTodo>,
) -> Result<Response, ApiError> {
    items::create(&state, person, input.calendar_id, Kind::Todo, |zone| input.item(zone)).await
}

/// A to-do
#[utoipa::path(get, path = "/v1/todos/{id}", tag = "calendar", operation_id = "getTodo",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The to-do, with its ETag", body = EventJson),
        NoSuchEvent, BadInput, NeedsPerson))]
async fn get_todo(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<TodoId>,
) -> Result<Response, ApiError> {
    items::read(&state, person, id.as_uuid(), Kind::Todo, StatusCode::OK).await
}

/// Changes to a to-do: what is left out stays; null clears.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TodoChanges {
    summary: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Time>)]
    due: Option<Option<Time>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u8>)]
    priority: Option<Option<u8>>,
    /// `needs_action`, `in_process`, `completed` or `cancelled`; completing sets when.
    status: Option<String>,
    categories: Option<Vec<String>>,
    alarms: Option<Vec<AlarmJson>>,
}

impl TodoChanges {
    fn patch(&self, zone: Tz) -> Result<Patch, ApiError> {
        let mut patch = Patch::default();
        if let Some(summary) = &self.summary {
            patch.summary = Some(Some(items::summary(summary)?));
        }
        if let Some(description) = &self.description {
            patch.description = Some(items::optional_text("description", description.as_deref())?);
        }
        if let Some(due) = &self.due {
            patch.end =
                Some(due.as_ref().map(|due| due.parse("due", zone)).transpose()?.map(End::At));
        }
        if let Some(value) = self.priority {
            patch.priority = Some(priority(value)?);
        }
        if let Some(status) = &self.status {
            let status = parse_status(status, true)?;
            patch.status = Some(Some(status));
            let done = status == Status::Completed;
            patch.completed = Some(done.then(store::now));
            patch.percent_complete = Some(done.then_some(100));
        }
        patch.categories = self.categories.as_deref().map(items::categories);
        if let Some(alarms) = &self.alarms {
            patch.alarms = Some(items::alarms(alarms)?);
        }
        Ok(patch)
    }
}

/// Change a to-do (for a recurring one: this occurrence, it and the following, or all)
#[utoipa::path(patch, path = "/v1/todos/{id}", tag = "calendar", operation_id = "updateTodo",
    security(("bearer" = [])), params(("id" = Uuid, Path), Where,
        ("If-Match" = Option<String>, Header, description = "The ETag read; a 412 if it changed since")),
    request_body = TodoChanges,
    responses((status = 200, description = "The to-do as it is now", body = EventChange),
        NoSuchEvent, Changed, BadInput, NeedsPerson, ReadOnly))]
async fn update_todo(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<TodoId>,
    Query(place): Query<Where>,
    headers: HeaderMap,
    AppJson(changes): AppJson<TodoChanges>,
) -> Result<Response, ApiError> {
    let place = (&place, &headers);
    items::update(&state, person, id.as_uuid(), Kind::Todo, place, |zone| changes.patch(zone)).await
}

/// Delete a to-do
#[utoipa::path(delete, path = "/v1/todos/{id}", tag = "calendar", operation_id = "deleteTodo",
    security(("bearer" = [])), params(("id" = Uuid, Path), Where,
        ("If-Match" = Option<String>, Header, description = "The ETag read; a 412 if it changed since")),
    responses((status = 204, description = "Deleted"), NoSuchEvent, Changed, BadInput, NeedsPerson,
        ReadOnly))]
async fn delete_todo(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<TodoId>,
    Query(place): Query<Where>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    items::remove(&state, person, id.as_uuid(), Kind::Todo, (&place, &headers)).await
}
