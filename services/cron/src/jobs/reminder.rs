//! `reminder`: a notification for the task's owner, with the payload's `title` (else the task's
//! name), `body` and optional `data`. The notification and the run's success are one
//! statement, and notifications are unique per run, so a reminder retried after a lost lease
//! notifies once.
//!
//! Reminders are the bulk of a burst ("everyone's 7:30") and touch only the database, so they
//! are done many at a time, set-based:
//! - `run_ready`: claims ready reminders and finishes them in **one statement** — marked
//!   succeeded (an attempt, started and finished now) and notified. Nothing is held between
//!   statements, so no lease is needed: a worker that dies mid-statement leaves the runs
//!   pending (its transaction rolls back) for the next worker, at once. This is the workers'
//!   usual path.
//! - `run_many`: finishes reminders a worker claimed with a lease (`Worker::claim`), in one
//!   statement, for those whose lease it still holds. The fallback when `run_ready` fails, and
//!   one reminder's job (`run`).

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::{Completion, JobContext};
use crate::db::ClaimedRun;
use crate::notifications::{self, UUID_V7_SQL};

/// A reminder's notification columns, from a finished run `d` (id, task_id) and its task `t`;
/// a non-string title or body counts as absent.
fn notification_rows() -> String {
    format!(
        "SELECT {UUID_V7_SQL}, t.user_id, \
            CASE WHEN jsonb_typeof(t.payload->'title') = 'string' \
                 THEN t.payload->>'title' ELSE t.name END, \
            CASE WHEN jsonb_typeof(t.payload->'body') = 'string' \
                 THEN t.payload->>'body' ELSE '' END, \
            coalesce(t.payload->'data', '{{}}'::jsonb), d.task_id, d.id \
         FROM done d JOIN cron.tasks t ON t.id = d.task_id"
    )
}

/// One reminder's job, for a run claimed with a lease: `run_many` of one.
pub async fn run(ctx: &JobContext, run: &ClaimedRun) -> anyhow::Result<Completion> {
    anyhow::ensure!(run.user_id.is_some(), "a reminder needs the task's owner (user_id is NULL)");
    let held = run_many(ctx, &[run]).await?;
    anyhow::ensure!(!held.is_empty(), "the run's lease was lost before the reminder was sent");
    Ok(Completion::Recorded)
}

/// Sends the reminders of `runs` (claimed by this worker with a lease) and marks their runs
/// succeeded, in one statement; a run whose lease was lost, or whose task has no owner, is
/// left alone. Returns the ids of the runs done.
pub async fn run_many(ctx: &JobContext, runs: &[&ClaimedRun]) -> anyhow::Result<Vec<i64>> {
    let ids: Vec<i64> = runs.iter().map(|run| run.id).collect();
    // Marking takes the runs' row locks: a worker that took a run over waits, then finds it
    // no longer running.
    let sql = format!(
        "WITH done AS ( \
            UPDATE cron.runs r SET status = 'succeeded', finished_at = $3, \
                output = jsonb_build_object('scheduled_for', r.scheduled_for), error = NULL, \
                lease_owner = NULL, lease_expires_at = NULL \
            FROM cron.tasks t \
            WHERE t.id = r.task_id AND t.user_id IS NOT NULL AND r.id = ANY($1) \
              AND r.lease_owner = $2 AND r.status = 'running' \
            RETURNING r.id, r.task_id), \
         {} \
         SELECT d.id FROM done d, (SELECT count(*) FROM announced) AS a",
        notifications::store_ctes(&notification_rows(), "$4", "$5")
    );
    let done: Vec<i64> = sqlx::query_scalar(&sql)
        .bind(&ids)
        .bind(&ctx.owner)
        .bind(ctx.clock.now())
        .bind(notifications::CHANNEL)
        .bind(ctx.channels.email)
        .fetch_all(&ctx.db)
        .await
        .context("sending reminders")?;
    tracing::debug!(runs = done.len(), "reminders sent");
    Ok(done)
}

/// Claims up to `limit` ready reminders (of tasks with an owner and not paused) and finishes
/// them, in one statement (see the module docs). Returns the ids of the runs done.
pub async fn run_ready(
    ctx: &JobContext,
    now: DateTime<Utc>,
    limit: i64,
) -> anyhow::Result<Vec<i64>> {
    let sql = format!(
        "WITH picked AS ( \
            SELECT r.id FROM cron.runs r JOIN cron.tasks t ON t.id = r.task_id \
            WHERE r.status IN ('pending', 'retrying') AND r.available_at <= $1 \
              AND NOT t.paused AND t.kind = 'reminder' AND t.user_id IS NOT NULL \
            ORDER BY r.available_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED), \
         done AS ( \
            UPDATE cron.runs r SET status = 'succeeded', attempts = r.attempts + 1, \
                started_at = $1, finished_at = $1, \
                output = jsonb_build_object('scheduled_for', r.scheduled_for), error = NULL, \
                lease_owner = NULL, lease_expires_at = NULL \
            FROM picked WHERE r.id = picked.id \
            RETURNING r.id, r.task_id), \
         {} \
         SELECT d.id FROM done d, (SELECT count(*) FROM announced) AS a",
        notifications::store_ctes(&notification_rows(), "$3", "$4")
    );
    let done: Vec<i64> = sqlx::query_scalar(&sql)
        .bind(now)
        .bind(limit)
        .bind(notifications::CHANNEL)
        .bind(ctx.channels.email)
        .fetch_all(&ctx.db)
        .await
        .context("claiming and sending ready reminders")?;
    if !done.is_empty() {
        tracing::debug!(runs = done.len(), "reminders sent");
    }
    Ok(done)
}
