//! SQL only the REST API needs: a person's task locked for an update, and the update itself.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::tasks::{MisfirePolicy, NewTask, OverlapPolicy, Task, TaskKind, query_task};
use super::time_zone::StoredZone;

/// A person's task, locked until `tx` ends (so a concurrent update or dispatch waits).
pub async fn lock_for_user(
    tx: &mut Transaction<'_, Postgres>,
    user_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Task>> {
    query_task!(
        ["SELECT"],
        ["FROM cron.tasks WHERE id = $1 AND user_id = $2 FOR UPDATE"],
        id,
        user_id,
    )
    .fetch_optional(&mut **tx)
    .await
}

/// Writes every user-editable column of `task` back.
pub async fn update(
    tx: &mut Transaction<'_, Postgres>,
    task: &Task,
    now: DateTime<Utc>,
) -> sqlx::Result<Task> {
    query_task!(
        ["UPDATE cron.tasks SET name = $2, kind = $3, payload = $4, schedule_kind = $5, \
                schedule = $6, time_zone = $7, next_run_at = $8, misfire_policy = $9, \
                misfire_limit = $10, overlap_policy = $11, timeout_seconds = $12, \
                max_attempts = $13, updated_at = $14 \
             WHERE id = $1 RETURNING"],
        [],
        task.id,
        task.name,
        task.kind.as_str(),
        task.payload,
        task.schedule_kind,
        task.schedule,
        task.time_zone.name(),
        task.next_run_at,
        task.misfire_policy.as_str(),
        task.misfire_limit,
        task.overlap_policy.as_str(),
        task.timeout_seconds,
        task.max_attempts,
        now,
    )
    .fetch_one(&mut **tx)
    .await
}

/// Inserts a person's task unless they have `max` tasks already (`None` then). The count and
/// the insert are serialised per person by a transaction-scoped advisory lock, so concurrent
/// creations cannot overshoot the cap.
pub async fn insert_within_cap(
    db: &sqlx::PgPool,
    new: &NewTask,
    max: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Task>> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('cron.tasks:' || $1::uuid::text, 0))",
        new.user_id,
    )
    .execute(&mut *tx)
    .await?;
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM cron.tasks WHERE user_id = $1"#,
        new.user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if count >= max {
        return Ok(None);
    }
    let task = super::tasks::insert(&mut *tx, new, now).await?;
    tx.commit().await?;
    Ok(Some(task))
}
