//! PKCE flow states: a code challenge waiting for its auth code to be exchanged (`crate::pkce`
//! holds the flow itself).

use sqlx::PgExecutor;
use uuid::Uuid;

/// A challenge sent with a request, kept until `ttl` from now.
pub struct NewFlowState<'a> {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub code_challenge: &'a str,
    pub code_challenge_method: &'a str,
    pub authentication_method: &'a str,
    pub ttl: chrono::Duration,
}

pub async fn insert(db: impl PgExecutor<'_>, new: &NewFlowState<'_>) -> sqlx::Result<()> {
    // `$6` is an interval, which chrono's Duration encodes as (`as _` skips the macro's
    // PgInterval check).
    sqlx::query!(
        "INSERT INTO auth.flow_states (id, user_id, code_challenge, code_challenge_method, \
         authentication_method, expires_at) VALUES ($1, $2, $3, $4, $5, now() + $6)",
        new.id,
        new.user_id,
        new.code_challenge,
        new.code_challenge_method,
        new.authentication_method,
        new.ttl as _,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Gives a live, unused flow its auth code (stored as `code_hash`) and its person; `false` when
/// the flow is used, expired or unknown.
pub async fn set_auth_code(
    db: impl PgExecutor<'_>,
    id: Uuid,
    code_hash: &[u8],
    user_id: Uuid,
) -> sqlx::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE auth.flow_states SET auth_code_hash = $2, user_id = $3 \
         WHERE id = $1 AND used_at IS NULL AND expires_at > now()",
        id,
        code_hash,
        user_id,
    )
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// A flow marked used by its auth code, with whether it was still live.
#[derive(Debug)]
pub struct UsedFlow {
    pub user_id: Option<Uuid>,
    pub code_challenge: String,
    pub code_challenge_method: String,
    pub authentication_method: String,
    pub live: bool,
}

/// Marks the unused flow whose auth code hashes to `code_hash` used; `None` if there is none.
pub async fn use_auth_code(
    db: impl PgExecutor<'_>,
    code_hash: &[u8],
) -> sqlx::Result<Option<UsedFlow>> {
    sqlx::query_as!(
        UsedFlow,
        r#"UPDATE auth.flow_states SET used_at = now()
           WHERE auth_code_hash = $1 AND used_at IS NULL
           RETURNING user_id, code_challenge, code_challenge_method, authentication_method,
                     expires_at > now() AS "live!""#,
        code_hash,
    )
    .fetch_optional(db)
    .await
}
