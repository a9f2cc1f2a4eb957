//! The agents service's plugin API. A plugin gives agents abilities: tools (typed, see
//! [`Tool::typed`]), lines for the system prompt, context for the message a turn answers, work
//! after a turn, REST routes with their OpenAPI description, and work in the background while
//! the service runs. A plugin owns its tables (its
//! SQL in its own `db` module) and its logic; it is written against this crate alone and never
//! names the agents service's state, which only composes plugins at start.
//!
//! The smallest complete plugin is the example in `services/agents/tests/api/plugin.rs`.

mod confirm;
mod context;
mod export;
mod notify;
pub mod responses;
mod tool;

use std::sync::Arc;

use axum::extract::FromRef;
use futures::future::BoxFuture;
use posey_http::auth::JwksVerifier;
use utoipa_axum::router::OpenApiRouter;

pub use confirm::{Asks, ConfirmationRequest, MAX_EXPIRY, PendingAction};
pub use context::{Credential, FinishedTurn, Profile, ProfileSource, ToolContext, TurnProfile};
pub use export::{Export, ExportFile, safe_path};
pub use notify::{MAX_KEY_LEN, Notice, Notifier};
pub use tokio_util::sync::CancellationToken;
pub use tool::{Found, LookupFuture, NoArguments, Tool, ToolError, ToolFuture, schema_of};

/// A plugin: listed in the agents service's `startup`, named by agents' `plugins` lists.
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

    /// The plugin's tables, as migrations applied in order, each once (recorded by the plugin's
    /// name and the migration's), when the service starts. Keep the tables in a schema of the
    /// plugin's own; never change a migration once released: add one.
    fn migrations(&self) -> &'static [Migration] {
        &[]
    }

    /// Runs an action the person confirmed, which one of this plugin's tools asked for with
    /// [`ToolContext::ask`] (its `payload` is what the tool put there). What it returns is
    /// stored with the action and shown to the person.
    fn run_confirmed(
        &self,
        _action: PendingAction,
        _context: ToolContext,
    ) -> BoxFuture<'static, Result<serde_json::Value, ToolError>> {
        Box::pin(async { Err(ToolError::new("this plugin runs no confirmed actions")) })
    }

    /// REST routes the plugin serves (under `/v1/...`), each with its OpenAPI description
    /// (`#[utoipa::path]`, registered with `utoipa_axum::routes!`), with the plugin's own state
    /// already applied (see [`PluginState`]); merged into the service's router and document.
    fn routes(&self, _host: &Host) -> Option<OpenApiRouter> {
        None
    }

    /// The plugin's part of a person's export (`GET /v1/me/export`): everything it keeps of
    /// `person`, in open formats (JSON, CSV, ICS, Markdown, the files they gave), written to
    /// `out` (a folder of the plugin's name). `None`: it keeps nothing of people.
    fn export(
        &self,
        _host: &Host,
        _person: uuid::Uuid,
        _out: Export,
    ) -> Option<BoxFuture<'static, anyhow::Result<()>>> {
        None
    }

    /// Work the plugin does while the service runs (alarms that fall due, feeds to refresh):
    /// spawned once the service is built; `stop` is cancelled at shutdown and the work should
    /// end soon after. Several replicas run it at once, so it takes its work with row locks
    /// (`FOR UPDATE SKIP LOCKED`). `None`: none.
    fn background(&self, _host: &Host, _stop: CancellationToken) -> Option<BoxFuture<'static, ()>> {
        None
    }
}

/// One step of a plugin's tables.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Unique within the plugin, e.g. `0001_notes`.
    pub name: &'static str,
    /// Run as one script, in the transaction that records it.
    pub sql: &'static str,
}

/// What the agents service lends every plugin's routes.
#[derive(Clone)]
pub struct Host {
    pub db: sqlx::PgPool,
    /// Checks callers' access tokens: what `posey_http::auth::Person` needs.
    pub verifier: Arc<JwksVerifier>,
    /// People's profiles (their time zone, say), as the tools read them.
    pub profiles: Arc<dyn ProfileSource>,
    /// Tells people things outside a turn, through cron (`None`: the service has no service
    /// credentials or no cron to tell them with; notices wait, see [`Notifier`]).
    pub notifier: Option<Arc<dyn Notifier>>,
}

/// A plugin's route state: the [`Host`] and the plugin's own part. The extractors of
/// `posey_http::auth` work with it as they are.
#[derive(Clone)]
pub struct PluginState<T> {
    pub host: Host,
    pub own: T,
}

impl<T> PluginState<T> {
    pub fn new(host: &Host, own: T) -> Self {
        Self { host: host.clone(), own }
    }

    pub fn db(&self) -> &sqlx::PgPool {
        &self.host.db
    }
}

impl<T> FromRef<PluginState<T>> for Arc<JwksVerifier> {
    fn from_ref(state: &PluginState<T>) -> Self {
        state.host.verifier.clone()
    }
}
