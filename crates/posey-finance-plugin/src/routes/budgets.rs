//! `/v1/finance/budgets`: monthly envelopes per expense category, in the person's currency, as
//! Actual Budget keeps them: a month's view (budgeted, activity, what carried in, what is
//! available, and what is left to budget) and setting one envelope. The carry-over rules are
//! posey-finance's `budget` module's; this reads the months they need from the rollup.
//!
//! Activity is shown as Actual shows it: spending negative, refunds positive (the negation of
//! the category's debit-positive splits). Only transactions in the person's currency count:
//! a budget is in one currency.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use posey_finance::Money;
use posey_finance::budget::{
    self, CategoryMonths, Envelope, FundsEntry, Month, MonthEntry, ToBeBudgeted,
};
use posey_http::auth::Person;
use posey_http::params::Path;
use posey_http::{ApiError, AppJson, Query};
use posey_plugin::responses::{BadInput, NeedsPerson};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::reports::{budget_currency, grouped};
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

/// One category's envelope in the month.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CategoryEnvelope {
    category_id: Uuid,
    name: String,
    #[schema(required = true)]
    parent_id: Option<Uuid>,
    /// Overspending stays in the category (negative) instead of coming off next month's money
    /// to budget.
    rollover_overspending: bool,
    #[schema(value_type = String)]
    budgeted: Decimal,
    /// Spending negative, refunds positive.
    #[schema(value_type = String)]
    activity: Decimal,
    /// What the month before left in the category: positive balances carry; overspending
    /// carries only with `rollover_overspending`.
    #[schema(value_type = String)]
    carried_in: Decimal,
    /// `carried_in + budgeted + activity`.
    #[schema(value_type = String)]
    available: Decimal,
    overspent: bool,
}

/// A month of the budget.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct BudgetMonth {
    #[schema(value_type = String, example = "2026-03")]
    month: Month,
    /// The person's currency, which everything here is in.
    currency: String,
    /// The month's income (income categories, positive).
    #[schema(value_type = String)]
    income: Decimal,
    /// What every category was given this month.
    #[schema(value_type = String)]
    budgeted: Decimal,
    /// Every category's activity this month.
    #[schema(value_type = String)]
    activity: Decimal,
    /// What last month left to budget (negative when it was over-budgeted).
    #[schema(value_type = String)]
    carried_in: Decimal,
    /// Last month's overspending that the categories did not carry: it comes off this month.
    #[schema(value_type = String)]
    overspent_last_month: Decimal,
    /// `carried_in + income - overspent_last_month - budgeted`; negative: over-budgeted.
    #[schema(value_type = String)]
    to_be_budgeted: Decimal,
    /// Every expense category, by name.
    categories: Vec<CategoryEnvelope>,
}

fn month_of(field: &str, text: &str) -> Result<(Month, NaiveDate), ApiError> {
    let month: Month = text.trim().parse().map_err(|e: String| ApiError::invalid(field, e))?;
    let first = NaiveDate::from_ymd_opt(month.year(), month.month(), 1)
        .ok_or_else(|| ApiError::invalid(field, "is outside the calendar"))?;
    Ok((month, first))
}

fn budget_error(error: budget::BudgetError) -> ApiError {
    // The books hold exact amounts in order: this is a bug or a corrupted row, not bad input.
    ApiError::Internal(anyhow::anyhow!("computing the budget: {error}"))
}

/// A month of the budget: each expense category's envelope and what is left to budget
///
/// Computed from the person's first month with a budget or a transaction, so that every
/// carry-over is counted.
#[utoipa::path(get, path = "/v1/finance/budgets", tag = "finance", operation_id = "getBudgetMonth",
    security(("bearer" = [])), params(MonthParams),
    responses((status = 200, description = "The month's envelopes and what is left to budget", body = BudgetMonth), BadInput, NeedsPerson))]
async fn get_budget(
    State(state): State<RouteState>,
    Person(person): Person,
    Query(params): Query<MonthParams>,
) -> Result<Json<BudgetMonth>, ApiError> {
    let month = params.month.ok_or_else(|| ApiError::invalid("month", "is required"))?;
    let (month, through) = month_of("month", &month)?;
    let currency = budget_currency(&state, person).await?;
    let db = state.db();
    let categories = budgets::expense_categories(db, person).await.map_err(FinanceError::from)?;
    let rows = budgets::category_months(db, person, currency.code(), through)
        .await
        .map_err(FinanceError::from)?;
    let income: BTreeMap<Month, Decimal> =
        budgets::income_months(db, person, currency.code(), through)
            .await
            .map_err(FinanceError::from)?
            .into_iter()
            .map(|(m, amount)| (Month::of(m), amount))
            .collect();
    let first = budgets::first_month(db, person).await.map_err(FinanceError::from)?;

    let mut budgeted_by_month: BTreeMap<Month, Decimal> = BTreeMap::new();
    for row in &rows {
        *budgeted_by_month.entry(Month::of(row.month)).or_default() += row.budgeted;
    }
    let mut by_category = grouped(rows, |row| row.category_id);
    let mut every_envelope: Vec<Envelope> = Vec::new();
    let mut shown = Vec::with_capacity(categories.len());
    for category in categories {
        let months: Vec<MonthEntry> = by_category
            .remove(&category.id)
            .unwrap_or_default()
            .into_iter()
            .map(|row| MonthEntry {
                month: Month::of(row.month),
                budgeted: row.budgeted,
                activity: row.activity,
            })
            .collect();
        let envelopes = budget::envelopes(
            currency,
            &CategoryMonths { rollover_overspending: category.rollover_overspending, months },
            month,
        )
        .map_err(budget_error)?;
        let this = envelopes.last().filter(|e| e.month == month).copied();
        every_envelope.extend(envelopes);
        let zero = Money::zero(currency).amount();
        shown.push(CategoryEnvelope {
            category_id: category.id,
            name: category.name,
            parent_id: category.parent_id,
            rollover_overspending: category.rollover_overspending,
            budgeted: this.map_or(zero, |e| currency.round(e.budgeted)),
            activity: this.map_or(zero, |e| currency.round(e.activity)),
            carried_in: this.map_or(zero, |e| currency.round(e.carried_in)),
            available: this.map_or(zero, |e| currency.round(e.available)),
            overspent: this.is_some_and(|e| e.overspent),
        });
    }

    let overspent = budget::overspending_by_month(&every_envelope);
    let mut funds = Vec::new();
    if let Some(first) = first.map(Month::of) {
        let mut at = first;
        while at <= month {
            funds.push(FundsEntry {
                month: at,
                income: income.get(&at).copied().unwrap_or_default(),
                budgeted: budgeted_by_month.get(&at).copied().unwrap_or_default(),
                overspent_last_month: overspent.get(&at).copied().unwrap_or_default(),
            });
            at = at.next();
        }
    }
    let left = budget::to_be_budgeted(currency, &funds).map_err(budget_error)?;
    let zero = Money::zero(currency).amount();
    let this = left.last().filter(|m| m.month == month).copied().unwrap_or(ToBeBudgeted {
        month,
        carried_in: zero,
        income: zero,
        overspent_last_month: zero,
        budgeted: zero,
        to_be_budgeted: zero,
    });
    let activity: Decimal = shown.iter().map(|c| c.activity).sum();
    Ok(Json(BudgetMonth {
        month,
        currency: currency.code().to_owned(),
        income: currency.round(this.income),
        budgeted: currency.round(this.budgeted),
        activity: currency.round(activity),
        carried_in: currency.round(this.carried_in),
        overspent_last_month: currency.round(this.overspent_last_month),
        to_be_budgeted: currency.round(this.to_be_budgeted),
        categories: shown,
    }))
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
    let currency = budget_currency(&state, person).await?;
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
