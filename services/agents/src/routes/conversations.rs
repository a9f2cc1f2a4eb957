//! `/v1/conversations`: a person's conversations: create, list, get, rename (or change the
//! agent), delete. Someone else's conversation is a 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use posey_domain::ConversationId;
use posey_http::{ApiError, AppJson, OptionalJson, PathId, Query};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::schemas::ConversationList;
use super::openapi::{BadFields, BadPage, NeedsPerson, NoSuchConversation};
use super::{Page, Person};
use crate::db::{self, conversations::Conversation};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_conversations, create_conversation)).routes(routes!(
        get_conversation,
        update_conversation,
        delete_conversation
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ConversationFields {
    #[schema(min_length = 1, max_length = 200)]
    title: Option<String>,
    /// An agent's name; default the router
    agent: Option<String>,
}

const MAX_TITLE: usize = 200;

/// Checks the fields given; a title is trimmed.
fn check(
    state: &AppState,
    fields: &ConversationFields,
) -> Result<(Option<String>, Option<String>), ApiError> {
    let mut problems = std::collections::BTreeMap::new();
    let title = fields.title.as_ref().map(|title| title.trim().to_owned());
    if let Some(title) = &title
        && (title.is_empty() || title.chars().count() > MAX_TITLE)
    {
        problems.insert("title".to_owned(), vec![format!("must be 1 to {MAX_TITLE} characters")]);
    }
    if let Some(agent) = &fields.agent
        && state.runtime.agents.agent(agent).is_none()
    {
        let names: Vec<&str> =
            state.runtime.agents.agents.iter().map(|a| a.name.as_str()).collect();
        problems.insert(
            "agent".to_owned(),
            vec![format!("no agent {agent:?}; the agents are {}", names.join(", "))],
        );
    }
    if problems.is_empty() {
        Ok((title, fields.agent.clone()))
    } else {
        Err(ApiError::Validation(problems))
    }
}

/// Start a conversation (the body is optional)
#[utoipa::path(post, path = "/v1/conversations", tag = "conversations",
    operation_id = "createConversation", security(("bearer" = [])),
    request_body(content = Option<ConversationFields>, description = "Optional: no body makes a conversation with the router", content_type = "application/json"),
    responses(
        (status = 201, description = "The new conversation", body = Conversation),
        (status = 400, description = "Malformed JSON", body = posey_http::openapi::Error),
        BadFields, NeedsPerson,
    ))]
async fn create_conversation(
    State(state): State<AppState>,
    Person(person): Person,
    // The body is optional: no body makes a conversation with the defaults.
    OptionalJson(fields): OptionalJson<ConversationFields>,
) -> Result<(StatusCode, Json<Conversation>), ApiError> {
    let fields = fields.unwrap_or_default();
    let (title, agent) = check(&state, &fields)?;
    let title = title.unwrap_or_else(|| "New conversation".to_owned());
    let agent = agent.unwrap_or_else(|| state.runtime.agents.router.clone());
    let conversation = db::conversations::create(state.db(), person, &title, &agent).await?;
    Ok((StatusCode::CREATED, Json(conversation)))
}

/// The person's conversations, most recently active first
#[utoipa::path(get, path = "/v1/conversations", tag = "conversations",
    operation_id = "listConversations", security(("bearer" = [])), params(Page),
    responses(
        (status = 200, description = "The conversations", body = inline(ConversationList)),
        BadPage, NeedsPerson,
    ))]
async fn list_conversations(
    State(state): State<AppState>,
    Person(person): Person,
    Query(page): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    let conversations =
        db::conversations::list(state.db(), person, page.limit(), page.offset()).await?;
    Ok(Json(json!({"conversations": conversations})))
}

/// One conversation
#[utoipa::path(get, path = "/v1/conversations/{id}", tag = "conversations",
    operation_id = "getConversation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The conversation's id")),
    responses(
        (status = 200, description = "The conversation", body = Conversation),
        NoSuchConversation, NeedsPerson,
    ))]
async fn get_conversation(
    State(state): State<AppState>,
    Person(person): Person,
    PathId(id, ..): PathId<ConversationId>,
) -> Result<Json<Conversation>, ApiError> {
    let id = id.as_uuid();
    db::conversations::get(state.db(), person, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no such conversation".into()))
}

/// Rename it, or change the agent it talks to
#[utoipa::path(patch, path = "/v1/conversations/{id}", tag = "conversations",
    operation_id = "updateConversation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The conversation's id")),
    request_body = ConversationFields,
    responses(
        (status = 200, description = "The conversation", body = Conversation),
        BadFields, NoSuchConversation, NeedsPerson,
    ))]
async fn update_conversation(
    State(state): State<AppState>,
    Person(person): Person,
    PathId(id, ..): PathId<ConversationId>,
    AppJson(fields): AppJson<ConversationFields>,
) -> Result<Json<Conversation>, ApiError> {
    let id = id.as_uuid();
    let (title, agent) = check(&state, &fields)?;
    db::conversations::update(state.db(), person, id, title.as_deref(), agent.as_deref())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no such conversation".into()))
}

/// Delete it with its messages
#[utoipa::path(delete, path = "/v1/conversations/{id}", tag = "conversations",
    operation_id = "deleteConversation", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The conversation's id")),
    responses(
        (status = 204, description = "Deleted"),
        NoSuchConversation, NeedsPerson,
    ))]
async fn delete_conversation(
    State(state): State<AppState>,
    Person(person): Person,
    PathId(id, ..): PathId<ConversationId>,
) -> Result<StatusCode, ApiError> {
    let id = id.as_uuid();
    if db::conversations::delete(state.db(), person, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such conversation".into()))
    }
}
