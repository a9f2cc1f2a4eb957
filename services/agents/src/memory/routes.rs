//! `/v1/memories`: a person's memories: list, search, add, read, edit, delete, export (JSON,
//! history included). Someone else's memory is a 404.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use posey_http::params::{Page, parse_id};
use posey_http::{ApiError, AppJson, Path, Query};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Kind, Memories, Memory, Origin, check_text, db};
use crate::routes::Person;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/memories", get(list_memories).post(add_memory))
        .route("/v1/memories/search", get(search_memories))
        .route("/v1/memories/export", get(export_memories))
        .route("/v1/memories/{id}", get(get_memory).patch(edit_memory).delete(delete_memory))
}

fn memories(state: &AppState) -> Memories {
    Memories::new(state.db().clone(), state.knowledge.clone())
}

fn parse_kind(raw: &str) -> Result<Kind, ApiError> {
    Kind::parse(raw).ok_or_else(|| {
        ApiError::invalid("kind", format!("{raw:?} is not one of {}", Kind::names()))
    })
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    kind: Option<String>,
}

async fn list_memories(
    State(state): State<AppState>,
    Person(person): Person,
    Query(page): Query<Page>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let kind = query.kind.as_deref().map(parse_kind).transpose()?;
    let list = db::list_current(state.db(), person, kind, page.limit(), page.offset()).await?;
    Ok(Json(json!({"memories": list})))
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: Option<String>,
    kind: Option<String>,
    limit: Option<String>,
}

const MAX_SEARCH: usize = 50;

async fn search_memories(
    State(state): State<AppState>,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MemoryFields {
    text: Option<String>,
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

async fn add_memory(
    State(state): State<AppState>,
    Person(person): Person,
    AppJson(fields): AppJson<MemoryFields>,
) -> Result<(StatusCode, Json<Memory>), ApiError> {
    let (text, kind) = check(&fields)?;
    let text = text.ok_or_else(|| ApiError::invalid("text", "is required"))?;
    let memory =
        memories(&state).add(person, &text, kind.unwrap_or(Kind::Fact), Origin::Person).await?;
    Ok((StatusCode::CREATED, Json(memory)))
}

async fn get_memory(
    State(state): State<AppState>,
    Person(person): Person,
    Path(id): Path<String>,
) -> Result<Json<Memory>, ApiError> {
    let id = parse_id(&id, "memory")?;
    db::get(state.db(), person, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no such memory".into()))
}

async fn edit_memory(
    State(state): State<AppState>,
    Person(person): Person,
    Path(id): Path<String>,
    AppJson(fields): AppJson<MemoryFields>,
) -> Result<Json<Memory>, ApiError> {
    let id = parse_id(&id, "memory")?;
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

async fn delete_memory(
    State(state): State<AppState>,
    Person(person): Person,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id, "memory")?;
    if memories(&state).delete(person, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such memory".into()))
    }
}

async fn export_memories(
    State(state): State<AppState>,
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
