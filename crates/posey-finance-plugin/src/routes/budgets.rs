//! `/v1/finance/budgets`: monthly envelopes per expense category, in the person's currency, as
//! Actual Budget keeps them: a month's view (budgeted, activity, what carried in, what is
//! available, and what is left to budget) and setting one envelope. The carry-over rules are
//! posey-finance's `budget` module's; this reads the months they need from the rollup.
//!
//! Activity is shown as Actual shows it: spending negative, refunds positive (the negation of
//! the category's debit-positive splits). Only transactions in the person's currency count:
//! a budget is in one currency.

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use posey_finance::Money;
use posey_finance::budget::Month;
use posey_http::auth::Person;
use posey_http::params::Path;
use posey_http::{ApiError, AppJson, Query};
use posey_plugin::responses::{BadInput, NeedsPerson};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::shared::{NoSuchCategory, RouteState};
use crate::db::budgets;
use crate::error::FinanceError;

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new().routes(routes!(get_budget)).routes(routes!(set_budget))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct MonthParams {
    /// The month, `2026-03`.
    #[param(required = true)]
    month: Option<String>,
}

fn month_of(field: &str, text: &str) -> Result<(Month, NaiveDate), ApiError> {
    let month: Month = text.trim().parse().map_err(|e: String| ApiError::invalid(field, e))?;
    let first = NaiveDate::from_ymd_opt(month.year(), month.month(), 1)
        .ok_or_else(|| ApiError::invalid(field, "is outside the calendar"))?;
    Ok((month, first))
}

/// A month of the budget: each expense category's envelope and what is left to budget
///
/// Computed from the person's first month with a budget or a transaction, so that every
/// carry-over is counted.
#[utoipa::path(get, path = "/v1/finance/budgets", tag = "finance", operation_id = "getBudgetMonth",
    security(("bearer" = [])), params(MonthParams),
    responses((status = 200, description = "The month's envelopes and what is left to budget", body = crate::budgets::BudgetMonth), BadInput, NeedsPerson))]
async fn get_budget(
    State(state): State<RouteState>,
    Person(person): Person,
    Query(params): Query<MonthParams>,
) -> Result<Json<crate::budgets::BudgetMonth>, ApiError> {
    let month = params.month.ok_or_else(|| ApiError::invalid("month", "is required"))?;
    let (month, _) = month_of("month", &month)?;
    let currency = crate::budgets::currency(state.db(), person).await?;
    Ok(Json(crate::budgets::month_of(state.db(), person, currency, month).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct EnvelopeFields {
    /// What the category is given for the month, exact at the currency's minor units; `0`
    /// removes the envelope.
    #[schema(value_type = String, example = "300.00")]
    amount: Decimal,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SetEnvelope {
    category_id: Uuid,
    #[schema(value_type = String, example = "2026-03")]
    month: Month,
    currency: String,
    #[schema(value_type = String)]
    amount: Decimal,
}

/// Set a category's envelope for a month
#[utoipa::path(put, path = "/v1/finance/budgets/{category_id}/{month}", tag = "finance", operation_id = "setBudgetEnvelope",
    security(("bearer" = [])),
    params(("category_id" = Uuid, Path, description = "An expense category"),
           ("month" = String, Path, description = "The month, `2026-03`")),
    request_body = EnvelopeFields,
    responses((status = 200, description = "The envelope as set", body = SetEnvelope), NoSuchCategory, BadInput, NeedsPerson))]
async fn set_budget(
    State(state): State<RouteState>,
    Person(person): Person,
    Path((category, month)): Path<(String, String)>,
    AppJson(fields): AppJson<EnvelopeFields>,
) -> Result<Json<SetEnvelope>, ApiError> {
    let no_such = || ApiError::NotFound("no such category".into());
    let category: Uuid = category.parse().map_err(|_| no_such())?;
    let found = crate::db::accounts::find(state.db(), person, category)
        .await
        .map_err(FinanceError::from)?
        .ok_or_else(no_such)?;
    if found.kind != "expense" {
        return Err(ApiError::invalid(
            "category_id",
            "budgets are for expense categories (income is what is budgeted)",
        ));
    }
    let (month, first) = month_of("month", &month)?;
    let currency = crate::budgets::currency(state.db(), person).await?;
    let amount = Money::new(fields.amount, currency)
        .map_err(|e| ApiError::invalid("amount", e.to_string()))?
        .amount();
    budgets::set(state.db(), person, category, first, amount).await.map_err(FinanceError::from)?;
    Ok(Json(SetEnvelope {
        category_id: category,
        month,
        currency: currency.code().to_owned(),
        amount,
    }))
}
