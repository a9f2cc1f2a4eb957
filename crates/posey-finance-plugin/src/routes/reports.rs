//! `/v1/finance/reports/...`: cash flow by month, spending by category or payee, net worth
//! over time, budget against actual and upcoming bills, each summed in SQL (see
//! `db::reports`). Amounts are strings, exact at their currency's minor units, each with its
//! currency: currencies are never added together.
//!
//! `from` and `to` are a month (`2026-01`, its first day) or a day (`2026-01-15`); `from` is
//! in the range, `to` is not, as with the transaction list. The monthly reports want whole
//! months.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{Datelike, Days, NaiveDate};
use posey_finance::Currency;
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

use super::shared::{RouteState, today};
use crate::db::reports::{self, Side};
use crate::error::FinanceError;

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new()
        .routes(routes!(cash_flow))
        .routes(routes!(spending))
        .routes(routes!(net_worth))
        .routes(routes!(budget_report))
        .routes(routes!(upcoming_bills))
}

/// The longest range a report covers.
const MAX_YEARS: i32 = 50;

/// How many days before or after its due date a payment still pays a bill.
pub const GRACE_DAYS: u32 = 5;

/// `amount` written at `currency`'s minor units (`12.5` EUR is `12.50`); a code that is not a
/// currency leaves it as it is. Amounts in the books are exact, so nothing is rounded away.
pub(super) fn at_units(amount: Decimal, currency: &str) -> Decimal {
    match Currency::parse(currency) {
        Ok(currency) => currency.round(amount),
        Err(_) => amount,
    }
}

/// A range bound: `2026-01` (the month's first day) or `2026-01-15`.
fn bound(field: &str, text: &str) -> Result<NaiveDate, ApiError> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date);
    }
    text.parse::<Month>()
        .ok()
        .and_then(|month| NaiveDate::from_ymd_opt(month.year(), month.month(), 1))
        .ok_or_else(|| {
            ApiError::invalid(field, "must be a month like 2026-01 or a day like 2026-01-15")
        })
}

/// The half-open range `from..to`, checked: `from` before `to`, at most [`MAX_YEARS`] apart,
/// and with `monthly` both the first of a month.
fn range(
    from: Option<&str>,
    to: Option<&str>,
    monthly: bool,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let required = |field: &str| ApiError::invalid(field, "is required");
    let from = bound("from", from.ok_or_else(|| required("from"))?)?;
    let to = bound("to", to.ok_or_else(|| required("to"))?)?;
    for (field, date) in [("from", from), ("to", to)] {
        if monthly && date.day() != 1 {
            return Err(ApiError::invalid(
                field,
                "the report is by month: give a month like 2026-01 (or its first day)",
            ));
        }
    }
    if from >= to {
        return Err(ApiError::invalid("to", "must come after from (to is not in the range)"));
    }
    if to > from.with_year(from.year() + MAX_YEARS).unwrap_or(NaiveDate::MAX) {
        return Err(ApiError::invalid("to", format!("a report covers at most {MAX_YEARS} years")));
    }
    Ok((from, to))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct RangeParams {
    /// The first month in the report, `2026-01` (or its first day, `2026-01-01`).
    #[param(required = true)]
    from: Option<String>,
    /// The month after the last one in the report: `from=2026-01&to=2026-04` is January to
    /// March.
    #[param(required = true)]
    to: Option<String>,
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
            income: at_units(row.income, &row.currency),
            expenses: at_units(row.expenses, &row.currency),
            net: at_units(row.income - row.expenses, &row.currency),
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
            amount: at_units(row.amount, &row.currency),
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
            assets: at_units(row.assets, &row.currency),
            liabilities: at_units(row.liabilities, &row.currency),
            net: at_units(row.assets - row.liabilities, &row.currency),
            currency: row.currency,
        })
        .collect();
    Ok(Json(NetWorth { months }))
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

/// The person's currency, or a 422 saying to choose one.
pub(super) async fn budget_currency(
    state: &RouteState,
    person: Uuid,
) -> Result<Currency, ApiError> {
    let code = crate::db::currency(state.db(), person).await.map_err(FinanceError::from)?;
    let code = code.ok_or_else(|| {
        ApiError::invalid(
            "currency",
            "budgets are in the person's currency and none is chosen: PUT /v1/finance/settings",
        )
    })?;
    Currency::parse(&code).map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))
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
    let currency = budget_currency(&state, person).await?;
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
            amount: at_units(bill.amount, &row.currency),
            name: bill.name,
            account_id: row.account_id,
            currency: row.currency,
            dues,
        });
    }
    Ok(Json(UpcomingBills { from, today, to, bills }))
}

/// Groups `items` by `key`, keeping their order within a group.
pub(super) fn grouped<K: Ord, T>(items: Vec<T>, key: impl Fn(&T) -> K) -> BTreeMap<K, Vec<T>> {
    let mut groups: BTreeMap<K, Vec<T>> = BTreeMap::new();
    for item in items {
        groups.entry(key(&item)).or_default().push(item);
    }
    groups
}
