//! App passwords: each a hashed secret with its own session.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone, serde::Serialize)]
pub struct AppPassword {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    name: &str,
    secret_hash: &[u8],
    session_id: Uuid,
) -> sqlx::Result<AppPassword> {
    sqlx::query_as!(
        AppPassword,
        "INSERT INTO auth.app_passwords (id, user_id, name, secret_hash, session_id)
         VALUES ($1, $2, $3, $4, $5) RETURNING id, name, created_at, last_used_at",
        Uuid::now_v7(),
        user_id,
        name,
        secret_hash,
        session_id,
    )
    .fetch_one(db)
    .await
}

pub async fn list(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Vec<AppPassword>> {
    sqlx::query_as!(
        AppPassword,
        "SELECT id, name, created_at, last_used_at FROM auth.app_passwords
         WHERE user_id = $1 ORDER BY created_at, id",
        user_id,
    )
    .fetch_all(db)
    .await
}

/// Removes one of the person's; returns its session, to be revoked.
pub async fn delete(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "DELETE FROM auth.app_passwords WHERE user_id = $1 AND id = $2 RETURNING session_id",
        user_id,
        id,
    )
    .fetch_optional(db)
    .await
}

/// The app password of `user_id` with this secret, if its session still stands: its id and
/// session. Marks it used.
pub async fn use_secret(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    secret_hash: &[u8],
) -> sqlx::Result<Option<(Uuid, Uuid)>> {
    let row = sqlx::query!(
        "UPDATE auth.app_passwords p SET last_used_at = now()
         FROM auth.sessions s
         WHERE p.user_id = $1 AND p.secret_hash = $2 AND s.id = p.session_id
           AND s.not_after > now()
         RETURNING p.id, p.session_id",
        user_id,
        secret_hash,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| (row.id, row.session_id)))
}
