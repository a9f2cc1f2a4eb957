//! What a run does, by its task's kind. A job gets the claimed run (whose `(task_id,
//! scheduled_for)` is its idempotency key) and either returns an output for the worker to
//! record, or records its own success in the transaction that made its effect (a reminder's
//! notification), so a retried run cannot do it twice. Each job takes what it needs from the
//! worker's `JobContext` as arguments, so the jobs never import this module.

pub mod agent_task;
mod completion;
pub mod maintenance;
pub mod reminder;
pub mod webhook;

use std::sync::Arc;

use sqlx::PgPool;

use crate::clock::SharedClock;
use crate::db::{ClaimedRun, TaskKind};
use crate::notifications::Channels;
pub use agent_task::AGENT_TASKS_UNAVAILABLE;
pub use completion::Completion;

/// What the worker needs to hand a job.
#[derive(Clone)]
pub struct JobContext {
    pub db: PgPool,
    /// Sends webhooks where the destination policy allows.
    pub webhooks: webhook::Webhooks,
    pub clock: SharedClock,
    /// The worker's lease owner id: a job that records its own success must still hold it.
    pub owner: String,
    /// Where the notifications jobs create are queued (email only when SMTP is configured).
    pub channels: Channels,
    /// Where `agent_task` runs go (`None`: not configured, and they fail saying so).
    pub agent_tasks: Option<Arc<agent_task::AgentTasks>>,
    /// Where the `backup` job writes (`None`: scheduled backups are off).
    pub backups: Option<Arc<maintenance::Backups>>,
}

/// Runs `run`'s job. An error is a failed attempt (retried with backoff, then dead-lettered).
pub async fn run(ctx: &JobContext, run: &ClaimedRun) -> anyhow::Result<Completion> {
    match run.kind {
        TaskKind::Reminder => {
            reminder::run(&ctx.db, &ctx.owner, ctx.clock.now(), ctx.channels, run).await
        }
        TaskKind::Webhook => webhook::run(&ctx.webhooks, ctx.clock.now(), run).await,
        TaskKind::Maintenance => {
            maintenance::run(&ctx.db, ctx.backups.as_deref(), ctx.clock.now(), run).await
        }
        TaskKind::AgentTask => {
            agent_task::run(ctx.agent_tasks.as_deref(), &ctx.db, ctx.channels, run).await
        }
    }
}
