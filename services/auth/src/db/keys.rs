//! Access-token signing keys (`crate::keys` makes, rotates and publishes them).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, Postgres, Transaction};

/// Arbitrary, fixed: the advisory lock key under which replicas rotate.
const ROTATION_LOCK: i64 = 0x706f_7365_795f_6b31;

/// The public JWKs to publish: the current key and those whose publication has not ended,
/// newest first.
pub async fn published(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Value>> {
    sqlx::query_scalar!(
        "SELECT public_jwk FROM auth.signing_keys \
         WHERE publish_until IS NULL OR publish_until > now() ORDER BY created_at DESC"
    )
    .fetch_all(db)
    .await
}

/// The key that signs: the newest one not retired.
#[derive(Debug, sqlx::FromRow)]
pub struct Current {
    pub kid: String,
    /// PKCS#8 DER, sealed (`crate::keys`) unless `sealed` is false.
    pub private_key: Vec<u8>,
    /// False for a key stored before keys were sealed (or by a replica that did not seal yet).
    pub sealed: bool,
    pub created_at: DateTime<Utc>,
}

pub async fn current(db: impl PgExecutor<'_>) -> sqlx::Result<Option<Current>> {
    sqlx::query_as(
        "SELECT kid, private_key, sealed, created_at FROM auth.signing_keys \
         WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_optional(db)
    .await
}

/// A stored private key, as `every` reads it to seal or re-seal it.
#[derive(Debug, sqlx::FromRow)]
pub struct Stored {
    pub kid: String,
    pub private_key: Vec<u8>,
    pub sealed: bool,
}

/// Every stored private key, locked until the transaction ends.
pub async fn every(tx: &mut Transaction<'_, Postgres>) -> sqlx::Result<Vec<Stored>> {
    sqlx::query_as(
        "SELECT kid, private_key, sealed FROM auth.signing_keys ORDER BY created_at FOR UPDATE",
    )
    .fetch_all(&mut **tx)
    .await
}

/// Replaces a key's private half with `sealed`, sealed.
pub async fn set_sealed(
    tx: &mut Transaction<'_, Postgres>,
    kid: &str,
    sealed: &[u8],
) -> sqlx::Result<()> {
    sqlx::query("UPDATE auth.signing_keys SET private_key = $2, sealed = true WHERE kid = $1")
        .bind(kid)
        .bind(sealed)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Takes the rotation lock, held until the transaction ends, so replicas rotate one at a time.
pub async fn lock_rotation(tx: &mut Transaction<'_, Postgres>) -> sqlx::Result<()> {
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", ROTATION_LOCK)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// A key not retired and made at or after `since`, if any.
pub async fn active_since(
    db: impl PgExecutor<'_>,
    since: DateTime<Utc>,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT kid FROM auth.signing_keys WHERE retired_at IS NULL AND created_at >= $1 LIMIT 1",
        since,
    )
    .fetch_optional(db)
    .await
}

/// Retires every active key, each published for `publish_for` more.
pub async fn retire_active(
    db: impl PgExecutor<'_>,
    publish_for: chrono::Duration,
) -> sqlx::Result<()> {
    // `$1` is an interval, which chrono's Duration encodes as (`as _` skips the macro's
    // PgInterval check).
    sqlx::query!(
        "UPDATE auth.signing_keys SET retired_at = now(), publish_until = now() + $1 \
         WHERE retired_at IS NULL",
        publish_for as _,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// A new ES256 key, which signs from now on; `sealed_private_key` is its PKCS#8 DER, sealed.
pub async fn insert(
    db: impl PgExecutor<'_>,
    kid: &str,
    sealed_private_key: &[u8],
    public_jwk: &Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auth.signing_keys (kid, alg, private_key, public_jwk, sealed) \
         VALUES ($1, 'ES256', $2, $3, true)",
    )
    .bind(kid)
    .bind(sealed_private_key)
    .bind(public_jwk)
    .execute(db)
    .await
    .map(|_| ())
}
