//! `/v1/conversations/{id}/messages`: `GET` the history (every message, tool calls and results
//! and what specialists said included); `POST` a message and get the turn as server-sent
//! events. The turn's life is [`crate::turns`]': it runs in its own task and is stored whether
//! or not the client stays to the end, so a client that disconnects mid-stream finds a
//! complete history afterwards, and turns of one conversation run one at a time.

use std::convert::Infallible;

use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use posey_domain::ConversationId;
use posey_http::{ApiError, AppJson, PathId};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::openapi::schemas::MessageList;
use super::openapi::{NeedsPerson, NoSuchConversation, UsageLimit};
use super::{Person, PersonWithToken, usage_limit};
use crate::db;
use crate::plugins::TurnProfile;
use crate::runtime::TurnEvent;
use crate::state::AppState;
use crate::turns::ConversationTurn;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_messages, post_message))
}

/// The longest message a person may send, in characters.
pub const MAX_CONTENT: usize = 32_000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewMessageBody {
    #[schema(min_length = 1, max_length = 32000)]
    content: String,
}

#[utoipa::path(get, path = "/v1/conversations/{id}/messages", tag = "conversations",
    operation_id = "listMessages", security(("bearer" = [])),
    summary = "The history: every message, tool calls and results and what specialists said \
               included, oldest first",
    params(("id" = Uuid, Path, description = "The conversation's id")),
    responses(
        (status = 200, description = "The messages", body = inline(MessageList)),
        NoSuchConversation, NeedsPerson,
    ))]
async fn list_messages(
    State(state): State<AppState>,
    Person(person): Person,
    PathId(id, ..): PathId<ConversationId>,
) -> Result<Json<Value>, ApiError> {
    let id = id.as_uuid();
    db::conversations::get(state.db(), person, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such conversation".into()))?;
    let messages = db::messages::list(state.db(), id).await?;
    Ok(Json(json!({"messages": messages})))
}

/// Send a message; the turn streams back as server-sent events
#[utoipa::path(post, path = "/v1/conversations/{id}/messages", tag = "conversations",
    operation_id = "sendMessage", security(("bearer" = [])),
    description = "Each event's name is its `type`; its data is the JSON of a TurnEvent. The turn \
                   runs to its end and is stored even if the client disconnects; `done` (or \
                   `error`) comes after it is stored.",
    params(("id" = Uuid, Path, description = "The conversation's id")),
    request_body = inline(NewMessageBody),
    responses(
        (status = 200, description = "The turn's events", content_type = "text/event-stream", body = TurnEvent),
        (status = 422, description = "Empty or too long content, or unknown fields", body = posey_http::openapi::Error),
        UsageLimit, NoSuchConversation, NeedsPerson,
    ))]
async fn post_message(
    State(state): State<AppState>,
    PersonWithToken(person, credential): PersonWithToken,
    PathId(id, ..): PathId<ConversationId>,
    AppJson(body): AppJson<NewMessageBody>,
) -> Result<Response, ApiError> {
    let id = id.as_uuid();
    // The conversation and the usage the limits are checked on, in one round trip.
    let (conversation, today) = db::conversations::get_for_turn(state.db(), person, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such conversation".into()))?;
    let content = body.content.trim().to_owned();
    if content.is_empty() {
        return Err(ApiError::invalid("content", "must not be empty"));
    }
    if content.chars().count() > MAX_CONTENT {
        return Err(ApiError::invalid(
            "content",
            format!("must be at most {MAX_CONTENT} characters"),
        ));
    }
    if let Some(limited) = usage_limit::verdict(&state, today) {
        return Ok(limited);
    }
    let (events, receiver) = mpsc::unbounded_channel();
    let turn = ConversationTurn {
        person,
        conversation: id,
        agent: conversation.agent,
        content,
        credential: Some(credential),
        profile: TurnProfile::default(),
        id: Uuid::now_v7(),
        key: None,
        follow_up: true,
    };
    // Stored whether or not the client stays: nobody waits for the handle.
    drop(state.turns.start(turn, events));
    Ok(Sse::new(sse_events(receiver)).keep_alive(KeepAlive::default()).into_response())
}

/// The turn's events as SSE: the event name is the event's type, the data its JSON.
fn sse_events(
    mut receiver: mpsc::UnboundedReceiver<TurnEvent>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::poll_fn(move |cx| receiver.poll_recv(cx)).map(|event| {
        let data = serde_json::to_value(&event).unwrap_or(Value::Null);
        let name = data["type"].as_str().unwrap_or("message").to_owned();
        Ok(Event::default().event(name).data(data.to_string()))
    })
}
