//! `maintenance`: the system's housekeeping, as tasks with fixed ids and no owner, registered
//! idempotently by every replica at start (`register_system_tasks`), so they run once per
//! schedule whatever the replica count. `payload.job` names the job:
//!
//! - `auth_cleanup`: expired sessions, revoked-session entries past their tokens' expiry, used
//!   or expired one-time tokens, expired PKCE flow states;
//! - `cron_cleanup`: finished runs older than `RUN_RETENTION`, delivered deliveries older than
//!   `DELIVERY_RETENTION`;
//! - `backup`: a backup of the whole system into `CRON_BACKUP_DIR` (`posey_backup::rotation`),
//!   keeping the newest `CRON_BACKUP_KEEP`; registered on `CRON_BACKUP_SCHEDULE` only while
//!   backups are configured, and removed when they are turned off.
//!
//! Retrying auth's undelivered emails is not a job here: the notification delivery loop, which
//! holds the SMTP transport, does it (`notifications::delivery`).

use std::path::PathBuf;

use anyhow::Context as _;
use chrono::{DateTime, TimeDelta, Utc};
use posey_backup::PgTools;
use posey_backup::rotation::{self, Rotation};
use posey_config::DbConfig;
use posey_domain::TimeZone;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use super::completion::Completion;
use crate::db::{self, ClaimedRun, NewTask, TaskKind};
use crate::schedule::{Schedule, ScheduleKind};

/// Finished runs (succeeded, skipped, dead) are kept this long for history.
pub const RUN_RETENTION: TimeDelta = TimeDelta::days(90);
/// Delivered deliveries are kept this long.
pub const DELIVERY_RETENTION: TimeDelta = TimeDelta::days(7);

/// The system's maintenance tasks: (fixed id, job, cron schedule with seconds, in UTC).
pub const SYSTEM_TASKS: &[(Uuid, &str, &str)] = &[
    (Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_c001), "auth_cleanup", "0 7 * * * *"),
    (Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_c002), "cron_cleanup", "0 37 * * * *"),
];

/// The scheduled backup's task, on the operator's schedule while backups are configured.
pub const BACKUP_TASK: Uuid = Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_c003);
/// A backup of a large system takes a while (`pg_dump` of every document's bytes).
const BACKUP_TIMEOUT_SECONDS: i32 = 6 * 3600;

/// What the `backup` job needs: where backups go and how many are kept, the database to dump,
/// the client programs, and the files backed up besides.
#[derive(Debug, Clone)]
pub struct Backups {
    pub rotation: Rotation,
    pub db: DbConfig,
    pub tools: PgTools,
    pub files: Vec<PathBuf>,
}

/// Adds the system's maintenance tasks unless they exist (an operator's pause or edit stays),
/// and the backup task on `backup_schedule` when backups are configured (else removes it).
pub async fn register_system_tasks(
    db: &PgPool,
    now: DateTime<Utc>,
    backup_schedule: Option<&str>,
) -> anyhow::Result<()> {
    for &(id, job, spec) in SYSTEM_TASKS {
        register(db, now, id, job, spec, 600).await?;
    }
    match backup_schedule {
        Some(spec) => {
            register(db, now, BACKUP_TASK, "backup", spec, BACKUP_TIMEOUT_SECONDS).await?;
            let next = cron_schedule(spec, "backup")?.next_after(now);
            if db::maintenance::reschedule_system_task(db, BACKUP_TASK, spec, next, now).await? {
                tracing::info!(schedule = spec, "the backup task follows CRON_BACKUP_SCHEDULE");
            }
        }
        None => {
            if db::maintenance::delete_system_task(db, BACKUP_TASK).await? {
                tracing::info!("scheduled backups are off (CRON_BACKUP_DIR): the task is removed");
            }
        }
    }
    Ok(())
}

fn cron_schedule(spec: &str, job: &str) -> anyhow::Result<Schedule> {
    Schedule::in_zone(ScheduleKind::Cron, spec, TimeZone::UTC)
        .with_context(|| format!("the {job} schedule"))
}

async fn register(
    db: &PgPool,
    now: DateTime<Utc>,
    id: Uuid,
    job: &str,
    spec: &str,
    timeout_seconds: i32,
) -> anyhow::Result<()> {
    let schedule = cron_schedule(spec, job)?;
    let mut task = NewTask::new(
        None,
        format!("maintenance: {job}"),
        TaskKind::Maintenance,
        json!({ "job": job }),
        ScheduleKind::Cron.as_str(),
        spec,
        TimeZone::UTC,
    );
    task.id = id;
    task.next_run_at = schedule.next_after(now);
    task.timeout_seconds = timeout_seconds;
    task.max_attempts = 3;
    db::tasks::insert_if_absent(db, &task, now)
        .await
        .with_context(|| format!("registering the {job} task"))?;
    Ok(())
}

/// Runs the maintenance job `run.payload.job` at `now`.
pub async fn run(
    db: &PgPool,
    backups: Option<&Backups>,
    now: DateTime<Utc>,
    run: &ClaimedRun,
) -> anyhow::Result<Completion> {
    let output = match run.payload.get("job").and_then(Value::as_str) {
        Some("auth_cleanup") => clean_auth(db, now).await?,
        Some("cron_cleanup") => clean_cron(db, now).await?,
        Some("backup") => match backups {
            Some(backups) => back_up(backups, run.scheduled_for).await?,
            None => anyhow::bail!("scheduled backups are off here (CRON_BACKUP_DIR is unset)"),
        },
        Some(other) => anyhow::bail!("unknown maintenance job {other:?}"),
        None => anyhow::bail!("the maintenance task has no payload.job"),
    };
    Ok(Completion::Output(output))
}

/// Deletes what auth no longer needs; returns the counts.
pub async fn clean_auth(db: &PgPool, now: DateTime<Utc>) -> anyhow::Result<Value> {
    let purged = db::maintenance::purge_expired_auth(db, now)
        .await
        .context("purging auth's expired sessions, revocations, tokens, codes and flow states")?;
    Ok(serde_json::to_value(purged)?)
}

/// Deletes old finished runs and delivered deliveries; returns the counts.
pub async fn clean_cron(db: &PgPool, now: DateTime<Utc>) -> anyhow::Result<Value> {
    let runs = db::maintenance::delete_finished_runs(db, now - RUN_RETENTION)
        .await
        .context("deleting old runs")?;
    let deliveries = db::maintenance::delete_delivered(db, now - DELIVERY_RETENTION)
        .await
        .context("deleting delivered deliveries")?;
    Ok(json!({ "runs": runs, "deliveries": deliveries }))
}

/// Takes the backup scheduled for `at` and applies the retention; returns what it did.
pub async fn back_up(backups: &Backups, at: DateTime<Utc>) -> anyhow::Result<Value> {
    let taken = rotation::take(
        &backups.rotation,
        at,
        &backups.db,
        &backups.tools,
        &backups.files,
        env!("CARGO_PKG_VERSION"),
    )
    .await
    .with_context(|| format!("backing up into {}", backups.rotation.root.display()))?;
    tracing::info!(backup = %taken.name, bytes = taken.bytes, removed = taken.removed.len(), "backup taken");
    Ok(serde_json::to_value(taken)?)
}
