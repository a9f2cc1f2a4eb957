//! Monthly envelopes (`finance.budgets`) and the month-by-month figures the budget view is
//! computed from: what each expense category was given and spent, and the income, all in the
//! person's currency and read from the `account_months` rollup.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{FromRow, PgExecutor};
use uuid::Uuid;

/// An expense category as the budget lists it.
#[derive(Debug, Clone, FromRow)]
pub struct Category {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub rollover_overspending: bool,
}

pub async fn expense_categories(
    db: impl PgExecutor<'_>,
    person: Uuid,
) -> sqlx::Result<Vec<Category>> {
    sqlx::query_as(
        "SELECT id, name, parent_id, rollover_overspending FROM finance.accounts \
         WHERE user_id = $1 AND kind = 'expense' ORDER BY lower(name), id",
    )
    .bind(person)
    .fetch_all(db)
    .await
}

/// One category's month: what was budgeted, and its activity (spending negative, refunds
/// positive, as Actual Budget shows it: the negation of the category's debit-positive splits).
#[derive(Debug, Clone, FromRow)]
pub struct CategoryMonth {
    pub category_id: Uuid,
    pub month: NaiveDate,
    pub budgeted: Decimal,
    pub activity: Decimal,
}

/// Every expense category's months with a budget or activity in `currency`, up to and including
/// the month starting `through`, by category then month.
pub async fn category_months(
    db: impl PgExecutor<'_>,
    person: Uuid,
    currency: &str,
    through: NaiveDate,
) -> sqlx::Result<Vec<CategoryMonth>> {
    sqlx::query_as(
        "WITH activity AS ( \
             SELECT m.account_id, m.month, -sum(m.amount) AS amount \
             FROM finance.account_months m JOIN finance.accounts a ON a.id = m.account_id \
             WHERE m.user_id = $1 AND a.kind = 'expense' AND m.currency = $2 AND m.month <= $3 \
             GROUP BY 1, 2), \
         budgeted AS ( \
             SELECT category_id, month, amount FROM finance.budgets \
             WHERE user_id = $1 AND month <= $3) \
         SELECT COALESCE(a.account_id, b.category_id) AS category_id, \
             COALESCE(a.month, b.month) AS month, COALESCE(b.amount, 0) AS budgeted, \
             COALESCE(a.amount, 0) AS activity \
         FROM activity a FULL JOIN budgeted b ON b.category_id = a.account_id AND b.month = a.month \
         ORDER BY 1, 2",
    )
    .bind(person)
    .bind(currency)
    .bind(through)
    .fetch_all(db)
    .await
}

/// Income per month in `currency` up to and including `through`: what came into the income
/// categories (positive; the negation of their credit splits).
pub async fn income_months(
    db: impl PgExecutor<'_>,
    person: Uuid,
    currency: &str,
    through: NaiveDate,
) -> sqlx::Result<Vec<(NaiveDate, Decimal)>> {
    sqlx::query_as(
        "SELECT m.month, -sum(m.amount) FROM finance.account_months m \
         JOIN finance.accounts a ON a.id = m.account_id \
         WHERE m.user_id = $1 AND a.kind = 'income' AND m.currency = $2 AND m.month <= $3 \
         GROUP BY 1 ORDER BY 1",
    )
    .bind(person)
    .bind(currency)
    .bind(through)
    .fetch_all(db)
    .await
}

/// The first month with a budget or a transaction: where carry-over starts.
pub async fn first_month(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<Option<NaiveDate>> {
    sqlx::query_scalar(
        "SELECT least((SELECT min(month) FROM finance.budgets WHERE user_id = $1), \
                      (SELECT min(month) FROM finance.account_months WHERE user_id = $1))",
    )
    .bind(person)
    .fetch_one(db)
    .await
}

/// Sets the category's envelope for the month starting `month`; zero deletes it.
pub async fn set(
    db: impl PgExecutor<'_>,
    person: Uuid,
    category: Uuid,
    month: NaiveDate,
    amount: Decimal,
) -> sqlx::Result<()> {
    if amount.is_zero() {
        sqlx::query(
            "DELETE FROM finance.budgets WHERE user_id = $1 AND category_id = $2 AND month = $3",
        )
        .bind(person)
        .bind(category)
        .bind(month)
        .execute(db)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO finance.budgets (user_id, category_id, month, amount) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (category_id, month) DO UPDATE SET amount = EXCLUDED.amount",
        )
        .bind(person)
        .bind(category)
        .bind(month)
        .bind(amount)
        .execute(db)
        .await?;
    }
    Ok(())
}

/// An envelope as kept: what a category was given in the month starting `month`.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Envelope {
    pub category_id: Uuid,
    pub month: NaiveDate,
    pub amount: Decimal,
}

/// Every envelope of the person's, by month then category (their export's).
pub async fn envelopes(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<Vec<Envelope>> {
    sqlx::query_as(
        "SELECT category_id, month, amount FROM finance.budgets WHERE user_id = $1 \
         ORDER BY month, category_id",
    )
    .bind(person)
    .fetch_all(db)
    .await
}
