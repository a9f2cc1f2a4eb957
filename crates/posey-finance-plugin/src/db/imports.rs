//! Bank file imports (a preview's lines kept as JSON until committed), the dedupe keys an
//! account already holds, payees looked up in bulk, and saved CSV mappings.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection, PgExecutor};
use uuid::Uuid;

/// An import as stored; `lines` only while a preview, and only when asked for.
#[derive(Debug, Clone, FromRow)]
pub struct ImportRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub format: String,
    pub file_name: Option<String>,
    pub state: String,
    pub statement_balance: Option<Decimal>,
    pub statement_date: Option<NaiveDate>,
    pub added: Option<i32>,
    pub skipped: Option<i32>,
    /// What committing linked to transactions the recurring poster had posted.
    pub matched: Option<i32>,
    /// A preview's lines, of those the ones the account holds already, and of the others
    /// those that match a posted recurring transaction.
    pub line_count: Option<i32>,
    pub duplicate_count: Option<i64>,
    pub matched_count: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub committed_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "i.id, i.account_id, i.format, i.file_name, i.state, i.statement_balance, \
    i.statement_date, i.added, i.skipped, i.matched, jsonb_array_length(i.lines) AS line_count, \
    (SELECT count(*) FROM jsonb_array_elements(i.lines) e WHERE (e->>'duplicate')::boolean) \
        AS duplicate_count, \
    (SELECT count(*) FROM jsonb_array_elements(i.lines) e \
        WHERE NOT (e->>'duplicate')::boolean AND e->>'matches' IS NOT NULL) AS matched_count, \
    i.created_at, i.committed_at, i.expires_at";

/// What a new preview stores.
#[derive(Debug, Clone)]
pub struct NewImport<'a, L> {
    pub id: Uuid,
    pub account_id: Uuid,
    pub format: &'a str,
    pub file_name: Option<&'a str>,
    pub file_sha256: &'a [u8],
    pub lines: &'a [L],
    pub statement_balance: Option<Decimal>,
    pub statement_date: Option<NaiveDate>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert<L: serde::Serialize + Sync>(
    db: impl PgExecutor<'_>,
    person: Uuid,
    new: &NewImport<'_, L>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO finance.imports (id, user_id, account_id, format, file_name, file_sha256, \
             state, lines, statement_balance, statement_date, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'preview', $7, $8, $9, $10)",
    )
    .bind(new.id)
    .bind(person)
    .bind(new.account_id)
    .bind(new.format)
    .bind(new.file_name)
    .bind(new.file_sha256)
    .bind(Json(new.lines))
    .bind(new.statement_balance)
    .bind(new.statement_date)
    .bind(new.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets the person's previews that were never committed in time.
pub async fn delete_expired(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "DELETE FROM finance.imports \
         WHERE user_id = $1 AND state = 'preview' AND expires_at < now()",
    )
    .bind(person)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// The person's imports, newest first.
pub async fn list(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<Vec<ImportRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM finance.imports i WHERE i.user_id = $1 \
         ORDER BY i.created_at DESC, i.id DESC"
    ))
    .bind(person)
    .fetch_all(db)
    .await
}

/// One of the person's imports; `lock`: held until the transaction ends (a commit or delete).
pub async fn find(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
    lock: bool,
) -> sqlx::Result<Option<ImportRow>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM finance.imports i WHERE i.user_id = $1 AND i.id = $2{lock}"
    ))
    .bind(person)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// A preview's lines (`None` once committed).
pub async fn lines<L: serde::de::DeserializeOwned + Send + Unpin + 'static>(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Vec<L>>> {
    let lines: Option<Option<Json<Vec<L>>>> =
        sqlx::query_scalar("SELECT lines FROM finance.imports WHERE user_id = $1 AND id = $2")
            .bind(person)
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(lines.flatten().map(|json| json.0))
}

/// Marks a preview committed with what it added, linked and skipped, and drops its lines.
pub async fn mark_committed(
    db: impl PgExecutor<'_>,
    id: Uuid,
    added: usize,
    matched: usize,
    skipped: usize,
) -> sqlx::Result<()> {
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    sqlx::query(
        "UPDATE finance.imports SET state = 'committed', lines = NULL, added = $2, matched = $3, \
             skipped = $4, committed_at = now(), expires_at = NULL WHERE id = $1",
    )
    .bind(id)
    .bind(count(added))
    .bind(count(matched))
    .bind(count(skipped))
    .execute(db)
    .await?;
    Ok(())
}

/// A transaction the recurring poster posted that no bank line is linked to yet, with what it
/// moved on the account.
#[derive(Debug, Clone, FromRow)]
pub struct Posted {
    pub id: Uuid,
    pub date: NaiveDate,
    pub amount: Decimal,
}

/// The person's posted recurring transactions on `account` dated `from..=to` that no import
/// has matched, by date.
pub async fn posted_unmatched(
    db: impl PgExecutor<'_>,
    person: Uuid,
    account: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<Posted>> {
    sqlx::query_as(
        "SELECT t.id, t.date, sum(s.amount) AS amount FROM finance.transactions t \
         JOIN finance.splits s ON s.transaction_id = t.id AND s.account_id = $2 \
         WHERE t.user_id = $1 AND t.recurring_id IS NOT NULL AND t.import_key IS NULL \
           AND t.date BETWEEN $3 AND $4 \
         GROUP BY t.id, t.date ORDER BY t.date, t.id",
    )
    .bind(person)
    .bind(account)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await
}

/// A posted transaction's status, locked until the commit ends, when no import has matched it.
pub async fn lock_unmatched(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT status FROM finance.transactions \
         WHERE user_id = $1 AND id = $2 AND import_key IS NULL FOR UPDATE",
    )
    .bind(person)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// What a bank line gives the posted transaction it is linked to.
#[derive(Debug, Clone)]
pub struct Link<'a> {
    pub transaction: Uuid,
    pub account: Uuid,
    pub import: Uuid,
    pub key: &'a str,
    pub source: &'a str,
    pub description: Option<&'a str>,
    pub payee_id: Option<Uuid>,
}

/// Links a posted transaction to its bank line, as Actual Budget links an imported line to the
/// scheduled one it matches: the transaction keeps its date, payee, category and description
/// (the line's payee and description fill in what it lacks), takes the line's dedupe key and
/// where in the file it is, and is cleared. False when the account holds the key already.
pub async fn link(db: impl PgExecutor<'_>, person: Uuid, link: &Link<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE finance.transactions t SET import_account = $3, import_key = $4, \
             matched_import = $5, source = $6, status = 'cleared', \
             description = COALESCE(t.description, $7), payee_id = COALESCE(t.payee_id, $8), \
             updated_at = now() \
         WHERE t.user_id = $1 AND t.id = $2 AND t.import_key IS NULL \
           AND NOT EXISTS (SELECT 1 FROM finance.transactions o \
               WHERE o.user_id = $1 AND o.import_account = $3 AND o.import_key = $4)",
    )
    .bind(person)
    .bind(link.transaction)
    .bind(link.account)
    .bind(link.key)
    .bind(link.import)
    .bind(link.source)
    .bind(link.description)
    .bind(link.payee_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Unlinks the transactions an import matched (keeping them: they were not its), but for
/// reconciled ones, which stay as they are; how many.
pub async fn unlink(db: impl PgExecutor<'_>, person: Uuid, import: Uuid) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE finance.transactions SET import_account = NULL, import_key = NULL, \
             matched_import = NULL, source = NULL, updated_at = now() \
         WHERE user_id = $1 AND matched_import = $2 AND status <> 'reconciled'",
    )
    .bind(person)
    .bind(import)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// How many transactions an import added are left, and how many of those are reconciled.
pub async fn transaction_counts(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE status = 'reconciled') \
         FROM finance.transactions WHERE import_id = $1",
    )
    .bind(id)
    .fetch_one(db)
    .await
}

/// Deletes an import; the transactions it added go with it (the foreign key cascades).
pub async fn delete(db: impl PgExecutor<'_>, person: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM finance.imports WHERE user_id = $1 AND id = $2")
        .bind(person)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Which of `keys` the account holds already.
pub async fn existing_keys(
    db: impl PgExecutor<'_>,
    person: Uuid,
    account: Uuid,
    keys: &[String],
) -> sqlx::Result<HashSet<String>> {
    let found: Vec<String> = sqlx::query_scalar(
        "SELECT import_key FROM finance.transactions \
         WHERE user_id = $1 AND import_account = $2 AND import_key = ANY($3)",
    )
    .bind(person)
    .bind(account)
    .bind(keys)
    .fetch_all(db)
    .await?;
    Ok(found.into_iter().collect())
}

/// The payees named `names` (trimmed, not empty), made where the person has none of that name
/// in any letter case: two statements for any number of names.
pub async fn payee_ids(
    db: &mut PgConnection,
    person: Uuid,
    names: &[String],
) -> sqlx::Result<HashMap<String, Uuid>> {
    if names.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<Uuid> = names.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query(
        "INSERT INTO finance.payees (id, user_id, name) \
         SELECT n.id, $1, n.name FROM UNNEST($2::uuid[], $3::text[]) AS n(id, name) \
         ON CONFLICT (user_id, lower(name)) DO NOTHING",
    )
    .bind(person)
    .bind(&ids)
    .bind(names)
    .execute(&mut *db)
    .await?;
    let found: Vec<(String, Uuid)> = sqlx::query_as(
        "SELECT n.name, p.id FROM UNNEST($2::text[]) AS n(name) \
         JOIN finance.payees p ON p.user_id = $1 AND lower(p.name) = lower(n.name)",
    )
    .bind(person)
    .bind(names)
    .fetch_all(&mut *db)
    .await?;
    Ok(found.into_iter().collect())
}

/// A saved CSV mapping (posey-finance's `CsvMapping` as JSON).
#[derive(Debug, Clone, FromRow)]
pub struct CsvMappingRow {
    pub id: Uuid,
    pub name: String,
    pub mapping: Json<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

pub async fn csv_mappings(
    db: impl PgExecutor<'_>,
    person: Uuid,
) -> sqlx::Result<Vec<CsvMappingRow>> {
    sqlx::query_as(
        "SELECT id, name, mapping, created_at FROM finance.csv_mappings WHERE user_id = $1 \
         ORDER BY lower(name), id",
    )
    .bind(person)
    .fetch_all(db)
    .await
}

pub async fn find_csv_mapping(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<CsvMappingRow>> {
    sqlx::query_as(
        "SELECT id, name, mapping, created_at FROM finance.csv_mappings \
         WHERE user_id = $1 AND id = $2",
    )
    .bind(person)
    .bind(id)
    .fetch_optional(db)
    .await
}

pub async fn insert_csv_mapping(
    db: impl PgExecutor<'_>,
    person: Uuid,
    name: &str,
    mapping: &serde_json::Value,
) -> sqlx::Result<CsvMappingRow> {
    sqlx::query_as(
        "INSERT INTO finance.csv_mappings (id, user_id, name, mapping) VALUES ($1, $2, $3, $4) \
         RETURNING id, name, mapping, created_at",
    )
    .bind(Uuid::now_v7())
    .bind(person)
    .bind(name)
    .bind(Json(mapping))
    .fetch_one(db)
    .await
}

pub async fn delete_csv_mapping(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM finance.csv_mappings WHERE user_id = $1 AND id = $2")
        .bind(person)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
