//! What a run does, by its task's kind. A job gets the claimed run (whose `(task_id,
//! scheduled_for)` is its idempotency key) and either returns an output for the worker to
//! record, or records its own success in the transaction that made its effect (a reminder's
//! notification), so a retried run cannot do it twice.

pub mod agent_task;
pub mod maintenance;
pub mod reminder;
pub mod webhook;

use std::sync::Arc;

use serde_json::Value;
use sqlx::PgPool;

use crate::clock::SharedClock;
use crate::db::{ClaimedRun, TaskKind};
use crate::notifications::Channels;

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
}

/// A job's success.
#[derive(Debug, Clone, PartialEq)]
pub enum Completion {
    /// The worker records the run succeeded with this output.
    Output(Value),
    /// The job already marked the run succeeded, in the transaction of its effect.
    Recorded,
}

/// The error of an `agent_task` run on a replica without the agents service configured.
pub const AGENT_TASKS_UNAVAILABLE: &str = "agent tasks are not configured on this cron replica \
     (AGENTS_URL, AUTH_URL, CRON_SERVICE_CLIENT_ID, CRON_SERVICE_CLIENT_SECRET)";

/// Runs `run`'s job. An error is a failed attempt (retried with backoff, then dead-lettered).
pub async fn run(ctx: &JobContext, run: &ClaimedRun) -> anyhow::Result<Completion> {
    match run.kind {
        TaskKind::Reminder => reminder::run(ctx, run).await,
        TaskKind::Webhook => webhook::run(ctx, run).await,
        TaskKind::Maintenance => maintenance::run(ctx, run).await,
        TaskKind::AgentTask => agent_task::run(ctx, run).await,
    }
}
