//! `reminder`: a notification for the task's owner, with the payload's `title` (else the task's
//! name), `body` and optional `data`. The notification and the run's success are one
//! statement, and notifications are unique per run, so a reminder retried after a lost lease
//! notifies once.
//!
//! Reminders are the bulk of a burst ("everyone's 7:30") and touch only the database, so they
//! are done many at a time, set-based (`db::reminders`):
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
use sqlx::PgPool;

use super::completion::Completion;
use crate::db::{self, ClaimedRun};
use crate::notifications::Channels;

/// One reminder's job, for a run claimed with a lease by `owner`: `run_many` of one.
pub async fn run(
    db: &PgPool,
    owner: &str,
    now: DateTime<Utc>,
    channels: Channels,
    run: &ClaimedRun,
) -> anyhow::Result<Completion> {
    anyhow::ensure!(run.user_id.is_some(), "a reminder needs the task's owner (user_id is NULL)");
    let held = run_many(db, owner, now, channels, &[run]).await?;
    anyhow::ensure!(!held.is_empty(), "the run's lease was lost before the reminder was sent");
    Ok(Completion::Recorded)
}

/// Sends the reminders of `runs` (claimed by `owner` with a lease) and marks their runs
/// succeeded at `now`, in one statement; a run whose lease was lost, or whose task has no
/// owner, is left alone. Returns the ids of the runs done.
pub async fn run_many(
    db: &PgPool,
    owner: &str,
    now: DateTime<Utc>,
    channels: Channels,
    runs: &[&ClaimedRun],
) -> anyhow::Result<Vec<i64>> {
    let ids: Vec<i64> = runs.iter().map(|run| run.id).collect();
    let done = db::reminders::finish_claimed(db, &ids, owner, now, channels.email)
        .await
        .context("sending reminders")?;
    tracing::debug!(runs = done.len(), "reminders sent");
    Ok(done)
}

/// Claims up to `limit` ready reminders (of tasks with an owner and not paused) and finishes
/// them at `now`, in one statement (see the module docs). Returns the ids of the runs done.
pub async fn run_ready(
    db: &PgPool,
    now: DateTime<Utc>,
    limit: i64,
    channels: Channels,
) -> anyhow::Result<Vec<i64>> {
    let done = db::reminders::finish_ready(db, now, limit, channels.email)
        .await
        .context("claiming and sending ready reminders")?;
    if !done.is_empty() {
        tracing::debug!(runs = done.len(), "reminders sent");
    }
    Ok(done)
}
