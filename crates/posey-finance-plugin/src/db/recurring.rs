//! Recurring transactions (`finance.recurring`): the template they post, their cadence and
//! where they have got to; the claim of one that is due (its row locked for the claiming
//! transaction, `SKIP LOCKED` so replicas never post one twice), and what posting it leaves.

use chrono::{DateTime, NaiveDate, Utc};
use posey_finance::bills::Cadence;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection, PgExecutor};
use uuid::Uuid;

use crate::service::Template;

#[derive(Debug, Clone, FromRow)]
pub struct RecurringRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub template: Json<Template>,
    pub currency: String,
    pub cadence: Json<Cadence>,
    pub starts: NaiveDate,
    pub ends: Option<NaiveDate>,
    pub next_date: Option<NaiveDate>,
    pub paused: bool,
    pub posted: i32,
    pub last_posted: Option<NaiveDate>,
    pub last_transaction_id: Option<Uuid>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, user_id, name, template, currency, cadence, starts, ends, next_date, \
    paused, posted, last_posted, last_transaction_id, last_error, created_at, updated_at";

/// What a person sets: everything but where posting has got to.
#[derive(Debug, Clone)]
pub struct Settings {
    pub name: String,
    pub template: Template,
    pub currency: String,
    pub cadence: Cadence,
    pub starts: NaiveDate,
    pub ends: Option<NaiveDate>,
    pub paused: bool,
}

/// The next date to post and the instant it begins in the person's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Next {
    pub date: Option<NaiveDate>,
    pub due_at: Option<DateTime<Utc>>,
}

pub async fn list(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<Vec<RecurringRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM finance.recurring WHERE user_id = $1 ORDER BY lower(name), id"
    ))
    .bind(person)
    .fetch_all(db)
    .await
}

pub async fn find(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<RecurringRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM finance.recurring WHERE user_id = $1 AND id = $2"
    ))
    .bind(person)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// One of the person's, its row locked until the transaction ends.
pub async fn lock(
    db: &mut PgConnection,
    person: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<RecurringRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM finance.recurring WHERE user_id = $1 AND id = $2 FOR UPDATE"
    ))
    .bind(person)
    .bind(id)
    .fetch_optional(db)
    .await
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    person: Uuid,
    settings: &Settings,
    next: Next,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO finance.recurring (id, user_id, name, template, currency, cadence, starts, \
             ends, paused, next_date, due_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(person)
    .bind(&settings.name)
    .bind(Json(&settings.template))
    .bind(&settings.currency)
    .bind(Json(settings.cadence))
    .bind(settings.starts)
    .bind(settings.ends)
    .bind(settings.paused)
    .bind(next.date)
    .bind(next.due_at)
    .fetch_one(db)
    .await
}

/// Replaces what the person sets and the next date; resuming clears the reason it paused.
pub async fn update(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
    settings: &Settings,
    next: Next,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE finance.recurring SET name = $3, template = $4, currency = $5, cadence = $6, \
             starts = $7, ends = $8, paused = $9, next_date = $10, due_at = $11, \
             last_error = CASE WHEN $9 THEN last_error END, updated_at = now() \
         WHERE user_id = $1 AND id = $2",
    )
    .bind(person)
    .bind(id)
    .bind(&settings.name)
    .bind(Json(&settings.template))
    .bind(&settings.currency)
    .bind(Json(settings.cadence))
    .bind(settings.starts)
    .bind(settings.ends)
    .bind(settings.paused)
    .bind(next.date)
    .bind(next.due_at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes it; what it posted stays (pointing nowhere).
pub async fn delete(db: impl PgExecutor<'_>, person: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM finance.recurring WHERE user_id = $1 AND id = $2")
        .bind(person)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The one that has been due longest, locked for this transaction; `None`: nothing is due
/// (or every due one is being posted by another replica).
pub async fn claim_due(db: &mut PgConnection) -> sqlx::Result<Option<RecurringRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM finance.recurring WHERE NOT paused AND due_at <= now() \
         ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED"
    ))
    .fetch_optional(db)
    .await
}

/// What posting `count` more left: the last date and transaction posted, and the next date.
pub async fn record_posted(
    db: impl PgExecutor<'_>,
    id: Uuid,
    count: i32,
    last: Option<(NaiveDate, Uuid)>,
    next: Next,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE finance.recurring SET posted = posted + $2, \
             last_posted = COALESCE($3, last_posted), \
             last_transaction_id = COALESCE($4, last_transaction_id), \
             next_date = $5, due_at = $6 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(count)
    .bind(last.map(|l| l.0))
    .bind(last.map(|l| l.1))
    .bind(next.date)
    .bind(next.due_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Stops it posting until the person resumes it, saying why.
pub async fn pause(db: impl PgExecutor<'_>, id: Uuid, reason: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE finance.recurring SET paused = true, last_error = $2, updated_at = now() \
         WHERE id = $1",
    )
    .bind(id)
    .bind(reason)
    .execute(db)
    .await?;
    Ok(())
}

/// A bank line already imported that a recurring date may stand on.
#[derive(Debug, Clone, FromRow)]
pub struct Imported {
    pub id: Uuid,
    pub status: String,
    /// The account of `splits` it moved the amount on.
    pub account_id: Uuid,
}

/// The imported transaction, not yet any recurring one's, that moved exactly `amount` on one
/// of `accounts` (asset or liability accounts only: where bank lines land) dated `from..=to`,
/// the nearest to `date` first; none dated a day `recurring` has a transaction on already.
pub async fn imported_for(
    db: impl PgExecutor<'_>,
    person: Uuid,
    recurring: Uuid,
    splits: &[(Uuid, rust_decimal::Decimal)],
    date: NaiveDate,
    (from, to): (NaiveDate, NaiveDate),
) -> sqlx::Result<Option<Imported>> {
    let (accounts, amounts): (Vec<Uuid>, Vec<rust_decimal::Decimal>) =
        splits.iter().copied().unzip();
    sqlx::query_as(
        "WITH wanted AS (SELECT w.account_id, w.amount \
             FROM unnest($3::uuid[], $4::numeric[]) AS w(account_id, amount) \
             JOIN finance.accounts a ON a.id = w.account_id AND a.user_id = $1 \
               AND a.kind IN ('asset', 'liability')) \
         SELECT t.id, t.status, w.account_id FROM finance.transactions t \
         JOIN finance.splits s ON s.transaction_id = t.id \
         JOIN wanted w ON w.account_id = s.account_id \
         WHERE t.user_id = $1 AND t.import_id IS NOT NULL AND t.recurring_id IS NULL \
           AND t.date BETWEEN $6 AND $7 \
           AND NOT EXISTS (SELECT 1 FROM finance.transactions o \
               WHERE o.user_id = $1 AND o.recurring_id = $2 AND o.date = t.date) \
         GROUP BY t.id, t.status, t.date, w.account_id, w.amount \
         HAVING sum(s.amount) = w.amount \
         ORDER BY abs(t.date - $5), t.date, t.id LIMIT 1",
    )
    .bind(person)
    .bind(recurring)
    .bind(accounts)
    .bind(amounts)
    .bind(date)
    .bind(from)
    .bind(to)
    .fetch_optional(db)
    .await
}

/// Makes an imported transaction `recurring`'s: it keeps its date, amount and the bank's
/// payee and description (the template's fill in what it lacks), and its uncategorised side
/// takes the template's category when given. False when another took it first.
pub async fn adopt_imported(
    db: &mut PgConnection,
    person: Uuid,
    id: Uuid,
    recurring: Uuid,
    payee_id: Option<Uuid>,
    description: Option<&str>,
    category: Option<Uuid>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE finance.transactions SET recurring_id = $3, \
             payee_id = COALESCE(payee_id, $4), description = COALESCE(description, $5), \
             updated_at = now() \
         WHERE user_id = $1 AND id = $2 AND recurring_id IS NULL AND status <> 'reconciled'",
    )
    .bind(person)
    .bind(id)
    .bind(recurring)
    .bind(payee_id)
    .bind(description)
    .execute(&mut *db)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    if let Some(category) = category {
        sqlx::query(
            "UPDATE finance.splits s SET account_id = $3 FROM finance.accounts a \
             WHERE s.transaction_id = $2 AND a.id = s.account_id AND a.user_id = $1 \
               AND a.role IN ('uncategorised_expense', 'uncategorised_income')",
        )
        .bind(person)
        .bind(id)
        .bind(category)
        .execute(&mut *db)
        .await?;
    }
    Ok(true)
}
