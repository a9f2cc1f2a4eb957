//! Bills (`finance.bills`): posey-finance's `bills::Bill` kept as JSON beside the columns a
//! listing and a match need (name, account, currency), and the transactions that may have
//! paid one.

use chrono::{DateTime, NaiveDate, Utc};
use posey_finance::bills::{Bill, Candidate};
use rust_decimal::Decimal;
use sqlx::types::Json;
use sqlx::{FromRow, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct BillRow {
    pub id: Uuid,
    pub account_id: Option<Uuid>,
    pub currency: String,
    pub bill: Json<Bill>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, account_id, currency, bill, created_at, updated_at";

pub async fn list(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<Vec<BillRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM finance.bills WHERE user_id = $1 ORDER BY lower(name), id"
    ))
    .bind(person)
    .fetch_all(db)
    .await
}

pub async fn find(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<BillRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM finance.bills WHERE user_id = $1 AND id = $2"))
        .bind(person)
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    person: Uuid,
    account: Option<Uuid>,
    currency: &str,
    bill: &Bill,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO finance.bills (id, user_id, name, account_id, currency, bill) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(person)
    .bind(&bill.name)
    .bind(account)
    .bind(currency)
    .bind(Json(bill))
    .fetch_one(db)
    .await
}

pub async fn update(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
    account: Option<Uuid>,
    currency: &str,
    bill: &Bill,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE finance.bills SET name = $3, account_id = $4, currency = $5, bill = $6, \
             updated_at = now() WHERE user_id = $1 AND id = $2",
    )
    .bind(person)
    .bind(id)
    .bind(&bill.name)
    .bind(account)
    .bind(currency)
    .bind(Json(bill))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(db: impl PgExecutor<'_>, person: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM finance.bills WHERE user_id = $1 AND id = $2")
        .bind(person)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What may have paid a bill in `from..to`: each split on `account` (or, with none, on any of
/// the person's accounts in `currency`), signed as the account sees it, with its transaction's
/// payee.
pub async fn candidates(
    db: impl PgExecutor<'_>,
    person: Uuid,
    account: Option<Uuid>,
    currency: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<Candidate>> {
    let rows: Vec<(Uuid, NaiveDate, Decimal, Option<String>)> = sqlx::query_as(
        "SELECT t.id, s.date, s.amount, p.name \
         FROM finance.splits s \
         JOIN finance.accounts a ON a.id = s.account_id \
         JOIN finance.transactions t ON t.id = s.transaction_id \
         LEFT JOIN finance.payees p ON p.id = t.payee_id \
         WHERE s.user_id = $1 AND s.date >= $4 AND s.date < $5 AND s.currency = $3 \
           AND a.kind IN ('asset', 'liability') AND ($2::uuid IS NULL OR s.account_id = $2) \
         ORDER BY s.date, t.id",
    )
    .bind(person)
    .bind(account)
    .bind(currency)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, date, amount, payee)| Candidate { id, date, amount, payee })
        .collect())
}
