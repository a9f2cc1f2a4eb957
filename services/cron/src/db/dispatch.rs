//! The dispatcher's two statements per batch: lock the due tasks (with what planning needs,
//! counts of their unfinished runs included), then record their runs and advance them.

use chrono::{DateTime, Utc};
use posey_domain::{TimeZone, TimeZoneError};
use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

use super::runs::RUNS_CHANNEL;
use super::tasks::{MisfirePolicy, OverlapPolicy};
use super::time_zone::CheckedZone;

/// A due task, locked for this dispatch: its schedule and policies, and its runs in flight.
#[derive(Debug, Clone)]
pub struct DueTask {
    pub id: Uuid,
    pub schedule_kind: String,
    pub schedule: String,
    /// The stored zone, or the error naming a stored name that is not one: the dispatcher
    /// stops that task alone, never reads its schedule in UTC instead.
    pub time_zone: Result<TimeZone, TimeZoneError>,
    pub next_run_at: Option<DateTime<Utc>>,
    pub misfire_policy: MisfirePolicy,
    pub misfire_limit: i32,
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
    sqlx::query_as!(
        DueTask,
        r#"SELECT t.id, t.schedule_kind, t.schedule, t.time_zone AS "time_zone: CheckedZone",
               t.next_run_at, t.misfire_policy AS "misfire_policy: MisfirePolicy", t.misfire_limit,
               t.overlap_policy AS "overlap_policy: OverlapPolicy",
               coalesce(u.waiting, 0) AS "waiting!", coalesce(u.running, 0) AS "running!"
           FROM cron.tasks t LEFT JOIN LATERAL (
               SELECT count(*) FILTER (WHERE r.status IN ('pending', 'retrying')) AS waiting,
                      count(*) FILTER (WHERE r.status = 'running') AS running
               FROM cron.runs r
               WHERE r.task_id = t.id AND r.status IN ('pending', 'retrying', 'running')) AS u
             ON true
           WHERE NOT t.paused AND t.next_run_at <= $1
           ORDER BY t.next_run_at LIMIT $2 FOR UPDATE OF t SKIP LOCKED"#,
        now,
        limit,
    )
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
    let counts = sqlx::query!(
        r#"WITH ins AS (
            INSERT INTO cron.runs (task_id, scheduled_for, available_at, created_at)
            SELECT task_id, at, $7, $7 FROM unnest($1::uuid[], $2::timestamptz[]) AS r(task_id, at)
            ON CONFLICT (task_id, scheduled_for) DO NOTHING RETURNING 1),
         skip AS (
            INSERT INTO cron.runs (task_id, scheduled_for, status, available_at, finished_at,
                error, created_at)
            SELECT task_id, at, 'skipped', $7, $7, $8, $7
            FROM unnest($3::uuid[], $4::timestamptz[]) AS r(task_id, at)
            ON CONFLICT (task_id, scheduled_for) DO NOTHING RETURNING 1),
         advance AS (
            UPDATE cron.tasks t SET next_run_at = u.next, updated_at = $7
            FROM unnest($5::uuid[], $6::timestamptz[]) AS u(id, next) WHERE t.id = u.id),
         c AS (SELECT (SELECT count(*) FROM ins) AS runs, (SELECT count(*) FROM skip) AS skipped)
         SELECT c.runs AS "runs!", c.skipped AS "skipped!" FROM c
         LEFT JOIN LATERAL (SELECT pg_notify($9, '') WHERE c.runs > 0) AS w ON true"#,
        &batch.run_tasks,
        &batch.run_times,
        &batch.skip_tasks,
        &batch.skip_times,
        &batch.tasks,
        // NULL entries (no more runs): the macro's check wants `[DateTime]`, not `[Option<_>]`.
        &batch.next_run_at as _,
        now,
        skip_reason,
        RUNS_CHANNEL,
    )
    .fetch_one(db)
    .await?;
    Ok((u64::try_from(counts.runs).unwrap_or(0), u64::try_from(counts.skipped).unwrap_or(0)))
}
