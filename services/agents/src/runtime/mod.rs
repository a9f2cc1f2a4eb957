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
pub mod ending;
pub mod history;
mod hooks;
pub mod schema;
pub mod selection;
mod tools;
mod turn_error;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use rig_agent::AgentBuilder;
use rig_agent::agent::MultiTurnStreamItem;
use rig_agent::completion::PromptError;
use rig_agent::tool::{DynamicTool, ToolExecutionError, ToolOutput};
use rig_core::message::{AssistantContent, Message, ToolName, ToolResultContent};
use rig_core::streaming::{Item, StreamEvent};
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
use posey_models::ToolCalling;
use posey_plugin::{Asks, PendingAction};
use selection::ToolSelector;
pub use tools::ClientTool;
use tools::{
    DELEGATE_DESCRIPTION, checked_tool, client_tool, delegate_parameters, invalid_arguments,
};

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
struct AgentRun {
    messages: Vec<NewMessage>,
    text: String,
    error: Option<TurnError>,
    interrupted: bool,
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

    /// One agent's run: its rig agent, driven as a stream. Boxed: delegation recurses.
    fn run_agent(
        self: Arc<Self>,
        scope: TurnScope,
        name: String,
        depth: usize,
        history: Vec<Message>,
        prompt: Message,
    ) -> futures::future::BoxFuture<'static, AgentRun> {
        Box::pin(async move {
            let TurnScope { context, client_tools, events, shared } = scope;
            let mut run = AgentRun {
                messages: Vec::new(),
                text: String::new(),
                error: None,
                interrupted: false,
            };
            let Some(spec) = self.agents.agent(&name) else {
                run.error = Some(TurnError {
                    code: "unknown_agent",
                    message: format!("there is no agent {name:?}"),
                });
                return run;
            };
            let model_spec = self.model_for(spec, lock(&shared).chosen_model.as_deref()).to_owned();
            let profile = self.catalog.profile(&model_spec);
            let delegates: Vec<String> =
                if profile.delegation && depth < self.settings.max_delegation_depth {
                    self.agents.delegates_of(spec).iter().map(|agent| agent.name.clone()).collect()
                } else {
                    Vec::new()
                };
            let model = match self.models.model(&model_spec).await {
                Ok(model) => model,
                Err(error) => {
                    run.error = Some(TurnError {
                        code: "model_error",
                        message: format!("agent {name}: {error:#}"),
                    });
                    return run;
                }
            };
            let prepared = async {
                let preamble = self.preamble(spec, &context, &delegates).await?;
                let message_context = self.message_context(spec, &context).await?;
                anyhow::Ok((preamble, message_context))
            };
            let (preamble, message_context) = match prepared.await {
                Ok(prepared) => prepared,
                Err(error) => {
                    tracing::error!(agent = %name, error = format!("{error:#}"), "building the system prompt");
                    run.error = Some(TurnError {
                        code: "internal",
                        message: "the agent could not be prepared".into(),
                    });
                    return run;
                }
            };

            // What the specialists this agent delegated to said, in the order they ran (tools
            // run one at a time), to store before the delegate call's result.
            let delegated: Arc<Mutex<VecDeque<Vec<NewMessage>>>> = Arc::default();
            let offered = self.offered_tools(spec, profile.tools, &context, depth, &prompt).await;
            let offer_client_tools = depth == 0 && profile.tools != ToolCalling::None;
            // The prompt's fixed part: the system prompt and every tool offered.
            let mut fixed = budget::text_tokens(&preamble);
            for tool in &offered {
                fixed += budget::tool_tokens(&tool.name, &tool.description, &tool.parameters);
            }
            if !delegates.is_empty() {
                let parameters = delegate_parameters(&delegates);
                fixed += budget::tool_tokens(DELEGATE_TOOL, DELEGATE_DESCRIPTION, &parameters);
            }
            if offer_client_tools {
                for tool in client_tools.iter() {
                    fixed += budget::tool_tokens(&tool.name, &tool.description, &tool.parameters);
                }
            }
            let with_prompt = fixed
                .saturating_add(budget::message_tokens(&prompt))
                .saturating_add(message_context.as_ref().map_or(0, budget::message_tokens));
            let mut history = budget::fit_history(history, with_prompt, &profile);
            // After the history, right before the message: the start of the prompt stays the
            // same from turn to turn.
            history.extend(message_context);
            let guard =
                ending::Guard::new(self.settings.max_turns, preamble.clone(), profile, fixed);
            let mut tools: Vec<DynamicTool> = offered
                .iter()
                .filter_map(|tool| checked_tool(tool, context.clone(), &guard))
                .collect();
            if !delegates.is_empty() {
                let scope = TurnScope {
                    context: context.clone(),
                    client_tools: client_tools.clone(),
                    events: events.clone(),
                    shared: shared.clone(),
                };
                tools.extend(self.delegate_tool(
                    scope,
                    &name,
                    depth,
                    delegates,
                    delegated.clone(),
                    &guard,
                ));
            }
            if offer_client_tools {
                tools.extend(client_tools.iter().filter_map(client_tool));
            }
            let builder = AgentBuilder::new(model).name(name.clone()).preamble(preamble);
            let agent = if tools.is_empty() {
                builder.build()
            } else {
                builder.dynamic_tools(tools).build()
            };
            let mut runner = agent
                .prompt(prompt)
                .history(history)
                .max_turns(self.settings.max_turns)
                .add_hook(guard.hook());
            runner = runner.add_hook(hooks::StopWhenAsking::new(context.asks.clone()));
            if depth == 0 && !client_tools.is_empty() {
                runner = runner.add_hook(hooks::StopOnClientTools::new(
                    client_tools.iter().map(|tool| tool.name.clone()).collect(),
                ));
            }
            let mut stream = runner.stream();

            // The assistant message being built: text so far and the calls it made.
            let mut text = String::new();
            let mut calls: Vec<ToolCallRecord> = Vec::new();
            let client_names: Vec<&str> =
                client_tools.iter().map(|tool| tool.name.as_str()).collect();
            // The calls of the newest assistant message still waiting for their results.
            let mut open_calls: Vec<String> = Vec::new();
            // A limit the run hit before its model answered.
            let mut limit: Option<ending::Limit> = None;
            loop {
                // The service stopping cancels the model call (or tool) in flight: the stream
                // is no longer polled and is dropped.
                let item = tokio::select! {
                    biased;
                    () = self.stopping.cancelled() => {
                        run.interrupted = true;
                        break;
                    }
                    item = stream.next() => match item {
                        Some(item) => item,
                        None => break,
                    },
                };
                match item {
                    Ok(MultiTurnStreamItem::StreamAssistantItem(Item::Event(event))) => match event
                    {
                        StreamEvent::Text { text: delta, .. } => {
                            text.push_str(&delta);
                            if !events.is_closed() {
                                let agent = name.clone();
                                let _ = events.send(TurnEvent::Text { agent, depth, delta });
                            }
                        }
                        StreamEvent::End { content: AssistantContent::ToolCall(call), .. }
                            if !events.is_closed() =>
                        {
                            let _ = events.send(TurnEvent::ToolCall {
                                agent: name.clone(),
                                depth,
                                id: call.id.wire().into_owned(),
                                name: call.function.name.to_string(),
                                arguments: Value::Object(call.function.arguments.clone()),
                            });
                        }
                        _ => {}
                    },
                    Ok(MultiTurnStreamItem::ToolCall { tool_call }) => {
                        let record = history::call_record(&tool_call);
                        if client_names.contains(&record.name.as_str()) {
                            lock(&shared).client_calls.push(record.clone());
                        }
                        calls.push(record);
                    }
                    Ok(MultiTurnStreamItem::ToolResult { tool_result }) => {
                        let id = tool_result.call.wire().into_owned();
                        if !calls.is_empty() {
                            open_calls = calls.iter().map(|call| call.id.clone()).collect();
                        }
                        let Some(at) = open_calls.iter().position(|open| *open == id) else {
                            // rig's answer to a call of a tool the model was not offered: the
                            // call never came as an item, so neither is stored.
                            tracing::debug!(agent = %name, tool = %tool_result.name, "a call of an unknown tool");
                            continue;
                        };
                        open_calls.remove(at);
                        flush(&mut run.messages, &name, depth, &mut text, &mut calls);
                        let tool_name = tool_result.name.to_string();
                        if client_names.contains(&tool_name.as_str()) {
                            // Held back by the hook: the client runs it and sends the result.
                            continue;
                        }
                        let content = render_result(&tool_result.content);
                        if tool_name == DELEGATE_TOOL
                            && let Some(inner) = lock(&delegated).pop_front()
                        {
                            run.messages.extend(inner);
                        }
                        if !events.is_closed() {
                            let _ = events.send(TurnEvent::ToolResult {
                                agent: name.clone(),
                                depth,
                                id: id.clone(),
                                name: tool_name.clone(),
                                content: content.clone(),
                                is_error: tool_result.is_error,
                            });
                        }
                        run.messages.push(NewMessage {
                            role: Role::Tool,
                            agent: name.clone(),
                            depth: depth as i32,
                            content,
                            tool_calls: Vec::new(),
                            tool: Some((id, tool_name)),
                            is_error: tool_result.is_error,
                        });
                    }
                    Ok(MultiTurnStreamItem::CompletionCall(call)) => {
                        let mut shared = lock(&shared);
                        shared.input_tokens += call.usage.input_tokens.unwrap_or(0);
                        shared.output_tokens += call.usage.output_tokens.unwrap_or(0);
                    }
                    Ok(MultiTurnStreamItem::ModelTurnRetried { .. }) => {
                        // The deltas of a rejected turn were provisional.
                        text.clear();
                        calls.clear();
                    }
                    Ok(MultiTurnStreamItem::FinalResponse(response)) => {
                        run.text = response.output().to_owned();
                        if text.is_empty() {
                            text = run.text.clone();
                        }
                    }
                    Ok(_) => {}
                    Err(_) if !context.asks.is_empty() => {
                        // Not a failure: a tool asked the person, and the turn ends asking.
                        flush(&mut run.messages, &name, depth, &mut text, &mut calls);
                        asking(&mut run, &events, &name, depth, &context.asks.all());
                        return run;
                    }
                    Err(error) => {
                        let client_stop = !lock(&shared).client_calls.is_empty();
                        if client_stop {
                            // Not a failure: the turn stops for the client to run its tools.
                            flush(&mut run.messages, &name, depth, &mut text, &mut calls);
                            let (said, server_calls) =
                                stopping_message(&run.messages, depth, &client_names);
                            run.text = said;
                            lock(&shared).server_calls = server_calls;
                            return run;
                        }
                        limit = ending::cut_short(&error);
                        if limit.is_none() {
                            run.error = Some(turn_error(&name, &error));
                        }
                        break;
                    }
                }
            }
            drop(stream);
            if run.interrupted {
                interrupted(&mut run, &shared, &events, &name, depth, text);
                return run;
            }
            if run.error.is_none() && limit.is_none() && run.text.trim().is_empty() {
                limit = Some(ending::Limit::Empty);
            }
            if let Some(limit) = limit {
                // Not an error: the turn ends with a plain reply saying what it could not do.
                tracing::warn!(agent = %name, ?limit, "a run ended without an answer from its model");
                if !text.trim().is_empty() {
                    // Calls whose results never came are not history: only the text stays.
                    run.messages.push(assistant(&name, depth, text, Vec::new()));
                }
                let reply = ending::cut_short_reply(limit);
                if !events.is_closed() {
                    let delta = reply.clone();
                    let _ = events.send(TurnEvent::Text { agent: name.clone(), depth, delta });
                }
                run.messages.push(assistant(&name, depth, reply.clone(), Vec::new()));
                run.text = reply;
            } else if run.error.is_some() {
                // Calls whose results never came are not history: only the text stays.
                if !text.is_empty() {
                    run.messages.push(assistant(&name, depth, text, Vec::new()));
                }
                let message = run.error.as_ref().map(|e| e.message.clone()).unwrap_or_default();
                run.messages.push(NewMessage {
                    role: Role::Assistant,
                    agent: name.clone(),
                    depth: depth as i32,
                    content: message,
                    tool_calls: Vec::new(),
                    tool: None,
                    is_error: true,
                });
            } else {
                flush(&mut run.messages, &name, depth, &mut text, &mut calls);
            }
            run
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
