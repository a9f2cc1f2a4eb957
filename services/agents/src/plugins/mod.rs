//! Plugins: what gives agents their abilities. A plugin contributes tools, instructions for the
//! system prompt and, optionally, REST routes. The service builds a [`Plugins`] registry from a
//! list at start (the built-in `time` and `profile`, one per configured MCP server, and whatever
//! later domain plugins the list grows); the runtime only ever sees the registry, so a new
//! plugin never touches it.

pub mod mcp;
pub mod profile;
pub mod schedule;
pub mod time;

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::bail;
use futures::future::BoxFuture;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::db;
use crate::db::profiles::Profile;
use crate::state::AppState;

/// What a tool call knows about who it works for.
#[derive(Clone)]
pub struct ToolContext {
    pub person: Uuid,
    pub db: sqlx::PgPool,
    /// The person's message the turn answers; `None` outside a turn (an MCP client's call).
    /// Instructions that depend on what was asked (relevant memories) read it.
    pub message: Option<Arc<str>>,
    /// What the tool's calls to other Posey services (cron) authenticate with; `None` when the
    /// turn came without one.
    pub credential: Option<Credential>,
    /// The person's profile as the turn knows it (read with [`ToolContext::profile`]).
    pub profile: TurnProfile,
}

impl ToolContext {
    /// The person's profile: read once per turn (or already read with the usage check) and
    /// shared by every tool and instruction of the turn.
    pub async fn profile(&self) -> anyhow::Result<Profile> {
        self.profile.get(&self.db, self.person).await
    }
}

/// The person's profile within one turn. The time, profile and schedule plugins all need it
/// (the time zone above all), often more than once a turn: it is read at most once, or handed
/// over already read, and kept current when a tool of the turn changes it.
#[derive(Clone, Default)]
pub struct TurnProfile(Arc<std::sync::Mutex<Option<Profile>>>);

impl TurnProfile {
    /// A profile the caller read already.
    pub fn known(profile: Profile) -> Self {
        Self(Arc::new(std::sync::Mutex::new(Some(profile))))
    }

    async fn get(&self, db: &sqlx::PgPool, person: Uuid) -> anyhow::Result<Profile> {
        if let Some(profile) = self.lock().as_ref() {
            return Ok(profile.clone());
        }
        let profile = db::profiles::get(db, person).await?;
        self.replace(profile.clone());
        Ok(profile)
    }

    /// The profile after a change the turn made.
    pub fn replace(&self, profile: Profile) {
        *self.lock() = Some(profile);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Profile>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The bearer token a turn arrived with, for calls to other Posey services on the person's
/// behalf. Carried per turn, never kept beyond it.
#[derive(Clone)]
pub enum Credential {
    /// The person's own access token (chat, the OpenAI-compatible API, MCP).
    Person(Arc<str>),
    /// A service client's token (auth's client-credentials grant) acting for the person: the
    /// turns another service runs (cron's agent tasks).
    Service(Arc<str>),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Person(_) => "Credential::Person(..)",
            Self::Service(_) => "Credential::Service(..)",
        })
    }
}

/// A turn once it is stored: what [`Plugin::after_turn`] learns.
#[derive(Debug, Clone)]
pub struct FinishedTurn {
    pub person: Uuid,
    pub conversation: Uuid,
    /// The id of the turn's messages (the person's message is the first).
    pub turn_id: Uuid,
    /// The conversation's agent.
    pub agent: String,
    /// What the person said.
    pub message: String,
    /// The agent's final answer (empty when the turn failed before one).
    pub answer: String,
    pub failed: bool,
}

/// A failure the model is told about (the message is model-visible; keep internals out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError(pub String);

impl ToolError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// An internal failure: logged here, and the model only hears that the tool failed.
    pub fn internal(tool: &str, error: &anyhow::Error) -> Self {
        tracing::error!(tool, error = format!("{error:#}"), "a tool failed");
        Self(format!("the {tool} tool failed; try again later"))
    }
}

pub type ToolFuture = BoxFuture<'static, Result<Value, ToolError>>;
type Handler = dyn Fn(ToolContext, Value) -> ToolFuture + Send + Sync;

/// One tool: a name, what it does, a JSON schema for its arguments, and what it runs. The
/// runtime checks arguments against the schema before the handler sees them.
#[derive(Clone)]
pub struct Tool {
    pub name: String,
    pub description: String,
    pub parameters: Value,
    handler: Arc<Handler>,
}

impl Tool {
    pub fn new<F, Fut>(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
        handler: F,
    ) -> Self
    where
        F: Fn(ToolContext, Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, ToolError>> + Send + 'static,
    {
        Self {
            name: name.into(),
            description: description.into(),
            parameters,
            handler: Arc::new(move |context, arguments| Box::pin(handler(context, arguments))),
        }
    }

    /// Runs the handler on arguments already checked against `parameters`.
    pub fn call(&self, context: ToolContext, arguments: Value) -> ToolFuture {
        (self.handler)(context, arguments)
    }
}

/// A plugin. Implementations live beside this module (or in later domain modules) and are
/// listed in `startup`.
pub trait Plugin: Send + Sync + 'static {
    /// Unique, what agents' `plugins` lists name.
    fn name(&self) -> &str;

    fn description(&self) -> &str;

    fn tools(&self) -> Vec<Tool>;

    /// Lines for the system prompt of an agent using this plugin, for this person (the profile
    /// plugin says who they are, say). `None`: nothing to add.
    fn instructions(
        &self,
        _context: &ToolContext,
    ) -> BoxFuture<'static, anyhow::Result<Option<String>>> {
        Box::pin(async { Ok(None) })
    }

    /// Context for the message the turn answers (the memories relevant to it, say): placed
    /// right before the message rather than in the system prompt, so that what changes from
    /// message to message stays out of the prompt's start, which a model's cache reuses from one
    /// turn to the next. `None`: nothing to add.
    fn context(
        &self,
        _context: &ToolContext,
    ) -> BoxFuture<'static, anyhow::Result<Option<String>>> {
        Box::pin(async { Ok(None) })
    }

    /// Work after a turn of an agent using this plugin is stored (memory extraction, say). It
    /// runs off the response path, in a task the service waits for at shutdown; an error is
    /// logged and never reaches the person.
    fn after_turn(&self, _turn: Arc<FinishedTurn>) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// REST routes the plugin serves (under `/v1/...`), each with its OpenAPI description
    /// (`#[utoipa::path]`, registered with `utoipa_axum::routes!`), merged into the service's
    /// router and document.
    fn routes(&self) -> Option<OpenApiRouter<AppState>> {
        None
    }
}

/// The plugins that exist only when configured: `schedule` with `CRON_URL`.
pub fn configured(config: &crate::Config) -> anyhow::Result<Vec<Arc<dyn Plugin>>> {
    match &config.cron_url {
        Some(cron) => {
            tracing::info!(cron = %cron, "the schedule plugin is on (CRON_URL)");
            Ok(vec![Arc::new(schedule::SchedulePlugin::new(cron.clone())?)])
        }
        None => {
            tracing::info!("the schedule plugin is off: CRON_URL is not set");
            Ok(Vec::new())
        }
    }
}

/// Every plugin the service runs, by name, with their tools indexed.
#[derive(Clone, Default)]
pub struct Plugins {
    plugins: BTreeMap<String, Arc<dyn Plugin>>,
    tools: BTreeMap<String, (String, Tool)>,
}

impl Plugins {
    /// The registry of `plugins`; names of plugins and of tools must be unique.
    pub fn new(plugins: Vec<Arc<dyn Plugin>>) -> anyhow::Result<Self> {
        let mut registry = Self::default();
        for plugin in plugins {
            let name = plugin.name().to_owned();
            for tool in plugin.tools() {
                if let Some((other, _)) = registry.tools.get(&tool.name) {
                    bail!("plugins {other:?} and {name:?} both offer a tool {:?}", tool.name);
                }
                registry.tools.insert(tool.name.clone(), (name.clone(), tool));
            }
            if registry.plugins.insert(name.clone(), plugin).is_some() {
                bail!("two plugins are named {name:?}");
            }
        }
        Ok(registry)
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Plugin>> {
        self.plugins.get(name)
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn Plugin>> {
        self.plugins.values()
    }

    /// The tools of the named plugins (unknown names were refused at start).
    pub fn tools_of<'a>(&'a self, names: &'a [String]) -> impl Iterator<Item = &'a Tool> {
        self.tools.values().filter(move |(plugin, _)| names.contains(plugin)).map(|(_, tool)| tool)
    }

    /// Every tool, for the MCP server.
    pub fn tools(&self) -> impl Iterator<Item = &Tool> {
        self.tools.values().map(|(_, tool)| tool)
    }

    pub fn tool(&self, name: &str) -> Option<&Tool> {
        self.tools.get(name).map(|(_, tool)| tool)
    }

    /// The routes every plugin serves, described.
    pub fn routes(&self) -> OpenApiRouter<AppState> {
        self.plugins
            .values()
            .filter_map(|plugin| plugin.routes())
            .fold(OpenApiRouter::new(), OpenApiRouter::merge)
    }
}
