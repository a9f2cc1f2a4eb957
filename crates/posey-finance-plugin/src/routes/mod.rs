//! The plugin's REST routes under `/v1/finance`: settings, accounts (with reconciliation),
//! categories, payees and transactions.

mod accounts;
mod categories;
mod shared;
mod transactions;

use utoipa_axum::router::OpenApiRouter;

pub use shared::RouteState;

/// Every route, described.
pub fn router() -> OpenApiRouter<RouteState> {
    accounts::router().merge(categories::router()).merge(transactions::router())
}
