//! `reminder`: a notification for the task's owner, with the payload's `title`, `body` and
//! optional `data`. The notification and the run's success are one transaction, and
//! notifications are unique per run, so a reminder retried after a lost lease notifies once.

use anyhow::Context as _;
use serde_json::Value;

use super::{Completion, JobContext};
use crate::db::{self, ClaimedRun};
use crate::notifications::{self, NewNotification};

pub async fn run(ctx: &JobContext, run: &ClaimedRun) -> anyhow::Result<Completion> {
    let user_id = run.user_id.context("a reminder needs the task's owner (user_id is NULL)")?;
    let title = run
        .payload
        .get("title")
        .and_then(Value::as_str)
        .map_or_else(|| run.name.clone(), str::to_owned);
    let body = run.payload.get("body").and_then(Value::as_str).unwrap_or_default();
    let data =
        run.payload.get("data").cloned().unwrap_or_else(|| Value::Object(Default::default()));

    let mut tx = ctx.db.begin().await.context("starting a reminder's transaction")?;
    // Marking first takes the run's row lock: a worker that took the run over waits here, then
    // finds it no longer running.
    let output = serde_json::json!({ "scheduled_for": run.scheduled_for });
    let held = db::runs::mark_succeeded(&mut *tx, run.id, &ctx.owner, ctx.clock.now(), &output)
        .await
        .context("marking the reminder's run succeeded")?;
    anyhow::ensure!(held, "the run's lease was lost before the reminder was sent");
    let new = NewNotification {
        user_id,
        title: &title,
        body,
        data: &data,
        task_id: Some(run.task_id),
        run_id: Some(run.id),
    };
    let id = notifications::create(&mut tx, &new).await.context("creating the reminder")?;
    tx.commit().await.context("committing the reminder")?;
    tracing::debug!(run = run.id, notification = ?id, "reminder sent");
    Ok(Completion::Recorded)
}
