//! Single-use email tokens (`crate::onetime` makes them and says how they are used).

use sqlx::PgExecutor;
use uuid::Uuid;

/// Forgets the person's tokens of `kind` (a new one replaces them).
pub async fn delete_of_kind(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    kind: &str,
) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM auth.one_time_tokens WHERE user_id = $1 AND kind = $2", user_id, kind)
        .execute(db)
        .await
        .map(|_| ())
}

/// A token as stored: hashes only, live for `ttl` from now.
pub struct NewToken<'a> {
    pub user_id: Uuid,
    pub kind: &'a str,
    pub token_hash: &'a [u8],
    pub otp_hash: &'a [u8],
    pub relates_to: &'a str,
    pub redirect_to: Option<&'a str>,
    pub flow_state_id: Option<Uuid>,
    pub ttl: chrono::Duration,
}

pub async fn insert(db: impl PgExecutor<'_>, new: &NewToken<'_>) -> sqlx::Result<()> {
    // `$8` is an interval, which chrono's Duration encodes as (`as _` skips the macro's
    // PgInterval check).
    sqlx::query!(
        "INSERT INTO auth.one_time_tokens \
         (user_id, kind, token_hash, otp_hash, relates_to, redirect_to, flow_state_id, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, now() + $8)",
        new.user_id,
        new.kind,
        new.token_hash,
        new.otp_hash,
        new.relates_to,
        new.redirect_to,
        new.flow_state_id,
        new.ttl as _,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// A consumed token.
#[derive(Debug)]
pub struct Consumed {
    pub user_id: Uuid,
    pub kind: String,
    pub relates_to: String,
    pub redirect_to: Option<String>,
    pub flow_state_id: Option<Uuid>,
}

/// Uses up the live token of one of `kinds` whose link token hashes to `token_hash`.
pub async fn consume_link(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    kinds: &[String],
) -> sqlx::Result<Option<Consumed>> {
    sqlx::query_as!(
        Consumed,
        "UPDATE auth.one_time_tokens SET used_at = now() \
         WHERE id = (SELECT id FROM auth.one_time_tokens WHERE token_hash = $1 AND kind = ANY($2) \
                     AND used_at IS NULL AND expires_at > now() LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING user_id, kind, relates_to, redirect_to, flow_state_id",
        token_hash,
        kinds,
    )
    .fetch_optional(db)
    .await
}

/// Uses up the live token of one of `kinds` whose code (with its address) hashes to `otp_hash`.
pub async fn consume_code(
    db: impl PgExecutor<'_>,
    otp_hash: &[u8],
    kinds: &[String],
) -> sqlx::Result<Option<Consumed>> {
    sqlx::query_as!(
        Consumed,
        "UPDATE auth.one_time_tokens SET used_at = now() \
         WHERE id = (SELECT id FROM auth.one_time_tokens WHERE otp_hash = $1 AND kind = ANY($2) \
                     AND used_at IS NULL AND expires_at > now() LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING user_id, kind, relates_to, redirect_to, flow_state_id",
        otp_hash,
        kinds,
    )
    .fetch_optional(db)
    .await
}
