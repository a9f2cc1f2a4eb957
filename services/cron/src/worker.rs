//! Workers: claim ready runs with a lease, run their jobs (`crate::jobs`) while heartbeating,
//! and record the outcome only while still holding the lease. A run whose worker died is
//! reclaimed once its lease lapses (a failed attempt), so a run is never run twice at once and
//! never lost. Failed attempts are retried with exponential backoff, then dead-lettered.
//!
//! Reminders, the bulk of any burst, are claimed and finished many at a time in one statement
//! per batch (`jobs::reminder::run_ready`: atomic, so it needs no lease), up to
//! `BATCHES_IN_FLIGHT` batches at once; other jobs take one of the `workers` slots each. If a
//! batch statement fails, the worker falls back until its next poll to claiming reminders with
//! a lease and finishing them as a batch (`run_many`), and if that fails too, one by one, so a
//! reminder that cannot be sent fails (and is retried, then dead-lettered) on its own and does
//! not hold up the others. Idle workers wake on `RUNS_CHANNEL` (the dispatcher announces new
//! runs) as well as on their poll, so a run recorded on any replica starts within
//! milliseconds.
//!
//! At shutdown a worker stops claiming and gives its runs a short grace to finish; a run still
//! going after that is dropped with its lease in place and is reclaimed later, by this replica
//! after a restart or by another one.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::clock::SharedClock;
use crate::db::{self, ClaimedRun, RunStatus, TaskKind};
use crate::jobs::agent_task::AgentTasks;
use crate::jobs::{self, Completion, JobContext};
use crate::notifications::Channels;

/// Lapsed leases taken back per poll.
const RECLAIM_BATCH: i64 = 100;
/// First retry delay; doubled per attempt up to `MAX_BACKOFF`.
const BASE_BACKOFF: TimeDelta = TimeDelta::seconds(2);
const MAX_BACKOFF: TimeDelta = TimeDelta::hours(1);

/// Reminder batches a replica finishes at once.
const BATCHES_IN_FLIGHT: usize = 2;

/// How a replica's workers run.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Runs at once (besides the reminder batches).
    pub workers: usize,
    /// Reminders claimed (and finished) together.
    pub reminder_batch: usize,
    /// How long a claim lasts without a heartbeat (heartbeats come every third of it).
    pub lease: Duration,
    /// Time between looks for ready runs when all is quiet.
    pub poll_interval: Duration,
    /// How long runs in progress may go on after shutdown is asked.
    pub shutdown_grace: Duration,
}

impl WorkerSettings {
    pub fn new(workers: usize, lease: Duration, poll_interval: Duration) -> Self {
        Self {
            workers,
            reminder_batch: 500,
            lease,
            poll_interval,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// The delay before retrying after failed attempt number `attempt` (1-based):
/// 2 s × 2^(attempt−1), at most an hour.
pub fn backoff(attempt: i32) -> TimeDelta {
    let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(20);
    (BASE_BACKOFF * 2_i32.pow(doublings)).min(MAX_BACKOFF)
}

/// One replica's pool of workers; clones share it.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

struct Inner {
    ctx: JobContext,
    settings: WorkerSettings,
    /// When lapsed leases were last looked for (clock time): once per poll interval is enough.
    last_reclaim: std::sync::Mutex<Option<DateTime<Utc>>>,
}

impl Worker {
    /// A worker with its own lease owner id; the notifications its jobs create are queued on
    /// `channels`.
    pub fn new(
        db: PgPool,
        clock: SharedClock,
        settings: WorkerSettings,
        webhooks: crate::jobs::webhook::Webhooks,
        channels: Channels,
    ) -> Self {
        let owner = format!("worker-{}", uuid::Uuid::new_v4().simple());
        let ctx =
            JobContext { db, webhooks, clock, owner, channels, agent_tasks: None, backups: None };
        Self { inner: Arc::new(Inner { ctx, settings, last_reclaim: std::sync::Mutex::new(None) }) }
    }

    /// Runs `agent_task` jobs through `agent_tasks` (without: they fail as not configured).
    /// Call before the worker is cloned or run.
    pub fn with_agent_tasks(mut self, agent_tasks: Option<Arc<AgentTasks>>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.ctx.agent_tasks = agent_tasks;
        }
        self
    }

    /// Runs the `backup` maintenance job into `backups` (without: it fails as not configured).
    /// Call before the worker is cloned or run.
    pub fn with_backups(mut self, backups: Option<Arc<crate::jobs::maintenance::Backups>>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.ctx.backups = backups;
        }
        self
    }

    /// The id this worker's leases carry.
    pub fn owner(&self) -> &str {
        &self.inner.ctx.owner
    }

    fn now(&self) -> DateTime<Utc> {
        self.inner.ctx.clock.now()
    }

    fn lease_until(&self) -> DateTime<Utc> {
        self.now() + TimeDelta::from_std(self.inner.settings.lease).unwrap_or(TimeDelta::MAX)
    }

    /// Runs jobs until cancelled, then waits out the grace (see the module docs).
    pub async fn run(self, cancel: CancellationToken) {
        let settings = &self.inner.settings;
        tracing::info!(workers = settings.workers, owner = self.owner(), "workers started");
        let mut wake = self.listen().await;
        let mut running = JoinSet::new();
        let mut batches: JoinSet<Batch> = JoinSet::new();
        // Claim single runs when half the slots are free (or on a wake-up): one claim per few
        // runs, not one per finished run, keeps the claim query off the hot path.
        let half = (settings.workers / 2).max(1);
        let mut look = true;
        // Reminder batches to start now: one on a wake-up, as many as may run after a full one.
        let mut wanted = 1;
        // The one-statement path for reminders failed: leased batches until the next poll.
        let mut fallback = false;
        while !cancel.is_cancelled() {
            let free = settings.workers.saturating_sub(running.len());
            let slots =
                if free > 0 && (look || free >= half || running.is_empty()) { free } else { 0 };
            let room = BATCHES_IN_FLIGHT.saturating_sub(batches.len()).min(wanted);
            let leased = if fallback && room > 0 { settings.reminder_batch } else { 0 };
            if slots > 0 || leased > 0 {
                match self.claim_runs(slots, leased).await {
                    Ok(runs) => {
                        let (reminders, single): (Vec<_>, Vec<_>) =
                            runs.into_iter().partition(|run| {
                                run.kind == TaskKind::Reminder && run.user_id.is_some()
                            });
                        if !reminders.is_empty() {
                            let full = reminders.len() >= leased;
                            let worker = self.clone();
                            batches.spawn(async move {
                                worker.finish_claimed(reminders).await;
                                if full { Batch::Full } else { Batch::Some }
                            });
                        }
                        for run in single {
                            let worker = self.clone();
                            running.spawn(async move { worker.execute(run).await });
                        }
                    }
                    Err(error) => {
                        tracing::warn!(error = format!("{error:#}"), "claiming runs failed");
                    }
                }
            }
            if !fallback {
                for _ in 0..room {
                    let worker = self.clone();
                    batches.spawn(async move { worker.send_ready_reminders().await });
                }
            }
            // A wake-up that found no room is kept for when a batch ends.
            wanted -= room;
            look = false;
            tokio::select! {
                () = cancel.cancelled() => {}
                // A slot came free: look again at once.
                Some(_) = running.join_next(), if !running.is_empty() => {}
                Some(batch) = batches.join_next(), if !batches.is_empty() => match batch {
                    // There may be more ready: as many batches as may run.
                    Ok(Batch::Full) => wanted = BATCHES_IN_FLIGHT,
                    // Runs may have been recorded while it ran: one more look.
                    Ok(Batch::Some) => wanted = wanted.max(1),
                    Ok(Batch::Empty) => {}
                    Ok(Batch::Failed) => {
                        fallback = true;
                        wanted = 1;
                    }
                    Err(error) => tracing::error!(error = %error, "a reminder batch panicked"),
                },
                () = woken(&mut wake) => {
                    look = true;
                    wanted = wanted.max(1);
                }
                () = tokio::time::sleep(settings.poll_interval) => {
                    look = true;
                    wanted = wanted.max(1);
                    fallback = false;
                    if wake.is_none() {
                        wake = self.listen().await;
                    }
                }
            }
        }
        let drained = tokio::time::timeout(settings.shutdown_grace, async {
            while running.join_next().await.is_some() {}
            while batches.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::info!(
                runs = running.len() + batches.len(),
                "runs still going at shutdown keep their lease and will be taken over"
            );
            running.abort_all();
            batches.abort_all();
            while running.join_next().await.is_some() {}
            while batches.join_next().await.is_some() {}
        }
        tracing::info!("workers stopped");
    }

    /// One batch of the one-statement reminder path.
    async fn send_ready_reminders(&self) -> Batch {
        let limit = self.inner.settings.reminder_batch;
        let ctx = &self.inner.ctx;
        match jobs::reminder::run_ready(
            &ctx.db,
            self.now(),
            i64::try_from(limit).unwrap_or(i64::MAX),
            ctx.channels,
        )
        .await
        {
            Ok(done) if done.len() >= limit => Batch::Full,
            Ok(done) if done.is_empty() => Batch::Empty,
            Ok(_) => Batch::Some,
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "sending a batch of reminders failed; claiming them with a lease instead"
                );
                Batch::Failed
            }
        }
    }

    /// Listens for new runs; `None` (polling only) when the listener cannot be had now.
    async fn listen(&self) -> Option<PgListener> {
        let listen = async {
            let mut listener = PgListener::connect_with(&self.inner.ctx.db).await?;
            listener.listen(db::runs::RUNS_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        match listen.await {
            Ok(listener) => Some(listener),
            Err(error) => {
                tracing::warn!(error = %error, "cannot listen for new runs; polling only");
                None
            }
        }
    }

    /// Takes back lapsed leases, then claims with a lease up to `limit` ready runs that take a
    /// slot each, and a batch of ready reminders (the fallback path; see `finish_claimed`).
    pub async fn claim(&self, limit: usize) -> anyhow::Result<Vec<ClaimedRun>> {
        self.claim_runs(limit, self.inner.settings.reminder_batch).await
    }

    async fn claim_runs(&self, slots: usize, batched: usize) -> anyhow::Result<Vec<ClaimedRun>> {
        use anyhow::Context as _;

        let db = &self.inner.ctx.db;
        let now = self.now();
        let due = {
            let mut last =
                self.inner.last_reclaim.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let poll =
                TimeDelta::from_std(self.inner.settings.poll_interval).unwrap_or(TimeDelta::MAX);
            let due = last.is_none_or(|at| now - at >= poll || now < at);
            if due {
                *last = Some(now);
            }
            due
        };
        if due {
            let reclaimed = db::runs::reclaim_lapsed(db, now, RECLAIM_BATCH)
                .await
                .context("reclaiming lapsed runs")?;
            if reclaimed > 0 {
                tracing::warn!(runs = reclaimed, "took over runs whose worker stopped");
            }
        }
        let slots = i64::try_from(slots).unwrap_or(i64::MAX);
        let batched = i64::try_from(batched).unwrap_or(i64::MAX);
        db::runs::claim_ready(db, self.owner(), self.now(), self.lease_until(), slots, batched)
            .await
            .context("claiming ready runs")
    }

    /// Does what is ready, as the loop does, and waits for it all to end: for tests and
    /// benchmarks driving a `ManualClock`. Single runs (up to `workers`) are claimed with a
    /// lease and run; ready reminders are sent in one statement per batch. Returns each run's
    /// id and final status (`None`: the lease was lost).
    pub async fn run_ready(&self) -> anyhow::Result<Vec<(i64, Option<RunStatus>)>> {
        let runs = self.claim_runs(self.inner.settings.workers, 0).await?;
        let mut done = self.finish_claimed(runs).await;
        let limit = i64::try_from(self.inner.settings.reminder_batch).unwrap_or(i64::MAX);
        loop {
            let ctx = &self.inner.ctx;
            let sent = jobs::reminder::run_ready(&ctx.db, self.now(), limit, ctx.channels).await?;
            let full = sent.len() as i64 >= limit;
            done.extend(sent.into_iter().map(|id| (id, Some(RunStatus::Succeeded))));
            if !full {
                break;
            }
        }
        done.sort_by_key(|(id, _)| *id);
        Ok(done)
    }

    /// Runs runs claimed with a lease (`claim`) to the end: reminders of tasks with an owner
    /// as one batch (`jobs::reminder::run_many`; if that fails, one by one), the others each
    /// under its timeout, all at once. Returns each run's id and final status (`None`: the
    /// lease was lost).
    pub async fn finish_claimed(&self, runs: Vec<ClaimedRun>) -> Vec<(i64, Option<RunStatus>)> {
        let (reminders, single): (Vec<_>, Vec<_>) = runs
            .into_iter()
            .partition(|run| run.kind == TaskKind::Reminder && run.user_id.is_some());
        let mut set = JoinSet::new();
        for run in single {
            let worker = self.clone();
            set.spawn(async move { vec![(run.id, worker.execute(run).await)] });
        }
        if !reminders.is_empty() {
            let worker = self.clone();
            set.spawn(async move { worker.finish_reminders(reminders).await });
        }
        let mut done = Vec::new();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(statuses) => done.extend(statuses),
                Err(error) => tracing::error!(error = %error, "a run's task panicked"),
            }
        }
        done.sort_by_key(|(id, _)| *id);
        done
    }

    /// Finishes leased reminders as one batch; if the batch fails, each on its own, so only a
    /// reminder that cannot be sent fails its attempt.
    async fn finish_reminders(&self, runs: Vec<ClaimedRun>) -> Vec<(i64, Option<RunStatus>)> {
        let batch: Vec<&ClaimedRun> = runs.iter().collect();
        let ctx = &self.inner.ctx;
        match jobs::reminder::run_many(&ctx.db, &ctx.owner, self.now(), ctx.channels, &batch).await
        {
            Ok(held) => {
                let held: std::collections::HashSet<i64> = held.into_iter().collect();
                runs.iter()
                    .map(|run| {
                        let status = held.contains(&run.id).then_some(RunStatus::Succeeded);
                        if status.is_none() {
                            tracing::warn!(
                                run = run.id,
                                "the run was taken over before it finished"
                            );
                        }
                        (run.id, status)
                    })
                    .collect()
            }
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    runs = runs.len(),
                    "a batch of reminders failed; sending them one by one"
                );
                let mut done = Vec::with_capacity(runs.len());
                for run in runs {
                    done.push((run.id, self.execute(run).await));
                }
                done
            }
        }
    }

    /// Runs a claimed run's job under its timeout while heartbeating, and records the outcome.
    /// Returns the run's new status, or `None` when the lease was lost (the job was stopped and
    /// whoever took the run over decides) or the outcome could not be recorded.
    #[tracing::instrument(skip_all, fields(run = run.id, task = %run.task_id, kind = %run.kind, attempt = run.attempts))]
    pub async fn execute(&self, run: ClaimedRun) -> Option<RunStatus> {
        let ctx = &self.inner.ctx;
        let seconds = u64::try_from(run.timeout_seconds).unwrap_or(1).max(1);
        let job = tokio::time::timeout(Duration::from_secs(seconds), jobs::run(ctx, &run));
        let outcome = tokio::select! {
            outcome = job => match outcome {
                Ok(Ok(completion)) => Ok(completion),
                Ok(Err(error)) => Err(format!("{error:#}")),
                Err(_) => Err(format!("timed out after {seconds}s")),
            },
            () = self.hold_lease(run.id) => {
                tracing::warn!("lost the run's lease; stopped its job");
                return None;
            }
        };
        let now = self.now();
        let recorded = match outcome {
            Ok(Completion::Recorded) => Ok(Some(RunStatus::Succeeded)),
            Ok(Completion::Output(output)) => {
                db::runs::mark_succeeded(&ctx.db, run.id, &ctx.owner, now, &output)
                    .await
                    .map(|held| held.then_some(RunStatus::Succeeded))
            }
            Err(error) => {
                let retry_at = now + backoff(run.attempts);
                tracing::info!(error, "attempt failed");
                db::runs::mark_failed(&ctx.db, run.id, &ctx.owner, now, retry_at, &error).await
            }
        };
        match recorded {
            Ok(Some(status)) => Some(status),
            Ok(None) => {
                tracing::warn!("the run was taken over before its outcome was recorded");
                None
            }
            Err(error) => {
                // The lease lapses and the run is retried: at least once, never lost.
                tracing::error!(error = %error, "recording the run's outcome failed");
                None
            }
        }
    }

    /// Extends the lease every third of it; returns when it is lost.
    async fn hold_lease(&self, run_id: i64) {
        let every = self.inner.settings.lease / 3;
        loop {
            tokio::time::sleep(every).await;
            match db::runs::heartbeat(&self.inner.ctx.db, run_id, self.owner(), self.lease_until())
                .await
            {
                Ok(true) => {}
                Ok(false) => return,
                // The database may be back before the lease lapses; if not, the next
                // heartbeat finds the lease gone.
                Err(error) => tracing::warn!(error = %error, "heartbeat failed"),
            }
        }
    }
}

/// How a reminder batch went.
enum Batch {
    /// As many as a batch holds: there may be more ready.
    Full,
    /// Fewer.
    Some,
    /// None were ready.
    Empty,
    /// The statement failed (the worker falls back to leased batches until its next poll).
    Failed,
}

/// Returns when `listener` hears of new runs (or loses its connection, and is dropped: the
/// poll reconnects); never without one.
async fn woken(listener: &mut Option<PgListener>) {
    let Some(active) = listener else { return std::future::pending().await };
    if let Err(error) = active.recv().await {
        tracing::warn!(error = %error, "lost the new-runs listener; polling until it is back");
        *listener = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1), TimeDelta::seconds(2));
        assert_eq!(backoff(2), TimeDelta::seconds(4));
        assert_eq!(backoff(5), TimeDelta::seconds(32));
        assert_eq!(backoff(40), TimeDelta::hours(1));
    }
}
