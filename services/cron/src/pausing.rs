//! Pausing and resuming a person's task, and what happens to its runs.
//!
//! What a person means by "pause" is "stop doing this until I say so", and by "resume" "carry
//! on from now". So:
//! - **Pause** (one transaction, the task's row locked first so a dispatch of it in flight
//!   commits before we look at its runs): runs recorded but not started yet (`pending`) are
//!   cancelled, kept in the history as `skipped` with the reason, and the dispatcher stops
//!   recording new ones. A run already begun is carried to its end rather than cut off
//!   half-way: one in progress finishes, and the retries of one that failed (`retrying`) are
//!   held — workers leave them alone while the task is paused — and go on after the resume
//!   (someone pausing a failing webhook to fix its receiver wants that delivery, not a lost
//!   one). "Run now" on a paused task is refused with a 409 naming the pause.
//! - **Resume** moves `next_run_at` to the schedule's first time at or after now. The times
//!   that fell inside the pause are not replayed under any misfire policy: those policies are
//!   for runs the system failed to make while it was down, and these were declined by the
//!   person. A "brief me at 7:30" paused over a holiday should not fire Friday's brief on
//!   Sunday night, and a `run_all` task should not fire a burst of them. The one case where the
//!   policy decides is a schedule that ended during the pause without ever having run (a
//!   one-off "renew the passport on 3 March" paused on the 1st and resumed on the 5th):
//!   resuming it says the person still wants it, so under `run_once` / `run_all` it runs once,
//!   now; under `skip` it is over (`next_run_at` NULL).
//! - Pausing a paused task or resuming an active one changes nothing.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::{self, MisfirePolicy, Task};
use crate::schedule::{Schedule, ScheduleKind};

/// The reason a run cancelled by a pause shows in the history.
pub const CANCELLED_BY_PAUSE: &str = "skipped: the task was paused before this run started";

/// What pausing did.
#[derive(Debug, Clone)]
pub struct Paused {
    pub task: Task,
    /// Runs that had not started and were cancelled.
    pub cancelled: u64,
}

/// Pauses `user_id`'s task `id` at `now`; `None` when it is not theirs.
pub async fn pause(
    db: &PgPool,
    user_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Paused>> {
    let mut tx = db.begin().await.context("starting a pause")?;
    // Locking waits for a dispatcher holding the task; the runs it recorded are committed by
    // the time the next statement (with its own snapshot) cancels them.
    let Some(task) =
        db::api::lock_for_user(&mut tx, user_id, id).await.context("locking a task")?
    else {
        return Ok(None);
    };
    if task.paused {
        return Ok(Some(Paused { task, cancelled: 0 }));
    }
    let task = db::tasks::set_paused(&mut *tx, id, true, task.next_run_at, now)
        .await
        .context("pausing a task")?;
    let cancelled = db::runs::cancel_pending(&mut *tx, id, now, CANCELLED_BY_PAUSE)
        .await
        .context("cancelling a paused task's pending runs")?;
    tx.commit().await.context("committing a pause")?;
    if cancelled > 0 {
        tracing::info!(task = %id, cancelled, "paused; cancelled runs that had not started");
    }
    Ok(Some(Paused { task, cancelled }))
}

/// Resumes `user_id`'s task `id` at `now` (see the module docs); `None` when it is not theirs.
pub async fn resume(
    db: &PgPool,
    user_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Task>> {
    let mut tx = db.begin().await.context("starting a resume")?;
    let Some(task) =
        db::api::lock_for_user(&mut tx, user_id, id).await.context("locking a task")?
    else {
        return Ok(None);
    };
    if !task.paused {
        return Ok(Some(task));
    }
    let kind = ScheduleKind::parse(&task.schedule_kind)
        .with_context(|| format!("stored schedule kind {:?}", task.schedule_kind))?;
    let schedule = Schedule::in_zone(kind, &task.schedule, task.time_zone)
        .context("reading a stored schedule")?
        .anchored_at(task.created_at);
    let next = match schedule.first_at_or_after(now) {
        Some(at) => Some(at),
        None if task.misfire_policy != MisfirePolicy::Skip
            && !db::runs::any_not_skipped(&mut *tx, id)
                .await
                .context("looking for a paused task's runs")? =>
        {
            Some(now)
        }
        None => None,
    };
    let task =
        db::tasks::set_paused(&mut *tx, id, false, next, now).await.context("resuming a task")?;
    tx.commit().await.context("committing a resume")?;
    Ok(Some(task))
}
