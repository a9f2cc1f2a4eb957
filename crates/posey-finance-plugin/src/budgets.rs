//! A month of a person's budget as Actual Budget keeps it: each expense category's envelope
//! (budgeted, activity, what carried in, what is available) and what is left to budget, in the
//! person's currency, counting only what went through on-budget accounts; what the budget route
//! and the budget tool both answer. The carry-over rules are posey-finance's `budget` module's;
//! this reads the months they need from the rollup, from the person's first month with a
//! budget or a transaction, so that every carry-over is counted.

use std::collections::BTreeMap;

use posey_finance::budget::{
    self, CategoryMonths, Envelope, FundsEntry, Month, MonthEntry, ToBeBudgeted,
};
use posey_finance::{Currency, Money};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::budgets;
use crate::error::FinanceError;

/// One category's envelope in the month.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CategoryEnvelope {
    pub category_id: Uuid,
    pub name: String,
    #[schema(required = true)]
    pub parent_id: Option<Uuid>,
    /// Overspending stays in the category (negative) instead of coming off next month's money
    /// to budget.
    pub rollover_overspending: bool,
    #[schema(value_type = String)]
    pub budgeted: Decimal,
    /// Spending negative, refunds positive.
    #[schema(value_type = String)]
    pub activity: Decimal,
    /// What the month before left in the category: positive balances carry; overspending
    /// carries only with `rollover_overspending`.
    #[schema(value_type = String)]
    pub carried_in: Decimal,
    /// `carried_in + budgeted + activity`.
    #[schema(value_type = String)]
    pub available: Decimal,
    pub overspent: bool,
}

/// A month of the budget.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BudgetMonth {
    #[schema(value_type = String, example = "2026-03")]
    pub month: Month,
    /// The person's currency, which everything here is in.
    pub currency: String,
    /// The month's income: what came into income categories through on-budget accounts
    /// (positive), plus what moved into on-budget accounts from off-budget ones less what moved
    /// out to them.
    #[schema(value_type = String)]
    pub income: Decimal,
    /// What every category was given this month.
    #[schema(value_type = String)]
    pub budgeted: Decimal,
    /// Every category's activity this month.
    #[schema(value_type = String)]
    pub activity: Decimal,
    /// What last month left to budget (negative when it was over-budgeted).
    #[schema(value_type = String)]
    pub carried_in: Decimal,
    /// Last month's overspending that the categories did not carry: it comes off this month.
    #[schema(value_type = String)]
    pub overspent_last_month: Decimal,
    /// `carried_in + income - overspent_last_month - budgeted`; negative: over-budgeted.
    #[schema(value_type = String)]
    pub to_be_budgeted: Decimal,
    /// Every expense category, by name.
    pub categories: Vec<CategoryEnvelope>,
}

fn budget_error(error: budget::BudgetError) -> FinanceError {
    // The books hold exact amounts in order: this is a bug or a corrupted row, not bad input.
    FinanceError::Internal(anyhow::anyhow!("computing the budget: {error}"))
}

/// Groups `items` by `key`, keeping their order within a group.
fn grouped<K: Ord, T>(items: Vec<T>, key: impl Fn(&T) -> K) -> BTreeMap<K, Vec<T>> {
    let mut groups: BTreeMap<K, Vec<T>> = BTreeMap::new();
    for item in items {
        groups.entry(key(&item)).or_default().push(item);
    }
    groups
}

/// The person's currency, which budgets are in; invalid input naming `currency` when they
/// have chosen none.
pub async fn currency(db: &PgPool, person: Uuid) -> Result<Currency, FinanceError> {
    let code = crate::db::currency(db, person).await?.ok_or_else(|| {
        FinanceError::invalid(
            "currency",
            "budgets are in the person's currency and none is chosen: PUT /v1/finance/settings",
        )
    })?;
    Currency::parse(&code).map_err(|e| FinanceError::Internal(anyhow::anyhow!(e)))
}

/// The person's budget for `month`, in `currency` (theirs).
pub async fn month_of(
    db: &PgPool,
    person: Uuid,
    currency: Currency,
    month: Month,
) -> Result<BudgetMonth, FinanceError> {
    let through = chrono::NaiveDate::from_ymd_opt(month.year(), month.month(), 1)
        .ok_or_else(|| FinanceError::invalid("month", "is outside the calendar"))?;
    let categories = budgets::expense_categories(db, person).await?;
    let rows = budgets::category_months(db, person, currency.code(), through).await?;
    let income: BTreeMap<Month, Decimal> =
        budgets::income_months(db, person, currency.code(), through)
            .await?
            .into_iter()
            .map(|(m, amount)| (Month::of(m), amount))
            .collect();
    let first = budgets::first_month(db, person).await?;

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
    Ok(BudgetMonth {
        month,
        currency: currency.code().to_owned(),
        income: currency.round(this.income),
        budgeted: currency.round(this.budgeted),
        activity: currency.round(activity),
        carried_in: currency.round(this.carried_in),
        overspent_last_month: currency.round(this.overspent_last_month),
        to_be_budgeted: currency.round(this.to_be_budgeted),
        categories: shown,
    })
}
