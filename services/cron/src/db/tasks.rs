//! `cron.tasks`: what to run, on which schedule, for whom, and how to treat misfires and
//! overlaps. `next_run_at` is the scheduler's state: the dispatcher claims due rows with
//! `FOR UPDATE SKIP LOCKED` and advances it in the transaction that records the run.

use chrono::{DateTime, Utc};
use posey_domain::TimeZone;
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgExecutor, PgPool, Postgres, Transaction};
use uuid::Uuid;

use super::text_enum::text_enum;
use super::time_zone::StoredZone;

text_enum!(
    /// What a task's job does (`crate::jobs`).
    TaskKind, "task kind" {
        Reminder => "reminder",
        AgentTask => "agent_task",
        Webhook => "webhook",
        Maintenance => "maintenance",
    }
);

text_enum!(
    /// Runs missed while every replica was down (or behind).
    MisfirePolicy, "misfire policy" {
        /// One run, for the most recent missed time.
        RunOnce => "run_once",
        /// Each missed time, oldest first, up to the task's `misfire_limit`.
        RunAll => "run_all",
        /// None, unless the most recent time is within the dispatcher's grace.
        Skip => "skip",
    }
);

text_enum!(
    /// A run falling due while earlier runs of the task are still pending or running.
    OverlapPolicy, "overlap policy" {
        /// Record the new run as `skipped`.
        Skip => "skip",
        /// Queue it unless a run is already waiting; at most one waits.
        QueueOne => "queue_one",
        /// Run both.
        Allow => "allow",
    }
);

/// A row of `cron.tasks`.
#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub id: Uuid,
    /// NULL for the system's maintenance tasks.
    pub user_id: Option<Uuid>,
    pub name: String,
    pub kind: TaskKind,
    pub payload: Value,
    /// "cron" | "once" | "interval" | "rrule" (`crate::schedule::ScheduleKind`).
    pub schedule_kind: String,
    pub schedule: String,
    /// The zone the schedule is read in; a stored name that is not a zone fails the read.
    pub time_zone: TimeZone,
    pub next_run_at: Option<DateTime<Utc>>,
    pub paused: bool,
    pub misfire_policy: MisfirePolicy,
    pub misfire_limit: i32,
    pub overlap_policy: OverlapPolicy,
    pub timeout_seconds: i32,
    pub max_attempts: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What creating a task takes; `next_run_at` is the schedule's first time, computed by the
/// caller (`Schedule::first_at_or_after(now)`).
#[derive(Debug, Clone)]
pub struct NewTask {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub name: String,
    pub kind: TaskKind,
    pub payload: Value,
    pub schedule_kind: String,
    pub schedule: String,
    pub time_zone: TimeZone,
    pub next_run_at: Option<DateTime<Utc>>,
    pub paused: bool,
    pub misfire_policy: MisfirePolicy,
    pub misfire_limit: i32,
    pub overlap_policy: OverlapPolicy,
    pub timeout_seconds: i32,
    pub max_attempts: i32,
}

impl NewTask {
    /// A task with the migration's defaults for everything but what it must have; set
    /// `next_run_at` (and any policy) on the result.
    pub fn new(
        user_id: Option<Uuid>,
        name: impl Into<String>,
        kind: TaskKind,
        payload: Value,
        schedule_kind: impl Into<String>,
        schedule: impl Into<String>,
        time_zone: TimeZone,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            user_id,
            name: name.into(),
            kind,
            payload,
            schedule_kind: schedule_kind.into(),
            schedule: schedule.into(),
            time_zone,
            next_run_at: None,
            paused: false,
            misfire_policy: MisfirePolicy::RunOnce,
            misfire_limit: 10,
            overlap_policy: OverlapPolicy::Skip,
            timeout_seconds: 300,
            max_attempts: 5,
        }
    }
}

/// `sqlx::query_as!(Task, ..)` over `cron.tasks`: the SQL `[head]` (literals joined with `+`), then
/// the task's columns, typed, then `[tail]` (one literal, or none), then the arguments. So every
/// statement that yields tasks names the same columns: `query_task!(["SELECT"], ["FROM ..."], ..)`
/// or `query_task!(["UPDATE ... RETURNING"], [], ..)`.
macro_rules! query_task {
    ([$head:literal $(+ $more:literal)*], [$($tail:literal)?] $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Task,
            $head $(+ $more)*
                + " id, user_id, name, kind AS \"kind: TaskKind\", payload, schedule_kind, schedule, \
                   time_zone AS \"time_zone: StoredZone\", next_run_at, paused, \
                   misfire_policy AS \"misfire_policy: MisfirePolicy\", misfire_limit, \
                   overlap_policy AS \"overlap_policy: OverlapPolicy\", timeout_seconds, max_attempts, \
                   created_at, updated_at "
                $(+ $tail)?
            $(, $arg)*
        )
    };
}
pub(super) use query_task;

/// Inserts `new` at `now` with `$on_conflict` (a literal: a conflict clause, or "") and yields
/// the task (`fetch_one`, or `fetch_optional` when a conflict does nothing).
macro_rules! insert_task {
    ($new:expr, $now:expr, $on_conflict:literal) => {{
        let new: &NewTask = $new;
        query_task!(
            [
                "INSERT INTO cron.tasks (id, user_id, name, kind, payload, schedule_kind, schedule, \
                    time_zone, next_run_at, paused, misfire_policy, misfire_limit, overlap_policy, \
                    timeout_seconds, max_attempts, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) "
                + $on_conflict
                + " RETURNING"
            ],
            [],
            new.id,
            new.user_id,
            new.name,
            new.kind.as_str(),
            new.payload,
            new.schedule_kind,
            new.schedule,
            new.time_zone.name(),
            new.next_run_at,
            new.paused,
            new.misfire_policy.as_str(),
            new.misfire_limit,
            new.overlap_policy.as_str(),
            new.timeout_seconds,
            new.max_attempts,
            $now,
        )
    }};
}

/// Inserts a task; `now` is its `created_at`/`updated_at`.
pub async fn insert(
    db: impl PgExecutor<'_>,
    new: &NewTask,
    now: DateTime<Utc>,
) -> sqlx::Result<Task> {
    insert_task!(new, now, "").fetch_one(db).await
}

/// Inserts a task unless one with its id exists (the system's maintenance tasks, registered by
/// every replica at start). Returns whether it was inserted.
pub async fn insert_if_absent(
    db: impl PgExecutor<'_>,
    new: &NewTask,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let inserted = insert_task!(new, now, "ON CONFLICT (id) DO NOTHING").fetch_optional(db).await?;
    Ok(inserted.is_some())
}

/// A task by id, whoever owns it (workers, maintenance).
pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Task>> {
    query_task!(["SELECT"], ["FROM cron.tasks WHERE id = $1"], id).fetch_optional(db).await
}

/// A person's task: `None` when it does not exist or is someone else's.
pub async fn find_for_user(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Task>> {
    query_task!(["SELECT"], ["FROM cron.tasks WHERE id = $1 AND user_id = $2"], id, user_id)
        .fetch_optional(db)
        .await
}

/// A person's tasks, newest first.
pub async fn list_for_user(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Task>> {
    query_task!(
        ["SELECT"],
        ["FROM cron.tasks WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"],
        user_id,
        limit,
        offset,
    )
    .fetch_all(db)
    .await
}

/// Sets a task's pause flag and its next run time (`crate::pausing` decides both).
pub async fn set_paused(
    db: impl PgExecutor<'_>,
    id: Uuid,
    paused: bool,
    next_run_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> sqlx::Result<Task> {
    query_task!(
        ["UPDATE cron.tasks SET paused = $2, next_run_at = $3, updated_at = $4 WHERE id = $1 RETURNING"],
        [],
        id,
        paused,
        next_run_at,
        now,
    )
    .fetch_one(db)
    .await
}

/// Deletes a person's task (its runs go with it). Returns whether it existed.
///
/// A worker finishing a run holds the run's row lock and then takes a key-share lock on the
/// task (its notification references both), while deleting the task locks the task and then
/// its runs. So the runs are locked first, and the rare deadlock that remains (a run claimed
/// between the two statements) is retried: Postgres aborts one side, never both.
pub async fn delete_for_user(db: &PgPool, user_id: Uuid, id: Uuid) -> sqlx::Result<bool> {
    const ATTEMPTS: usize = 3;
    for attempt in 1..=ATTEMPTS {
        match try_delete_for_user(db, user_id, id).await {
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some(DEADLOCK_DETECTED) && attempt < ATTEMPTS => {}
            result => return result,
        }
    }
    unreachable!("the last attempt returns")
}

/// SQLSTATE `deadlock_detected`.
const DEADLOCK_DETECTED: &str = "40P01";

async fn try_delete_for_user(db: &PgPool, user_id: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    // Only the locks are wanted; the ids are dropped.
    sqlx::query_scalar!(
        "SELECT r.id FROM cron.runs r JOIN cron.tasks t ON t.id = r.task_id \
         WHERE t.id = $1 AND t.user_id = $2 FOR UPDATE OF r",
        id,
        user_id,
    )
    .fetch_all(&mut *tx)
    .await?;
    let deleted =
        sqlx::query!("DELETE FROM cron.tasks WHERE id = $1 AND user_id = $2", id, user_id)
            .execute(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(deleted.rows_affected() == 1)
}

/// The earliest `next_run_at` of the active tasks (the dispatcher sleeps until then).
pub async fn next_due(db: impl PgExecutor<'_>) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar!(
        "SELECT min(next_run_at) FROM cron.tasks WHERE NOT paused AND next_run_at IS NOT NULL",
    )
    .fetch_one(db)
    .await
}

/// Keeps the conversation an agent task's answer went to in its payload, so the next run
/// continues it (`crate::jobs::agent_task`).
pub async fn set_conversation(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    conversation_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE cron.tasks SET payload = jsonb_set(payload, '{conversation_id}', to_jsonb($2::text)) \
         WHERE id = $1",
        id,
        conversation_id.to_string(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
