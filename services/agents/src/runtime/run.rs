//! What one turn's agents share while they run, and how a run's end is written down: the
//! events a turn streams, the scope and counters every agent of a turn shares, one agent's run
//! and its messages, and the endings (an answer, a question for the person, a stop for the
//! client's tools, an interruption).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rig_agent::completion::PromptError;
use rig_core::message::ToolResultContent;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::tools::ClientTool;
use super::turn_error;
use crate::db::messages::{NewMessage, Role, ToolCallRecord};
use crate::plugins::ToolContext;
use crate::sync::lock;
use posey_plugin::PendingAction;

/// The name of the tool an agent hands a task to a specialist with.
pub const DELEGATE_TOOL: &str = "delegate";

/// How the reply of a turn cut short by the service stopping ends (after what its model had
/// said until then).
pub const INTERRUPTED_MARKER: &str = "[interrupted: Posey was stopping]";

/// What a turn streams, in order. `depth` 0 is the conversation's agent; more is a specialist.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TurnEvent {
    /// An agent starts speaking: the conversation's agent at the start of the turn, a
    /// specialist it delegated to (`from` the delegating agent), or the delegating agent again
    /// when the specialist is done (`from` the specialist).
    #[schema(title = "agent")]
    Agent { agent: String, depth: usize, from: Option<String> },
    /// A piece of the speaking agent's answer.
    #[schema(title = "text")]
    Text { agent: String, depth: usize, delta: String },
    /// The agent calls a tool.
    #[schema(title = "tool_call")]
    ToolCall {
        agent: String,
        depth: usize,
        id: String,
        name: String,
        #[schema(value_type = Object)]
        arguments: Value,
    },
    /// A tool's answer (`is_error`: it failed or its arguments were refused; `content` says why).
    #[schema(title = "tool_result")]
    ToolResult {
        agent: String,
        depth: usize,
        id: String,
        name: String,
        content: String,
        is_error: bool,
    },
    /// A tool asked the person to confirm an action instead of taking it; the turn ends
    /// asking, and the action runs only if they confirm it (`POST /v1/actions/{id}/confirm`).
    #[schema(title = "confirmation")]
    Confirmation {
        action_id: Uuid,
        plugin: String,
        summary: String,
        reason: String,
        expires_at: chrono::DateTime<chrono::Utc>,
    },
    /// The tokens the turn used, once it ends.
    #[schema(title = "usage")]
    Usage { input_tokens: u64, output_tokens: u64 },
    /// The turn ended and is stored.
    #[schema(title = "done")]
    Done { turn_id: Uuid },
    /// The turn failed (and what it did until then is stored).
    #[schema(title = "error")]
    Error {
        #[schema(inline, value_type = turn_error::TurnErrorCode)]
        code: String,
        message: String,
        turn_id: Uuid,
    },
}

/// Why a turn failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnError {
    /// `model_error`, `unknown_agent`, `internal`. (A turn that hits a limit is no error: it
    /// ends with a reply saying what it could not finish.)
    pub code: &'static str,
    pub message: String,
}

/// A call of one of the agent's own tools made in the same message as calls of client tools,
/// and its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerCall {
    /// Where the call stood among the message's tool calls.
    pub index: usize,
    pub call: ToolCallRecord,
    pub result: String,
    pub is_error: bool,
}

/// Where a running turn sends its events (nowhere, once the client is gone).
pub(super) type Events = mpsc::UnboundedSender<TurnEvent>;

/// Counters shared by every agent of one turn.
#[derive(Default)]
pub(super) struct Shared {
    pub(super) input_tokens: u64,
    pub(super) output_tokens: u64,
    pub(super) client_calls: Vec<ToolCallRecord>,
    pub(super) server_calls: Vec<ServerCall>,
    /// The model the person chose for this turn (checked), for agents that name none.
    pub(super) chosen_model: Option<String>,
}

/// What every agent of one turn shares: whom its tools work for, the client's tools (offered at
/// depth 0 only), where its events go, and its counters.
#[derive(Clone)]
pub(super) struct TurnScope {
    pub(super) context: ToolContext,
    pub(super) client_tools: Arc<Vec<ClientTool>>,
    pub(super) events: Events,
    pub(super) shared: Arc<Mutex<Shared>>,
}

impl TurnScope {
    /// Sends `event` to the turn's client, if it is still there (the turn goes on regardless).
    pub(super) fn send(&self, event: TurnEvent) {
        if !self.events.is_closed() {
            let _ = self.events.send(event);
        }
    }
}

/// The result of one agent's run within a turn.
#[derive(Default)]
pub(super) struct AgentRun {
    pub(super) messages: Vec<NewMessage>,
    pub(super) text: String,
    pub(super) error: Option<TurnError>,
    pub(super) interrupted: bool,
}

impl AgentRun {
    pub(super) fn failed(error: TurnError) -> Self {
        Self { error: Some(error), ..Self::default() }
    }
}

/// What the message the run stopped on for the client said, and the calls of the agent's own
/// tools it made beside the client's (those that answered: they ran before the stop).
pub(super) fn stopping_message(
    messages: &[NewMessage],
    depth: usize,
    client_names: &[&str],
) -> (String, Vec<ServerCall>) {
    let depth = depth as i32;
    let Some(at) = messages
        .iter()
        .rposition(|m| m.role == Role::Assistant && m.depth == depth && !m.tool_calls.is_empty())
    else {
        return (String::new(), Vec::new());
    };
    let message = &messages[at];
    let server_calls = message
        .tool_calls
        .iter()
        .enumerate()
        .filter(|(_, call)| !client_names.contains(&call.name.as_str()))
        .filter_map(|(index, call)| {
            let result = messages[at + 1..].iter().find(|m| {
                m.role == Role::Tool
                    && m.depth == depth
                    && m.tool.as_ref().is_some_and(|(id, _)| *id == call.id)
            })?;
            Some(ServerCall {
                index,
                call: call.clone(),
                result: result.content.clone(),
                is_error: result.is_error,
            })
        })
        .collect();
    (message.content.clone(), server_calls)
}

pub(super) fn assistant(
    agent: &str,
    depth: usize,
    content: String,
    tool_calls: Vec<ToolCallRecord>,
) -> NewMessage {
    NewMessage {
        role: Role::Assistant,
        agent: agent.to_owned(),
        depth: depth as i32,
        content,
        tool_calls,
        tool: None,
        is_error: false,
    }
}

/// Ends a run the service's stopping cut short: what its model had said until then, then
/// [`INTERRUPTED_MARKER`], as its last message (calls whose results never came are not
/// history). The cancelled model call never reported its usage: its output is estimated from
/// the text it streamed (about four characters a token) so the turn still counts toward the
/// person's limits.
pub(super) fn interrupted(
    run: &mut AgentRun,
    shared: &Mutex<Shared>,
    events: &Events,
    agent: &str,
    depth: usize,
    mut text: String,
) {
    tracing::warn!(agent, depth, "a run was interrupted: the service is stopping");
    lock(shared).output_tokens += text.len().div_ceil(4) as u64;
    let delta = if text.is_empty() {
        INTERRUPTED_MARKER.to_owned()
    } else {
        format!("\n\n{INTERRUPTED_MARKER}")
    };
    text.push_str(&delta);
    if !events.is_closed() {
        let _ = events.send(TurnEvent::Text { agent: agent.to_owned(), depth, delta });
    }
    run.messages.push(assistant(agent, depth, text.clone(), Vec::new()));
    run.text = text;
}

/// Ends the assistant message being built (its text and calls so far), if it has anything.
pub(super) fn flush(
    messages: &mut Vec<NewMessage>,
    agent: &str,
    depth: usize,
    text: &mut String,
    calls: &mut Vec<ToolCallRecord>,
) {
    if !text.is_empty() || !calls.is_empty() {
        messages.push(assistant(agent, depth, std::mem::take(text), std::mem::take(calls)));
    }
}

/// A tool result's content as one text.
pub fn render_result(content: &[ToolResultContent]) -> String {
    content
        .iter()
        .map(|part| match part {
            ToolResultContent::Text(text) => text.text.clone(),
            ToolResultContent::Json { value } => value.to_string(),
            ToolResultContent::Image(_) => "[image]".to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn turn_error(agent: &str, error: &PromptError) -> TurnError {
    tracing::warn!(agent, error = %error, "an agent run failed");
    TurnError { code: "model_error", message: format!("agent {agent} failed: {error}") }
}

/// Ends a run whose tools asked the person to confirm actions: its reply says what waits for
/// their yes (and the conversation's agent announces each action on the stream).
pub(super) fn asking(
    run: &mut AgentRun,
    events: &Events,
    agent: &str,
    depth: usize,
    asks: &[PendingAction],
) {
    let mut reply = String::from("This needs your confirmation first:");
    for action in asks {
        reply.push_str(&format!("\n- {} ({})", action.summary, action.reason));
    }
    reply.push_str("\nConfirm or deny it in the app; nothing is done until you confirm.");
    if !events.is_closed() {
        let delta = if run.messages.last().is_some_and(|m| m.role == Role::Assistant) {
            format!("\n\n{reply}")
        } else {
            reply.clone()
        };
        let _ = events.send(TurnEvent::Text { agent: agent.to_owned(), depth, delta });
        if depth == 0 {
            for action in asks {
                let _ = events.send(TurnEvent::Confirmation {
                    action_id: action.id,
                    plugin: action.plugin.clone(),
                    summary: action.summary.clone(),
                    reason: action.reason.clone(),
                    expires_at: action.expires_at,
                });
            }
        }
    }
    run.messages.push(assistant(agent, depth, reply.clone(), Vec::new()));
    run.text = reply;
}

/// What the specialists an agent delegated to said, in the order they ran (tools run one at a
/// time), to store before each delegate call's result.
pub(super) type Delegated = Arc<Mutex<VecDeque<Vec<NewMessage>>>>;
