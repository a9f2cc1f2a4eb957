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
mod commands;
mod direct;
mod drive;
pub mod ending;
pub mod history;
mod hooks;
mod lookups;
mod run;
pub mod schema;
pub mod selection;
mod tools;
mod turn_error;

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use rig_agent::AgentBuilder;
use rig_agent::agent::StreamingResult;
use rig_agent::tool::{DynamicTool, ToolExecutionError, ToolOutput};
use rig_core::message::{Message, ToolName};
use serde_json::Value;
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
use run::{AgentRun, Delegated, Events, Shared, TurnScope};
pub use run::{DELEGATE_TOOL, INTERRUPTED_MARKER, ServerCall, TurnError, TurnEvent, render_result};
use selection::ToolSelector;
pub use tools::ClientTool;
use tools::{
    DELEGATE_DESCRIPTION, checked_tool, client_tool, delegate_parameters, invalid_arguments,
};

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
    /// The message was an explicit command the runtime carried out itself, with no model
    /// call ([`commands`]).
    pub explicit_command: bool,
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

/// An agent's run, ready to drive: nothing runs until its stream is polled.
struct Prepared {
    stream: StreamingResult,
    delegated: Delegated,
    /// The runtime's own calls of the lookups for a weak model, made already ([`lookups`]).
    looked_up: Vec<NewMessage>,
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
            compact: false,
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
                explicit_command: false,
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
        let scope = TurnScope {
            context,
            client_tools: Arc::new(request.client_tools),
            events,
            shared: shared.clone(),
        };
        let command = self.run_command(&scope, agent).await;
        let explicit_command = command.is_some();
        let run = match command {
            Some(run) => run,
            None => {
                self.clone()
                    .run_agent(scope, agent.name.clone(), 0, request.history, request.prompt)
                    .await
            }
        };
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
            explicit_command,
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
            drive.run.messages.extend(prepared.looked_up);
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

    /// Builds `spec`'s run on `prompt` after `history`, for the turn `scope` belongs to.
    async fn prepare(
        self: &Arc<Self>,
        scope: &TurnScope,
        spec: &AgentSpec,
        depth: usize,
        history: Vec<Message>,
        prompt: Message,
    ) -> Result<Prepared, TurnError> {
        let TurnScope { context, client_tools, .. } = scope;
        let name = &spec.name;
        let model_spec =
            self.model_for(spec, lock(&scope.shared).chosen_model.as_deref()).to_owned();
        let profile = self.catalog.profile(&model_spec);
        let delegates: Vec<String> =
            if profile.delegation && depth < self.settings.max_delegation_depth {
                self.agents.delegates_of(spec).iter().map(|agent| agent.name.clone()).collect()
            } else {
                Vec::new()
            };
        let model = self.models.model(&model_spec).await.map_err(|error| TurnError {
            code: "model_error",
            message: format!("agent {name}: {error:#}"),
        })?;
        let prepared = async {
            let preamble = self.preamble(spec, context, &delegates).await?;
            // None when the prompt is the client's tool results (the OpenAI-compatible API):
            // nothing may come between a model's tool calls and their results.
            let message_context = match prompt_text(&prompt) {
                Some(_) => {
                    let compact = profile.tools != ToolCalling::Full;
                    self.message_context(spec, &ToolContext { compact, ..context.clone() }).await?
                }
                None => None,
            };
            anyhow::Ok((preamble, message_context))
        };
        let (preamble, message_context) = prepared.await.map_err(|error| {
            tracing::error!(agent = %name, error = format!("{error:#}"), "building the system prompt");
            TurnError { code: "internal", message: "the agent could not be prepared".into() }
        })?;

        // What the tools are chosen and looked up for: at depth 0 the person's message; a
        // specialist's, the task it was given.
        let task = if depth == 0 { None } else { prompt_text(&prompt) };
        let message = task.as_deref().or(context.message.as_deref());
        let offered = self.offered_tools(spec, profile.tools, message).await;
        let (lookups, history) = match profile.tools {
            ToolCalling::Full => (lookups::Lookups::default(), history),
            ToolCalling::Weak | ToolCalling::None => {
                let all = self.lookups_for(spec);
                let names: Vec<&str> = all.iter().map(|tool| tool.name.as_str()).collect();
                let history = history::without_calls(history, &names);
                (lookups::look_up(scope, name, depth, &all, message).await, history)
            }
        };
        let message_context = match (message_context, lookups.found) {
            (Some(Message::System { content }), Some(found)) => {
                Some(Message::System { content: format!("{content}\n\n{found}") })
            }
            (None, Some(found)) => Some(Message::System { content: found }),
            (message_context, _) => message_context,
        };
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
        // After the history, right before the message: the start of the prompt stays the same
        // from turn to turn.
        history.extend(message_context);

        let delegated = Delegated::default();
        let guard = ending::Guard::new(self.settings.max_turns, preamble.clone(), profile, fixed);
        let mut tools: Vec<DynamicTool> =
            offered.iter().filter_map(|tool| checked_tool(tool, context.clone(), &guard)).collect();
        if !delegates.is_empty() {
            tools.extend(self.delegate_tool(
                scope.clone(),
                name,
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
        let agent =
            if tools.is_empty() { builder.build() } else { builder.dynamic_tools(tools).build() };
        let mut runner = agent
            .prompt(prompt)
            .history(history)
            .max_turns(self.settings.max_turns)
            .add_hook(guard.hook())
            .add_hook(hooks::StopWhenAsking::new(context.asks.clone()));
        if depth == 0 && !client_tools.is_empty() {
            runner = runner.add_hook(hooks::StopOnClientTools::new(
                client_tools.iter().map(|tool| tool.name.clone()).collect(),
            ));
        }
        Ok(Prepared { stream: runner.stream(), delegated, looked_up: lookups.messages })
    }

    /// The lookups run for `spec` on a model that calls tools weakly or not at all: its own
    /// plugins' and those of the specialists it could hand a message to. Such a model hands
    /// nothing on reliably (its profile usually offers no delegation), so what a specialist
    /// would have looked up (what was spent on groceries) is looked up for it.
    fn lookups_for<'a>(&'a self, spec: &'a AgentSpec) -> Vec<&'a Tool> {
        let mut lookups: Vec<&Tool> =
            self.plugins.tools_of(&spec.plugins).filter(|tool| tool.is_lookup()).collect();
        for delegate in self.agents.delegates_of(spec) {
            for tool in self.plugins.tools_of(&delegate.plugins).filter(|tool| tool.is_lookup()) {
                if !lookups.iter().any(|known| known.name == tool.name) {
                    lookups.push(tool);
                }
            }
        }
        lookups
    }

    /// The tools of `spec`'s plugins its model is offered: all of them for a model that calls
    /// tools well; for a weak one, the few relevant to `message` that are no lookups
    /// ([`lookups`]: the runtime runs those itself); none for a model that calls none.
    async fn offered_tools<'a>(
        &'a self,
        spec: &'a AgentSpec,
        calling: ToolCalling,
        message: Option<&str>,
    ) -> Vec<&'a Tool> {
        let all = self.plugins.tools_of(&spec.plugins);
        match calling {
            ToolCalling::Full => all.collect(),
            ToolCalling::None => Vec::new(),
            ToolCalling::Weak => {
                let candidates: Vec<&Tool> = all.filter(|tool| !tool.is_lookup()).collect();
                let chosen = self.selector.select(message, &candidates).await;
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
        delegated: Delegated,
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
