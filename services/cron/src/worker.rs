//! Workers: claim ready runs with a lease, run their jobs (`crate::jobs`) while heartbeating,
//! and record the outcome only while still holding the lease. A run whose worker died is
//! reclaimed once its lease lapses (a failed attempt), so a run is never run twice at once and
//! never lost. Failed attempts are retried with exponential backoff, then dead-lettered.
//!
//! At shutdown a worker stops claiming and gives its runs a short grace to finish; a run still
//! going after that is dropped with its lease in place and is reclaimed later, by this replica
//! after a restart or by another one.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::clock::SharedClock;
use crate::db::{self, ClaimedRun, RunStatus};
use crate::jobs::{self, Completion, JobContext};

/// Lapsed leases taken back per poll.
const RECLAIM_BATCH: i64 = 100;
/// First retry delay; doubled per attempt up to `MAX_BACKOFF`.
const BASE_BACKOFF: TimeDelta = TimeDelta::seconds(2);
const MAX_BACKOFF: TimeDelta = TimeDelta::hours(1);

/// How a replica's workers run.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Runs at once.
    pub workers: usize,
    /// How long a claim lasts without a heartbeat (heartbeats come every third of it).
    pub lease: Duration,
    /// Time between looks for ready runs when all is quiet.
    pub poll_interval: Duration,
    /// How long runs in progress may go on after shutdown is asked.
    pub shutdown_grace: Duration,
}

impl WorkerSettings {
    pub fn new(workers: usize, lease: Duration, poll_interval: Duration) -> Self {
        Self { workers, lease, poll_interval, shutdown_grace: Duration::from_secs(5) }
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
    /// A worker with its own lease owner id.
    pub fn new(
        db: PgPool,
        clock: SharedClock,
        settings: WorkerSettings,
        http: reqwest::Client,
    ) -> Self {
        let owner = format!("worker-{}", uuid::Uuid::new_v4().simple());
        let ctx = JobContext { db, http, clock, owner };
        Self { inner: Arc::new(Inner { ctx, settings, last_reclaim: std::sync::Mutex::new(None) }) }
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
        let mut running = JoinSet::new();
        // Claim when half the slots are free (or on the poll): one claim per few runs, not one
        // per finished run, keeps the claim query off the hot path of a burst.
        let batch = (settings.workers / 2).max(1);
        let mut polled = true;
        while !cancel.is_cancelled() {
            let free = settings.workers.saturating_sub(running.len());
            if free > 0 && (free >= batch || polled || running.is_empty()) {
                match self.claim(free).await {
                    Ok(runs) => {
                        for run in runs {
                            let worker = self.clone();
                            running.spawn(async move { worker.execute(run).await });
                        }
                    }
                    Err(error) => {
                        tracing::warn!(error = format!("{error:#}"), "claiming runs failed");
                    }
                }
            }
            polled = false;
            tokio::select! {
                () = cancel.cancelled() => {}
                // A slot came free: look again at once.
                Some(_) = running.join_next(), if !running.is_empty() => {}
                () = tokio::time::sleep(settings.poll_interval) => polled = true,
            }
        }
        let drained = tokio::time::timeout(settings.shutdown_grace, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::info!(
                runs = running.len(),
                "runs still going at shutdown keep their lease and will be taken over"
            );
            running.abort_all();
            while running.join_next().await.is_some() {}
        }
        tracing::info!("workers stopped");
    }

    /// Takes back lapsed leases, then claims up to `limit` ready runs.
    pub async fn claim(&self, limit: usize) -> anyhow::Result<Vec<ClaimedRun>> {
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
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        db::runs::claim_ready(db, self.owner(), self.now(), self.lease_until(), limit)
            .await
            .context("claiming ready runs")
    }

    /// Claims what is ready (up to `workers`) and runs it all to the end: for tests and
    /// benchmarks driving a `ManualClock`. Returns each run's id and final status (`None`: the
    /// lease was lost).
    pub async fn run_ready(&self) -> anyhow::Result<Vec<(i64, Option<RunStatus>)>> {
        let runs = self.claim(self.inner.settings.workers).await?;
        let mut set = JoinSet::new();
        for run in runs {
            let worker = self.clone();
            set.spawn(async move { (run.id, worker.execute(run).await) });
        }
        let mut done = Vec::new();
        while let Some(joined) = set.join_next().await {
            let (id, status) = joined?;
            done.push((id, status));
        }
        done.sort_by_key(|(id, _)| *id);
        Ok(done)
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
