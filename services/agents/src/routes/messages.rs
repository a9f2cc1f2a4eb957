//! `/v1/conversations/{id}/messages`: `GET` the history (every message, tool calls and results
//! and what specialists said included); `POST` a message and get the turn as server-sent
//! events. The turn runs in its own task and is stored whether or not the client stays to the
//! end, so a client that disconnects mid-stream finds a complete history afterwards. Turns of
//! one conversation run one at a time, under its turn lease.

use std::convert::Infallible;

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use posey_http::{ApiError, AppJson, Path};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::openapi::schemas::MessageList;
use super::openapi::{NeedsPerson, NoSuchConversation, UsageLimit};
use super::{Person, PersonWithToken, parse_id, usage_limit};
use crate::db;
use crate::db::conversations::TurnLease;
use crate::db::messages::{NewMessage, Role};
use crate::db::usage::UsageRecord;
use crate::plugins::{Credential, FinishedTurn, TurnProfile};
use crate::runtime::{TurnEvent, TurnOutcome, TurnRequest, history};
use crate::state::AppState;

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
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&id, "conversation")?;
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
    Path(id): Path<String>,
    AppJson(body): AppJson<NewMessageBody>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "conversation")?;
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
    let turn_id = Uuid::now_v7();
    let turn =
        Turn { person, agent: conversation.agent, conversation: id, turn_id, content, credential };
    state.turns.clone().spawn(serialised_turn(state, turn, events));
    Ok(Sse::new(sse_events(receiver)).keep_alive(KeepAlive::default()).into_response())
}

/// A turn to run on a conversation.
struct Turn {
    person: Uuid,
    agent: String,
    conversation: Uuid,
    turn_id: Uuid,
    content: String,
    credential: Credential,
}

/// Runs a turn with the conversation to itself: it waits for the conversation's turn lease,
/// reads the history, runs, and stores the turn in the transaction that releases the lease, so
/// a second message posted meanwhile waits and then sees this turn's messages (on any
/// replica). No connection is held while a turn waits or its model runs: only the short
/// queries around them take one.
async fn serialised_turn(state: AppState, turn: Turn, events: mpsc::UnboundedSender<TurnEvent>) {
    let turn_id = turn.turn_id;
    let started = async {
        let Some(lease) = state.leases.acquire(turn.conversation, turn_id).await? else {
            return Ok(None);
        };
        match db::messages::list(state.db(), turn.conversation).await {
            Ok(stored) => Ok(Some((lease, stored))),
            Err(error) => {
                lease.release().await;
                Err(error)
            }
        }
    }
    .await;
    match started {
        Ok(Some((lease, stored))) => {
            run_and_store(&state, lease, turn, history::to_rig(&stored), &events).await;
        }
        Ok(None) => {
            // `internal`: the error codes the OpenAPI description lists.
            let _ = events.send(TurnEvent::Error {
                code: "internal".into(),
                message: "the conversation was deleted".into(),
                turn_id,
            });
        }
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "starting a turn");
            let _ = events.send(TurnEvent::Error {
                code: "internal".into(),
                message: "the turn could not be started".into(),
                turn_id,
            });
        }
    }
}

/// Runs the turn, stores it (the person's message and everything after it, with its usage)
/// releasing `lease`, then says so on the stream.
async fn run_and_store(
    state: &AppState,
    lease: TurnLease,
    turn: Turn,
    history: Vec<rig_core::message::Message>,
    events: &mpsc::UnboundedSender<TurnEvent>,
) {
    let Turn { person, agent, conversation, turn_id, content, credential } = turn;
    let request = TurnRequest {
        person,
        agent: agent.clone(),
        history,
        prompt: rig_core::message::Message::user(content.clone()),
        client_tools: Vec::new(),
        credential: Some(credential),
        profile: TurnProfile::default(),
        model: None,
    };
    let outcome = state.runtime.run_turn(request, events.clone()).await;
    let mut messages = vec![NewMessage {
        role: Role::User,
        agent: agent.clone(),
        depth: 0,
        content,
        tool_calls: Vec::new(),
        tool: None,
        is_error: false,
    }];
    messages.extend(outcome.messages.iter().cloned());
    let stored =
        store(state, lease, person, conversation, turn_id, &agent, &messages, &outcome).await;
    if stored.is_err() {
        // Its usage went nowhere with it; it still counts toward the limits.
        record_unstored(state, person, &agent, &outcome).await;
    } else if !outcome.interrupted {
        // The plugins' work after the turn (memory extraction) runs off the response path;
        // an interrupted turn's is not started while the service stops.
        let turn = FinishedTurn {
            person,
            conversation,
            turn_id,
            agent: agent.clone(),
            message: messages[0].content.clone(),
            answer: outcome.text.clone(),
            failed: outcome.error.is_some(),
        };
        let runtime = state.runtime.clone();
        state.turns.spawn(async move { runtime.after_turn(turn).await });
    }
    let _ = events.send(TurnEvent::Usage {
        input_tokens: outcome.input_tokens,
        output_tokens: outcome.output_tokens,
    });
    let interrupted = outcome.interrupted;
    let last = match (stored, outcome.error) {
        (Err(error), _) => {
            tracing::error!(error = format!("{error:#}"), "storing a turn");
            TurnEvent::Error {
                code: "internal".into(),
                message: "the turn could not be stored".into(),
                turn_id,
            }
        }
        (Ok(()), Some(error)) => {
            TurnEvent::Error { code: error.code.into(), message: error.message, turn_id }
        }
        (Ok(()), None) if interrupted => TurnEvent::Error {
            code: "interrupted".into(),
            message: "Posey was stopping: the turn was cut short and what it had is stored".into(),
            turn_id,
        },
        (Ok(()), None) => TurnEvent::Done { turn_id },
    };
    let _ = events.send(last);
}

/// Stores the turn and releases its lease in one short transaction; when that fails, the
/// lease is released on its own so the conversation does not wait for it to lapse.
#[allow(clippy::too_many_arguments)]
async fn store(
    state: &AppState,
    lease: TurnLease,
    person: Uuid,
    conversation: Uuid,
    turn_id: Uuid,
    agent: &str,
    messages: &[NewMessage],
    outcome: &TurnOutcome,
) -> anyhow::Result<()> {
    let committed = async {
        let mut tx = state.db().begin().await.context("starting to store a turn")?;
        write_turn(&mut tx, person, conversation, turn_id, agent, messages, outcome).await?;
        lease.release_in(&mut tx).await?;
        tx.commit().await.context("committing a turn")
    }
    .await;
    match committed {
        Ok(()) => lease.released(),
        Err(_) => lease.release().await,
    }
    committed
}

/// Records the usage of a turn that ran but could not be stored (its usage goes in with its
/// messages otherwise), so that every turn counts toward the person's daily limits. Kept
/// apart from the conversation, which may be what is gone.
pub(super) async fn record_unstored(
    state: &AppState,
    person: Uuid,
    agent: &str,
    outcome: &TurnOutcome,
) {
    let usage = UsageRecord {
        person,
        conversation: None,
        agent: agent.to_owned(),
        model: outcome.model.clone(),
        input_tokens: outcome.input_tokens,
        output_tokens: outcome.output_tokens,
    };
    if let Err(error) = state.runtime.usage.record(usage).await {
        tracing::error!(error = format!("{error:#}"), "recording the usage of an unstored turn");
    }
}

/// Writes a turn's messages, touches its conversation and records its usage, in one
/// statement inside the caller's transaction (every way a turn is run stores it like this).
pub(super) async fn write_turn(
    tx: &mut sqlx::PgConnection,
    person: Uuid,
    conversation: Uuid,
    turn_id: Uuid,
    agent: &str,
    messages: &[NewMessage],
    outcome: &TurnOutcome,
) -> anyhow::Result<()> {
    let usage = UsageRecord {
        person,
        conversation: Some(conversation),
        agent: agent.to_owned(),
        model: outcome.model.clone(),
        input_tokens: outcome.input_tokens,
        output_tokens: outcome.output_tokens,
    };
    db::turns::write(&mut *tx, conversation, turn_id, messages, &usage).await
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

use futures::StreamExt as _;
