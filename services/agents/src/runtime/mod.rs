//! The agent runtime: one turn of a conversation on rig-agent. An agent (from the agents file)
//! gets its model, a system prompt made of its own prompt and its plugins' instructions, its
//! plugins' tools (each checking its arguments against its schema first, so a model that sent
//! bad ones is told why and can try again), and a `delegate` tool for handing a task to a
//! specialist (one level deeper, up to the depth limit). The turn streams [`TurnEvent`]s as
//! they happen and ends with the messages to store, in order, and the tokens used. A turn
//! always ends with a reply, even when its model loops or says nothing ([`ending`]).
//!
//! How much of this a model gets follows its profile ([`models::ModelCatalog`]): a model that
//! calls tools weakly is offered only the few tools relevant to the message ([`selection`]),
//! one that cannot delegate gets no `delegate` tool, and every call's output budget and the
//! history sent fit the model's context ([`budget`]). Each turn runs on the model the person
//! chose (`PUT /v1/me/model`), unless its agent names its own.

pub mod budget;
mod drive;
pub mod ending;
pub mod history;
mod hooks;
mod prepare;
pub mod schema;
pub mod selection;
mod tools;
mod turn_error;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use rig_agent::completion::PromptError;
use rig_agent::tool::{DynamicTool, ToolExecutionError, ToolOutput};
use rig_core::message::{Message, ToolName, ToolResultContent};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::catalog::{AgentSpec, AgentsFile};
use crate::config::RuntimeSettings;
use crate::db::messages::{NewMessage, Role, ToolCallRecord};
use crate::db::profiles::StoredProfiles;
use crate::db::usage::UsageWriter;
use crate::models::{ModelCatalog, SharedModels};
use crate::plugins::{
    Credential, FinishedTurn, Plugins, ProfileSource, Tool, ToolContext, TurnProfile,
};
use crate::sync::lock;
use drive::{Drive, Flow};
use posey_models::ToolCalling;
use posey_plugin::{Asks, PendingAction};
use selection::ToolSelector;
pub use tools::ClientTool;
use tools::{DELEGATE_DESCRIPTION, delegate_parameters, invalid_arguments};

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

/// What a turn produced.
#[derive(Debug, Clone)]
pub struct TurnOutcome {
    /// Every message after the person's, in order, ready to store.
    pub messages: Vec<NewMessage>,
    /// The conversation agent's final answer.
    pub text: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// The model of the conversation's agent.
    pub model: String,
    pub error: Option<TurnError>,
    /// Calls of client-supplied tools (the OpenAI-compatible API): the turn stopped on them.
    pub client_calls: Vec<ToolCallRecord>,
    /// The agent's own tools called in the same message as the client's, which ran before the
    /// turn stopped, with their results (the client never sees them).
    pub server_calls: Vec<ServerCall>,
    /// The service stopped while the turn ran: its model was cancelled and the reply is what
    /// it had said until then, ending with [`INTERRUPTED_MARKER`].
    pub interrupted: bool,
    /// What the turn's tools asked the person to confirm: the turn ended asking.
    pub asks: Vec<PendingAction>,
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

/// One turn to run.
pub struct TurnRequest {
    pub person: Uuid,
    pub agent: String,
    /// The model's view of the conversation so far.
    pub history: Vec<Message>,
    /// The new message: a person's text, or (OpenAI-compatible API) the results of the
    /// client's tools.
    pub prompt: Message,
    /// Tools the caller will run itself (the OpenAI-compatible API): offered to the model,
    /// and a call of one ends the turn with it.
    pub client_tools: Vec<ClientTool>,
    /// What the turn's tools call other Posey services with (the request's bearer token).
    pub credential: Option<Credential>,
    /// The person's profile, when the caller read it already (with the usage check).
    pub profile: TurnProfile,
    /// The model to run on instead of the person's choice (the OpenAI-compatible API's
    /// `model`, when it names a model); already checked to be choosable.
    pub model: Option<String>,
}

/// The agents, their plugins and models: everything a turn needs.
pub struct Runtime {
    pub agents: AgentsFile,
    pub plugins: Plugins,
    pub settings: RuntimeSettings,
    /// Where turns run outside a conversation (the OpenAI-compatible API) record their usage.
    pub usage: UsageWriter,
    /// The models people may choose, and every model's profile.
    pub catalog: ModelCatalog,
    /// The tools offered to models that call tools weakly.
    selector: ToolSelector,
    models: SharedModels,
    db: sqlx::PgPool,
    /// Where tools read profiles the turn has not read yet.
    profiles: Arc<dyn ProfileSource>,
    /// Cancelled when the service stops and turns may run no longer: model calls in flight
    /// are dropped and the plugins' work after a turn stops.
    stopping: CancellationToken,
}

/// Where a running turn sends its events (nowhere, once the client is gone).
type Events = mpsc::UnboundedSender<TurnEvent>;

/// Counters shared by every agent of one turn.
#[derive(Default)]
struct Shared {
    input_tokens: u64,
    output_tokens: u64,
    client_calls: Vec<ToolCallRecord>,
    server_calls: Vec<ServerCall>,
    /// The model the person chose for this turn (checked), for agents that name none.
    chosen_model: Option<String>,
}

/// What every agent of one turn shares: whom its tools work for, the client's tools (offered at
/// depth 0 only), where its events go, and its counters.
#[derive(Clone)]
struct TurnScope {
    context: ToolContext,
    client_tools: Arc<Vec<ClientTool>>,
    events: Events,
    shared: Arc<Mutex<Shared>>,
}

/// The result of one agent's run within a turn.
#[derive(Default)]
struct AgentRun {
    messages: Vec<NewMessage>,
    text: String,
    error: Option<TurnError>,
    interrupted: bool,
}

impl AgentRun {
    fn failed(error: TurnError) -> Self {
        Self { error: Some(error), ..Self::default() }
    }
}

impl Runtime {
    /// Checks that every plugin the agents name exists.
    pub fn new(
        agents: AgentsFile,
        plugins: Plugins,
        settings: RuntimeSettings,
        models: SharedModels,
        catalog: ModelCatalog,
        selector: ToolSelector,
        db: sqlx::PgPool,
    ) -> anyhow::Result<Self> {
        for agent in &agents.agents {
            for plugin in &agent.plugins {
                if plugins.get(plugin).is_none() {
                    anyhow::bail!(
                        "agent {:?} uses plugin {plugin:?}, which does not exist",
                        agent.name
                    );
                }
            }
        }
        let usage = UsageWriter::start(db.clone());
        let stopping = CancellationToken::new();
        let profiles = Arc::new(StoredProfiles(db.clone()));
        Ok(Self {
            agents,
            plugins,
            settings,
            usage,
            catalog,
            selector,
            models,
            db,
            profiles,
            stopping,
        })
    }

    /// Cancel it to interrupt every turn still running (their models stop, what they have is
    /// returned) and the plugins' work after turns.
    pub fn stopping(&self) -> CancellationToken {
        self.stopping.clone()
    }

    /// What a tool call for `person` knows, outside any message (an MCP client's call, a
    /// confirmed action) or before the turn fills in its message and profile.
    pub fn tool_context(&self, person: Uuid, credential: Option<Credential>) -> ToolContext {
        ToolContext {
            person,
            db: self.db.clone(),
            message: None,
            credential,
            profile: TurnProfile::default(),
            profiles: self.profiles.clone(),
            asks: Asks::default(),
        }
    }

    /// The model spec an agent runs on when nobody chose one.
    pub fn model_of<'a>(&'a self, agent: &'a AgentSpec) -> &'a str {
        agent.model.as_deref().unwrap_or(&self.settings.default_model)
    }

    /// The model spec an agent runs on in a turn: its own, else the person's `chosen` one,
    /// else `POSEY_MODEL`.
    pub fn model_for<'a>(&'a self, agent: &'a AgentSpec, chosen: Option<&'a str>) -> &'a str {
        agent.model.as_deref().or(chosen).unwrap_or(&self.settings.default_model)
    }

    /// The model the person chose, if it may still be chosen (a GGUF since removed, or a model
    /// taken out of the agents file, falls back to the default).
    pub async fn chosen_model(&self, person: Uuid) -> Option<String> {
        let chosen = match crate::db::model_choices::get(&self.db, person).await {
            Ok(chosen) => chosen?,
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "reading a person's model choice; using the default"
                );
                return None;
            }
        };
        if self.catalog.choosable(&chosen) {
            Some(chosen)
        } else {
            tracing::warn!(model = %chosen, "a person's chosen model is no longer available; using the default");
            None
        }
    }

    /// Every model spec the agents use.
    pub fn model_specs(agents: &AgentsFile, settings: &RuntimeSettings) -> Vec<String> {
        let mut specs: Vec<String> = agents
            .agents
            .iter()
            .map(|agent| agent.model.clone().unwrap_or_else(|| settings.default_model.clone()))
            .collect();
        specs.sort();
        specs.dedup();
        specs
    }

    /// The names of the tools `agent` runs itself: its plugins' and, when it has specialists,
    /// the delegation tool.
    pub fn tool_names(&self, agent: &AgentSpec) -> Vec<String> {
        let mut names: Vec<String> =
            self.plugins.tools_of(&agent.plugins).map(|tool| tool.name.clone()).collect();
        if !self.agents.delegates_of(agent).is_empty() {
            names.push(DELEGATE_TOOL.to_owned());
        }
        names
    }

    /// Runs the `after_turn` work of the plugins of the turn's agent, one after the other; a
    /// failure is logged and the others still run.
    pub async fn after_turn(&self, turn: FinishedTurn) {
        let Some(agent) = self.agents.agent(&turn.agent) else { return };
        let turn = Arc::new(turn);
        let id = turn.turn_id;
        let work = async {
            for name in &agent.plugins {
                let Some(plugin) = self.plugins.get(name) else { continue };
                if let Err(error) = plugin.after_turn(turn.clone()).await {
                    tracing::warn!(
                        plugin = %name,
                        turn = %turn.turn_id,
                        error = format!("{error:#}"),
                        "a plugin's work after a turn failed"
                    );
                }
            }
        };
        // It must not hold the service's exit (a memory model call can take long).
        tokio::select! {
            biased;
            () = self.stopping.cancelled() => {
                tracing::warn!(turn = %id, "the plugins' work after a turn was cut short: the service is stopping");
            }
            () = work => {}
        }
    }

    /// Runs one turn to its end, sending events to `events` as they happen (a closed channel
    /// is fine: the turn goes on regardless).
    pub async fn run_turn(self: &Arc<Self>, request: TurnRequest, events: Events) -> TurnOutcome {
        let chosen_model = match request.model {
            Some(model) => Some(model),
            None => self.chosen_model(request.person).await,
        };
        let shared = Arc::new(Mutex::new(Shared { chosen_model, ..Shared::default() }));
        let Some(agent) = self.agents.agent(&request.agent) else {
            return TurnOutcome {
                messages: Vec::new(),
                text: String::new(),
                input_tokens: 0,
                output_tokens: 0,
                model: String::new(),
                error: Some(TurnError {
                    code: "unknown_agent",
                    message: format!("there is no agent {:?}", request.agent),
                }),
                client_calls: Vec::new(),
                server_calls: Vec::new(),
                interrupted: false,
                asks: Vec::new(),
            };
        };
        let model = self.model_for(agent, lock(&shared).chosen_model.as_deref()).to_owned();
        let _ = events.send(TurnEvent::Agent { agent: agent.name.clone(), depth: 0, from: None });
        // What every tool of the turn (specialists' included) knows about whom it works for.
        let context = ToolContext {
            message: prompt_text(&request.prompt).map(Arc::from),
            profile: request.profile,
            ..self.tool_context(request.person, request.credential)
        };
        let asks = context.asks.clone();
        let run = self
            .clone()
            .run_agent(
                TurnScope {
                    context,
                    client_tools: Arc::new(request.client_tools),
                    events,
                    shared: shared.clone(),
                },
                agent.name.clone(),
                0,
                request.history,
                request.prompt,
            )
            .await;
        let shared = std::mem::take(&mut *lock(&shared));
        TurnOutcome {
            messages: run.messages,
            text: run.text,
            input_tokens: shared.input_tokens,
            output_tokens: shared.output_tokens,
            model,
            error: run.error,
            client_calls: shared.client_calls,
            server_calls: shared.server_calls,
            interrupted: run.interrupted,
            asks: asks.all(),
        }
    }

    /// One agent's run: prepared ([`prepare`]), then driven as a stream ([`drive`]) until it
    /// ends or the service stops. Boxed: delegation recurses.
    fn run_agent(
        self: Arc<Self>,
        scope: TurnScope,
        name: String,
        depth: usize,
        history: Vec<Message>,
        prompt: Message,
    ) -> futures::future::BoxFuture<'static, AgentRun> {
        Box::pin(async move {
            let Some(spec) = self.agents.agent(&name) else {
                return AgentRun::failed(TurnError {
                    code: "unknown_agent",
                    message: format!("there is no agent {name:?}"),
                });
            };
            let prepared = match self.prepare(&scope, spec, depth, history, prompt).await {
                Ok(prepared) => prepared,
                Err(error) => return AgentRun::failed(error),
            };
            let mut stream = prepared.stream;
            let mut drive = Drive::new(&name, depth, &scope, prepared.delegated);
            loop {
                // The service stopping cancels the model call (or tool) in flight: the stream
                // is no longer polled and is dropped.
                let item = tokio::select! {
                    biased;
                    () = self.stopping.cancelled() => {
                        drive.run.interrupted = true;
                        break;
                    }
                    item = stream.next() => match item {
                        Some(item) => item,
                        None => break,
                    },
                };
                match drive.on_item(item) {
                    Flow::Next => {}
                    Flow::Finish => break,
                    Flow::Ended => return drive.run,
                }
            }
            drop(stream);
            drive.finish()
        })
    }

    /// The tools of `spec`'s plugins its model is offered: all of them for a model that calls
    /// tools well, the few relevant to the message for a weak one (at depth 0 the person's
    /// message; a specialist's, the task it was given), none for a model that calls none.
    async fn offered_tools<'a>(
        &'a self,
        spec: &'a AgentSpec,
        calling: ToolCalling,
        context: &ToolContext,
        depth: usize,
        prompt: &Message,
    ) -> Vec<&'a Tool> {
        let all: Vec<&Tool> = self.plugins.tools_of(&spec.plugins).collect();
        match calling {
            ToolCalling::Full => all,
            ToolCalling::None => Vec::new(),
            ToolCalling::Weak => {
                let task = if depth == 0 { None } else { prompt_text(prompt) };
                let message = task.as_deref().or(context.message.as_deref());
                let chosen = self.selector.select(message, &all).await;
                tracing::debug!(
                    agent = %spec.name,
                    tools = ?chosen.iter().map(|tool| tool.name.as_str()).collect::<Vec<_>>(),
                    "tools chosen by relevance for a model that calls tools weakly"
                );
                chosen
            }
        }
    }

    /// The plugins' context for the message the turn answers, as one system message.
    async fn message_context(
        &self,
        spec: &AgentSpec,
        context: &ToolContext,
    ) -> anyhow::Result<Option<Message>> {
        let mut parts = Vec::new();
        for name in &spec.plugins {
            if let Some(plugin) = self.plugins.get(name)
                && let Some(text) = plugin.context(context).await?
            {
                parts.push(text);
            }
        }
        Ok((!parts.is_empty()).then(|| Message::System { content: parts.join("\n\n") }))
    }

    /// The agent's prompt, then each plugin's instructions, then whom it can delegate to.
    async fn preamble(
        &self,
        spec: &AgentSpec,
        context: &ToolContext,
        delegates: &[String],
    ) -> anyhow::Result<String> {
        let mut preamble = spec.prompt.trim().to_owned();
        for name in &spec.plugins {
            if let Some(plugin) = self.plugins.get(name)
                && let Some(lines) = plugin.instructions(context).await?
            {
                preamble.push_str("\n\n");
                preamble.push_str(&lines);
            }
        }
        if !delegates.is_empty() {
            preamble.push_str("\n\nSpecialists you can hand a task to with the delegate tool:");
            for agent in delegates.iter().filter_map(|name| self.agents.agent(name)) {
                preamble.push_str(&format!("\n- {}: {}", agent.name, agent.description));
            }
        }
        Ok(preamble)
    }

    /// `delegate`: runs a specialist on a task (one level deeper) and answers with what it said.
    fn delegate_tool(
        self: &Arc<Self>,
        scope: TurnScope,
        from: &str,
        depth: usize,
        delegates: Vec<String>,
        delegated: Arc<Mutex<VecDeque<Vec<NewMessage>>>>,
        guard: &Arc<ending::Guard>,
    ) -> Option<DynamicTool> {
        let TurnScope { context, events, shared, .. } = scope;
        let parameters = delegate_parameters(&delegates);
        let runtime = self.clone();
        let from = from.to_owned();
        let schema = parameters.clone();
        let handler = move |arguments: Value| {
            let runtime = runtime.clone();
            let context = context.clone();
            let from = from.clone();
            let events = events.clone();
            let shared = shared.clone();
            let delegated = delegated.clone();
            let problems = schema::validate(&schema, &arguments);
            Box::pin(async move {
                if !problems.is_empty() {
                    return Err(invalid_arguments(&problems));
                }
                let agent = arguments["agent"].as_str().unwrap_or_default().to_owned();
                let task = arguments["task"].as_str().unwrap_or_default().to_owned();
                let _ = events.send(TurnEvent::Agent {
                    agent: agent.clone(),
                    depth: depth + 1,
                    from: Some(from.clone()),
                });
                let run = runtime
                    .run_agent(
                        TurnScope {
                            context,
                            client_tools: Arc::default(),
                            events: events.clone(),
                            shared,
                        },
                        agent.clone(),
                        depth + 1,
                        Vec::new(),
                        Message::user(task.clone()),
                    )
                    .await;
                let mut messages = vec![NewMessage {
                    role: Role::User,
                    agent: agent.clone(),
                    depth: (depth + 1) as i32,
                    content: task,
                    tool_calls: Vec::new(),
                    tool: None,
                    is_error: false,
                }];
                messages.extend(run.messages);
                lock(&delegated).push_back(messages);
                let _ =
                    events.send(TurnEvent::Agent { agent: from, depth, from: Some(agent.clone()) });
                match run.error {
                    None => Ok(ToolOutput::text(run.text)),
                    Some(error) => Err(ToolExecutionError::other(format!(
                        "{agent} could not finish: {}",
                        error.message
                    ))),
                }
            })
                as futures::future::BoxFuture<'static, Result<ToolOutput, ToolExecutionError>>
        };
        Some(DynamicTool::new(
            ToolName::new(DELEGATE_TOOL).ok()?,
            DELEGATE_DESCRIPTION,
            parameters,
            guard.once(DELEGATE_TOOL.to_owned(), handler),
        ))
    }
}

/// What the message the run stopped on for the client said, and the calls of the agent's own
/// tools it made beside the client's (those that answered: they ran before the stop).
fn stopping_message(
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

fn assistant(
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
fn interrupted(
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
fn flush(
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

fn turn_error(agent: &str, error: &PromptError) -> TurnError {
    tracing::warn!(agent, error = %error, "an agent run failed");
    TurnError { code: "model_error", message: format!("agent {agent} failed: {error}") }
}

/// Ends a run whose tools asked the person to confirm actions: its reply says what waits for
/// their yes (and the conversation's agent announces each action on the stream).
fn asking(run: &mut AgentRun, events: &Events, agent: &str, depth: usize, asks: &[PendingAction]) {
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

/// The text of a person's message (`None` for tool results: the OpenAI API's client tools).
fn prompt_text(prompt: &Message) -> Option<String> {
    let Message::User { content } = prompt else { return None };
    let text: Vec<&str> = content
        .iter()
        .filter_map(|part| match part {
            rig_core::message::UserContent::Text(text) => Some(text.text.as_str()),
            _ => None,
        })
        .collect();
    (!text.is_empty()).then(|| text.join("\n"))
}
