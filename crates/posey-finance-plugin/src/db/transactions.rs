//! Transactions and their splits. A transaction's splits are always written in one statement
//! (the database checks after each statement that every transaction it touched balances).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{FromRow, PgConnection, PgExecutor, QueryBuilder};
use uuid::Uuid;

/// A transaction with its splits, as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Transaction {
    pub id: Uuid,
    pub date: NaiveDate,
    /// The ISO 4217 currency its splits' values balance in.
    pub currency: String,
    #[schema(required = true)]
    pub payee_id: Option<Uuid>,
    #[schema(required = true)]
    pub payee: Option<String>,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true)]
    pub notes: Option<String>,
    pub tags: Vec<String>,
    /// `uncleared`, `cleared` or `reconciled` (reconciled ones change only when the change
    /// says `confirm_reconciled`).
    pub status: String,
    /// The import it came from.
    #[schema(required = true)]
    pub import_id: Option<Uuid>,
    /// Where in its file it came from (`line 12`, `STMTTRN 3`).
    #[schema(required = true)]
    pub source: Option<String>,
    /// The recurring transaction that posted it.
    #[schema(required = true)]
    pub recurring_id: Option<Uuid>,
    pub splits: Vec<Split>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One leg of a transaction: money into (positive) or out of (negative) one account, debit
/// positive (spending is positive in an expense category, income negative in an income one).
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct Split {
    pub id: Uuid,
    #[serde(skip)]
    pub transaction_id: Uuid,
    pub account_id: Uuid,
    pub account_name: String,
    /// The account's kind: `asset`, `liability`, `income`, `expense`, `equity`.
    pub account_kind: String,
    /// In `currency`, the account's (a category's: the transaction's).
    #[schema(value_type = String)]
    pub amount: Decimal,
    pub currency: String,
    /// In the transaction's currency: what balances.
    #[schema(value_type = String)]
    pub value: Decimal,
    /// Value per unit of amount, for a split in another currency.
    #[schema(value_type = Option<String>, required = true)]
    pub rate: Option<Decimal>,
    #[schema(required = true)]
    pub rate_date: Option<NaiveDate>,
    #[schema(required = true)]
    pub memo: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
struct Row {
    id: Uuid,
    date: NaiveDate,
    currency: String,
    payee_id: Option<Uuid>,
    payee: Option<String>,
    description: Option<String>,
    notes: Option<String>,
    tags: Vec<String>,
    status: String,
    import_id: Option<Uuid>,
    source: Option<String>,
    recurring_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "t.id, t.date, t.currency, t.payee_id, p.name AS payee, t.description, \
    t.notes, t.tags, t.status, t.import_id, t.source, t.recurring_id, t.created_at, t.updated_at";

/// A split to write.
#[derive(Debug, Clone)]
pub struct NewSplit {
    pub account_id: Uuid,
    pub amount: Decimal,
    pub currency: String,
    pub value: Decimal,
    pub rate: Option<Decimal>,
    pub rate_date: Option<NaiveDate>,
    pub memo: Option<String>,
}

/// A transaction to write.
#[derive(Debug, Clone)]
pub struct NewTransaction {
    pub id: Uuid,
    pub date: NaiveDate,
    pub currency: String,
    pub payee_id: Option<Uuid>,
    pub description: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub status: String,
    pub import_id: Option<Uuid>,
    /// The account an imported line was for, and its dedupe key.
    pub import_key: Option<(Uuid, String)>,
    pub source: Option<String>,
    /// The recurring transaction posting it.
    pub recurring_id: Option<Uuid>,
    pub splits: Vec<NewSplit>,
}

/// Writes transactions with their splits in two statements; an imported one whose key the
/// account has already is left out. The ids written, in order.
pub async fn insert(
    db: &mut PgConnection,
    person: Uuid,
    transactions: &[NewTransaction],
) -> sqlx::Result<Vec<Uuid>> {
    if transactions.is_empty() {
        return Ok(Vec::new());
    }
    let tags: Vec<String> = transactions
        .iter()
        .map(|t| serde_json::to_string(&t.tags).unwrap_or_else(|_| "[]".into()))
        .collect();
    let written: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO finance.transactions (id, user_id, date, currency, payee_id, description, \
             notes, tags, status, import_id, import_account, import_key, source, recurring_id) \
         SELECT i.id, $1, i.date, i.currency, i.payee_id, i.description, i.notes, \
             ARRAY(SELECT jsonb_array_elements_text(i.tags::jsonb)), i.status, i.import_id, \
             i.import_account, i.import_key, i.source, i.recurring_id \
         FROM UNNEST($2::uuid[], $3::date[], $4::text[], $5::uuid[], $6::text[], $7::text[], \
             $8::text[], $9::text[], $10::uuid[], $11::uuid[], $12::text[], $13::text[], \
             $14::uuid[]) \
             AS i(id, date, currency, payee_id, description, notes, tags, status, import_id, \
                  import_account, import_key, source, recurring_id) \
         ON CONFLICT (user_id, import_account, import_key) WHERE import_key IS NOT NULL DO NOTHING \
         RETURNING id",
    )
    .bind(person)
    .bind(transactions.iter().map(|t| t.id).collect::<Vec<_>>())
    .bind(transactions.iter().map(|t| t.date).collect::<Vec<_>>())
    .bind(transactions.iter().map(|t| t.currency.clone()).collect::<Vec<_>>())
    .bind(transactions.iter().map(|t| t.payee_id).collect::<Vec<_>>())
    .bind(transactions.iter().map(|t| t.description.clone()).collect::<Vec<_>>())
    .bind(transactions.iter().map(|t| t.notes.clone()).collect::<Vec<_>>())
    .bind(tags)
    .bind(transactions.iter().map(|t| t.status.clone()).collect::<Vec<_>>())
    .bind(transactions.iter().map(|t| t.import_id).collect::<Vec<_>>())
    .bind(transactions.iter().map(|t| t.import_key.as_ref().map(|k| k.0)).collect::<Vec<_>>())
    .bind(
        transactions.iter().map(|t| t.import_key.as_ref().map(|k| k.1.clone())).collect::<Vec<_>>(),
    )
    .bind(transactions.iter().map(|t| t.source.clone()).collect::<Vec<_>>())
    .bind(transactions.iter().map(|t| t.recurring_id).collect::<Vec<_>>())
    .fetch_all(&mut *db)
    .await?;
    let kept: std::collections::HashSet<Uuid> = written.iter().copied().collect();
    let kept: Vec<&NewTransaction> = transactions.iter().filter(|t| kept.contains(&t.id)).collect();
    insert_splits(db, person, &kept).await?;
    Ok(kept.iter().map(|t| t.id).collect())
}

async fn insert_splits(
    db: &mut PgConnection,
    person: Uuid,
    transactions: &[&NewTransaction],
) -> sqlx::Result<()> {
    let mut columns = SplitColumns::default();
    for transaction in transactions {
        for (position, split) in transaction.splits.iter().enumerate() {
            columns.id.push(Uuid::now_v7());
            columns.transaction.push(transaction.id);
            columns.account.push(split.account_id);
            columns.amount.push(split.amount);
            columns.currency.push(split.currency.clone());
            columns.value.push(split.value);
            columns.rate.push(split.rate);
            columns.rate_date.push(split.rate_date);
            columns.memo.push(split.memo.clone());
            columns.position.push(i16::try_from(position).unwrap_or(i16::MAX));
            columns.date.push(transaction.date);
        }
    }
    if columns.id.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO finance.splits (id, transaction_id, user_id, account_id, amount, currency, \
             value, rate, rate_date, memo, position, date) \
         SELECT s.id, s.transaction_id, $1, s.account_id, s.amount, s.currency, s.value, s.rate, \
             s.rate_date, s.memo, s.position, s.date \
         FROM UNNEST($2::uuid[], $3::uuid[], $4::uuid[], $5::numeric[], $6::text[], $7::numeric[], \
             $8::numeric[], $9::date[], $10::text[], $11::int2[], $12::date[]) \
             AS s(id, transaction_id, account_id, amount, currency, value, rate, rate_date, memo, \
                  position, date)",
    )
    .bind(person)
    .bind(columns.id)
    .bind(columns.transaction)
    .bind(columns.account)
    .bind(columns.amount)
    .bind(columns.currency)
    .bind(columns.value)
    .bind(columns.rate)
    .bind(columns.rate_date)
    .bind(columns.memo)
    .bind(columns.position)
    .bind(columns.date)
    .execute(&mut *db)
    .await?;
    Ok(())
}

#[derive(Default)]
struct SplitColumns {
    id: Vec<Uuid>,
    transaction: Vec<Uuid>,
    account: Vec<Uuid>,
    amount: Vec<Decimal>,
    currency: Vec<String>,
    value: Vec<Decimal>,
    rate: Vec<Option<Decimal>>,
    rate_date: Vec<Option<NaiveDate>>,
    memo: Vec<Option<String>>,
    position: Vec<i16>,
    date: Vec<NaiveDate>,
}

/// Lets this connection's transaction change reconciled transactions (the person said so).
pub async fn allow_reconciled_changes(db: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("SELECT set_config('finance.change_reconciled', 'on', true)")
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Replaces a transaction's fields and splits with `new`'s (its id is the transaction's).
pub async fn replace(
    db: &mut PgConnection,
    person: Uuid,
    new: &NewTransaction,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE finance.transactions SET date = $3, currency = $4, payee_id = $5, \
             description = $6, notes = $7, tags = $8, status = $9, updated_at = now() \
         WHERE user_id = $1 AND id = $2",
    )
    .bind(person)
    .bind(new.id)
    .bind(new.date)
    .bind(&new.currency)
    .bind(new.payee_id)
    .bind(&new.description)
    .bind(&new.notes)
    .bind(&new.tags)
    .bind(&new.status)
    .execute(&mut *db)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM finance.splits WHERE transaction_id = $1")
        .bind(new.id)
        .execute(&mut *db)
        .await?;
    insert_splits(db, person, &[new]).await?;
    Ok(true)
}

pub async fn delete(db: &mut PgConnection, person: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM finance.transactions WHERE user_id = $1 AND id = $2")
        .bind(person)
        .bind(id)
        .execute(&mut *db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What a listing is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub account_id: Option<Uuid>,
    /// A category and the categories under it.
    pub category_id: Option<Uuid>,
    pub payee_id: Option<Uuid>,
    /// Words in the payee, description or notes.
    pub text: Option<String>,
    pub from: Option<NaiveDate>,
    /// Exclusive.
    pub to: Option<NaiveDate>,
    pub tag: Option<String>,
    pub status: Option<String>,
    pub import_id: Option<Uuid>,
    /// Only those with a split in an uncategorised account.
    pub uncategorised: bool,
    pub limit: i64,
    pub offset: i64,
}

/// The person's transactions, newest first, narrowed by `filter`.
pub async fn list(
    db: &mut PgConnection,
    person: Uuid,
    filter: &Filter,
) -> sqlx::Result<Vec<Transaction>> {
    let mut query = QueryBuilder::new(format!(
        "SELECT {COLUMNS} FROM finance.transactions t \
         LEFT JOIN finance.payees p ON p.id = t.payee_id WHERE t.user_id = "
    ));
    query.push_bind(person);
    if let Some(account) = filter.account_id {
        query.push(" AND EXISTS (SELECT 1 FROM finance.splits s WHERE s.transaction_id = t.id AND s.account_id = ");
        query.push_bind(account).push(")");
    }
    if let Some(category) = filter.category_id {
        query.push(
            " AND EXISTS (SELECT 1 FROM finance.splits s WHERE s.transaction_id = t.id AND s.account_id IN \
             (WITH RECURSIVE tree AS (SELECT id FROM finance.accounts WHERE id = ",
        );
        query.push_bind(category);
        query.push(" AND user_id = ").push_bind(person);
        query.push(
            " UNION ALL SELECT a.id FROM finance.accounts a JOIN tree ON a.parent_id = tree.id) \
             SELECT id FROM tree))",
        );
    }
    if filter.uncategorised {
        query.push(
            " AND EXISTS (SELECT 1 FROM finance.splits s JOIN finance.accounts a ON a.id = s.account_id \
             WHERE s.transaction_id = t.id AND a.role IN ('uncategorised_expense', 'uncategorised_income'))",
        );
    }
    if let Some(payee) = filter.payee_id {
        query.push(" AND t.payee_id = ").push_bind(payee);
    }
    if let Some(text) = &filter.text {
        let pattern =
            format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        query.push(" AND (p.name ILIKE ").push_bind(pattern.clone());
        query.push(" OR t.description ILIKE ").push_bind(pattern.clone());
        query.push(" OR t.notes ILIKE ").push_bind(pattern).push(")");
    }
    if let Some(from) = filter.from {
        query.push(" AND t.date >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" AND t.date < ").push_bind(to);
    }
    if let Some(tag) = &filter.tag {
        query.push(" AND t.tags @> ARRAY[").push_bind(tag.clone()).push("]::text[]");
    }
    if let Some(status) = &filter.status {
        query.push(" AND t.status = ").push_bind(status.clone());
    }
    if let Some(import) = filter.import_id {
        query.push(" AND t.import_id = ").push_bind(import);
    }
    query.push(" ORDER BY t.date DESC, t.id DESC LIMIT ").push_bind(filter.limit);
    query.push(" OFFSET ").push_bind(filter.offset);
    let rows: Vec<Row> = query.build_query_as().fetch_all(&mut *db).await?;
    with_splits(db, rows).await
}

pub async fn find(
    db: &mut PgConnection,
    person: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Transaction>> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM finance.transactions t \
         LEFT JOIN finance.payees p ON p.id = t.payee_id WHERE t.user_id = $1 AND t.id = $2"
    ))
    .bind(person)
    .bind(id)
    .fetch_optional(&mut *db)
    .await?;
    Ok(with_splits(db, row.into_iter().collect()).await?.pop())
}

async fn with_splits(db: &mut PgConnection, rows: Vec<Row>) -> sqlx::Result<Vec<Transaction>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let splits: Vec<Split> = sqlx::query_as(
        "SELECT s.id, s.transaction_id, s.account_id, a.name AS account_name, \
             a.kind AS account_kind, s.amount, s.currency, s.value, s.rate, s.rate_date, s.memo \
         FROM finance.splits s JOIN finance.accounts a ON a.id = s.account_id \
         WHERE s.transaction_id = ANY($1) ORDER BY s.transaction_id, s.position",
    )
    .bind(&ids)
    .fetch_all(&mut *db)
    .await?;
    let currencies: HashMap<Uuid, &str> =
        rows.iter().map(|r| (r.id, r.currency.as_str())).collect();
    let mut by_transaction: HashMap<Uuid, Vec<Split>> = HashMap::new();
    for mut split in splits {
        split.amount = super::exact(split.amount, &split.currency);
        if let Some(currency) = currencies.get(&split.transaction_id) {
            split.value = super::exact(split.value, currency);
        }
        by_transaction.entry(split.transaction_id).or_default().push(split);
    }
    Ok(rows
        .into_iter()
        .map(|row| Transaction {
            splits: by_transaction.remove(&row.id).unwrap_or_default(),
            id: row.id,
            date: row.date,
            currency: row.currency,
            payee_id: row.payee_id,
            payee: row.payee,
            description: row.description,
            notes: row.notes,
            tags: row.tags,
            status: row.status,
            import_id: row.import_id,
            source: row.source,
            recurring_id: row.recurring_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
        .collect())
}

/// Marks every unreconciled transaction with a split in the account up to `through` as
/// reconciled: how many.
pub async fn reconcile(
    db: impl PgExecutor<'_>,
    person: Uuid,
    account: Uuid,
    through: NaiveDate,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE finance.transactions t SET status = 'reconciled', updated_at = now() \
         WHERE t.user_id = $1 AND t.date <= $3 AND t.status <> 'reconciled' \
           AND EXISTS (SELECT 1 FROM finance.splits s WHERE s.transaction_id = t.id AND s.account_id = $2)",
    )
    .bind(person)
    .bind(account)
    .bind(through)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// The account's balance at the end of `through`, in its currency.
pub async fn balance_through(
    db: impl PgExecutor<'_>,
    account: Uuid,
    through: NaiveDate,
) -> sqlx::Result<Decimal> {
    sqlx::query_scalar(
        "SELECT COALESCE(sum(amount), 0) FROM finance.splits WHERE account_id = $1 AND date <= $2",
    )
    .bind(account)
    .bind(through)
    .fetch_one(db)
    .await
}

/// Keeps what a reconciliation found: its id.
pub async fn record_reconciliation(
    db: impl PgExecutor<'_>,
    person: Uuid,
    account: Uuid,
    date: NaiveDate,
    balance: Decimal,
    marked: u64,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO finance.reconciliations (id, user_id, account_id, statement_date, \
             statement_balance, transactions) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(person)
    .bind(account)
    .bind(date)
    .bind(balance)
    .bind(i32::try_from(marked).unwrap_or(i32::MAX))
    .fetch_one(db)
    .await
}

/// A reconciliation as kept: an account's balance matched a statement's on `statement_date`.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Reconciliation {
    pub id: Uuid,
    pub account_id: Uuid,
    pub statement_date: NaiveDate,
    pub statement_balance: Decimal,
    /// How many transactions were marked reconciled.
    pub transactions: i32,
    pub created_at: DateTime<Utc>,
}

/// The person's reconciliations, oldest first (their export's).
pub async fn reconciliations(
    db: impl PgExecutor<'_>,
    person: Uuid,
) -> sqlx::Result<Vec<Reconciliation>> {
    sqlx::query_as(
        "SELECT id, account_id, statement_date, statement_balance, transactions, created_at \
         FROM finance.reconciliations WHERE user_id = $1 ORDER BY created_at, id",
    )
    .bind(person)
    .fetch_all(db)
    .await
}

/// What the person's splits in a category (and the categories under it) add up to between
/// `from` and `to` (exclusive), per currency, with how many transactions.
pub async fn category_totals(
    db: impl PgExecutor<'_>,
    person: Uuid,
    category: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<(String, Decimal, i64)>> {
    sqlx::query_as(
        "WITH RECURSIVE tree AS ( \
             SELECT id FROM finance.accounts WHERE id = $2 AND user_id = $1 \
             UNION ALL SELECT a.id FROM finance.accounts a JOIN tree ON a.parent_id = tree.id) \
         SELECT s.currency, sum(s.amount), count(DISTINCT s.transaction_id) \
         FROM finance.splits s WHERE s.user_id = $1 AND s.account_id IN (SELECT id FROM tree) \
           AND s.date >= $3 AND s.date < $4 \
         GROUP BY s.currency ORDER BY s.currency",
    )
    .bind(person)
    .bind(category)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await
}

/// What moved between the person's accounts and payees whose name contains `words`, between
/// `from` and `to` (exclusive), per currency (paid out negative), with how many transactions.
pub async fn payee_totals(
    db: impl PgExecutor<'_>,
    person: Uuid,
    words: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<(String, Decimal, i64)>> {
    let pattern =
        format!("%{}%", words.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    sqlx::query_as(
        "SELECT s.currency, sum(s.amount), count(DISTINCT s.transaction_id) \
         FROM finance.splits s \
         JOIN finance.transactions t ON t.id = s.transaction_id \
         JOIN finance.payees p ON p.id = t.payee_id \
         JOIN finance.accounts a ON a.id = s.account_id \
         WHERE s.user_id = $1 AND p.name ILIKE $2 AND a.kind IN ('asset', 'liability') \
           AND s.date >= $3 AND s.date < $4 \
         GROUP BY s.currency ORDER BY s.currency",
    )
    .bind(person)
    .bind(pattern)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await
}
