//! Budget against actual by month, and bills coming up (or missed) with what paid them.

use axum::Json;
use axum::extract::State;
use chrono::{Days, NaiveDate};
use posey_finance::bills::{self, Bill, DueStatus};
use posey_finance::budget::Month;
use posey_http::auth::Person;
use posey_http::{ApiError, Query};
use posey_plugin::responses::{BadInput, NeedsPerson};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::range::{GRACE_DAYS, RangeParams, range};
use crate::db::reports;
use crate::error::FinanceError;
use crate::routes::shared::{RouteState, today};

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new().routes(routes!(budget_report)).routes(routes!(upcoming_bills))
}

/// One category's month: budgeted against what happened.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct BudgetLine {
    #[schema(value_type = String, example = "2026-01")]
    month: Month,
    category_id: Uuid,
    name: String,
    #[schema(required = true)]
    parent_id: Option<Uuid>,
    #[schema(value_type = String)]
    budgeted: Decimal,
    /// Spending negative, refunds positive (as in the budget view).
    #[schema(value_type = String)]
    activity: Decimal,
    /// `budgeted + activity`: what is left of the month's budget (negative: over budget). The
    /// month alone, without what earlier months carried in (the budget view has that).
    #[schema(value_type = String)]
    difference: Decimal,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct BudgetReport {
    /// The person's currency: budgets and the activity they are compared with are in it.
    currency: String,
    /// By month, then category name; a category's month with neither a budget nor activity is
    /// left out.
    lines: Vec<BudgetLine>,
}

/// Budget against actual, per expense category and month
#[utoipa::path(get, path = "/v1/finance/reports/budget", tag = "finance", operation_id = "getBudgetReport",
    security(("bearer" = [])), params(RangeParams),
    responses((status = 200, description = "Each category's budget and activity per month", body = BudgetReport), BadInput, NeedsPerson))]
async fn budget_report(
    State(state): State<RouteState>,
    Person(person): Person,
    Query(params): Query<RangeParams>,
) -> Result<Json<BudgetReport>, ApiError> {
    let (from, to) = range(params.from.as_deref(), params.to.as_deref(), true)?;
    let currency = crate::budgets::currency(state.db(), person).await?;
    let rows = reports::budget_vs_actual(state.db(), person, currency.code(), from, to)
        .await
        .map_err(FinanceError::from)?;
    let lines = rows
        .into_iter()
        .map(|row| BudgetLine {
            month: Month::of(row.month),
            category_id: row.category_id,
            name: row.name,
            parent_id: row.parent_id,
            budgeted: currency.round(row.budgeted),
            activity: currency.round(row.activity),
            difference: currency.round(row.budgeted + row.activity),
        })
        .collect();
    Ok(Json(BudgetReport { currency: currency.code().to_owned(), lines }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct UpcomingParams {
    /// How many days ahead, 1 to 366 (default 30).
    days: Option<u32>,
    /// How many days back, 0 to 366 (default 30): recent due dates, paid or missed.
    past: Option<u32>,
    /// The day to look from (default today in the person's zone).
    today: Option<NaiveDate>,
}

/// One due date of a bill.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Due {
    date: NaiveDate,
    /// `paid`, `upcoming` (not paid, still payable) or `missed` (not paid, and more than five
    /// days past).
    status: DueStatus,
    /// The transaction that paid it.
    #[schema(required = true)]
    transaction_id: Option<Uuid>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct BillDues {
    bill_id: Uuid,
    name: String,
    #[schema(required = true)]
    account_id: Option<Uuid>,
    currency: String,
    #[schema(value_type = String)]
    amount: Decimal,
    /// In date order.
    dues: Vec<Due>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct UpcomingBills {
    /// The first day looked at.
    from: NaiveDate,
    today: NaiveDate,
    /// The day after the last day looked at.
    to: NaiveDate,
    /// Every bill with a due date in the range, by name.
    bills: Vec<BillDues>,
}

/// Bills due in the coming days, and recent ones paid or missed
///
/// Each due date from `today - past` to `today + days` is matched to a payment on the bill's
/// account (any account in its currency when it names none) that the bill accepts (payee and
/// amount within its tolerance), up to five days early or late, each payment paying one due
/// date.
#[utoipa::path(get, path = "/v1/finance/reports/upcoming-bills", tag = "finance", operation_id = "getUpcomingBillsReport",
    security(("bearer" = [])), params(UpcomingParams),
    responses((status = 200, description = "Each bill's due dates with what paid them", body = UpcomingBills), BadInput, NeedsPerson))]
async fn upcoming_bills(
    State(state): State<RouteState>,
    Person(person): Person,
    Query(params): Query<UpcomingParams>,
) -> Result<Json<UpcomingBills>, ApiError> {
    let days = params.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(ApiError::invalid("days", "must be 1 to 366"));
    }
    let past = params.past.unwrap_or(30);
    if past > 366 {
        return Err(ApiError::invalid("past", "must be 0 to 366"));
    }
    let today = match params.today {
        Some(today) => today,
        None => today(&state, person).await?,
    };
    let out_of_range = || ApiError::invalid("today", "is too far from the calendar's ends");
    let from = today.checked_sub_days(Days::new(past.into())).ok_or_else(out_of_range)?;
    let to = today.checked_add_days(Days::new(u64::from(days) + 1)).ok_or_else(out_of_range)?;
    let grace = Days::new(GRACE_DAYS.into());
    // Dues just before the range are matched too, so a payment of one is not taken for the
    // next; and payments just outside it may pay a due date inside.
    let (early, late) = (
        from.checked_sub_days(Days::new(2 * u64::from(GRACE_DAYS))).ok_or_else(out_of_range)?,
        to.checked_add_days(grace).ok_or_else(out_of_range)?,
    );

    let rows = crate::db::bills::list(state.db(), person).await.map_err(FinanceError::from)?;
    let mut bills = Vec::new();
    for row in rows {
        let bill: Bill = row.bill.0;
        let dues = bills::due_dates(&bill, early, to);
        if !dues.iter().any(|due| *due >= from) {
            continue;
        }
        let candidates = crate::db::bills::candidates(
            state.db(),
            person,
            row.account_id,
            &row.currency,
            early.checked_sub_days(grace).ok_or_else(out_of_range)?,
            late,
        )
        .await
        .map_err(FinanceError::from)?;
        let matched = bills::match_payments(&bill, &dues, &candidates, GRACE_DAYS);
        let dues = matched
            .into_iter()
            .filter(|(date, _)| *date >= from)
            .map(|(date, paid)| Due {
                date,
                status: bills::due_status(date, paid, today, GRACE_DAYS),
                transaction_id: paid,
            })
            .collect();
        bills.push(BillDues {
            bill_id: row.id,
            amount: crate::db::exact(bill.amount, &row.currency),
            name: bill.name,
            account_id: row.account_id,
            currency: row.currency,
            dues,
        });
    }
    Ok(Json(UpcomingBills { from, today, to, bills }))
}
