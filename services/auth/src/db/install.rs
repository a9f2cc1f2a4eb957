//! The install as a whole: whether it has any account yet. The first account signed up on an
//! empty install becomes its owner; concurrent first sign-ups are serialised by a transaction
//! advisory lock, so exactly one of them finds the install empty.

use sqlx::{PgExecutor, Postgres, Transaction};

/// The advisory lock key first sign-ups take ("posey.ow" in ASCII; sqlx's migration lock uses
/// a CRC of the database name, which cannot collide with a key this size in practice).
const FIRST_ACCOUNT_LOCK: i64 = 0x706f_7365_792e_6f77;

/// Whether any account exists (soft-deleted ones too: their rows stay).
pub async fn has_accounts(db: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM auth.users) AS "exists!""#)
        .fetch_one(db)
        .await
}

/// Whether this transaction may create the install's first account. When the install looks
/// empty it takes the first-account lock (held until the transaction ends) and looks again, so
/// of two sign-ups racing on an empty install the second sees the first's committed account.
pub async fn claim_first_account(tx: &mut Transaction<'_, Postgres>) -> sqlx::Result<bool> {
    if has_accounts(&mut **tx).await? {
        return Ok(false);
    }
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", FIRST_ACCOUNT_LOCK).execute(&mut **tx).await?;
    Ok(!has_accounts(&mut **tx).await?)
}
