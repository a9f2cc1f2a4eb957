//! Rules (posey-finance's `rules::Rule` as JSON, applied in position order), and the
//! transactions a rule is run over, read with what it looks at and changed in bulk.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone, FromRow)]
pub struct RuleRow {
    pub id: Uuid,
    pub name: String,
    pub position: i32,
    pub enabled: bool,
    pub rule: Json<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, name, position, enabled, rule, created_at, updated_at";

/// The person's rules in the order they run.
pub async fn list(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<Vec<RuleRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM finance.rules WHERE user_id = $1 ORDER BY position, created_at, id"
    ))
    .bind(person)
    .fetch_all(db)
    .await
}

pub async fn find(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<RuleRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM finance.rules WHERE user_id = $1 AND id = $2"))
        .bind(person)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// A new rule; without a position it runs after the person's others.
pub async fn insert(
    db: impl PgExecutor<'_>,
    person: Uuid,
    name: &str,
    position: Option<i32>,
    enabled: bool,
    rule: &serde_json::Value,
) -> sqlx::Result<RuleRow> {
    sqlx::query_as(&format!(
        "INSERT INTO finance.rules (id, user_id, name, position, enabled, rule) \
         VALUES ($1, $2, $3, COALESCE($4, (SELECT COALESCE(max(position) + 1, 0) \
             FROM finance.rules WHERE user_id = $2)), $5, $6) \
         RETURNING {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(person)
    .bind(name)
    .bind(position)
    .bind(enabled)
    .bind(Json(rule))
    .fetch_one(db)
    .await
}

/// What a change sets (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct RuleChange {
    pub name: Option<String>,
    pub position: Option<i32>,
    pub enabled: Option<bool>,
    pub rule: Option<serde_json::Value>,
}

pub async fn update(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
    change: &RuleChange,
) -> sqlx::Result<Option<RuleRow>> {
    sqlx::query_as(&format!(
        "UPDATE finance.rules SET name = COALESCE($3, name), position = COALESCE($4, position), \
             enabled = COALESCE($5, enabled), rule = COALESCE($6, rule), updated_at = now() \
         WHERE user_id = $1 AND id = $2 RETURNING {COLUMNS}"
    ))
    .bind(person)
    .bind(id)
    .bind(&change.name)
    .bind(change.position)
    .bind(change.enabled)
    .bind(change.rule.as_ref().map(Json))
    .fetch_optional(db)
    .await
}

pub async fn delete(db: impl PgExecutor<'_>, person: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM finance.rules WHERE user_id = $1 AND id = $2")
        .bind(person)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The kinds (`asset`, `expense`, ...) of those of `ids` that are the person's accounts or
/// categories.
pub async fn kinds_of(
    db: impl PgExecutor<'_>,
    person: Uuid,
    ids: &[Uuid],
) -> sqlx::Result<HashMap<Uuid, String>> {
    let found: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, kind FROM finance.accounts WHERE user_id = $1 AND id = ANY($2)")
            .bind(person)
            .bind(ids)
            .fetch_all(db)
            .await?;
    Ok(found.into_iter().collect())
}

/// A transaction as a rule sees it: its first account split (whose amount and account rules
/// match on) and its category split when it has exactly one.
#[derive(Debug, Clone, FromRow)]
pub struct Candidate {
    pub id: Uuid,
    pub date: NaiveDate,
    pub currency: String,
    pub status: String,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub payee: Option<String>,
    pub account_id: Uuid,
    pub amount: Decimal,
    /// How many category (income or expense) splits it has; the next three only when one.
    pub category_splits: i64,
    pub category_split_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    pub category_name: Option<String>,
}

/// The person's transactions dated in `from..to` (either open) that move money in or out of
/// an account, oldest first; `lock`: held until the transaction ends, for writing.
pub async fn candidates(
    db: impl PgExecutor<'_>,
    person: Uuid,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    lock: bool,
) -> sqlx::Result<Vec<Candidate>> {
    let lock = if lock { " FOR UPDATE OF t" } else { "" };
    sqlx::query_as(&format!(
        "SELECT t.id, t.date, t.currency, t.status, t.tags, t.description, p.name AS payee, \
             acct.account_id, acct.amount, cat.n AS category_splits, \
             CASE WHEN cat.n = 1 THEN cat.split_id END AS category_split_id, \
             CASE WHEN cat.n = 1 THEN cat.account_id END AS category_id, \
             CASE WHEN cat.n = 1 THEN cat.name END AS category_name \
         FROM finance.transactions t \
         LEFT JOIN finance.payees p ON p.id = t.payee_id \
         JOIN LATERAL (SELECT s.account_id, s.amount FROM finance.splits s \
             JOIN finance.accounts a ON a.id = s.account_id \
             WHERE s.transaction_id = t.id AND a.kind IN ('asset', 'liability') \
             ORDER BY s.position LIMIT 1) acct ON true \
         CROSS JOIN LATERAL (SELECT count(*) AS n, (array_agg(s.id))[1] AS split_id, \
             (array_agg(s.account_id))[1] AS account_id, (array_agg(a.name))[1] AS name \
             FROM finance.splits s JOIN finance.accounts a ON a.id = s.account_id \
             WHERE s.transaction_id = t.id AND a.kind IN ('income', 'expense')) cat \
         WHERE t.user_id = $1 AND ($2::date IS NULL OR t.date >= $2) \
           AND ($3::date IS NULL OR t.date < $3) \
         ORDER BY t.date, t.id{lock}"
    ))
    .bind(person)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await
}

/// One transaction's change from a rule: its category split moved, its payee replaced, tags
/// added.
#[derive(Debug, Clone)]
pub struct Write {
    pub transaction_id: Uuid,
    /// The category split and the category it moves to.
    pub category: Option<(Uuid, Uuid)>,
    pub payee_id: Option<Uuid>,
    pub added_tags: Vec<String>,
}

/// Writes `changes` in two statements (the books' checks run once per statement).
pub async fn write(db: &mut PgConnection, person: Uuid, changes: &[Write]) -> sqlx::Result<()> {
    let moves: Vec<(Uuid, Uuid)> = changes.iter().filter_map(|c| c.category).collect();
    if !moves.is_empty() {
        sqlx::query(
            "UPDATE finance.splits s SET account_id = m.category \
             FROM UNNEST($2::uuid[], $3::uuid[]) AS m(split, category) \
             WHERE s.user_id = $1 AND s.id = m.split",
        )
        .bind(person)
        .bind(moves.iter().map(|m| m.0).collect::<Vec<_>>())
        .bind(moves.iter().map(|m| m.1).collect::<Vec<_>>())
        .execute(&mut *db)
        .await?;
    }
    if changes.is_empty() {
        return Ok(());
    }
    let tags: Vec<String> = changes
        .iter()
        .map(|c| serde_json::to_string(&c.added_tags).unwrap_or_else(|_| "[]".into()))
        .collect();
    sqlx::query(
        "UPDATE finance.transactions t SET payee_id = COALESCE(c.payee_id, t.payee_id), \
             tags = t.tags || ARRAY(SELECT jsonb_array_elements_text(c.tags::jsonb)), \
             updated_at = now() \
         FROM UNNEST($2::uuid[], $3::uuid[], $4::text[]) AS c(id, payee_id, tags) \
         WHERE t.user_id = $1 AND t.id = c.id",
    )
    .bind(person)
    .bind(changes.iter().map(|c| c.transaction_id).collect::<Vec<_>>())
    .bind(changes.iter().map(|c| c.payee_id).collect::<Vec<_>>())
    .bind(tags)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// The person's enabled rules in the order they run, as stored.
pub async fn enabled(
    db: impl PgExecutor<'_>,
    person: Uuid,
) -> sqlx::Result<Vec<(Uuid, Json<serde_json::Value>)>> {
    sqlx::query_as(
        "SELECT id, rule FROM finance.rules WHERE user_id = $1 AND enabled \
         ORDER BY position, created_at, id",
    )
    .bind(person)
    .fetch_all(db)
    .await
}
