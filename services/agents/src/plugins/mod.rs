//! Plugins: what gives agents their abilities. A plugin contributes tools, instructions for the
//! system prompt and, optionally, REST routes; the API they are written against is the
//! `posey-plugin` crate. The service builds a [`Plugins`] registry from a
//! list at start (the built-in `time` and `profile`, one per configured MCP server, and whatever
//! later domain plugins the list grows); the runtime only ever sees the registry, so a new
//! plugin never touches it.

pub mod mcp;
pub mod notices;
pub mod profile;
pub mod schedule;
pub mod time;

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::bail;
pub use posey_plugin::{
    Credential, FinishedTurn, Host, Migration, Plugin, Profile, ProfileSource, Tool, ToolContext,
    ToolError, ToolFuture, TurnProfile,
};
use utoipa_axum::router::OpenApiRouter;

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

    /// The routes every plugin serves, described, each with its own state applied.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self, host: &Host) -> OpenApiRouter<S> {
        self.plugins
            .values()
            .filter_map(|plugin| plugin.routes(host))
            .fold(OpenApiRouter::new(), OpenApiRouter::merge)
            .with_state(())
    }

    /// Starts every plugin's background work (see [`Plugin::background`]), each until `stop`.
    pub fn start_background(&self, host: &Host, stop: &tokio_util::sync::CancellationToken) {
        for plugin in self.plugins.values() {
            if let Some(work) = plugin.background(host, stop.clone()) {
                tracing::debug!(plugin = plugin.name(), "started a plugin's background work");
                tokio::spawn(work);
            }
        }
    }
}
