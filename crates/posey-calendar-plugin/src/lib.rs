//! The `calendar` plugin of the agents service: a person's calendars, events and to-dos in
//! Postgres schema `calendar` (one row per calendar object: the iCalendar text of one UID), the
//! REST routes under `/v1/calendars`, `/v1/events` and `/v1/todos` with ETags, ICS import,
//! export and private feeds, CalDAV under `/dav/` (the `caldav` module), and the tools agents
//! keep a person's time with. The calendar logic itself is the `posey-calendar` crate's.

pub mod basic;
mod caldav;
pub mod db;
pub mod migrations;
mod routes;
pub mod schemas;
pub mod service;
pub mod store;
mod tools;

use std::sync::Arc;

use futures::future::BoxFuture;
use posey_plugin::{
    Host, Migration, PendingAction, Plugin, PluginState, Tool, ToolContext, ToolError,
};
use utoipa_axum::router::OpenApiRouter;

/// The plugin's routes described, without a running service (the agents' OpenAPI document).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes::router().into_openapi()
}

/// The REST routes as served, without CalDAV's (which are not in the OpenAPI document): for
/// the agents' check that what is served is what is documented.
pub fn rest_router() -> axum::Router<RouteState> {
    routes::router().split_for_parts().0
}

pub use routes::RouteState;

/// The plugin.
pub struct CalendarPlugin {
    /// Signs calendar apps in over HTTP Basic with app passwords.
    app_passwords: Arc<basic::AppPasswords>,
}

impl CalendarPlugin {
    /// `auth_url`: the auth service, which app passwords are checked at (`None`: calendar apps
    /// sign in with access tokens only).
    pub fn new(auth_url: Option<url::Url>) -> Self {
        Self { app_passwords: Arc::new(basic::AppPasswords::new(auth_url)) }
    }
}

impl Plugin for CalendarPlugin {
    fn name(&self) -> &str {
        "calendar"
    }

    fn description(&self) -> &str {
        "The person's calendar and to-dos: agenda, events (recurring too), free time, to-dos."
    }

    fn tools(&self) -> Vec<Tool> {
        tools::all()
    }

    fn migrations(&self) -> &'static [Migration] {
        migrations::MIGRATIONS
    }

    fn run_confirmed(
        &self,
        action: PendingAction,
        context: ToolContext,
    ) -> BoxFuture<'static, Result<serde_json::Value, ToolError>> {
        tools::run_confirmed(action, context)
    }

    fn routes(&self, host: &Host) -> Option<OpenApiRouter> {
        let state = PluginState::new(host, self.app_passwords.clone());
        Some(routes::router().merge(caldav::router()).with_state(state))
    }
}
