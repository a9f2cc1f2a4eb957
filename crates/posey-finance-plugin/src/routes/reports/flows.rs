//! Cash flow by month, spending by category or payee, and net worth over time.

use axum::Json;
use axum::extract::State;
use chrono::Datelike;
use posey_finance::budget::Month;
use posey_http::auth::Person;
use posey_http::{ApiError, Query};
use posey_plugin::responses::{BadInput, NeedsPerson};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::range::{RangeParams, range};
use crate::db::reports::{self, Side};
use crate::error::FinanceError;
use crate::routes::shared::RouteState;

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new()
        .routes(routes!(cash_flow))
        .routes(routes!(spending))
        .routes(routes!(net_worth))
}

/// One month of one currency's cash flow.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CashFlowMonth {
    #[schema(value_type = String, example = "2026-01")]
    month: Month,
    currency: String,
    /// What came in through income categories (refunds of income make it smaller).
    #[schema(value_type = String)]
    income: Decimal,
    /// What went out through expense categories, net of refunds.
    #[schema(value_type = String)]
    expenses: Decimal,
    /// `income - expenses`.
    #[schema(value_type = String)]
    net: Decimal,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CashFlow {
    /// By month, then currency; months with no income and no spending are left out.
    months: Vec<CashFlowMonth>,
}

/// Cash flow by month: income, expenses and net per currency
///
/// Summed from the income and expense categories (transfers between accounts and opening
/// balances are neither).
#[utoipa::path(get, path = "/v1/finance/reports/cash-flow", tag = "finance", operation_id = "getCashFlowReport",
    security(("bearer" = [])), params(RangeParams),
    responses((status = 200, description = "Income, expenses and net per month and currency", body = CashFlow), BadInput, NeedsPerson))]
async fn cash_flow(
    State(state): State<RouteState>,
    Person(person): Person,
    Query(params): Query<RangeParams>,
) -> Result<Json<CashFlow>, ApiError> {
    let (from, to) = range(params.from.as_deref(), params.to.as_deref(), true)?;
    let rows =
        reports::cash_flow(state.db(), person, from, to).await.map_err(FinanceError::from)?;
    let months = rows
        .into_iter()
        .map(|row| CashFlowMonth {
            month: Month::of(row.month),
            income: crate::db::exact(row.income, &row.currency),
            expenses: crate::db::exact(row.expenses, &row.currency),
            net: crate::db::exact(row.income - row.expenses, &row.currency),
            currency: row.currency,
        })
        .collect();
    Ok(Json(CashFlow { months }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct SpendingParams {
    /// From this month (`2026-01`) or day (`2026-01-15`) on.
    #[param(required = true)]
    from: Option<String>,
    /// Before this month or day.
    #[param(required = true)]
    to: Option<String>,
    /// `category` (default) or `payee`.
    by: Option<String>,
    /// `expense` (default: spending) or `income` (earnings).
    kind: Option<String>,
    /// By category: each category's sub-categories summed into their top-level category.
    rollup: Option<bool>,
}

/// What went to (or came from) one category or payee, in one currency.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SpendingTotal {
    /// The category's or payee's id; `null`: transactions with no payee.
    #[schema(required = true)]
    id: Option<Uuid>,
    #[schema(required = true)]
    name: Option<String>,
    currency: String,
    /// Spending (kind `expense`) or earnings (kind `income`), positive; refunds make it
    /// smaller.
    #[schema(value_type = String)]
    amount: Decimal,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Spending {
    /// `category` or `payee`.
    by: String,
    /// `expense` or `income`.
    kind: String,
    /// By currency, then the largest first.
    totals: Vec<SpendingTotal>,
}

/// Spending (or income) by category or payee
///
/// Over whole months the categories are summed from the monthly rollup; over days, and by
/// payee, from the transactions.
#[utoipa::path(get, path = "/v1/finance/reports/spending", tag = "finance", operation_id = "getSpendingReport",
    security(("bearer" = [])), params(SpendingParams),
    responses((status = 200, description = "Totals per category or payee and currency, largest first", body = Spending), BadInput, NeedsPerson))]
async fn spending(
    State(state): State<RouteState>,
    Person(person): Person,
    Query(params): Query<SpendingParams>,
) -> Result<Json<Spending>, ApiError> {
    let (from, to) = range(params.from.as_deref(), params.to.as_deref(), false)?;
    let by = params.by.unwrap_or_else(|| "category".into());
    let kind = params.kind.unwrap_or_else(|| "expense".into());
    let side = match kind.as_str() {
        "expense" => Side::Expense,
        "income" => Side::Income,
        _ => return Err(ApiError::invalid("kind", "must be expense or income")),
    };
    let rollup = params.rollup.unwrap_or(false);
    let rows = match by.as_str() {
        "category" => {
            let whole_months = from.day() == 1 && to.day() == 1;
            reports::by_category(state.db(), person, side, rollup, from, to, whole_months).await
        }
        "payee" if rollup => {
            return Err(ApiError::invalid("rollup", "rolls categories up: not with by=payee"));
        }
        "payee" => reports::by_payee(state.db(), person, side, from, to).await,
        _ => return Err(ApiError::invalid("by", "must be category or payee")),
    }
    .map_err(FinanceError::from)?;
    let totals = rows
        .into_iter()
        .map(|row| SpendingTotal {
            id: row.id,
            name: row.name,
            amount: crate::db::exact(row.amount, &row.currency),
            currency: row.currency,
        })
        .collect();
    Ok(Json(Spending { by, kind, totals }))
}

/// One currency's balances at a month's end.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct NetWorthMonth {
    /// The month at whose last day the balances are.
    #[schema(value_type = String, example = "2026-01")]
    month: Month,
    currency: String,
    /// What the asset accounts hold.
    #[schema(value_type = String)]
    assets: Decimal,
    /// What the liability accounts owe (positive: a debt).
    #[schema(value_type = String)]
    liabilities: Decimal,
    /// `assets - liabilities`.
    #[schema(value_type = String)]
    net: Decimal,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct NetWorth {
    /// Every month of the range, by month then currency (every currency the accounts hold).
    months: Vec<NetWorthMonth>,
}

/// Net worth at each month's end, per currency
#[utoipa::path(get, path = "/v1/finance/reports/net-worth", tag = "finance", operation_id = "getNetWorthReport",
    security(("bearer" = [])), params(RangeParams),
    responses((status = 200, description = "Assets, liabilities and net at each month's end, per currency", body = NetWorth), BadInput, NeedsPerson))]
async fn net_worth(
    State(state): State<RouteState>,
    Person(person): Person,
    Query(params): Query<RangeParams>,
) -> Result<Json<NetWorth>, ApiError> {
    let (from, to) = range(params.from.as_deref(), params.to.as_deref(), true)?;
    let rows =
        reports::net_worth(state.db(), person, from, to).await.map_err(FinanceError::from)?;
    let months = rows
        .into_iter()
        .map(|row| NetWorthMonth {
            month: Month::of(row.month),
            assets: crate::db::exact(row.assets, &row.currency),
            liabilities: crate::db::exact(row.liabilities, &row.currency),
            net: crate::db::exact(row.assets - row.liabilities, &row.currency),
            currency: row.currency,
        })
        .collect();
    Ok(Json(NetWorth { months }))
}
