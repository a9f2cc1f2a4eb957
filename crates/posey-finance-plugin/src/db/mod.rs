//! The plugin's SQL. Its tables come from the plugin's own migrations, applied when the agents
//! service starts, so the queries are checked by the API tests rather than by `sqlx::query!`.
//! Every query is scoped by the person's id.

pub mod accounts;
pub mod bills;
pub mod budgets;
pub mod imports;
pub mod recurring;
pub mod reports;
pub mod rules;
pub mod transactions;

use rust_decimal::Decimal;
use sqlx::PgExecutor;
use uuid::Uuid;

/// `amount` at `currency`'s minor units, as the API shows money (Postgres gives a zero sum
/// back without its scale: `0`, not `0.00`).
pub fn exact(amount: Decimal, currency: &str) -> Decimal {
    posey_finance::Currency::parse(currency).map_or(amount, |currency| currency.round(amount))
}

/// Takes, until the transaction ends, the person's lock on deciding whether a bank payment is
/// in the books already: an import's commit (a line for a payment the recurring poster
/// posted) and the poster (a date whose bank line was imported) each look for the other's
/// transaction and add their own when there is none, so two in flight at once would each miss
/// the other's and both add the payment. Whoever takes it second sees what the first
/// committed (READ COMMITTED: each statement sees the latest commits).
pub async fn lock_bank_payments(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtext('posey.finance.bank_payments'), \
             hashtext($1::text))",
    )
    .bind(person)
    .execute(db)
    .await?;
    Ok(())
}

/// The currency a person's budgets and totals are in, if they chose one.
pub async fn currency(db: impl PgExecutor<'_>, person: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT currency FROM finance.settings WHERE user_id = $1")
        .bind(person)
        .fetch_optional(db)
        .await
}

pub async fn set_currency(db: impl PgExecutor<'_>, person: Uuid, code: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO finance.settings (user_id, currency) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET currency = EXCLUDED.currency, updated_at = now()",
    )
    .bind(person)
    .bind(code)
    .execute(db)
    .await?;
    Ok(())
}

/// Chooses `code` as the person's currency when they have none yet (their first account's).
pub async fn ensure_currency(
    db: impl PgExecutor<'_>,
    person: Uuid,
    code: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO finance.settings (user_id, currency) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(person)
    .bind(code)
    .execute(db)
    .await?;
    Ok(())
}
