//! The OpenAI-compatible API: `POST /v1/chat/completions` (streaming or not) and
//! `GET /v1/models`, so any OpenAI client talks to the companion with a Posey access token as
//! its API key. The `model` is an agent's name (the agent runs on the person's chosen model),
//! or one of the chat models a person may choose (the router runs on it); `/v1/models` lists
//! both, the agents first. The agent runs its own tools itself; tools the
//! client passes are offered to the model too, and a call of one comes back to the client as
//! `tool_calls` (finish reason `tool_calls`) for it to run and answer in the next request.
//! Stateless like OpenAI's, but for one thing: when the model calls the agent's tools and the
//! client's in the same message, the agent's tools run at once and only the client's go back;
//! the agent's calls and their results are kept a while (`db::pending_calls`) and put back into
//! that message whenever a later request's history carries it, so the model sees what it did.

use std::convert::Infallible;

use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt};
use posey_http::{ApiError, AppJson};
use rig_core::message::{
    AssistantContent, AssistantMessage, CallId, Message, ToolName, ToolResultContent, UserContent,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::openapi::schemas::{ChatRole, FunctionType, ModelList};
use super::openapi::{NeedsPerson, UsageLimit};
use super::usage_limit::{self, Limits};
use super::{Person, PersonWithToken};
use crate::db;
use crate::db::messages::ToolCallRecord;
use crate::db::pending_calls::PendingCalls;
use crate::runtime::{ClientTool, TurnEvent, TurnOutcome, TurnRequest, history};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(chat_completions)).routes(routes!(list_models))
}

/// The request fields Posey reads; the many others OpenAI clients send are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct ChatRequest {
    model: String,
    #[schema(inline)]
    messages: Vec<ChatMessage>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    #[schema(inline)]
    stream_options: Option<StreamOptions>,
    #[serde(default)]
    #[schema(inline)]
    tools: Vec<ChatTool>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct ChatMessage {
    #[schema(inline, value_type = ChatRole)]
    role: String,
    /// A string, or OpenAI's content parts
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    #[schema(inline)]
    tool_calls: Vec<ChatToolCall>,
    #[serde(default)]
    tool_call_id: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct ChatToolCall {
    id: String,
    #[schema(inline)]
    function: ChatFunctionCall,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct ChatFunctionCall {
    name: String,
    /// The arguments as a JSON text
    #[serde(default)]
    arguments: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct ChatTool {
    #[serde(rename = "type")]
    #[schema(inline, value_type = FunctionType)]
    kind: String,
    #[schema(inline)]
    function: ChatFunction,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct ChatFunction {
    name: String,
    #[serde(default)]
    description: String,
    /// A JSON schema of the arguments
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    parameters: Option<Value>,
}

/// OpenAI-compatible: the agents, then the chat models, as models
// The agents, then the chat models (with Posey's own fields beside OpenAI's, which clients
// ignore: what it is, its profile, whether it is the default).
#[utoipa::path(get, path = "/v1/models", tag = "openai", operation_id = "listModels",
    security(("bearer" = [])),
    description = "An agent's entry has `kind: agent`; a chat model's has `kind: chat_model`, its \
                   `profile` and whether it is the `default` (the entries of GET /v1/me/model). \
                   Either may be a chat completion's `model`.",
    responses((status = 200, description = "The models", body = inline(ModelList)), NeedsPerson))]
async fn list_models(State(state): State<AppState>, _person: Person) -> Json<Value> {
    let runtime = &state.runtime;
    let agents = runtime.agents.agents.iter().map(|agent| {
        json!({"id": agent.name, "object": "model", "created": 0, "owned_by": "posey",
               "kind": "agent", "description": agent.description})
    });
    let models = runtime
        .catalog
        .list()
        .into_iter()
        // An agent's name wins where the two meet (`model` names the agent then).
        .filter(|model| runtime.agents.agent(&model.id).is_none())
        .map(|model| {
            json!({"id": model.id, "object": "model", "created": 0, "owned_by": "posey",
                   "kind": "chat_model", "description": model.description,
                   "default": model.default, "profile": model.profile})
        });
    Json(json!({"object": "list", "data": agents.chain(models).collect::<Vec<_>>()}))
}

/// OpenAI-compatible chat completions; `model` is an agent's name or a chat model's id
#[utoipa::path(post, path = "/v1/chat/completions", tag = "openai",
    operation_id = "createChatCompletion", security(("bearer" = [])),
    description = "`model` names an agent (which runs on the person's chosen model) or one of the \
                   chat models of GET /v1/models (the router runs on it). Streams (`stream: true`) \
                   as OpenAI does: `data:` chunks then `data: [DONE]`. The agent runs its own \
                   tools; tools in the request are offered to the model and a call of one is \
                   returned as `tool_calls` with finish reason `tool_calls` (only the client's \
                   calls: the agent's own tools called in the same message run at once, and their \
                   calls and results are kept for a day after last use and put back into that \
                   message whenever a later request carries it, so the model sees them). Nothing \
                   else but usage is stored.",
    request_body = inline(ChatRequest),
    responses(
        (status = 200, description = "A chat.completion, or chat.completion.chunk events when streaming",
            content((Object = "application/json"), (String = "text/event-stream"))),
        (status = 404, description = "No agent or chat model by that name", body = posey_http::openapi::Error),
        (status = 422, description = "Bad messages or tools, each named", body = posey_http::openapi::Error),
        (status = 502, description = "The model failed", body = posey_http::openapi::Error),
        UsageLimit, NeedsPerson,
    ))]
async fn chat_completions(
    State(state): State<AppState>,
    PersonWithToken(person, credential): PersonWithToken,
    AppJson(request): AppJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let runtime = &state.runtime;
    // An agent, on the person's chosen model; or a chat model, with the router on it.
    let (agent, model) = match runtime.agents.agent(&request.model) {
        Some(agent) => (agent, None),
        None if runtime.catalog.choosable(&request.model) => {
            let router = runtime.agents.agent(&runtime.agents.router).ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("the router is not one of the agents"))
            })?;
            (router, Some(request.model.clone()))
        }
        None => {
            return Err(ApiError::NotFound(format!(
                "the model {:?} does not exist; the models are the agents and chat models \
                 listed by GET /v1/models",
                request.model
            )));
        }
    };
    let client_tools = client_tools(&request.tools, &state.runtime.tool_names(agent))?;
    let (mut history, mut prompt) = conversation(&request.messages)?;
    let profile = match usage_limit::check(&state, person).await? {
        Limits::Within(profile) => profile,
        Limits::Over(response) => return Ok(response),
    };
    let ids = call_ids(&history);
    if !ids.is_empty() {
        let kept = db::pending_calls::find(state.db(), person, &ids).await?;
        restore(&mut history, &mut prompt, &kept);
    }
    let turn = TurnRequest {
        person,
        agent: agent.name.clone(),
        history,
        prompt,
        client_tools,
        credential: Some(credential),
        profile,
        model,
    };
    let (events, receiver) = mpsc::unbounded_channel();
    let id = format!("chatcmpl-{}", Uuid::now_v7().simple());
    let created = chrono::Utc::now().timestamp();
    // The turn runs in its own task so its usage is recorded (and the agent's calls beside
    // the client's kept) even if the client goes away.
    let keeper = state.clone();
    let task = state.turns.spawn(async move {
        let outcome = keeper.turns.run_unstored(turn, events).await;
        keep_server_calls(&keeper, person, &outcome).await;
        outcome
    });
    let meta = Meta { id, created, model: request.model };
    if request.stream {
        let include_usage = request.stream_options.is_some_and(|o| o.include_usage);
        let stream = chunks(meta, receiver, task, include_usage);
        Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
    } else {
        drop(receiver);
        let outcome = task.await.map_err(|error| ApiError::Internal(error.into()))?;
        completion(meta, outcome)
    }
}

/// Keeps the agent's calls the model made beside the client's, for [`restore`].
async fn keep_server_calls(state: &AppState, person: Uuid, outcome: &TurnOutcome) {
    if outcome.server_calls.is_empty() {
        return;
    }
    let kept =
        db::pending_calls::keep(state.db(), person, &outcome.client_calls, &outcome.server_calls)
            .await;
    if let Err(error) = kept {
        tracing::error!(error = format!("{error:#}"), "keeping the server tool calls");
    }
}

struct Meta {
    id: String,
    created: i64,
    model: String,
}

/// The client's tools, checked: function tools with names of their own (neither another of
/// the client's tools' nor one of `own`, the agent's: a call must say unambiguously who runs
/// it).
fn client_tools(tools: &[ChatTool], own: &[String]) -> Result<Vec<ClientTool>, ApiError> {
    tools
        .iter()
        .enumerate()
        .map(|(index, tool)| {
            if tool.kind != "function" {
                return Err(ApiError::invalid(
                    format!("tools[{index}].type"),
                    "only function tools are supported",
                ));
            }
            let name = &tool.function.name;
            let field = || format!("tools[{index}].function.name");
            if name.is_empty() {
                return Err(ApiError::invalid(field(), "must not be empty"));
            }
            if own.contains(name) {
                return Err(ApiError::invalid(
                    field(),
                    format!("{name:?} is the name of one of the agent's own tools; rename yours"),
                ));
            }
            if tools[..index].iter().any(|earlier| earlier.function.name == *name) {
                return Err(ApiError::invalid(field(), format!("{name:?} is given twice")));
            }
            Ok(ClientTool {
                name: tool.function.name.clone(),
                description: tool.function.description.clone(),
                parameters: tool
                    .function
                    .parameters
                    .clone()
                    .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
            })
        })
        .collect()
}

/// The messages as rig history plus the new message (the last user message, or the results
/// of the client's tools that follow the last assistant message).
fn conversation(messages: &[ChatMessage]) -> Result<(Vec<Message>, Message), ApiError> {
    let mut history: Vec<Message> = Vec::new();
    let mut calls: Vec<(String, String)> = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        let text = content_text(message.content.as_ref()).ok_or_else(|| {
            ApiError::invalid(
                format!("messages[{index}].content"),
                "must be a string or an array of text parts",
            )
        })?;
        match message.role.as_str() {
            "system" | "developer" => history.push(Message::System { content: text }),
            "user" => history.push(Message::user(text)),
            "assistant" => {
                let mut content = Vec::new();
                if !text.is_empty() {
                    content.push(AssistantContent::text(text));
                }
                for call in &message.tool_calls {
                    let arguments: Value = if call.function.arguments.trim().is_empty() {
                        json!({})
                    } else {
                        serde_json::from_str(&call.function.arguments).map_err(|_| {
                            ApiError::invalid(
                                format!("messages[{index}].tool_calls"),
                                "arguments must be a JSON object",
                            )
                        })?
                    };
                    let name = ToolName::new(call.function.name.clone()).map_err(|_| {
                        ApiError::invalid(
                            format!("messages[{index}].tool_calls"),
                            "a tool call needs a name",
                        )
                    })?;
                    calls.push((call.id.clone(), call.function.name.clone()));
                    content.push(AssistantContent::tool_call(call.id.clone(), name, arguments));
                }
                if !content.is_empty() {
                    history.push(Message::Assistant(AssistantMessage::new(content)));
                }
            }
            "tool" => {
                let id = message.tool_call_id.clone().ok_or_else(|| {
                    ApiError::invalid(
                        format!("messages[{index}].tool_call_id"),
                        "is required for a tool message",
                    )
                })?;
                let name = calls
                    .iter()
                    .find(|(call, _)| *call == id)
                    .map(|(_, name)| name.clone())
                    .ok_or_else(|| {
                        ApiError::invalid(
                            format!("messages[{index}].tool_call_id"),
                            "answers no earlier tool call",
                        )
                    })?;
                let result = UserContent::tool_result(
                    CallId::from_wire(id),
                    ToolName::new(name)
                        .map_err(|_| ApiError::invalid("messages", "empty tool name"))?,
                    vec![ToolResultContent::text(text)],
                );
                match history.last_mut() {
                    Some(Message::User { content })
                        if content
                            .iter()
                            .all(|part| matches!(part, UserContent::ToolResult(_))) =>
                    {
                        content.push(result);
                    }
                    _ => history.push(Message::User { content: vec![result] }),
                }
            }
            other => {
                return Err(ApiError::invalid(
                    format!("messages[{index}].role"),
                    format!("{other:?} is not one of system, developer, user, assistant, tool"),
                ));
            }
        }
    }
    match history.pop() {
        Some(prompt @ Message::User { .. }) => Ok((history, prompt)),
        _ => Err(ApiError::invalid("messages", "must end with a user message or tool results")),
    }
}

/// The ids of the tool calls of the assistant messages.
fn call_ids(history: &[Message]) -> Vec<String> {
    history
        .iter()
        .filter_map(|message| match message {
            Message::Assistant(message) => Some(message.tool_calls()),
            _ => None,
        })
        .flatten()
        .map(|call| call.id.wire().into_owned())
        .collect()
}

/// Puts the agent's own calls, kept since the model made them beside the client's, back into
/// each assistant message whose calls are exactly those client calls, at the places they had,
/// and their results among the client's results that follow it (or in a message of their own
/// if the client sent none), so the model sees the exchange as it was.
fn restore(history: &mut Vec<Message>, prompt: &mut Message, kept: &[PendingCalls]) {
    let mut index = 0;
    while index < history.len() {
        let Message::Assistant(message) = &mut history[index] else {
            index += 1;
            continue;
        };
        let client_calls: Vec<ToolCallRecord> =
            message.tool_calls().map(history::call_record).collect();
        let Some(pending) = kept.iter().find(|p| p.client_calls == client_calls) else {
            index += 1;
            continue;
        };
        let (mut calls, rest): (Vec<AssistantContent>, Vec<AssistantContent>) =
            std::mem::take(&mut message.content)
                .into_iter()
                .partition(|part| matches!(part, AssistantContent::ToolCall(_)));
        let mut results = Vec::new();
        for server in &pending.server_calls {
            let Ok(name) = ToolName::new(server.call.name.clone()) else { continue };
            let at = server.index.min(calls.len());
            let id = server.call.id.clone();
            calls.insert(
                at,
                AssistantContent::tool_call(
                    id.clone(),
                    name.clone(),
                    server.call.arguments.clone(),
                ),
            );
            let mut result = UserContent::tool_result(
                CallId::from_wire(id),
                name,
                vec![ToolResultContent::text(server.result.clone())],
            );
            if let UserContent::ToolResult(result) = &mut result {
                result.is_error = server.is_error;
            }
            results.push(result);
        }
        let order: Vec<String> = calls
            .iter()
            .filter_map(|part| match part {
                AssistantContent::ToolCall(call) => Some(call.id.wire().into_owned()),
                _ => None,
            })
            .collect();
        message.content = rest.into_iter().chain(calls).collect();
        let next = match history.get_mut(index + 1) {
            Some(next) => next,
            None => &mut *prompt,
        };
        match next {
            Message::User { content }
                if content.iter().all(|part| matches!(part, UserContent::ToolResult(_))) =>
            {
                content.extend(results);
                // In the order of the calls, as the model gave the results back then.
                content.sort_by_key(|part| match part {
                    UserContent::ToolResult(result) => {
                        order.iter().position(|id| *id == result.call.wire()).unwrap_or(usize::MAX)
                    }
                    _ => usize::MAX,
                });
            }
            _ => history.insert(index + 1, Message::User { content: results }),
        }
        index += 1;
    }
}

/// A message's text: a string, or the text parts of an array (images are not supported).
fn content_text(content: Option<&Value>) -> Option<String> {
    match content {
        None | Some(Value::Null) => Some(String::new()),
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|part| match part.get("type").and_then(Value::as_str) {
                Some("text") => part.get("text").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|texts| texts.join("")),
        Some(_) => None,
    }
}

fn tool_calls_json(calls: &[ToolCallRecord], with_index: bool) -> Vec<Value> {
    calls
        .iter()
        .enumerate()
        .map(|(index, call)| {
            let mut value = json!({
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments.to_string()},
            });
            if with_index {
                value["index"] = json!(index);
            }
            value
        })
        .collect()
}

fn usage_json(outcome: &TurnOutcome) -> Value {
    json!({
        "prompt_tokens": outcome.input_tokens,
        "completion_tokens": outcome.output_tokens,
        "total_tokens": outcome.input_tokens + outcome.output_tokens,
    })
}

/// Why the turn ended, in OpenAI's words; `Err`: it failed (the error to send).
fn finish_reason(outcome: &TurnOutcome) -> Result<&'static str, (String, String)> {
    if !outcome.client_calls.is_empty() {
        return Ok("tool_calls");
    }
    match &outcome.error {
        None => Ok("stop"),
        Some(error) => Err((error.code.to_owned(), error.message.clone())),
    }
}

fn completion(meta: Meta, outcome: TurnOutcome) -> Result<Response, ApiError> {
    let reason = match finish_reason(&outcome) {
        Ok(reason) => reason,
        Err((code, message)) => {
            let body = json!({"error": {"code": code, "message": message, "type": "server_error"}});
            return Ok((axum::http::StatusCode::BAD_GATEWAY, Json(body)).into_response());
        }
    };
    let mut message = json!({"role": "assistant", "content": outcome.text});
    if !outcome.client_calls.is_empty() {
        if outcome.text.is_empty() {
            message["content"] = Value::Null;
        }
        message["tool_calls"] = json!(tool_calls_json(&outcome.client_calls, false));
    }
    Ok(Json(json!({
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": reason}],
        "usage": usage_json(&outcome),
    }))
    .into_response())
}

/// The turn as `chat.completion.chunk`s: the conversation agent's text as it comes (its own
/// tool work and its specialists' stay inside), then the client's tool calls, the finish
/// reason, the usage when asked for, and `[DONE]`.
fn chunks(
    meta: Meta,
    mut receiver: mpsc::UnboundedReceiver<TurnEvent>,
    task: tokio::task::JoinHandle<TurnOutcome>,
    include_usage: bool,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let chunk = move |delta: Value, reason: Option<&str>| {
        json!({
            "id": meta.id,
            "object": "chat.completion.chunk",
            "created": meta.created,
            "model": meta.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": reason}],
        })
    };
    async_stream(move |yield_| async move {
        yield_(chunk(json!({"role": "assistant", "content": ""}), None));
        while let Some(event) = receiver.recv().await {
            if let TurnEvent::Text { depth: 0, delta, .. } = event {
                yield_(chunk(json!({"content": delta}), None));
            }
        }
        let Ok(outcome) = task.await else {
            yield_(json!({"error": {"code": "internal", "message": "the turn failed"}}));
            return;
        };
        match finish_reason(&outcome) {
            Ok(reason) => {
                if !outcome.client_calls.is_empty() {
                    yield_(chunk(
                        json!({"tool_calls": tool_calls_json(&outcome.client_calls, true)}),
                        None,
                    ));
                }
                let mut last = chunk(json!({}), Some(reason));
                if include_usage {
                    last["usage"] = Value::Null;
                }
                yield_(last);
                if include_usage {
                    let mut usage = chunk(json!({}), None);
                    usage["choices"] = json!([]);
                    usage["usage"] = usage_json(&outcome);
                    yield_(usage);
                }
            }
            Err((code, message)) => {
                yield_(
                    json!({"error": {"code": code, "message": message, "type": "server_error"}}),
                );
            }
        }
    })
    .map(|value| Ok(Event::default().data(value.to_string())))
    .chain(futures::stream::once(async { Ok(Event::default().data("[DONE]")) }))
}

/// A stream whose items a future produces through a callback (a small stand-in for a
/// generator), over a channel.
fn async_stream<F, Fut>(body: F) -> impl Stream<Item = Value>
where
    F: FnOnce(Box<dyn Fn(Value) + Send + Sync>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let send: Box<dyn Fn(Value) + Send + Sync> = Box::new(move |value| {
        let _ = sender.send(value);
    });
    tokio::spawn(body(send));
    futures::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}
