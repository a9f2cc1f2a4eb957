//! `cron.runs`: one row per (task, scheduled_for). The dispatcher inserts them; workers claim
//! them with a lease (owner + expiry), extend it while the job runs, and record the outcome
//! only while they still hold it, so a run is never finished by a worker that lost it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::tasks::TaskKind;
use super::text_enum::text_enum;

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
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub id: i64,
    pub task_id: Uuid,
    pub scheduled_for: DateTime<Utc>,
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
#[derive(Debug, Clone)]
pub struct ClaimedRun {
    pub id: i64,
    pub task_id: Uuid,
    pub scheduled_for: DateTime<Utc>,
    /// Including this one.
    pub attempts: i32,
    pub user_id: Option<Uuid>,
    pub name: String,
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

/// The Postgres channel new ready runs are announced on (empty payload): workers listen, so a
/// run recorded on one replica is picked up at once rather than at the next poll.
pub const RUNS_CHANNEL: &str = "posey_cron_runs";

/// "Run now": a run scheduled for `now`, outside the schedule (which it does not move),
/// announced to the workers. `None` if a run for this very instant exists already.
pub async fn insert_now(
    db: impl PgExecutor<'_>,
    task_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Run>> {
    sqlx::query_as!(
        Run,
        r#"WITH r AS (
               INSERT INTO cron.runs (task_id, scheduled_for, available_at, created_at)
               VALUES ($1, $2, $2, $2)
               ON CONFLICT (task_id, scheduled_for) DO NOTHING
               RETURNING id, task_id, scheduled_for, status, attempts, available_at, lease_owner,
                   lease_expires_at, started_at, finished_at, error, output, created_at)
           SELECT r.id AS "id!", r.task_id AS "task_id!", r.scheduled_for AS "scheduled_for!",
               r.status AS "status!: RunStatus", r.attempts AS "attempts!",
               r.available_at AS "available_at!", r.lease_owner, r.lease_expires_at, r.started_at,
               r.finished_at, r.error, r.output, r.created_at AS "created_at!"
           FROM r LEFT JOIN LATERAL (SELECT pg_notify($3, '')) AS w ON true"#,
        task_id,
        now,
        RUNS_CHANNEL,
    )
    .fetch_optional(db)
    .await
}

/// A run by id.
pub async fn find(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Run>> {
    sqlx::query_as!(
        Run,
        r#"SELECT id, task_id, scheduled_for, status AS "status: RunStatus", attempts, available_at,
               lease_owner, lease_expires_at, started_at, finished_at, error, output, created_at
           FROM cron.runs WHERE id = $1"#,
        id,
    )
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
    sqlx::query_as!(
        Run,
        r#"SELECT id, task_id, scheduled_for, status AS "status: RunStatus", attempts, available_at,
               lease_owner, lease_expires_at, started_at, finished_at, error, output, created_at
           FROM cron.runs WHERE task_id = $1
           ORDER BY scheduled_for DESC LIMIT $2 OFFSET $3"#,
        task_id,
        limit,
        offset,
    )
    .fetch_all(db)
    .await
}

/// Claims ready runs for `owner` until `lease_until`, in one statement: up to `slots` runs
/// whose jobs run one by one (webhooks, agent tasks, maintenance, a reminder without an owner,
/// which fails), and up to `batched` reminders, which a worker finishes together
/// (`crate::jobs::reminder::run_many`; usually reminders go by `run_ready` instead). Rows other workers are
/// claiming are skipped, and so are runs of paused tasks (their retries wait for the resume).
/// Each claim is an attempt. Oldest scheduled first.
pub async fn claim_ready(
    db: impl PgExecutor<'_>,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    slots: i64,
    batched: i64,
) -> sqlx::Result<Vec<ClaimedRun>> {
    sqlx::query_as!(
        ClaimedRun,
        r#"WITH single AS (
               SELECT r.id FROM cron.runs r JOIN cron.tasks t ON t.id = r.task_id
               WHERE r.status IN ('pending', 'retrying') AND r.available_at <= $2
                 AND NOT t.paused AND (t.kind <> 'reminder' OR t.user_id IS NULL)
               ORDER BY r.available_at LIMIT $4 FOR UPDATE OF r SKIP LOCKED),
           batch AS (
               SELECT r.id FROM cron.runs r JOIN cron.tasks t ON t.id = r.task_id
               WHERE r.status IN ('pending', 'retrying') AND r.available_at <= $2
                 AND NOT t.paused AND t.kind = 'reminder' AND t.user_id IS NOT NULL
               ORDER BY r.available_at LIMIT $5 FOR UPDATE OF r SKIP LOCKED),
           claimed AS (
               UPDATE cron.runs SET status = 'running', lease_owner = $1, lease_expires_at = $3,
                   attempts = attempts + 1, started_at = $2
               WHERE id IN (SELECT id FROM single UNION ALL SELECT id FROM batch)
               RETURNING id, task_id, scheduled_for, attempts)
           SELECT c.id AS "id!", c.task_id AS "task_id!", c.scheduled_for AS "scheduled_for!",
               c.attempts AS "attempts!", t.user_id, t.name, t.kind AS "kind: TaskKind",
               t.payload, t.timeout_seconds, t.max_attempts
           FROM claimed c JOIN cron.tasks t ON t.id = c.task_id
           ORDER BY c.scheduled_for, c.id"#,
        owner,
        now,
        lease_until,
        slots,
        batched,
    )
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
    let reclaimed = sqlx::query!(
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
        now,
        limit,
    )
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
    let extended = sqlx::query!(
        "UPDATE cron.runs SET lease_expires_at = $3 \
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        id,
        owner,
        lease_until,
    )
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
    let done = sqlx::query!(
        "UPDATE cron.runs SET status = 'succeeded', finished_at = $3, output = $4, error = NULL, \
            lease_owner = NULL, lease_expires_at = NULL \
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        id,
        owner,
        now,
        output,
    )
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
    sqlx::query_scalar!(
        r#"UPDATE cron.runs r SET
               status = CASE WHEN r.attempts >= t.max_attempts THEN 'dead' ELSE 'retrying' END,
               available_at = CASE WHEN r.attempts >= t.max_attempts THEN r.available_at ELSE $4 END,
               finished_at = CASE WHEN r.attempts >= t.max_attempts THEN $3::timestamptz END,
               error = $5, lease_owner = NULL, lease_expires_at = NULL
           FROM cron.tasks t
           WHERE t.id = r.task_id AND r.id = $1 AND r.lease_owner = $2 AND r.status = 'running'
           RETURNING r.status AS "status: RunStatus""#,
        id,
        owner,
        now,
        retry_at,
        error,
    )
    .fetch_optional(db)
    .await
}

/// Cancels a task's runs that have not started (`pending`), recording them `skipped` with
/// `reason`. Returns how many.
pub async fn cancel_pending(
    db: impl PgExecutor<'_>,
    task_id: Uuid,
    now: DateTime<Utc>,
    reason: &str,
) -> sqlx::Result<u64> {
    sqlx::query!(
        "UPDATE cron.runs SET status = 'skipped', finished_at = $2, error = $3 \
         WHERE task_id = $1 AND status = 'pending'",
        task_id,
        now,
        reason,
    )
    .execute(db)
    .await
    .map(|r| r.rows_affected())
}

/// Whether the task has any run that was not skipped (one that ran, runs, or waits to).
pub async fn any_not_skipped(db: impl PgExecutor<'_>, task_id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM cron.runs WHERE task_id = $1 AND status <> 'skipped')
           AS "exists!""#,
        task_id,
    )
    .fetch_one(db)
    .await
}
