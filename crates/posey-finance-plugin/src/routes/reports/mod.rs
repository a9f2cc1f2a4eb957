//! `/v1/finance/reports/...`: cash flow by month, spending by category or payee, net worth
//! over time, budget against actual and upcoming bills, each summed in SQL (see
//! `db::reports`). Amounts are strings, exact at their currency's minor units, each with its
//! currency: currencies are never added together.
//!
//! `from` and `to` are a month (`2026-01`, its first day) or a day (`2026-01-15`); `from` is
//! in the range, `to` is not, as with the transaction list. The monthly reports want whole
//! months.

mod flows;
mod plans;
mod range;

use utoipa_axum::router::OpenApiRouter;

use super::shared::RouteState;

pub fn router() -> OpenApiRouter<RouteState> {
    flows::router().merge(plans::router())
}
