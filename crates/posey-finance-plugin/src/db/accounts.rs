//! Accounts and categories (one table: categories are the income and expense accounts), and
//! payees.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{FromRow, PgExecutor};
use uuid::Uuid;

/// An account or a category, as the API shows it.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: Uuid,
    /// `asset`, `liability` (accounts), `income`, `expense` (categories) or `equity`.
    pub kind: String,
    /// What kind of asset or liability: `checking`, `savings`, `cash`, `investment`,
    /// `credit_card`, `loan`, `mortgage`, `other`.
    #[schema(required = true)]
    pub subtype: Option<String>,
    pub name: String,
    /// A category's parent category.
    #[schema(required = true)]
    pub parent_id: Option<Uuid>,
    /// An account's ISO 4217 currency (categories take each transaction's).
    #[schema(required = true)]
    pub currency: Option<String>,
    /// Whether the account's money is budgeted (off-budget: investments, a mortgage).
    pub on_budget: bool,
    /// What bank files call it (IBAN or number): imports find the account by it.
    #[schema(required = true)]
    pub number: Option<String>,
    #[schema(required = true)]
    pub bank_id: Option<String>,
    /// A category's overspending carries into the next month's envelope.
    pub rollover_overspending: bool,
    /// Made by Posey: `opening` (opening balances), `uncategorised_expense`,
    /// `uncategorised_income`.
    #[schema(required = true)]
    pub role: Option<String>,
    #[schema(required = true)]
    pub closed_at: Option<DateTime<Utc>>,
    /// An account's balance in its currency, debit positive: what an asset holds, minus what a
    /// liability owes (a card's debt is negative). Categories: `null`.
    #[schema(value_type = Option<String>, required = true)]
    pub balance: Option<Decimal>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "a.id, a.kind, a.subtype, a.name, a.parent_id, a.currency, a.on_budget, \
    a.number, a.bank_id, a.rollover_overspending, a.role, a.closed_at, \
    CASE WHEN a.currency IS NULL THEN NULL ELSE COALESCE((SELECT sum(m.amount) \
        FROM finance.account_months m WHERE m.account_id = a.id AND m.currency = a.currency), 0) \
    END AS balance, a.created_at, a.updated_at";

/// Which of the table's rows a listing wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kinds {
    /// Asset and liability accounts.
    Accounts,
    /// Income and expense categories.
    Categories,
}

/// Balances at their currency's minor units.
fn exact(mut account: Account) -> Account {
    if let (Some(balance), Some(currency)) = (account.balance, &account.currency) {
        account.balance = Some(super::exact(balance, currency));
    }
    account
}

pub async fn list(
    db: impl PgExecutor<'_>,
    person: Uuid,
    kinds: Kinds,
) -> sqlx::Result<Vec<Account>> {
    let filter = match kinds {
        Kinds::Accounts => "a.kind IN ('asset', 'liability')",
        Kinds::Categories => "a.kind IN ('income', 'expense')",
    };
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM finance.accounts a WHERE a.user_id = $1 AND {filter} \
         ORDER BY a.kind, a.name, a.id"
    ))
    .bind(person)
    .fetch_all(db)
    .await
    .map(|all: Vec<Account>| all.into_iter().map(exact).collect())
}

pub async fn find(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Account>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM finance.accounts a WHERE a.user_id = $1 AND a.id = $2"
    ))
    .bind(person)
    .bind(id)
    .fetch_optional(db)
    .await
    .map(|found: Option<Account>| found.map(exact))
}

/// The person's account or category named `name` (any letter case), of `kinds`.
pub async fn find_by_name(
    db: impl PgExecutor<'_>,
    person: Uuid,
    kinds: Kinds,
    name: &str,
) -> sqlx::Result<Vec<Account>> {
    let filter = match kinds {
        Kinds::Accounts => "a.kind IN ('asset', 'liability')",
        Kinds::Categories => "a.kind IN ('income', 'expense')",
    };
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM finance.accounts a \
         WHERE a.user_id = $1 AND {filter} AND lower(a.name) = lower($2) ORDER BY a.kind, a.id"
    ))
    .bind(person)
    .bind(name.trim())
    .fetch_all(db)
    .await
    .map(|all: Vec<Account>| all.into_iter().map(exact).collect())
}

/// What a new account or category is.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub kind: String,
    pub subtype: Option<String>,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub currency: Option<String>,
    pub on_budget: bool,
    pub number: Option<String>,
    pub bank_id: Option<String>,
    pub rollover_overspending: bool,
    pub role: Option<String>,
}

pub async fn insert(db: impl PgExecutor<'_>, person: Uuid, new: &NewAccount) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO finance.accounts (id, user_id, kind, subtype, name, parent_id, currency, \
             on_budget, number, bank_id, rollover_overspending, role) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(person)
    .bind(&new.kind)
    .bind(&new.subtype)
    .bind(&new.name)
    .bind(new.parent_id)
    .bind(&new.currency)
    .bind(new.on_budget)
    .bind(&new.number)
    .bind(&new.bank_id)
    .bind(new.rollover_overspending)
    .bind(&new.role)
    .fetch_one(db)
    .await
}

/// What a change sets (`None`: unchanged; `Some(None)`: cleared).
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    pub name: Option<String>,
    pub subtype: Option<Option<String>>,
    pub parent_id: Option<Option<Uuid>>,
    pub on_budget: Option<bool>,
    pub number: Option<Option<String>>,
    pub bank_id: Option<Option<String>>,
    pub rollover_overspending: Option<bool>,
    pub closed: Option<bool>,
}

pub async fn update(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
    change: &AccountChange,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE finance.accounts SET \
            name = COALESCE($3, name), \
            subtype = CASE WHEN $4 THEN $5 ELSE subtype END, \
            parent_id = CASE WHEN $6 THEN $7 ELSE parent_id END, \
            on_budget = COALESCE($8, on_budget), \
            number = CASE WHEN $9 THEN $10 ELSE number END, \
            bank_id = CASE WHEN $11 THEN $12 ELSE bank_id END, \
            rollover_overspending = COALESCE($13, rollover_overspending), \
            closed_at = CASE WHEN $14 IS NULL THEN closed_at WHEN $14 THEN COALESCE(closed_at, now()) \
                ELSE NULL END, \
            updated_at = now() \
         WHERE user_id = $1 AND id = $2",
    )
    .bind(person)
    .bind(id)
    .bind(&change.name)
    .bind(change.subtype.is_some())
    .bind(change.subtype.clone().flatten())
    .bind(change.parent_id.is_some())
    .bind(change.parent_id.flatten())
    .bind(change.on_budget)
    .bind(change.number.is_some())
    .bind(change.number.clone().flatten())
    .bind(change.bank_id.is_some())
    .bind(change.bank_id.clone().flatten())
    .bind(change.rollover_overspending)
    .bind(change.closed)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes an account or category that no split uses (the database refuses one that is used).
pub async fn delete(db: impl PgExecutor<'_>, person: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done =
        sqlx::query("DELETE FROM finance.accounts WHERE user_id = $1 AND id = $2 AND role IS NULL")
            .bind(person)
            .bind(id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The id of the person's account Posey keeps for `role` (opening balances, uncategorised
/// income or spending), made on first use.
pub async fn role_account(
    db: &mut sqlx::PgConnection,
    person: Uuid,
    role: &str,
) -> sqlx::Result<Uuid> {
    let (kind, name) = match role {
        "opening" => ("equity", "Opening balances"),
        "uncategorised_income" => ("income", "Uncategorised income"),
        _ => ("expense", "Uncategorised"),
    };
    // The name may be taken by the person's own category: the role's row is then given a
    // distinct one (the unique index is on the name within kind and parent).
    let inserted: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO finance.accounts (id, user_id, kind, name, role) \
         SELECT $1, $2, $3, CASE WHEN EXISTS (SELECT 1 FROM finance.accounts \
             WHERE user_id = $2 AND kind = $3 AND parent_id IS NULL AND lower(name) = lower($4)) \
             THEN $4 || ' (Posey)' ELSE $4 END, $5 \
         ON CONFLICT (user_id, role) WHERE role IS NOT NULL DO NOTHING RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(person)
    .bind(kind)
    .bind(name)
    .bind(role)
    .fetch_optional(&mut *db)
    .await?;
    match inserted {
        Some(id) => Ok(id),
        None => {
            sqlx::query_scalar("SELECT id FROM finance.accounts WHERE user_id = $1 AND role = $2")
                .bind(person)
                .bind(role)
                .fetch_one(&mut *db)
                .await
        }
    }
}

/// The payee's id, made when the person has none of that name (any letter case).
pub async fn payee(db: &mut sqlx::PgConnection, person: Uuid, name: &str) -> sqlx::Result<Uuid> {
    let name = name.trim();
    let existing: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM finance.payees WHERE user_id = $1 AND lower(name) = lower($2)",
    )
    .bind(person)
    .bind(name)
    .fetch_optional(&mut *db)
    .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    sqlx::query_scalar(
        "INSERT INTO finance.payees (id, user_id, name) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, lower(name)) DO UPDATE SET name = finance.payees.name RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(person)
    .bind(name)
    .fetch_one(&mut *db)
    .await
}

/// A payee with how often and how lately the person paid them.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct Payee {
    pub id: Uuid,
    pub name: String,
    pub transactions: i64,
    #[schema(required = true)]
    pub last_date: Option<chrono::NaiveDate>,
}

/// The names of the person's payees.
pub async fn payee_names(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT name FROM finance.payees WHERE user_id = $1")
        .bind(person)
        .fetch_all(db)
        .await
}

pub async fn payees(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<Vec<Payee>> {
    sqlx::query_as(
        "SELECT p.id, p.name, count(t.id) AS transactions, max(t.date) AS last_date \
         FROM finance.payees p LEFT JOIN finance.transactions t ON t.payee_id = p.id \
         WHERE p.user_id = $1 GROUP BY p.id ORDER BY lower(p.name)",
    )
    .bind(person)
    .fetch_all(db)
    .await
}
