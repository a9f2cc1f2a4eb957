//! `cron.runs`: one row per (task, scheduled_for). The dispatcher inserts them; workers claim
//! them with a lease (owner + expiry), extend it while the job runs, and record the outcome
//! only while they still hold it, so a run is never finished by a worker that lost it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::tasks::TaskKind;
use super::text_enum;

text_enum!(
    /// Where a run is in its life.
    RunStatus, "run status" {
        /// Waiting for a worker.
        Pending => "pending",
        /// A worker holds its lease.
        Running => "running",
        /// Failed an attempt; waiting for `available_at` to try again.
        Retrying => "retrying",
        Succeeded => "succeeded",
        /// Not run: the overlap policy said so.
        Skipped => "skipped",
        /// Out of attempts; `error` says why the last one failed.
        Dead => "dead",
    }
);

/// A row of `cron.runs`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Run {
    pub id: i64,
    pub task_id: Uuid,
    pub scheduled_for: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    pub status: RunStatus,
    pub attempts: i32,
    pub available_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub output: Option<Value>,
    pub created_at: DateTime<Utc>,
}

/// A run a worker has just claimed, with what its job needs from the task.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedRun {
    pub id: i64,
    pub task_id: Uuid,
    pub scheduled_for: DateTime<Utc>,
    /// Including this one.
    pub attempts: i32,
    pub user_id: Option<Uuid>,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub kind: TaskKind,
    pub payload: Value,
    pub timeout_seconds: i32,
    pub max_attempts: i32,
}

impl ClaimedRun {
    /// The handlers' idempotency key: `<task_id>:<scheduled_for as RFC 3339>`.
    pub fn idempotency_key(&self) -> String {
        idempotency_key(self.task_id, self.scheduled_for)
    }
}

pub fn idempotency_key(task_id: Uuid, scheduled_for: DateTime<Utc>) -> String {
    format!("{task_id}:{}", scheduled_for.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

const COLUMNS: &str = "id, task_id, scheduled_for, status, attempts, available_at, lease_owner, \
    lease_expires_at, started_at, finished_at, error, output, created_at";

/// "Run now": a run scheduled for `now`, outside the schedule (which it does not move).
/// `None` if a run for this very instant exists already.
pub async fn insert_now(
    db: impl PgExecutor<'_>,
    task_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Run>> {
    sqlx::query_as(&format!(
        "INSERT INTO cron.runs (task_id, scheduled_for, available_at, created_at) \
         VALUES ($1, $2, $2, $2) \
         ON CONFLICT (task_id, scheduled_for) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(task_id)
    .bind(now)
    .fetch_optional(db)
    .await
}

/// A run by id.
pub async fn find(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Run>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM cron.runs WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// A task's runs, newest scheduled time first (the history the API shows).
pub async fn list_for_task(
    db: impl PgExecutor<'_>,
    task_id: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Run>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM cron.runs WHERE task_id = $1 \
         ORDER BY scheduled_for DESC LIMIT $2 OFFSET $3"
    ))
    .bind(task_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

/// Claims up to `limit` ready runs for `owner` until `lease_until`, skipping rows other workers
/// are claiming; each claim is an attempt.
pub async fn claim_ready(
    db: impl PgExecutor<'_>,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<ClaimedRun>> {
    sqlx::query_as(
        "WITH claimed AS ( \
            UPDATE cron.runs SET status = 'running', lease_owner = $1, lease_expires_at = $3, \
                attempts = attempts + 1, started_at = $2 \
            WHERE id IN ( \
                SELECT id FROM cron.runs \
                WHERE status IN ('pending', 'retrying') AND available_at <= $2 \
                ORDER BY available_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
            RETURNING id, task_id, scheduled_for, attempts) \
         SELECT c.id, c.task_id, c.scheduled_for, c.attempts, t.user_id, t.name, t.kind, \
                t.payload, t.timeout_seconds, t.max_attempts \
         FROM claimed c JOIN cron.tasks t ON t.id = c.task_id \
         ORDER BY c.scheduled_for",
    )
    .bind(owner)
    .bind(now)
    .bind(lease_until)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Runs whose worker stopped heartbeating (it died, or lost the database): the lapsed attempt
/// counts as failed; the run is retried at once, or dead-lettered when out of attempts.
/// Returns how many were taken back.
pub async fn reclaim_lapsed(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<u64> {
    let reclaimed = sqlx::query(
        "UPDATE cron.runs r SET \
            status = CASE WHEN r.attempts >= t.max_attempts THEN 'dead' ELSE 'retrying' END, \
            error = 'the worker stopped before finishing (lease of ' || r.lease_owner \
                || ' lapsed)', \
            lease_owner = NULL, lease_expires_at = NULL, available_at = $1, \
            finished_at = CASE WHEN r.attempts >= t.max_attempts THEN $1 END \
         FROM cron.tasks t \
         WHERE t.id = r.task_id AND r.id IN ( \
            SELECT id FROM cron.runs WHERE status = 'running' AND lease_expires_at < $1 \
            ORDER BY lease_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
    )
    .bind(now)
    .bind(limit)
    .execute(db)
    .await?;
    Ok(reclaimed.rows_affected())
}

/// Extends `owner`'s lease; `false` when it no longer holds the run (it lapsed and another
/// worker took it over), and the job must stop.
pub async fn heartbeat(
    db: impl PgExecutor<'_>,
    id: i64,
    owner: &str,
    lease_until: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let extended = sqlx::query(
        "UPDATE cron.runs SET lease_expires_at = $3 \
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(owner)
    .bind(lease_until)
    .execute(db)
    .await?;
    Ok(extended.rows_affected() == 1)
}

/// Marks the run succeeded if `owner` still holds it; `false` otherwise. Jobs whose effect is
/// in the database call this in the same transaction as the effect.
pub async fn mark_succeeded(
    db: impl PgExecutor<'_>,
    id: i64,
    owner: &str,
    now: DateTime<Utc>,
    output: &Value,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE cron.runs SET status = 'succeeded', finished_at = $3, output = $4, error = NULL, \
            lease_owner = NULL, lease_expires_at = NULL \
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(owner)
    .bind(now)
    .bind(output)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt if `owner` still holds the run: `retrying` from `retry_at`, or
/// `dead` once `attempts` reached `max_attempts`. Returns the new status, `None` when the lease
/// was lost.
pub async fn mark_failed(
    db: impl PgExecutor<'_>,
    id: i64,
    owner: &str,
    now: DateTime<Utc>,
    retry_at: DateTime<Utc>,
    error: &str,
) -> sqlx::Result<Option<RunStatus>> {
    let status: Option<String> = sqlx::query_scalar(
        "UPDATE cron.runs r SET \
            status = CASE WHEN r.attempts >= t.max_attempts THEN 'dead' ELSE 'retrying' END, \
            available_at = CASE WHEN r.attempts >= t.max_attempts THEN r.available_at ELSE $4 END, \
            finished_at = CASE WHEN r.attempts >= t.max_attempts THEN $3 END, \
            error = $5, lease_owner = NULL, lease_expires_at = NULL \
         FROM cron.tasks t \
         WHERE t.id = r.task_id AND r.id = $1 AND r.lease_owner = $2 AND r.status = 'running' \
         RETURNING r.status",
    )
    .bind(id)
    .bind(owner)
    .bind(now)
    .bind(retry_at)
    .bind(error)
    .fetch_optional(db)
    .await?;
    status.map(|s| s.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))).transpose()
}

/// Records due runs `(task_id, scheduled_for)` in one statement (a dispatch batch), available
/// at `now`; an existing (task, time) is left alone. Returns how many were new.
pub async fn insert_many(
    db: impl PgExecutor<'_>,
    task_ids: &[Uuid],
    scheduled_for: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> sqlx::Result<u64> {
    sqlx::query(
        "INSERT INTO cron.runs (task_id, scheduled_for, available_at, created_at) \
         SELECT task_id, at, $3, $3 FROM unnest($1::uuid[], $2::timestamptz[]) AS r(task_id, at) \
         ON CONFLICT (task_id, scheduled_for) DO NOTHING",
    )
    .bind(task_ids)
    .bind(scheduled_for)
    .bind(now)
    .execute(db)
    .await
    .map(|r| r.rows_affected())
}

/// Records due times the overlap policy chose not to run, so the history shows them.
pub async fn insert_skipped_many(
    db: impl PgExecutor<'_>,
    task_ids: &[Uuid],
    scheduled_for: &[DateTime<Utc>],
    now: DateTime<Utc>,
    reason: &str,
) -> sqlx::Result<u64> {
    sqlx::query(
        "INSERT INTO cron.runs (task_id, scheduled_for, status, available_at, finished_at, error, \
            created_at) \
         SELECT task_id, at, 'skipped', $3, $3, $4, $3 \
         FROM unnest($1::uuid[], $2::timestamptz[]) AS r(task_id, at) \
         ON CONFLICT (task_id, scheduled_for) DO NOTHING",
    )
    .bind(task_ids)
    .bind(scheduled_for)
    .bind(now)
    .bind(reason)
    .execute(db)
    .await
    .map(|r| r.rows_affected())
}

/// For each of `task_ids` with unfinished runs: `(task_id, waiting, running)`.
pub async fn count_unfinished_many(
    db: impl PgExecutor<'_>,
    task_ids: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, i64, i64)>> {
    sqlx::query_as(
        "SELECT task_id, count(*) FILTER (WHERE status IN ('pending', 'retrying')), \
                count(*) FILTER (WHERE status = 'running') \
         FROM cron.runs WHERE task_id = ANY($1) AND status IN ('pending', 'retrying', 'running') \
         GROUP BY task_id",
    )
    .bind(task_ids)
    .fetch_all(db)
    .await
}
