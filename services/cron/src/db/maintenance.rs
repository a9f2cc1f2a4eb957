//! The maintenance jobs' deletions (`crate::jobs::maintenance`): what auth no longer needs
//! (through auth's own function), and cron's own finished history past its retention. Each
//! returns how many rows went.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// What auth no longer needs, as of `now`: counted per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct AuthPurge {
    pub sessions: i64,
    pub revoked_sessions: i64,
    pub one_time_tokens: i64,
    pub flow_states: i64,
    pub refresh_tokens: i64,
    pub oauth_codes: i64,
    pub oauth_refresh_tokens: i64,
    pub oauth_browser_sessions: i64,
}

/// Expired sessions, revocations past their tokens' expiry, used or expired one-time tokens,
/// expired PKCE flow states, refresh tokens spent a day ago, and the OpenID provider's old
/// codes, spent refresh tokens and ended browser sessions, through the function auth's schema
/// owns (`auth.purge_expired`) rather than auth's tables.
pub async fn purge_expired_auth(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<AuthPurge> {
    sqlx::query_as(
        "SELECT sessions, revoked_sessions, one_time_tokens, flow_states, refresh_tokens, \
                oauth_codes, oauth_refresh_tokens, oauth_browser_sessions \
         FROM auth.purge_expired($1)",
    )
    .bind(now)
    .fetch_one(db)
    .await
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

/// Puts a system task on `schedule` from `next_run_at` when it was on another (the backup
/// task follows the operator's `CRON_BACKUP_SCHEDULE`); true when it changed.
pub async fn reschedule_system_task(
    db: impl PgExecutor<'_>,
    id: uuid::Uuid,
    schedule: &str,
    next_run_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let changed = sqlx::query(
        "UPDATE cron.tasks SET schedule = $2, next_run_at = $3, updated_at = $4
         WHERE id = $1 AND user_id IS NULL AND schedule <> $2",
    )
    .bind(id)
    .bind(schedule)
    .bind(next_run_at)
    .bind(now)
    .execute(db)
    .await?;
    Ok(changed.rows_affected() > 0)
}

/// Deletes a system task (the backup task once backups are turned off) with its runs; true
/// when there was one.
pub async fn delete_system_task(db: impl PgExecutor<'_>, id: uuid::Uuid) -> sqlx::Result<bool> {
    let deleted = sqlx::query("DELETE FROM cron.tasks WHERE id = $1 AND user_id IS NULL")
        .bind(id)
        .execute(db)
        .await?;
    Ok(deleted.rows_affected() > 0)
}
