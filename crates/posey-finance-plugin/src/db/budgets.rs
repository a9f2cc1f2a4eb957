//! Monthly envelopes (`finance.budgets`) and the month-by-month figures the budget view is
//! computed from: what each expense category was given and spent, and the income, all in the
//! person's currency and read from the `account_months` rollup, less what moved through
//! off-budget accounts alone.

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

/// The budget is the money in on-budget accounts, as Actual Budget keeps it: a category's
/// split counts only in a transaction that moves money in or out of an on-budget account (a
/// purchase in an off-budget brokerage or a loan tracked off budget is not the budget's), and
/// money moved between an on-budget and an off-budget account enters or leaves the budget
/// (Actual asks for a category on such a transfer; Posey's transfers have none, so it counts in
/// what is left to budget). Transfers between two off-budget accounts count nowhere.
///
/// `legs` is every split of the person's ($1) transactions dated in `range` (a condition on
/// `o.date`) that move money in or out of an off-budget account, with its account's kind and
/// whether it is on budget; `inside` those of them that touch an on-budget account too. They
/// are read from the off-budget accounts' splits (few), so the rollup stays the budget's source
/// and this only corrects it.
fn off_budget(range: &str) -> String {
    format!(
        "touching AS ( \
             SELECT DISTINCT o.transaction_id FROM finance.splits o \
             JOIN finance.accounts a ON a.id = o.account_id \
             WHERE a.user_id = $1 AND a.kind IN ('asset', 'liability') AND NOT a.on_budget \
               AND {range}), \
         legs AS ( \
             SELECT s.transaction_id, s.account_id, date_trunc('month', s.date)::date AS month, \
                 s.currency, s.amount, a.kind, a.on_budget \
             FROM touching t JOIN finance.splits s ON s.transaction_id = t.transaction_id \
             JOIN finance.accounts a ON a.id = s.account_id), \
         inside AS ( \
             SELECT DISTINCT transaction_id FROM legs \
             WHERE kind IN ('asset', 'liability') AND on_budget)"
    )
}

/// Each expense category's activity in `currency` per month, from the rollup less what was
/// spent through off-budget accounts alone: a CTE `activity (account_id, month, amount)` over
/// the rollup's rows matching `months` (a condition on `m.month`) after `off_budget(range)`'s.
pub(crate) fn activity_sql(months: &str, range: &str) -> String {
    format!(
        "WITH {}, \
         activity AS ( \
             SELECT account_id, month, -sum(amount) AS amount FROM ( \
                 SELECT m.account_id, m.month, m.amount \
                 FROM finance.account_months m JOIN finance.accounts a ON a.id = m.account_id \
                 WHERE m.user_id = $1 AND a.kind = 'expense' AND m.currency = $2 AND {months} \
                 UNION ALL \
                 SELECT l.account_id, l.month, -l.amount FROM legs l \
                 WHERE l.kind = 'expense' AND l.currency = $2 \
                   AND l.transaction_id NOT IN (SELECT transaction_id FROM inside)) moved \
             GROUP BY 1, 2)",
        off_budget(range)
    )
}

/// Every expense category's months with a budget or activity in `currency`, up to and including
/// the month starting `through`, by category then month; only what went through on-budget
/// accounts is activity.
pub async fn category_months(
    db: impl PgExecutor<'_>,
    person: Uuid,
    currency: &str,
    through: NaiveDate,
) -> sqlx::Result<Vec<CategoryMonth>> {
    let sql = format!(
        "{}, \
         budgeted AS ( \
             SELECT category_id, month, amount FROM finance.budgets \
             WHERE user_id = $1 AND month <= $3) \
         SELECT COALESCE(a.account_id, b.category_id) AS category_id, \
             COALESCE(a.month, b.month) AS month, COALESCE(b.amount, 0) AS budgeted, \
             COALESCE(a.amount, 0) AS activity \
         FROM activity a FULL JOIN budgeted b ON b.category_id = a.account_id AND b.month = a.month \
         ORDER BY 1, 2",
        activity_sql("m.month <= $3", "o.date < $3::date + interval '1 month'")
    );
    sqlx::query_as(&sql).bind(person).bind(currency).bind(through).fetch_all(db).await
}

/// The money that came into the budget per month in `currency` up to and including `through`:
/// what came into the income categories through on-budget accounts (positive; the negation of
/// their credit splits), plus what moved into on-budget accounts from off-budget ones less what
/// moved out to them.
pub async fn income_months(
    db: impl PgExecutor<'_>,
    person: Uuid,
    currency: &str,
    through: NaiveDate,
) -> sqlx::Result<Vec<(NaiveDate, Decimal)>> {
    // A transaction between the budget and an off-budget account moves what its on-budget
    // splits move, less what its categories already count (a salary paid partly into an
    // off-budget pension: the part that stayed is what the budget got).
    let sql = format!(
        "WITH {} \
         SELECT month, sum(amount) FROM ( \
             SELECT m.month, -m.amount AS amount FROM finance.account_months m \
             JOIN finance.accounts a ON a.id = m.account_id \
             WHERE m.user_id = $1 AND a.kind = 'income' AND m.currency = $2 AND m.month <= $3 \
             UNION ALL \
             SELECT l.month, l.amount FROM legs l \
             WHERE l.kind = 'income' AND l.currency = $2 \
               AND l.transaction_id NOT IN (SELECT transaction_id FROM inside) \
             UNION ALL \
             SELECT l.month, l.amount FROM legs l \
             WHERE l.currency = $2 AND l.transaction_id IN (SELECT transaction_id FROM inside) \
               AND (l.kind IN ('income', 'expense') \
                    OR (l.kind IN ('asset', 'liability') AND l.on_budget))) moved \
         GROUP BY 1 ORDER BY 1",
        off_budget("o.date < $3::date + interval '1 month'")
    );
    sqlx::query_as(&sql).bind(person).bind(currency).bind(through).fetch_all(db).await
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
