//! The maintenance jobs' deletions (`crate::jobs::maintenance`): what auth no longer needs, and
//! cron's own finished history past its retention. Each returns how many rows went.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// Sessions past their `not_after`.
pub async fn delete_expired_sessions(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let deleted =
        sqlx::query!("DELETE FROM auth.sessions WHERE not_after < $1", now).execute(db).await?;
    Ok(deleted.rows_affected())
}

/// Revoked-session entries past their tokens' expiry.
pub async fn delete_expired_revoked_sessions(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let deleted = sqlx::query!("DELETE FROM auth.revoked_sessions WHERE expires_at < $1", now)
        .execute(db)
        .await?;
    Ok(deleted.rows_affected())
}

/// One-time tokens used or expired.
pub async fn delete_spent_one_time_tokens(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let deleted = sqlx::query!(
        "DELETE FROM auth.one_time_tokens WHERE used_at IS NOT NULL OR expires_at < $1",
        now,
    )
    .execute(db)
    .await?;
    Ok(deleted.rows_affected())
}

/// PKCE flow states past their expiry.
pub async fn delete_expired_flow_states(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let deleted =
        sqlx::query!("DELETE FROM auth.flow_states WHERE expires_at < $1", now).execute(db).await?;
    Ok(deleted.rows_affected())
}

/// Finished runs (succeeded, skipped, dead) that finished before `before`.
pub async fn delete_finished_runs(
    db: impl PgExecutor<'_>,
    before: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let deleted = sqlx::query!(
        "DELETE FROM cron.runs \
         WHERE status IN ('succeeded', 'skipped', 'dead') AND finished_at < $1",
        before,
    )
    .execute(db)
    .await?;
    Ok(deleted.rows_affected())
}

/// Deliveries delivered before `before`.
pub async fn delete_delivered(db: impl PgExecutor<'_>, before: DateTime<Utc>) -> sqlx::Result<u64> {
    let deleted = sqlx::query!(
        "DELETE FROM cron.deliveries WHERE status = 'delivered' AND delivered_at < $1",
        before,
    )
    .execute(db)
    .await?;
    Ok(deleted.rows_affected())
}
