//! Building and running the service: connect and migrate, start token verification (with the
//! revoked-sessions poll), build the plugin registry and the runtime, bind first (port 0
//! works), then serve until the shutdown future completes.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use posey_calendar_plugin::CalendarPlugin;
use posey_finance_plugin::FinancePlugin;
use posey_home_plugin::HomePlugin;
use posey_http::auth::start_verifier;
use posey_http::backing::Backing;
use posey_http::server::Server;
use posey_models::ToolCalling;
use posey_plugin::Notifier;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::documents::{Documents, DocumentsPlugin};
use crate::knowledge::Knowledge;
use crate::memory::MemoryPlugin;
use crate::models::{ConfiguredModels, ModelCatalog, SharedModels};
use crate::plugins::notices::CronNotices;
use crate::plugins::{Host, Plugin, Plugins, profile::ProfilePlugin, time::TimePlugin};
use crate::runtime::Runtime;
use crate::runtime::selection::ToolSelector;
use crate::state::AppState;
use crate::turns::{TurnLeases, Turns};
use crate::{db, plugins, routes};

/// The service's name in logs and spans.
pub const SERVICE: &str = "agents";

pub struct Application {
    server: Server,
    background: CancellationToken,
    turns: TaskTracker,
    /// Cancels the turns still running (and the plugins' work after turns).
    stopping: CancellationToken,
    /// How long turns may go on once shutdown starts (`AGENTS_SHUTDOWN_GRACE_SECS`).
    grace: Duration,
}

/// How long interrupted turns get to store what they have, after their models are cancelled.
const STORE_GRACE: Duration = Duration::from_secs(5);

/// What the service is built from besides its configuration: where models come from, and
/// plugins beyond the built-in ones (later domain plugins, tests').
#[derive(Default)]
pub struct Parts {
    /// `None`: the models posey-models configures (`POSEY_MODEL` and the agents file).
    pub models: Option<SharedModels>,
    pub extra_plugins: Vec<Arc<dyn Plugin>>,
    /// `None`: the embedding model `POSEY_EMBEDDING_MODEL` configures (tests share one loaded
    /// model instead of loading it per service).
    pub embedder: Option<posey_models::Embedder>,
}

/// The built-in plugins.
pub fn builtin_plugins() -> Vec<Arc<dyn Plugin>> {
    vec![Arc::new(TimePlugin), Arc::new(ProfilePlugin)]
}

impl Application {
    pub async fn build_with(config: Config, parts: Parts) -> anyhow::Result<Self> {
        let backing = Backing::connect(SERVICE, &config.service).await?;
        let background = CancellationToken::new();
        let verifier =
            start_verifier(backing.db.clone(), &config.tokens, background.clone()).await?;

        let knowledge = Arc::new(
            Knowledge::open(&config.knowledge, parts.embedder)
                .await
                .context("memory and documents need the embedding model and the vector store")?,
        );
        let models = match parts.models {
            Some(models) => models,
            None => {
                let mut specs = Runtime::model_specs(&config.agents, &config.runtime);
                specs.push(config.runtime.memory_model.clone());
                Arc::new(ConfiguredModels::load(specs, &config.models).await)
            }
        };
        let catalog = ModelCatalog::new(&config.agents, &config.runtime, &config.models);
        // Extraction answers in JSON: a model that cannot be trusted to call tools well cannot
        // be trusted with it either (the small default one stores noise, and its extraction
        // takes the CPU the person's next turn needs). "Remember that …" still works.
        let memory_model = config.runtime.memory_model.clone();
        let extracts = catalog.profile(&memory_model).tools == ToolCalling::Full;
        if !extracts {
            tracing::info!(
                model = %memory_model,
                "memories are not extracted after turns: the memory model calls tools weakly \
                 (AGENTS_MEMORY_MODEL names a capable one; explicit \"remember that ...\" works)"
            );
        }
        let mut list = builtin_plugins();
        list.push(Arc::new(
            MemoryPlugin::open(
                backing.db.clone(),
                knowledge.clone(),
                models.clone(),
                memory_model,
                extracts,
            )
            .await?,
        ));
        let documents = Documents::new(backing.db.clone(), knowledge.clone(), &config.documents)?;
        list.push(Arc::new(DocumentsPlugin::new(documents.clone())));
        list.push(Arc::new(CalendarPlugin::new(config.calendar_settings())));
        list.push(Arc::new(FinancePlugin));
        list.push(Arc::new(HomePlugin::new(config.home.clone())));
        list.extend(parts.extra_plugins);
        list.extend(plugins::configured(&config)?);
        list.extend(
            plugins::mcp::connect_all(&config.agents.mcp_servers, background.clone()).await?,
        );
        let registry = Plugins::new(list).context("building the plugin registry")?;
        for plugin in registry.all() {
            let applied =
                db::plugin_migrations::apply(&backing.db, plugin.name(), plugin.migrations())
                    .await?;
            if applied > 0 {
                tracing::info!(plugin = plugin.name(), applied, "applied a plugin's migrations");
            }
        }
        let selector = ToolSelector::new(
            Some(knowledge.embedder.clone()),
            config.models.tool_min_similarity,
            config.models.tools_per_message,
        );
        let runtime = Runtime::new(
            config.agents.clone(),
            registry,
            config.runtime.clone(),
            models,
            catalog,
            selector,
            backing.db.clone(),
        )
        .context("AGENTS_CONFIG / POSEY_MODEL")?;

        let mut readiness = backing.readiness();
        if let Some(qdrant) = &config.qdrant_url {
            // Qdrant's own readiness endpoint; the embedded store needs no check.
            tracing::info!(service = SERVICE, part = "vectors", at = %qdrant, "using a Qdrant server");
            readiness = readiness.http("qdrant", qdrant.join("readyz")?);
        }
        let http = config.service.http.clone();
        let verifier = Arc::new(verifier);
        let notifier = CronNotices::configured(&config)?.map(|n| Arc::new(n) as Arc<dyn Notifier>);
        let host = Host {
            db: backing.db.clone(),
            verifier: verifier.clone(),
            profiles: Arc::new(db::profiles::StoredProfiles(backing.db.clone())),
            notifier,
        };
        let plugin_routes = runtime.plugins.routes(&host);
        let turns = TaskTracker::new();
        let stopping = runtime.stopping();
        let grace = config.runtime.shutdown_grace;
        let leases = TurnLeases::start(backing.db.clone(), background.clone()).await?;
        let runtime = Arc::new(runtime);
        let life = Turns::new(backing.db.clone(), runtime.clone(), leases, turns.clone());
        let plugins = runtime.clone();
        crate::erasure::start(backing.db.clone(), knowledge.clone(), background.clone());
        let state = AppState::new(config, backing.clone(), runtime, life, knowledge, host.clone());
        let router = routes::router(state.clone(), plugin_routes)
            .with_state(state)
            .merge(readiness.router());
        let server = Server::bind(SERVICE, &http, router, backing).await?;
        documents.start(background.clone()).await?;
        plugins.plugins.start_background(&host, &background);
        Ok(Self { server, background, turns, stopping, grace })
    }
}

impl posey_http::Service for Application {
    const PROGRAM: &str = "posey-agents";

    type Config = Config;

    async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with(config, Parts::default()).await
    }

    /// The port actually bound (useful when the configuration asked for 0).
    fn port(&self) -> u16 {
        self.server.port()
    }

    async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // Turns in progress finish (and are stored) inside the shutdown future, before the
        // server closes the pool: those done within the grace period as usual, the others
        // interrupted (their models cancelled), storing what they have.
        let turns = self.turns.clone();
        let (stopping, grace) = (self.stopping.clone(), self.grace);
        let shutdown = async move {
            shutdown.await;
            turns.close();
            if tokio::time::timeout(grace, turns.wait()).await.is_ok() {
                return;
            }
            tracing::warn!(
                running = turns.len(),
                grace_secs = grace.as_secs(),
                "turns still running after the shutdown grace period are interrupted"
            );
            stopping.cancel();
            if tokio::time::timeout(STORE_GRACE, turns.wait()).await.is_err() {
                tracing::warn!(
                    left = turns.len(),
                    "interrupted turns not stored in time are dropped"
                );
            }
        };
        let served = self.server.run_until_stopped(shutdown).await;
        self.stopping.cancel();
        self.background.cancel();
        served
    }
}
