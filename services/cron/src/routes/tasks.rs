//! `/v1/tasks`: a person's reminders and webhooks: create, list, get, update, pause, resume,
//! delete (running one now and its runs are in `runs`). Someone else's task (and the system's
//! maintenance tasks) is a 404.
//! The agents service's `schedule` plugin calls these too, as the person ([`ActingPerson`]),
//! under the same limits: a schedule may not fire more often than `CRON_MIN_INTERVAL_SECS`, a
//! person has at most `CRON_MAX_TASKS_PER_PERSON` tasks, and creations, updates and run-now
//! requests share `CRON_TASK_CREATE_RATE` per minute; webhooks may only point at public
//! addresses or the operator's `CRON_WEBHOOK_ALLOW`.

use std::time::Duration;

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use posey_domain::{TaskId, TimeZone};
use posey_http::destination::DestinationPolicy;
use posey_http::params::Page;
use posey_http::{ApiError, AppJson, PathId, Query};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::acting_person::ActingPerson;
use super::invalid::Invalid;
use super::openapi::{BadQuery, Error, NeedsActingPerson, NotFound, RateLimited};
use crate::clock::{Clock, SystemClock};
use crate::db::{self, MisfirePolicy, NewTask, OverlapPolicy, Task, TaskKind};
use crate::pausing;
use crate::schedule::{Schedule, ScheduleKind};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_task, list_tasks))
        .routes(routes!(get_task, update_task, delete_task))
        .routes(routes!(pause_task))
        .routes(routes!(resume_task))
}

/// The fields a person sets; on create the unset ones take the defaults, on update they stay.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskFields {
    name: Option<String>,
    kind: Option<String>,
    /// What the job needs: a reminder's `title`/`body`, an agent task's `prompt`, a webhook's `url`.
    #[schema(value_type = Option<Object>)]
    payload: Option<Value>,
    schedule: Option<ScheduleFields>,
    time_zone: Option<String>,
    misfire_policy: Option<String>,
    misfire_limit: Option<i64>,
    overlap_policy: Option<String>,
    timeout_seconds: Option<i64>,
    max_attempts: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ScheduleFields {
    kind: String,
    /// A string; an interval may also be given as a number of seconds.
    #[schema(value_type = String)]
    spec: Value,
}

/// A task as the API shows it: the webhook secret is never in `payload`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct TaskView {
    id: Uuid,
    name: String,
    kind: TaskKind,
    /// The task's payload (a webhook's secret is never in it).
    #[schema(value_type = Object)]
    payload: Value,
    schedule: ScheduleView,
    time_zone: String,
    next_run_at: Option<DateTime<Utc>>,
    paused: bool,
    misfire_policy: MisfirePolicy,
    misfire_limit: i32,
    overlap_policy: OverlapPolicy,
    timeout_seconds: i32,
    max_attempts: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// A webhook's signing secret: only in the answer that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ScheduleView {
    kind: String,
    spec: String,
}

impl TaskView {
    pub(super) fn of(task: Task, secret: Option<String>) -> Self {
        let mut payload = task.payload;
        if let Some(object) = payload.as_object_mut() {
            object.remove(SECRET);
        }
        Self {
            id: task.id,
            name: task.name,
            kind: task.kind,
            payload,
            schedule: ScheduleView { kind: task.schedule_kind, spec: task.schedule },
            time_zone: task.time_zone.name().to_owned(),
            next_run_at: task.next_run_at,
            paused: task.paused,
            misfire_policy: task.misfire_policy,
            misfire_limit: task.misfire_limit,
            overlap_policy: task.overlap_policy,
            timeout_seconds: task.timeout_seconds,
            max_attempts: task.max_attempts,
            created_at: task.created_at,
            updated_at: task.updated_at,
            secret,
        }
    }
}

/// Where a webhook task keeps its signing secret (read by `jobs::webhook`).
const SECRET: &str = "secret";

/// What a person can edit, checked as a whole (the kind decides what the payload needs).
#[derive(Debug, Clone)]
struct Editable {
    name: String,
    kind: TaskKind,
    payload: Value,
    schedule_kind: String,
    schedule: String,
    time_zone: TimeZone,
    misfire_policy: MisfirePolicy,
    misfire_limit: i32,
    overlap_policy: OverlapPolicy,
    timeout_seconds: i32,
    max_attempts: i32,
}

impl Editable {
    fn of(task: &Task) -> Self {
        Self {
            name: task.name.clone(),
            kind: task.kind,
            payload: task.payload.clone(),
            schedule_kind: task.schedule_kind.clone(),
            schedule: task.schedule.clone(),
            time_zone: task.time_zone,
            misfire_policy: task.misfire_policy,
            misfire_limit: task.misfire_limit,
            overlap_policy: task.overlap_policy,
            timeout_seconds: task.timeout_seconds,
            max_attempts: task.max_attempts,
        }
    }
}

/// The outcome of checking a create or an update.
struct Checked {
    task: Editable,
    /// The schedule's next time, when the schedule or its zone changed (or on create).
    next_run_at: Option<Option<DateTime<Utc>>>,
    /// A webhook secret generated by this request, to show once.
    new_secret: Option<String>,
}

const LIMITS: [(&str, i64, i64); 3] =
    [("misfire_limit", 1, 1_000), ("timeout_seconds", 1, 86_400), ("max_attempts", 1, 100)];

/// Applies `fields` over `base` (`None`: a create, every required field must be there), checking
/// every field and naming each bad one.
fn check(
    state: &AppState,
    base: Option<&Editable>,
    fields: TaskFields,
    now: DateTime<Utc>,
) -> Result<Checked, ApiError> {
    let mut invalid = Invalid::default();
    let creating = base.is_none();

    let name = match (fields.name, base) {
        (Some(name), _) => {
            let name = name.trim().to_owned();
            if name.is_empty() {
                invalid.add("name", "must not be empty");
            } else if name.chars().count() > 200 {
                invalid.add("name", "must be at most 200 characters");
            }
            name
        }
        (None, Some(base)) => base.name.clone(),
        (None, None) => {
            invalid.add("name", "is required");
            String::new()
        }
    };

    let kind = match (fields.kind.as_deref(), base) {
        (Some(kind), _) => parse_kind(state, kind, &mut invalid),
        (None, Some(base)) => Some(base.kind),
        (None, None) => {
            invalid.add("kind", "is required (reminder, webhook or agent_task)");
            None
        }
    };

    let payload_given = fields.payload.is_some();
    let mut payload = match (fields.payload, base) {
        (Some(payload), _) => payload,
        (None, Some(base)) => base.payload.clone(),
        (None, None) => Value::Object(Map::new()),
    };
    let mut new_secret = None;
    if !payload.is_object() {
        invalid.add("payload", "must be a JSON object");
    } else if let Some(kind) = kind {
        let kind_changed = base.is_some_and(|b| b.kind != kind);
        let old_secret = base
            .filter(|b| b.kind == TaskKind::Webhook)
            .and_then(|b| b.payload.get(SECRET).cloned());
        if let Some(object) = payload.as_object_mut() {
            check_payload(kind, object, &state.config.webhooks, &mut invalid);
            if kind == TaskKind::Webhook {
                // The secret is ours: a given one is ignored, the stored one kept.
                object.remove(SECRET);
                match old_secret.filter(|_| payload_given || !kind_changed) {
                    Some(secret) => {
                        object.insert(SECRET.into(), secret);
                    }
                    None => {
                        let secret = generate_secret();
                        object.insert(SECRET.into(), Value::String(secret.clone()));
                        new_secret = Some(secret);
                    }
                }
            } else {
                object.remove(SECRET);
            }
        }
    }

    let zone_name = match (&fields.time_zone, base) {
        (Some(zone), _) => zone.trim().to_owned(),
        (None, Some(base)) => base.time_zone.name().to_owned(),
        (None, None) => TimeZone::UTC.name().to_owned(),
    };
    let zone_changed = base.is_none_or(|b| b.time_zone.name() != zone_name);
    let mut next_run_at = None;
    let mut schedule_kind = base.map(|b| b.schedule_kind.clone()).unwrap_or_default();
    let mut schedule_spec = base.map(|b| b.schedule.clone()).unwrap_or_default();
    let given = match (fields.schedule, creating) {
        (Some(schedule), _) => Some(schedule),
        (None, true) => {
            invalid.add("schedule", "is required ({kind, spec})");
            None
        }
        (None, false) => None,
    };
    let to_parse = match given {
        Some(ScheduleFields { kind, spec }) => match ScheduleKind::parse(&kind) {
            None => {
                invalid.add("schedule", "kind must be one of cron, once, interval, rrule");
                None
            }
            Some(kind) => match spec {
                Value::String(spec) => Some((kind, spec)),
                Value::Number(n) => Some((kind, n.to_string())),
                _ => {
                    invalid.add("schedule", "spec must be a string");
                    None
                }
            },
        },
        None if zone_changed => {
            ScheduleKind::parse(&schedule_kind).map(|k| (k, schedule_spec.clone()))
        }
        None => None,
    };
    // The zone the schedule is read in (`Schedule::parse` names a zone that is not one). A valid
    // request that reads no schedule left the zone as it was: the stored one stays.
    let mut time_zone = base.map(|b| b.time_zone);
    if let Some((kind, spec)) = to_parse {
        match Schedule::parse(kind, &spec, &zone_name) {
            Ok(schedule) => {
                time_zone = Some(schedule.time_zone());
                let schedule = schedule.anchored_at(now);
                match schedule.first_at_or_after(now) {
                    Some(at) => next_run_at = Some(Some(at)),
                    None => invalid.add("schedule", "has no run after now"),
                }
                let min = state.config.limits.min_interval;
                if let Some(gap) = chrono::Duration::from_std(min)
                    .ok()
                    .and_then(|min| schedule.runs_closer_than(now, min))
                {
                    invalid.add(
                        "schedule",
                        format!(
                            "runs {}s apart; runs must be at least {}s apart on this server",
                            gap.num_seconds(),
                            min.as_secs()
                        ),
                    );
                }
                schedule_kind = schedule.kind().as_str().to_owned();
                schedule_spec = schedule.spec();
            }
            Err(e) => invalid.add(e.field, e.message),
        }
    }

    let misfire_policy = match (fields.misfire_policy.as_deref(), base) {
        (Some(p), _) => p.parse().unwrap_or_else(|_| {
            invalid.add("misfire_policy", "must be one of run_once, run_all, skip");
            MisfirePolicy::RunOnce
        }),
        (None, Some(base)) => base.misfire_policy,
        (None, None) => MisfirePolicy::RunOnce,
    };
    let overlap_policy = match (fields.overlap_policy.as_deref(), base) {
        (Some(p), _) => p.parse().unwrap_or_else(|_| {
            invalid.add("overlap_policy", "must be one of skip, queue_one, allow");
            OverlapPolicy::Skip
        }),
        (None, Some(base)) => base.overlap_policy,
        (None, None) => OverlapPolicy::Skip,
    };
    let defaults = [10, 300, 5];
    let current = base.map(|b| [b.misfire_limit, b.timeout_seconds, b.max_attempts]);
    let given = [fields.misfire_limit, fields.timeout_seconds, fields.max_attempts];
    let mut numbers = [0i32; 3];
    for (i, (field, min, max)) in LIMITS.into_iter().enumerate() {
        numbers[i] = match given[i] {
            Some(n) if (min..=max).contains(&n) => i32::try_from(n).unwrap_or(defaults[i]),
            Some(_) => {
                invalid.add(field, format!("must be between {min} and {max}"));
                defaults[i]
            }
            None => current.map_or(defaults[i], |c| c[i]),
        };
    }

    invalid.check()?;
    let kind = kind.context("a checked task has a kind")?;
    let time_zone = time_zone.context("a checked task has a time zone")?;
    Ok(Checked {
        task: Editable {
            name,
            kind,
            payload,
            schedule_kind,
            schedule: schedule_spec,
            time_zone,
            misfire_policy,
            misfire_limit: numbers[0],
            overlap_policy,
            timeout_seconds: numbers[1],
            max_attempts: numbers[2],
        },
        next_run_at,
        new_secret,
    })
}

fn parse_kind(state: &AppState, kind: &str, invalid: &mut Invalid) -> Option<TaskKind> {
    match kind.parse() {
        Ok(TaskKind::Reminder) => Some(TaskKind::Reminder),
        Ok(TaskKind::Webhook) => Some(TaskKind::Webhook),
        Ok(TaskKind::AgentTask) => match state.config.agent_tasks.settings() {
            Ok(_) => Some(TaskKind::AgentTask),
            Err(missing) => {
                invalid.add(
                    "kind",
                    format!(
                        "agent tasks need the agents service configured on this server (set {})",
                        missing.join(", ")
                    ),
                );
                None
            }
        },
        Ok(TaskKind::Maintenance) | Err(_) => {
            invalid.add("kind", "must be one of reminder, webhook, agent_task");
            None
        }
    }
}

/// What each kind's job needs from the payload (`crate::jobs`).
fn check_payload(
    kind: TaskKind,
    payload: &Map<String, Value>,
    webhooks: &DestinationPolicy,
    invalid: &mut Invalid,
) {
    match kind {
        TaskKind::Reminder => {
            match payload.get("title") {
                Some(Value::String(t)) if !t.trim().is_empty() => {}
                Some(Value::String(_)) => invalid.add("payload.title", "must not be empty"),
                Some(_) => invalid.add("payload.title", "must be a string"),
                None => invalid.add("payload.title", "is required for a reminder"),
            }
            if payload.get("body").is_some_and(|b| !b.is_string()) {
                invalid.add("payload.body", "must be a string");
            }
        }
        TaskKind::Webhook => match payload.get("url") {
            Some(Value::String(raw)) => match url::Url::parse(raw) {
                Ok(url) if !matches!(url.scheme(), "http" | "https") || !url.has_host() => {
                    invalid.add("payload.url", "must be an http or https URL");
                }
                // Names are checked again, on the address they resolve to, at every run.
                Ok(url) if !webhooks.permits_url(&url) => invalid.add(
                    "payload.url",
                    "is refused because it points at a private address (loopback, private \
                     network, link-local or otherwise not public); an operator can allow trusted \
                     hosts with CRON_WEBHOOK_ALLOW",
                ),
                Ok(_) => {}
                Err(e) => invalid.add("payload.url", format!("is not a URL: {e}")),
            },
            Some(_) => invalid.add("payload.url", "must be a string"),
            None => invalid.add("payload.url", "is required for a webhook"),
        },
        TaskKind::AgentTask => {
            match payload.get("prompt") {
                Some(Value::String(p)) if !p.trim().is_empty() => {}
                Some(Value::String(_)) => invalid.add("payload.prompt", "must not be empty"),
                Some(_) => invalid.add("payload.prompt", "must be a string"),
                None => invalid.add("payload.prompt", "is required for an agent task"),
            }
            if payload.get("agent").is_some_and(|a| !a.is_string()) {
                invalid.add("payload.agent", "must be a string");
            }
            match payload.get("conversation_id") {
                None | Some(Value::Null) => {}
                Some(Value::String(id)) if id.parse::<Uuid>().is_ok() => {}
                Some(_) => invalid.add("payload.conversation_id", "must be a conversation's id"),
            }
        }
        TaskKind::Maintenance => {}
    }
}

/// 32 random bytes, hex: the key the webhook's receiver checks signatures with.
fn generate_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tracing::instrument(skip_all)]
/// Schedule a task: a reminder, an agent task or a webhook
///
/// `schedule.kind` is `cron` (with seconds), `once` (an RFC 3339 time), `interval` (seconds, or
/// a string like `1h30m`) or `rrule`, in `time_zone` (IANA). A webhook's signing `secret` is in
/// this answer only.
#[utoipa::path(post, path = "/v1/tasks", tag = "tasks", security(("bearer" = [])),
    request_body = TaskFields,
    responses(
        (status = 201, description = "The task", body = TaskView),
        (status = 409, description = "The person has as many tasks as one may (`conflict`)", body = Error),
        NeedsActingPerson, RateLimited,
    ))]
async fn create_task(
    State(state): State<AppState>,
    ActingPerson(user_id): ActingPerson,
    AppJson(fields): AppJson<TaskFields>,
) -> Result<(StatusCode, Json<TaskView>), ApiError> {
    count_write(&state, user_id).await?;
    let now = SystemClock.now();
    let Checked { task, next_run_at, new_secret } = check(&state, None, fields, now)?;
    let mut new = NewTask::new(
        Some(user_id),
        task.name,
        task.kind,
        task.payload,
        task.schedule_kind,
        task.schedule,
        task.time_zone,
    );
    new.next_run_at = next_run_at.flatten();
    new.misfire_policy = task.misfire_policy;
    new.misfire_limit = task.misfire_limit;
    new.overlap_policy = task.overlap_policy;
    new.timeout_seconds = task.timeout_seconds;
    new.max_attempts = task.max_attempts;
    let max = state.config.limits.max_tasks_per_person;
    let task = db::api::insert_within_cap(state.db(), &new, max, now)
        .await
        .context("inserting a task")?
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "you have {max} tasks, the most one person may have on this server; delete \
                 some to make room"
            ))
        })?;
    Ok((StatusCode::CREATED, Json(TaskView::of(task, new_secret))))
}

/// Counts a write that can cause runs (create, update, run now) against the person's rate.
pub(super) async fn count_write(state: &AppState, user_id: Uuid) -> Result<(), ApiError> {
    let limit = state.config.limits.create_per_minute;
    state.limiter.check(&format!("tasks:{user_id}"), limit, Duration::from_secs(60)).await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TaskList {
    tasks: Vec<TaskView>,
    limit: i64,
    offset: i64,
}

#[tracing::instrument(skip_all)]
/// The person's tasks
#[utoipa::path(get, path = "/v1/tasks", tag = "tasks", security(("bearer" = [])),
    params(("limit" = Option<i64>, Query, description = "Default 50, at most 200"), ("offset" = Option<i64>, Query, description = "From 0")),
    responses((status = 200, description = "A page of tasks", body = TaskList), BadQuery, NeedsActingPerson))]
async fn list_tasks(
    State(state): State<AppState>,
    ActingPerson(user_id): ActingPerson,
    Query(page): Query<Page>,
) -> Result<Json<TaskList>, ApiError> {
    let (limit, offset) = (page.limit(), page.offset());
    let tasks = db::tasks::list_for_user(state.db(), user_id, limit, offset)
        .await
        .context("listing tasks")?;
    let tasks = tasks.into_iter().map(|t| TaskView::of(t, None)).collect();
    Ok(Json(TaskList { tasks, limit, offset }))
}

/// A person's task, or a 404.
pub(super) async fn find_task(
    state: &AppState,
    user_id: Uuid,
    id: TaskId,
) -> Result<Task, ApiError> {
    db::tasks::find_for_user(state.db(), user_id, id.as_uuid())
        .await
        .context("reading a task")?
        .ok_or_else(|| ApiError::NotFound("no such task".into()))
}

#[tracing::instrument(skip_all)]
/// A task
#[utoipa::path(get, path = "/v1/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("id" = String, Path, description = "The task's id")),
    responses((status = 200, description = "The task", body = TaskView), BadQuery, NeedsActingPerson, NotFound))]
async fn get_task(
    State(state): State<AppState>,
    ActingPerson(user_id): ActingPerson,
    PathId(id, ..): PathId<TaskId>,
) -> Result<Json<TaskView>, ApiError> {
    Ok(Json(TaskView::of(find_task(&state, user_id, id).await?, None)))
}

#[tracing::instrument(skip_all)]
/// Change a task (the fields given; the others stay)
#[utoipa::path(patch, path = "/v1/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("id" = String, Path, description = "The task's id")),
    request_body = TaskFields,
    responses((status = 200, description = "The task as it is now", body = TaskView), NeedsActingPerson, NotFound, RateLimited))]
async fn update_task(
    State(state): State<AppState>,
    ActingPerson(user_id): ActingPerson,
    PathId(id, ..): PathId<TaskId>,
    AppJson(fields): AppJson<TaskFields>,
) -> Result<Json<TaskView>, ApiError> {
    count_write(&state, user_id).await?;
    let id = id.as_uuid();
    let now = SystemClock.now();
    let mut tx = state.db().begin().await.context("starting a task update")?;
    let mut task = db::api::lock_for_user(&mut tx, user_id, id)
        .await
        .context("reading a task")?
        .ok_or_else(|| ApiError::NotFound("no such task".into()))?;
    let Checked { task: edited, next_run_at, new_secret } =
        check(&state, Some(&Editable::of(&task)), fields, now)?;
    task.name = edited.name;
    task.kind = edited.kind;
    task.payload = edited.payload;
    task.schedule_kind = edited.schedule_kind;
    task.schedule = edited.schedule;
    task.time_zone = edited.time_zone;
    task.misfire_policy = edited.misfire_policy;
    task.misfire_limit = edited.misfire_limit;
    task.overlap_policy = edited.overlap_policy;
    task.timeout_seconds = edited.timeout_seconds;
    task.max_attempts = edited.max_attempts;
    if let Some(next) = next_run_at {
        task.next_run_at = next;
    }
    let task = db::api::update(&mut tx, &task, now).await.context("updating a task")?;
    tx.commit().await.context("committing a task update")?;
    Ok(Json(TaskView::of(task, new_secret)))
}

/// Pausing cancels the runs that had not started (`crate::pausing`).
#[tracing::instrument(skip_all)]
/// Pause a task: its runs that have not started are cancelled
#[utoipa::path(post, path = "/v1/tasks/{id}/pause", tag = "tasks", security(("bearer" = [])),
    params(("id" = String, Path, description = "The task's id")),
    responses((status = 200, description = "The paused task", body = TaskView), BadQuery, NeedsActingPerson, NotFound))]
async fn pause_task(
    State(state): State<AppState>,
    ActingPerson(user_id): ActingPerson,
    PathId(id, ..): PathId<TaskId>,
) -> Result<Json<TaskView>, ApiError> {
    let id = id.as_uuid();
    let paused = pausing::pause(state.db(), user_id, id, SystemClock.now())
        .await?
        .ok_or_else(|| ApiError::NotFound("no such task".into()))?;
    Ok(Json(TaskView::of(paused.task, None)))
}

/// Resuming carries on from now; the paused window is not replayed (`crate::pausing`).
#[tracing::instrument(skip_all)]
/// Resume a task from now on (the pause is not replayed)
#[utoipa::path(post, path = "/v1/tasks/{id}/resume", tag = "tasks", security(("bearer" = [])),
    params(("id" = String, Path, description = "The task's id")),
    responses((status = 200, description = "The running task", body = TaskView), BadQuery, NeedsActingPerson, NotFound))]
async fn resume_task(
    State(state): State<AppState>,
    ActingPerson(user_id): ActingPerson,
    PathId(id, ..): PathId<TaskId>,
) -> Result<Json<TaskView>, ApiError> {
    let id = id.as_uuid();
    let task = pausing::resume(state.db(), user_id, id, SystemClock.now())
        .await?
        .ok_or_else(|| ApiError::NotFound("no such task".into()))?;
    Ok(Json(TaskView::of(task, None)))
}

#[tracing::instrument(skip_all)]
/// Delete a task and its runs
#[utoipa::path(delete, path = "/v1/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("id" = String, Path, description = "The task's id")),
    responses((status = 204, description = "Deleted"), BadQuery, NeedsActingPerson, NotFound))]
async fn delete_task(
    State(state): State<AppState>,
    ActingPerson(user_id): ActingPerson,
    PathId(id, ..): PathId<TaskId>,
) -> Result<StatusCode, ApiError> {
    let id = id.as_uuid();
    if db::tasks::delete_for_user(state.db(), user_id, id).await.context("deleting a task")? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such task".into()))
    }
}
