//! The `calendar` plugin of the agents service: a person's calendars, events and to-dos in
//! Postgres schema `calendar` (one row per calendar object: the iCalendar text of one UID), the
//! REST routes under `/v1/calendars`, `/v1/events` and `/v1/todos` with ETags, ICS import,
//! export and private feeds, CalDAV under `/dav/` (the `caldav` module), alarms rung as
//! notifications through cron (the `alarms` module), subscriptions to ICS URLs refreshed on a
//! schedule (the `subscriptions` module), and the tools agents keep a person's time with. The
//! calendar logic itself is the `posey-calendar` crate's.

mod alarms;
pub mod basic;
mod caldav;
pub mod db;
pub mod migrations;
mod routes;
pub mod schemas;
pub mod service;
pub mod store;
mod subscriptions;
mod tools;

use std::sync::Arc;

use futures::future::BoxFuture;
use posey_plugin::{
    CancellationToken, Export, Host, Migration, PendingAction, Plugin, PluginState, Tool,
    ToolContext, ToolError,
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
pub use subscriptions::SubscriptionSettings;

/// What the plugin is made with.
#[derive(Debug, Clone, Default)]
pub struct CalendarSettings {
    /// The auth service, which app passwords are checked at (`None`: calendar apps sign in
    /// with access tokens only).
    pub auth_url: Option<url::Url>,
    /// Where subscriptions' feeds may be fetched from, and how often due ones are looked for.
    pub subscriptions: SubscriptionSettings,
}

/// The plugin.
pub struct CalendarPlugin {
    /// The app passwords calendar apps sign in with, and the subscriptions' fetcher.
    own: Arc<routes::Own>,
    /// How often the refresher looks for subscriptions that are due.
    subscription_poll: std::time::Duration,
}

impl CalendarPlugin {
    pub fn new(settings: CalendarSettings) -> Self {
        let own = routes::Own {
            app_passwords: basic::AppPasswords::new(settings.auth_url),
            feeds: subscriptions::Fetcher::new(settings.subscriptions.allow),
        };
        Self { own: Arc::new(own), subscription_poll: settings.subscriptions.poll }
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
        let state = PluginState::new(host, self.own.clone());
        Some(routes::router().merge(caldav::router()).with_state(state))
    }

    /// Each calendar as an ICS file, and the calendars and subscriptions as JSON.
    fn export(
        &self,
        host: &Host,
        person: uuid::Uuid,
        out: Export,
    ) -> Option<BoxFuture<'static, anyhow::Result<()>>> {
        Some(Box::pin(routes::export_person(host.db.clone(), person, out)))
    }

    /// Rings alarms as they fall due (handing them to cron through the host's notifier), and
    /// refreshes subscriptions as they fall due.
    fn background(&self, host: &Host, stop: CancellationToken) -> Option<BoxFuture<'static, ()>> {
        let alarms = alarms::worker::run(host.clone(), stop.clone());
        let feeds = self.own.feeds.clone();
        let subscriptions =
            subscriptions::worker::run(host.db.clone(), feeds, self.subscription_poll, stop);
        Some(Box::pin(async move {
            tokio::join!(alarms, subscriptions);
        }))
    }
}
