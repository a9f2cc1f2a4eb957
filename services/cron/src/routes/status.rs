//! `GET /v1/status`: how this install's cron is set up, for the owner's settings page: whether
//! Web Push (VAPID) and notification email are configured, whether agent tasks can run, and
//! whether this replica schedules. For admins (the `admin` role) and service clients.

use axum::Json;
use axum::extract::State;
use posey_http::ApiError;
use posey_http::auth::{Authenticated, require_role};
use serde::Serialize;

use super::openapi::Error;
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
        (status = 403, description = "Neither an admin's nor a service token (`forbidden`)", body = Error)))]
async fn status(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
) -> Result<Json<Status>, ApiError> {
    if !claims.is_service() {
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
    }))
}
