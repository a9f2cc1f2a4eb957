//! The `finance` plugin of the agents service: a person's accounts, categories and
//! double-entry transactions in Postgres schema `finance`, the REST routes under
//! `/v1/finance`, and the tools agents answer money questions with. The finance logic itself
//! (money, balancing, imports, rules, budgets, bills, journals) is the `posey-finance` crate's.

pub mod budgets;
pub mod db;
pub mod error;
pub mod imports;
pub mod migrations;
mod question;
pub mod recurring;
mod routes;
pub mod rules;
pub mod service;
mod tools;

use futures::future::BoxFuture;
use posey_plugin::{
    CancellationToken, Export, Host, Migration, PendingAction, Plugin, PluginState, Tool,
    ToolContext, ToolError,
};
use utoipa_axum::router::OpenApiRouter;

pub use routes::RouteState;

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
#[derive(Debug, Default)]
pub struct FinancePlugin;

impl Plugin for FinancePlugin {
    fn name(&self) -> &str {
        "finance"
    }

    fn description(&self) -> &str {
        "The person's money: accounts and balances, transactions, spending by category, budgets."
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
        Some(routes::router().with_state(PluginState::new(host, ())))
    }

    /// The books as CSV and an hledger journal, and the rest as JSON.
    fn export(
        &self,
        host: &Host,
        person: uuid::Uuid,
        out: Export,
    ) -> Option<BoxFuture<'static, anyhow::Result<()>>> {
        Some(Box::pin(routes::export_person(host.db.clone(), person, out)))
    }

    /// Posts recurring transactions as they fall due.
    fn background(&self, host: &Host, stop: CancellationToken) -> Option<BoxFuture<'static, ()>> {
        Some(Box::pin(recurring::run(host.clone(), stop)))
    }
}
