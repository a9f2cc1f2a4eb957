//! The dispatcher: when tasks fall due (it sleeps until the earliest `next_run_at`, at most a
//! poll) it claims them (`FOR UPDATE SKIP LOCKED`), records their runs per misfire and overlap
//! policy, and advances `next_run_at`, all in one transaction, so
//! each (task, scheduled_for) is recorded once however many replicas dispatch at the same time,
//! and a dispatch that dies half-way (a database outage) leaves nothing behind but the still-due
//! task for the next tick.
//!
//! Misfires (the task's `next_run_at` is behind `now`, say after an outage) are decided here:
//! - `run_once`: one run, for the **most recent** due time (the freshest is what a person would
//!   want: "brief me on my day" for today, not for the day the servers went down);
//! - `run_all`: each due time, oldest first, up to `misfire_limit`; later ones are dropped;
//! - `skip`: the most recent due time only if it is within the grace (2 × poll + 1 s: the
//!   dispatcher was merely a tick late), else none.
//!
//! In every case `next_run_at` moves to the schedule's first time after `now`. (A paused task is
//! not dispatched; resuming it does not count the pause as a misfire: `crate::pausing`.)

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::clock::SharedClock;
use crate::db::dispatch::DueTask;
use crate::db::{self, MisfirePolicy, OverlapPolicy};
use crate::schedule::{Schedule, ScheduleKind};

/// Due times looked at per page when catching up; the whole catch-up is capped at
/// `MAX_DUE_SCAN` (a per-second task down for a year would otherwise take minutes to walk).
const DUE_PAGE: usize = 1_000;
const MAX_DUE_SCAN: usize = 100_000;

/// The pause when due tasks are all held by other dispatchers.
const BUSY_BREATH: Duration = Duration::from_millis(20);

/// How a dispatcher works.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// Time between looks when nothing was due.
    pub poll_interval: Duration,
    /// Tasks claimed per transaction.
    pub batch: i64,
}

impl DispatchSettings {
    pub fn new(poll_interval: Duration) -> Self {
        Self { poll_interval, batch: 500 }
    }

    /// How late a due time may be and still count as on time for the `skip` policy.
    pub fn skip_grace(&self) -> TimeDelta {
        TimeDelta::from_std(self.poll_interval * 2 + Duration::from_secs(1))
            .unwrap_or(TimeDelta::seconds(1))
    }
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dispatched {
    /// Tasks claimed.
    pub tasks: usize,
    /// Runs recorded to be run.
    pub runs: usize,
    /// Due times recorded as `skipped` by the overlap policy.
    pub skipped: usize,
}

#[derive(Clone)]
pub struct Dispatcher {
    db: PgPool,
    clock: SharedClock,
    settings: DispatchSettings,
}

impl Dispatcher {
    pub fn new(db: PgPool, clock: SharedClock, settings: DispatchSettings) -> Self {
        Self { db, clock, settings }
    }

    /// Dispatches until cancelled: batch after batch while tasks are due, then a sleep until
    /// the next task falls due, at most a poll interval (a task created or moved meanwhile is
    /// seen within a poll). A failed batch (the database is away) is logged and retried on the
    /// next poll; its transaction rolled back, so no run is lost or doubled.
    pub async fn run(self, cancel: CancellationToken) {
        tracing::info!(poll = ?self.settings.poll_interval, "dispatcher started");
        loop {
            let full = match self.dispatch_batch().await {
                Ok(done) => done.tasks as i64 >= self.settings.batch,
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "dispatching failed; retrying");
                    false
                }
            };
            if full && !cancel.is_cancelled() {
                continue;
            }
            let pause = self.until_next_due().await;
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!("dispatcher stopped");
    }

    /// How long to sleep: until the earliest due task (a burst due at 07:30:00 is dispatched
    /// at 07:30:00, not up to a poll later), at most a poll interval.
    async fn until_next_due(&self) -> Duration {
        let poll = self.settings.poll_interval;
        match db::tasks::next_due(&self.db).await {
            // Due already but not claimed by us: other replicas hold those tasks; a short
            // breath rather than a busy loop.
            Ok(Some(at)) => (at - self.clock.now())
                .to_std()
                .map_or(BUSY_BREATH, |wait| wait.max(Duration::from_millis(1)))
                .min(poll),
            Ok(None) => poll,
            Err(error) => {
                tracing::debug!(error = %error, "reading the next due time");
                poll
            }
        }
    }

    /// Dispatches every task due now, batch after batch (tests and the benchmark drive this).
    pub async fn dispatch_due(&self) -> anyhow::Result<Dispatched> {
        let mut total = Dispatched::default();
        loop {
            let done = self.dispatch_batch().await?;
            total.tasks += done.tasks;
            total.runs += done.runs;
            total.skipped += done.skipped;
            if (done.tasks as i64) < self.settings.batch {
                return Ok(total);
            }
        }
    }

    /// One transaction: claim up to `batch` due tasks, record their runs, advance them.
    #[tracing::instrument(skip(self), level = "debug")]
    pub async fn dispatch_batch(&self) -> anyhow::Result<Dispatched> {
        use anyhow::Context as _;

        let now = self.clock.now();
        let mut tx = self.db.begin().await.context("starting a dispatch transaction")?;
        // Set-based: two statements per batch, not a few per task, so a burst of tasks due at
        // once is dispatched in well under a second.
        let tasks = db::dispatch::claim_due(&mut tx, now, self.settings.batch)
            .await
            .context("claiming due tasks")?;
        let mut batch = db::dispatch::Batch::default();
        for task in &tasks {
            let plan = plan(task, now, self.settings.skip_grace());
            let admitted = admit(task.overlap_policy, plan.due.len(), task.waiting, task.running);
            for (i, &at) in plan.due.iter().enumerate() {
                if i < admitted {
                    batch.run_tasks.push(task.id);
                    batch.run_times.push(at);
                } else {
                    batch.skip_tasks.push(task.id);
                    batch.skip_times.push(at);
                }
            }
            batch.tasks.push(task.id);
            batch.next_run_at.push(plan.next_run_at);
        }
        let mut done = Dispatched { tasks: tasks.len(), ..Dispatched::default() };
        if !tasks.is_empty() {
            let reason = "skipped: an earlier run of the task was still pending or running";
            let (runs, skipped) = db::dispatch::record(&mut *tx, &batch, reason, now)
                .await
                .context("recording runs and advancing tasks")?;
            (done.runs, done.skipped) = (runs as usize, skipped as usize);
        }
        tx.commit().await.context("committing a dispatch")?;
        if done.tasks > 0 {
            tracing::debug!(tasks = done.tasks, runs = done.runs, "dispatched");
        }
        Ok(done)
    }
}

/// What to record for one due task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Due times to record, oldest first.
    pub due: Vec<DateTime<Utc>>,
    pub next_run_at: Option<DateTime<Utc>>,
}

/// The due times of `task` (whose `next_run_at` is at or before `now`) per its misfire policy,
/// and where its next run moves.
pub fn plan(task: &DueTask, now: DateTime<Utc>, skip_grace: TimeDelta) -> Plan {
    let Some(first) = task.next_run_at else {
        return Plan { due: Vec::new(), next_run_at: None };
    };
    let schedule = match ScheduleKind::parse(&task.schedule_kind)
        .ok_or_else(|| format!("unknown schedule kind {:?}", task.schedule_kind))
        .and_then(|kind| {
            let zone = task.time_zone.clone().map_err(|e| format!("time_zone: {e}"))?;
            Schedule::in_zone(kind, &task.schedule, zone).map_err(|e| e.to_string())
        }) {
        Ok(schedule) => schedule,
        Err(error) => {
            // The API validates schedules, so this is a row edited by hand: run what was due
            // and stop, rather than fail the whole batch on every poll.
            tracing::error!(task = %task.id, error, "unreadable schedule; the task stops here");
            return Plan { due: vec![first], next_run_at: None };
        }
    };
    let limit = usize::try_from(task.misfire_limit).unwrap_or(1).max(1);
    let (oldest, latest) = due_times(&schedule, first, now, limit);
    let due = match task.misfire_policy {
        MisfirePolicy::RunOnce => vec![latest],
        MisfirePolicy::RunAll => oldest,
        MisfirePolicy::Skip if now - latest <= skip_grace => vec![latest],
        MisfirePolicy::Skip => Vec::new(),
    };
    Plan { due, next_run_at: schedule.next_after(now) }
}

/// The first `limit` due times in `[first, now]`, and the most recent one.
fn due_times(
    schedule: &Schedule,
    first: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: usize,
) -> (Vec<DateTime<Utc>>, DateTime<Utc>) {
    let mut oldest = vec![first];
    let mut latest = first;
    let mut scanned = 1;
    while scanned < MAX_DUE_SCAN {
        let page = schedule.runs_between(latest, now, DUE_PAGE);
        let Some(&last) = page.last() else { break };
        oldest.extend(page.iter().take(limit.saturating_sub(oldest.len())));
        scanned += page.len();
        latest = last;
        if page.len() < DUE_PAGE {
            break;
        }
    }
    (oldest, latest)
}

/// How many of `due` new runs the overlap policy lets through; the rest are recorded skipped.
fn admit(policy: OverlapPolicy, due: usize, waiting: i64, running: i64) -> usize {
    match policy {
        OverlapPolicy::Allow => due,
        OverlapPolicy::Skip if waiting + running > 0 => 0,
        // A catch-up batch of a task with nothing in flight is let through whole.
        OverlapPolicy::Skip => due,
        OverlapPolicy::QueueOne if waiting > 0 => 0,
        OverlapPolicy::QueueOne if running > 0 => due.min(1),
        OverlapPolicy::QueueOne => due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_zone_that_is_not_one_stops_the_task_rather_than_run_it_in_utc() {
        let first = DateTime::parse_from_rfc3339("2027-03-01T07:30:00Z").unwrap().to_utc();
        let task = |zone: &str| DueTask {
            id: uuid::Uuid::now_v7(),
            schedule_kind: "cron".into(),
            schedule: "0 30 7 * * *".into(),
            time_zone: posey_domain::TimeZone::parse(zone),
            next_run_at: Some(first),
            misfire_policy: MisfirePolicy::RunOnce,
            misfire_limit: 10,
            overlap_policy: OverlapPolicy::Skip,
            waiting: 0,
            running: 0,
        };
        let now = first + TimeDelta::seconds(1);
        let berlin = plan(&task("Europe/Berlin"), now, TimeDelta::seconds(60));
        assert_eq!(berlin.due, [first]);
        let next = DateTime::parse_from_rfc3339("2027-03-02T06:30:00Z").unwrap().to_utc();
        assert_eq!(berlin.next_run_at, Some(next), "07:30 in Berlin");
        // What was due runs once; the task stops instead of moving on in UTC.
        let mars = plan(&task("Mars/Olympus"), now, TimeDelta::seconds(60));
        assert_eq!(mars, Plan { due: vec![first], next_run_at: None });
        let error =
            Schedule::parse(ScheduleKind::Cron, "0 30 7 * * *", "Mars/Olympus").unwrap_err();
        assert!(error.to_string().contains("\"Mars/Olympus\""), "{error}");
    }

    #[test]
    fn overlap_policies_admit() {
        assert_eq!(admit(OverlapPolicy::Allow, 3, 2, 1), 3);
        assert_eq!(admit(OverlapPolicy::Skip, 1, 0, 1), 0);
        assert_eq!(admit(OverlapPolicy::Skip, 1, 0, 0), 1);
        assert_eq!(admit(OverlapPolicy::QueueOne, 2, 0, 1), 1);
        assert_eq!(admit(OverlapPolicy::QueueOne, 1, 1, 1), 0);
    }
}
