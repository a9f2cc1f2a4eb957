//! The plugin's REST routes under `/v1/finance`: settings, accounts (with reconciliation),
//! categories, payees and transactions; and the finance part of a person's export, made of
//! what they list.

mod accounts;
mod bills;
mod budgets;
mod categories;
mod entry;
mod export;
mod imports;
mod recurring;
mod reports;
mod rules;
mod shared;
mod transactions;

use utoipa_axum::router::OpenApiRouter;

pub use export::export_person;
pub use shared::RouteState;

/// Every route, described.
pub fn router() -> OpenApiRouter<RouteState> {
    accounts::router()
        .merge(categories::router())
        .merge(transactions::router())
        .merge(budgets::router())
        .merge(bills::router())
        .merge(recurring::router())
        .merge(reports::router())
        .merge(export::router())
        .merge(imports::router())
        .merge(rules::router())
}
