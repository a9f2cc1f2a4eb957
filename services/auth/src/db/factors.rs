//! MFA factors (TOTP), their challenges, wrong-code records for the lockout, recovery codes, and
//! the step up of a session to `aal2`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Factor {
    pub id: Uuid,
    pub friendly_name: String,
    pub factor_type: String,
    pub status: String,
    pub secret_sealed: Vec<u8>,
    pub last_step: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_challenged_at: Option<DateTime<Utc>>,
}

impl Factor {
    pub fn is_verified(&self) -> bool {
        self.status == VERIFIED
    }

    /// As GoTrue lists it (in `user.factors` and the admin API): never the secret.
    pub fn to_json(&self) -> Value {
        let mut factor = json!({
            "id": self.id,
            "friendly_name": self.friendly_name,
            "factor_type": self.factor_type,
            "status": self.status,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        });
        if let (Some(at), Some(map)) = (self.last_challenged_at, factor.as_object_mut()) {
            map.insert("last_challenged_at".into(), json!(at));
        }
        factor
    }
}

pub const VERIFIED: &str = "verified";

/// The name of the unique index on a person's factor names.
pub const NAME_KEY: &str = "mfa_factors_user_friendly_name_key";

pub async fn insert(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user_id: Uuid,
    friendly_name: &str,
    secret_sealed: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<Factor> {
    sqlx::query_as!(
        Factor,
        "INSERT INTO auth.mfa_factors (id, user_id, friendly_name, factor_type, secret_sealed, created_at, updated_at) \
         VALUES ($1, $2, $3, 'totp', $4, $5, $5) \
         RETURNING id, friendly_name, factor_type, status, secret_sealed, last_step, \
                   created_at, updated_at, last_challenged_at",
        id,
        user_id,
        friendly_name,
        secret_sealed,
        now,
    )
    .fetch_one(db)
    .await
}

pub async fn list_for_user(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Vec<Factor>> {
    sqlx::query_as!(
        Factor,
        "SELECT id, friendly_name, factor_type, status, secret_sealed, last_step, \
                created_at, updated_at, last_challenged_at \
         FROM auth.mfa_factors WHERE user_id = $1 ORDER BY created_at, id",
        user_id,
    )
    .fetch_all(db)
    .await
}

/// The person's factors as `user.factors` (GoTrue leaves the key out when there are none).
pub async fn json_for_user(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Vec<Value>> {
    Ok(list_for_user(db, user_id).await?.iter().map(Factor::to_json).collect())
}

/// The person's factor `id`; someone else's is as unknown as a missing one.
pub async fn find_for_user(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Option<Factor>> {
    sqlx::query_as!(
        Factor,
        "SELECT id, friendly_name, factor_type, status, secret_sealed, last_step, \
                created_at, updated_at, last_challenged_at \
         FROM auth.mfa_factors WHERE id = $1 AND user_id = $2",
        id,
        user_id,
    )
    .fetch_optional(db)
    .await
}

pub async fn has_verified(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM auth.mfa_factors WHERE user_id = $1 AND status = 'verified') AS "exists!""#,
        user_id,
    )
    .fetch_one(db)
    .await
}

pub async fn count_for_user(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM auth.mfa_factors WHERE user_id = $1"#,
        user_id
    )
    .fetch_one(db)
    .await
}

/// Deletes the factor; once the person has no verified factor left, their sessions are `aal1`
/// again (GoTrue downgrades them likewise).
pub async fn delete(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<bool> {
    let deleted =
        sqlx::query!("DELETE FROM auth.mfa_factors WHERE id = $1 AND user_id = $2", id, user_id)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            > 0;
    if deleted && !has_verified(&mut **tx, user_id).await? {
        sqlx::query!("UPDATE auth.sessions SET aal = 'aal1' WHERE user_id = $1", user_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(deleted)
}

/// A new challenge of the factor, made `now`; the factor's challenges made before
/// `expired_before` (answered or not, they can no longer be) go.
pub async fn insert_challenge(
    db: impl PgExecutor<'_>,
    id: Uuid,
    factor_id: Uuid,
    now: DateTime<Utc>,
    expired_before: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "WITH c AS (INSERT INTO auth.mfa_challenges (id, factor_id, created_at) VALUES ($1, $2, $3)), \
              old AS (DELETE FROM auth.mfa_challenges WHERE factor_id = $2 AND created_at < $4) \
         UPDATE auth.mfa_factors SET last_challenged_at = $3 WHERE id = $2",
        id,
        factor_id,
        now,
        expired_before,
    )
    .execute(db)
    .await
    .map(|_| ())
}

pub struct Challenge {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
}

pub async fn find_challenge(
    db: impl PgExecutor<'_>,
    id: Uuid,
    factor_id: Uuid,
) -> sqlx::Result<Option<Challenge>> {
    sqlx::query_as!(
        Challenge,
        "SELECT id, created_at, verified_at FROM auth.mfa_challenges WHERE id = $1 AND factor_id = $2",
        id,
        factor_id,
    )
    .fetch_optional(db)
    .await
}

/// Uses the challenge once, and the code's time `step` once: `false` if either was already
/// used (a replay, or a racing request with the same code). Verifies the factor on its first
/// success.
pub async fn accept_step(
    tx: &mut Transaction<'_, Postgres>,
    factor_id: Uuid,
    challenge_id: Uuid,
    step: Option<i64>,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let challenge = sqlx::query!(
        "UPDATE auth.mfa_challenges SET verified_at = $2 WHERE id = $1 AND verified_at IS NULL",
        challenge_id,
        now,
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if challenge == 0 {
        return Ok(false);
    }
    let factor = sqlx::query!(
        "UPDATE auth.mfa_factors SET status = 'verified', updated_at = $3, \
                last_step = COALESCE($2, last_step) \
         WHERE id = $1 AND ($2::bigint IS NULL OR last_step IS NULL OR last_step < $2)",
        factor_id,
        step,
        now,
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(factor > 0)
}

/// GoTrue's tidy-up after a verification: the person's other unverified factors go.
pub async fn delete_unverified(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM auth.mfa_factors WHERE user_id = $1 AND status <> 'verified'",
        user_id
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Raises `session_id` to `aal2`, adding `method` to its `amr`; the session's new `aal` and `amr`.
pub async fn elevate_session(
    db: impl PgExecutor<'_>,
    session_id: Uuid,
    method: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<(String, Value)>> {
    let entry = json!([{ "method": method, "timestamp": now.timestamp() }]);
    let row = sqlx::query!(
        "UPDATE auth.sessions SET aal = 'aal2', amr = amr || $2 WHERE id = $1 RETURNING aal, amr",
        session_id,
        entry,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.aal, r.amr)))
}

/// The session's refresh tokens go: the step up hands out a new one. Deleted rather than marked
/// used, so one presented later is simply unknown (400) instead of looking like a stolen copy,
/// which would end the session.
pub async fn retire_refresh_tokens(db: impl PgExecutor<'_>, session_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM auth.refresh_tokens WHERE session_id = $1", session_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// Records a wrong code at `at`; the person's records from before `forgotten_before` (out of
/// every window) go.
pub async fn record_failure(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    factor_id: Uuid,
    at: DateTime<Utc>,
    forgotten_before: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "WITH old AS (DELETE FROM auth.mfa_failures WHERE user_id = $1 AND at < $4) \
         INSERT INTO auth.mfa_failures (user_id, factor_id, at) VALUES ($1, $2, $3)",
        user_id,
        factor_id,
        at,
        forgotten_before,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Wrong codes since `since`: for the factor and for the whole account, each with the oldest.
pub struct Failures {
    pub factor: i64,
    pub factor_oldest: Option<DateTime<Utc>>,
    pub account: i64,
    pub account_oldest: Option<DateTime<Utc>>,
}

pub async fn failures_since(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    factor_id: Uuid,
    since: DateTime<Utc>,
) -> sqlx::Result<Failures> {
    sqlx::query_as!(
        Failures,
        r#"SELECT count(*) FILTER (WHERE factor_id = $2) AS "factor!",
                  min(at) FILTER (WHERE factor_id = $2) AS factor_oldest,
                  count(*) AS "account!", min(at) AS account_oldest
           FROM auth.mfa_failures WHERE user_id = $1 AND at > $3"#,
        user_id,
        factor_id,
        since,
    )
    .fetch_one(db)
    .await
}

/// A right code clears the person's record of wrong ones.
pub async fn clear_failures(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM auth.mfa_failures WHERE user_id = $1", user_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// Replaces the person's recovery codes with these (hashes).
pub async fn replace_recovery_codes(
    tx: &mut Transaction<'_, Postgres>,
    user_id: Uuid,
    hashes: &[Vec<u8>],
) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM auth.mfa_recovery_codes WHERE user_id = $1", user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query!(
        "INSERT INTO auth.mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])",
        user_id,
        hashes,
    )
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// Spends an unused recovery code: `false` if there is none with this hash.
pub async fn use_recovery_code(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    hash: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    Ok(sqlx::query!(
        "UPDATE auth.mfa_recovery_codes SET used_at = $3 \
         WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        user_id,
        hash,
        now,
    )
    .execute(db)
    .await?
    .rows_affected()
        > 0)
}
