//! `GET /v1/status`: how this install's cron is set up, for the owner's settings page: whether
//! Web Push (VAPID) and notification email are configured, whether agent tasks can run,
//! whether this replica schedules, and the scheduled backups with their newest runs. For
//! admins (the `admin` role) and service clients granted the scope `admin`.

use anyhow::Context as _;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use posey_http::ApiError;
use posey_http::auth::{Authenticated, require_role, require_scope, scopes};
use serde::Serialize;

use super::openapi::Error;
use crate::db::{self, RunStatus};
use crate::jobs::maintenance::BACKUP_TASK;
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(status))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Status {
    pub web_push: WebPushStatus,
    pub email: EmailStatus,
    pub agent_tasks: AgentTasksStatus,
    pub scheduler: SchedulerStatus,
    pub backups: BackupStatus,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BackupStatus {
    /// Scheduled backups are on (`CRON_BACKUP_DIR`).
    pub configured: bool,
    /// Where they go (on the cron service's machine).
    pub dir: Option<String>,
    /// When: a cron expression with seconds, in UTC (`CRON_BACKUP_SCHEDULE`).
    pub schedule: Option<String>,
    /// How many are kept (`CRON_BACKUP_KEEP`).
    pub keep: Option<usize>,
    /// The newest backup run, whatever its state (a failed one carries its error).
    pub last_run: Option<BackupRun>,
    /// The newest backup run that succeeded.
    pub last_success: Option<BackupRun>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BackupRun {
    pub scheduled_for: DateTime<Utc>,
    pub status: RunStatus,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    /// The backup's directory under `dir`, once written.
    pub name: Option<String>,
    /// Its size in bytes.
    pub bytes: Option<u64>,
}

impl From<db::Run> for BackupRun {
    fn from(run: db::Run) -> Self {
        let output = run.output.unwrap_or_default();
        Self {
            scheduled_for: run.scheduled_for,
            status: run.status,
            finished_at: run.finished_at,
            error: run.error,
            name: output.get("name").and_then(|n| n.as_str()).map(str::to_owned),
            bytes: output.get("bytes").and_then(serde_json::Value::as_u64),
        }
    }
}

/// The backup settings and the newest runs (among the last few, the newest that succeeded).
async fn backups(state: &AppState) -> anyhow::Result<BackupStatus> {
    let settings = &state.config.backup;
    let Some(dir) = &settings.dir else {
        return Ok(BackupStatus {
            configured: false,
            dir: None,
            schedule: None,
            keep: None,
            last_run: None,
            last_success: None,
        });
    };
    let runs = db::runs::list_for_task(state.db(), BACKUP_TASK, 20, 0)
        .await
        .context("reading the backup task's runs")?;
    let last_success =
        runs.iter().find(|r| r.status == RunStatus::Succeeded).cloned().map(BackupRun::from);
    Ok(BackupStatus {
        configured: true,
        dir: Some(dir.display().to_string()),
        schedule: Some(settings.schedule.clone()),
        keep: Some(settings.keep),
        last_run: runs.into_iter().next().map(BackupRun::from),
        last_success,
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebPushStatus {
    /// `CRON_VAPID_PRIVATE_KEY` is set: browsers can subscribe and pushes go out.
    pub configured: bool,
    /// What browsers subscribe with (also at `/v1/push/vapid-public-key`).
    pub vapid_public_key: Option<String>,
    pub subject: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EmailStatus {
    /// `SMTP_URL` is set: notifications are also emailed.
    pub configured: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgentTasksStatus {
    /// Recurring agent tasks can run (the agents service and cron's client at auth are set).
    pub configured: bool,
    /// The variables still missing when not.
    #[schema(value_type = Vec<String>)]
    pub missing: Vec<&'static str>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SchedulerStatus {
    /// Whether this replica dispatches and runs jobs (`CRON_SCHEDULER_ENABLED`).
    pub enabled: bool,
    pub workers: usize,
}

/// How the install's cron is set up: Web Push, email, agent tasks, the scheduler
#[utoipa::path(get, path = "/v1/status", tag = "meta", security(("bearer" = [])),
    responses((status = 200, description = "The status", body = Status),
        (status = 401, description = "No valid access token (`unauthorized`)", body = Error),
        (status = 403, description = "Neither an admin's nor a service token granted `admin` (`forbidden`)", body = Error)))]
async fn status(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
) -> Result<Json<Status>, ApiError> {
    if claims.is_service() {
        require_scope(&claims, scopes::ADMIN)?;
    } else {
        require_role(&claims, "admin")?;
    }
    let config = &state.config;
    let vapid = config.notify.vapid.as_ref();
    Ok(Json(Status {
        web_push: WebPushStatus {
            configured: vapid.is_some(),
            vapid_public_key: vapid.map(|v| v.public_key.clone()),
            subject: vapid.map(|v| v.subject.clone()),
        },
        email: EmailStatus { configured: config.notify.smtp_url.is_some() },
        agent_tasks: AgentTasksStatus {
            configured: config.agent_tasks.settings().is_ok(),
            missing: config.agent_tasks.settings().err().unwrap_or_default(),
        },
        scheduler: SchedulerStatus {
            enabled: config.scheduler.enabled,
            workers: config.scheduler.workers,
        },
        backups: backups(&state).await?,
    }))
}
