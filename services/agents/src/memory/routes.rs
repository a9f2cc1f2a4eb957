//! `/v1/memories`: a person's memories: list, search, add, read, edit, delete, export (JSON,
//! history included). Someone else's memory is a 404.

use std::sync::Arc;

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use posey_domain::MemoryId;
use posey_http::auth::Person;
use posey_http::openapi::Error;
use posey_http::params::Page;
use posey_http::{ApiError, AppJson, PathId, Query};
use posey_plugin::PluginState;
use posey_plugin::responses::{BadInput, NeedsPerson};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::schemas::{FoundMemoryList, MemoryExport, MemoryList};
use super::{Kind, Memories, Memory, Origin, check_text, db};
use crate::knowledge::Knowledge;

/// What the routes run with: the host's, and the embedding model and vector store.
pub type State = PluginState<Arc<Knowledge>>;

posey_http::error_responses! { schema = "Error";
    /// A route taking a memory's id.
    NoSuchMemory {
        "404" => "No such memory (or it is someone else's)",
    }
}

/// The routes, described, to be given their state.
pub fn router() -> OpenApiRouter<State> {
    OpenApiRouter::new()
        .routes(routes!(list_memories, add_memory))
        .routes(routes!(search_memories))
        .routes(routes!(export_memories))
        .routes(routes!(get_memory, edit_memory, delete_memory))
}

fn memories(state: &State) -> Memories {
    Memories::new(state.db().clone(), state.own.clone())
}

fn parse_kind(raw: &str) -> Result<Kind, ApiError> {
    Kind::parse(raw).ok_or_else(|| {
        ApiError::invalid("kind", format!("{raw:?} is not one of {}", Kind::names()))
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[param(inline, value_type = Option<Kind>)]
    kind: Option<String>,
}

/// The person's current memories, most recently changed first
#[utoipa::path(get, path = "/v1/memories", tag = "memories", operation_id = "listMemories",
    security(("bearer" = [])), params(Page, ListQuery),
    responses(
        (status = 200, description = "The memories", body = inline(MemoryList)),
        BadInput,
        NeedsPerson,
    ))]
async fn list_memories(
    axum::extract::State(state): axum::extract::State<State>,
    Person(person): Person,
    Query(page): Query<Page>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let kind = query.kind.as_deref().map(parse_kind).transpose()?;
    let list = db::list_current(state.db(), person, kind, page.limit(), page.offset()).await?;
    Ok(Json(json!({"memories": list})))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// What to look for
    #[param(required = true, min_length = 1)]
    q: Option<String>,
    #[param(inline, value_type = Option<Kind>)]
    kind: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 50, default = 10)]
    limit: Option<String>,
}

const MAX_SEARCH: usize = 50;

/// Current memories most relevant to a text (dense + keyword search, fused), best first
#[utoipa::path(get, path = "/v1/memories/search", tag = "memories",
    operation_id = "searchMemories", security(("bearer" = [])), params(SearchQuery),
    responses(
        (status = 200, description = "The memories found", body = inline(FoundMemoryList)),
        BadInput,
        NeedsPerson,
    ))]
async fn search_memories(
    axum::extract::State(state): axum::extract::State<State>,
    Person(person): Person,
    Query(query): Query<SearchQuery>,
) -> Result<Json<Value>, ApiError> {
    let q = query.q.as_deref().map(str::trim).unwrap_or_default();
    if q.is_empty() {
        return Err(ApiError::invalid("q", "must not be empty"));
    }
    let kind = query.kind.as_deref().map(parse_kind).transpose()?;
    let limit = match query.limit.as_deref() {
        None => 10,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_SEARCH).contains(n))
            .ok_or_else(|| ApiError::invalid("limit", format!("must be 1 to {MAX_SEARCH}")))?,
    };
    let found = memories(&state).search(person, q, kind, limit).await?;
    Ok(Json(json!({"memories": found})))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MemoryFields {
    /// Required when adding
    #[schema(min_length = 1, max_length = 1000)]
    text: Option<String>,
    #[schema(inline, value_type = Option<Kind>, default = "fact")]
    kind: Option<String>,
}

/// Checks the fields given; `text` is trimmed.
fn check(fields: &MemoryFields) -> Result<(Option<String>, Option<Kind>), ApiError> {
    let mut problems = std::collections::BTreeMap::new();
    let text = match fields.text.as_deref().map(check_text) {
        None => None,
        Some(Ok(text)) => Some(text),
        Some(Err(problem)) => {
            problems.insert("text".to_owned(), vec![problem]);
            None
        }
    };
    let kind = match fields.kind.as_deref().map(Kind::parse) {
        None => None,
        Some(Some(kind)) => Some(kind),
        Some(None) => {
            problems.insert("kind".to_owned(), vec![format!("must be one of {}", Kind::names())]);
            None
        }
    };
    if problems.is_empty() { Ok((text, kind)) } else { Err(ApiError::Validation(problems)) }
}

/// Remember something (an identical current memory is returned instead of a copy)
#[utoipa::path(post, path = "/v1/memories", tag = "memories", operation_id = "addMemory",
    security(("bearer" = [])), request_body = MemoryFields,
    responses(
        (status = 201, description = "The memory", body = Memory),
        BadInput,
        NeedsPerson,
    ))]
async fn add_memory(
    axum::extract::State(state): axum::extract::State<State>,
    Person(person): Person,
    AppJson(fields): AppJson<MemoryFields>,
) -> Result<(StatusCode, Json<Memory>), ApiError> {
    let (text, kind) = check(&fields)?;
    let text = text.ok_or_else(|| ApiError::invalid("text", "is required"))?;
    let memory =
        memories(&state).add(person, &text, kind.unwrap_or(Kind::Fact), Origin::Person).await?;
    Ok((StatusCode::CREATED, Json(memory)))
}

/// One memory (current or history)
#[utoipa::path(get, path = "/v1/memories/{id}", tag = "memories", operation_id = "getMemory",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The memory's id")),
    responses((status = 200, description = "The memory", body = Memory), NoSuchMemory, NeedsPerson))]
async fn get_memory(
    axum::extract::State(state): axum::extract::State<State>,
    Person(person): Person,
    PathId(id, ..): PathId<MemoryId>,
) -> Result<Json<Memory>, ApiError> {
    let id = id.as_uuid();
    db::get(state.db(), person, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no such memory".into()))
}

/// Correct a current memory's text or kind
#[utoipa::path(patch, path = "/v1/memories/{id}", tag = "memories", operation_id = "editMemory",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The memory's id")),
    request_body = MemoryFields,
    responses(
        (status = 200, description = "The memory", body = Memory),
        BadInput,
        (status = 409, description = "The memory is history (superseded or retracted)", body = Error),
        NoSuchMemory, NeedsPerson,
    ))]
async fn edit_memory(
    axum::extract::State(state): axum::extract::State<State>,
    Person(person): Person,
    PathId(id, ..): PathId<MemoryId>,
    AppJson(fields): AppJson<MemoryFields>,
) -> Result<Json<Memory>, ApiError> {
    let id = id.as_uuid();
    let (text, kind) = check(&fields)?;
    if let Some(memory) = memories(&state).edit(person, id, text.as_deref(), kind).await? {
        return Ok(Json(memory));
    }
    match db::get(state.db(), person, id).await? {
        Some(_) => Err(ApiError::Conflict(
            "this memory is history (superseded or retracted); edit the current one".into(),
        )),
        None => Err(ApiError::NotFound("no such memory".into())),
    }
}

/// Forget a memory for good: its row, the memories it superseded, and their vectors
#[utoipa::path(delete, path = "/v1/memories/{id}", tag = "memories", operation_id = "deleteMemory",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The memory's id")),
    responses((status = 204, description = "Deleted"), NoSuchMemory, NeedsPerson))]
async fn delete_memory(
    axum::extract::State(state): axum::extract::State<State>,
    Person(person): Person,
    PathId(id, ..): PathId<MemoryId>,
) -> Result<StatusCode, ApiError> {
    let id = id.as_uuid();
    if memories(&state).delete(person, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such memory".into()))
    }
}

/// Every memory of the person as a JSON download, superseded and retracted ones included
#[utoipa::path(get, path = "/v1/memories/export", tag = "memories",
    operation_id = "exportMemories", security(("bearer" = [])),
    responses(
        (status = 200, description = "The export (Content-Disposition: attachment)", body = inline(MemoryExport)),
        NeedsPerson,
    ))]
async fn export_memories(
    axum::extract::State(state): axum::extract::State<State>,
    Person(person): Person,
) -> Result<impl IntoResponse, ApiError> {
    let all = db::all(state.db(), person).await?;
    let body = json!({
        "exported_at": chrono::Utc::now(),
        "user_id": person,
        "memories": all,
    });
    Ok(([(header::CONTENT_DISPOSITION, "attachment; filename=\"memories.json\"")], Json(body)))
}
