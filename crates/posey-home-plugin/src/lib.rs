//! The `home` plugin of the agents service: a person's home through Home Assistant and MQTT.
//! The live links (`ha`, `mqtt`, and the embedded broker `mqtt::broker`) keep each of a
//! person's connections mirrored into Postgres schema `home` (entities, their history, kept
//! `HOME_HISTORY_DAYS`); `control` runs commands, the companion's only on what the person
//! exposed to it and the security-relevant ones only after the person's yes; every command is
//! audited; `watching` turns state changes into notifications. What the entities are, which
//! commands they take and which need the person's yes is `posey-home`'s.

mod backoff;
mod control;
pub mod db;
mod error;
mod export;
pub mod ha;
mod homes;
mod lease;
pub mod migrations;
pub mod mqtt;
mod new_watch;
mod routes;
mod seal;
mod settings;
mod tools;
mod watching;

use std::sync::Arc;

use futures::future::BoxFuture;
use posey_plugin::{
    CancellationToken, Export, Host, Migration, PendingAction, Plugin, PluginState, Tool,
    ToolContext, ToolError,
};
use utoipa_axum::router::OpenApiRouter;

pub use backoff::Backoff;
pub use control::Actor;
pub use homes::Homes;
pub use routes::RouteState;
pub use seal::SealKey;
pub use settings::HomeSettings;

/// The plugin's routes described, without a running service (the agents' OpenAPI document).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes::router().into_openapi()
}

/// The REST routes as served: for the agents' check that what is served is what is
/// documented.
pub fn rest_router() -> axum::Router<RouteState> {
    routes::router().split_for_parts().0
}

/// The plugin.
pub struct HomePlugin {
    settings: HomeSettings,
    /// The live links, made when the service starts (the routes and tools need the database).
    homes: Arc<std::sync::OnceLock<Arc<Homes>>>,
}

impl HomePlugin {
    pub fn new(settings: HomeSettings) -> Self {
        Self { settings, homes: Arc::default() }
    }

    /// The live links for `host`, made the first time they are asked for.
    fn homes(&self, host: &Host) -> Arc<Homes> {
        self.homes.get_or_init(|| Arc::new(Homes::new(host, self.settings.clone()))).clone()
    }
}

impl Plugin for HomePlugin {
    fn name(&self) -> &str {
        "home"
    }

    fn description(&self) -> &str {
        "The person's home: lights, switches, climate, covers, locks and alarms by area, their \
         states, scenes, and watches that tell the person when something changes."
    }

    fn tools(&self) -> Vec<Tool> {
        tools::all(self.homes.clone())
    }

    fn migrations(&self) -> &'static [Migration] {
        migrations::MIGRATIONS
    }

    fn run_confirmed(
        &self,
        action: PendingAction,
        context: ToolContext,
    ) -> BoxFuture<'static, Result<serde_json::Value, ToolError>> {
        tools::run_confirmed(self.homes.clone(), action, context)
    }

    fn routes(&self, host: &Host) -> Option<OpenApiRouter> {
        Some(routes::router().with_state(PluginState::new(host, self.homes(host))))
    }

    /// Keeps every connection's link up, its entities mirrored, watches fired, and history
    /// within its retention.
    fn background(&self, host: &Host, stop: CancellationToken) -> Option<BoxFuture<'static, ()>> {
        let homes = self.homes(host);
        Some(Box::pin(async move { homes.run(stop).await }))
    }

    /// Connections, entities, exposure, watches, the audit log and the history (`home/`).
    fn export(
        &self,
        host: &Host,
        person: uuid::Uuid,
        out: Export,
    ) -> Option<BoxFuture<'static, anyhow::Result<()>>> {
        Some(Box::pin(export::write(host.db.clone(), person, out)))
    }
}
