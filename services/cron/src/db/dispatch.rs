//! The dispatcher's two statements per batch: lock the due tasks (with what planning needs,
//! counts of their unfinished runs included), then record their runs and advance them.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

use super::runs::RUNS_CHANNEL;
use super::{MisfirePolicy, OverlapPolicy};

/// A due task, locked for this dispatch: its schedule and policies, and its runs in flight.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueTask {
    pub id: Uuid,
    pub schedule_kind: String,
    pub schedule: String,
    pub time_zone: String,
    pub next_run_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "String")]
    pub misfire_policy: MisfirePolicy,
    pub misfire_limit: i32,
    #[sqlx(try_from = "String")]
    pub overlap_policy: OverlapPolicy,
    /// Runs pending or waiting to retry.
    pub waiting: i64,
    /// Runs a worker holds.
    pub running: i64,
}

/// Locks up to `limit` due tasks for this transaction, skipping those another dispatcher holds
/// (the heart of "once whatever the number of replicas"), with their unfinished runs counted.
pub async fn claim_due(
    tx: &mut Transaction<'_, Postgres>,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<DueTask>> {
    sqlx::query_as(
        "SELECT t.id, t.schedule_kind, t.schedule, t.time_zone, t.next_run_at, \
                t.misfire_policy, t.misfire_limit, t.overlap_policy, \
                coalesce(u.waiting, 0) AS waiting, coalesce(u.running, 0) AS running \
         FROM cron.tasks t LEFT JOIN LATERAL ( \
             SELECT count(*) FILTER (WHERE r.status IN ('pending', 'retrying')) AS waiting, \
                    count(*) FILTER (WHERE r.status = 'running') AS running \
             FROM cron.runs r \
             WHERE r.task_id = t.id AND r.status IN ('pending', 'retrying', 'running')) AS u \
           ON true \
         WHERE NOT t.paused AND t.next_run_at <= $1 \
         ORDER BY t.next_run_at LIMIT $2 FOR UPDATE OF t SKIP LOCKED",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// What a batch records, as columns.
#[derive(Debug, Default)]
pub struct Batch {
    /// Runs to run: (task, scheduled_for).
    pub run_tasks: Vec<Uuid>,
    pub run_times: Vec<DateTime<Utc>>,
    /// Due times the overlap policy skips, recorded `skipped` with `skip_reason`.
    pub skip_tasks: Vec<Uuid>,
    pub skip_times: Vec<DateTime<Utc>>,
    /// Every claimed task and where its next run moves (NULL: no more runs).
    pub tasks: Vec<Uuid>,
    pub next_run_at: Vec<Option<DateTime<Utc>>>,
}

/// Records a batch in one statement: the runs (available at `now`; an existing (task, time)
/// is left alone), the skipped due times, and the tasks' next run times. New runs are
/// announced on `RUNS_CHANNEL` (on commit) so idle workers on every replica look at once.
/// Returns (runs recorded, skipped recorded).
pub async fn record(
    db: impl PgExecutor<'_>,
    batch: &Batch,
    skip_reason: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<(u64, u64)> {
    let (runs, skipped): (i64, i64) = sqlx::query_as(
        "WITH ins AS ( \
            INSERT INTO cron.runs (task_id, scheduled_for, available_at, created_at) \
            SELECT task_id, at, $7, $7 FROM unnest($1::uuid[], $2::timestamptz[]) AS r(task_id, at) \
            ON CONFLICT (task_id, scheduled_for) DO NOTHING RETURNING 1), \
         skip AS ( \
            INSERT INTO cron.runs (task_id, scheduled_for, status, available_at, finished_at, \
                error, created_at) \
            SELECT task_id, at, 'skipped', $7, $7, $8, $7 \
            FROM unnest($3::uuid[], $4::timestamptz[]) AS r(task_id, at) \
            ON CONFLICT (task_id, scheduled_for) DO NOTHING RETURNING 1), \
         advance AS ( \
            UPDATE cron.tasks t SET next_run_at = u.next, updated_at = $7 \
            FROM unnest($5::uuid[], $6::timestamptz[]) AS u(id, next) WHERE t.id = u.id), \
         c AS (SELECT (SELECT count(*) FROM ins) AS runs, (SELECT count(*) FROM skip) AS skipped) \
         SELECT c.runs, c.skipped FROM c \
         LEFT JOIN LATERAL (SELECT pg_notify($9, '') WHERE c.runs > 0) AS w ON true",
    )
    .bind(&batch.run_tasks)
    .bind(&batch.run_times)
    .bind(&batch.skip_tasks)
    .bind(&batch.skip_times)
    .bind(&batch.tasks)
    .bind(&batch.next_run_at)
    .bind(now)
    .bind(skip_reason)
    .bind(RUNS_CHANNEL)
    .fetch_one(db)
    .await?;
    Ok((u64::try_from(runs).unwrap_or(0), u64::try_from(skipped).unwrap_or(0)))
}
