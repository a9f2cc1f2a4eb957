//! `/v1/me/export`: everything cron keeps of the person, for their export (`GET /v1/me/export`
//! on the agents service, which cannot read cron's schema): every task as `GET /v1/tasks/{id}`
//! shows it, every run, every notification (read or not) with its deliveries, and the browsers
//! subscribed to Web Push (never their keys).

use std::collections::HashMap;

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use posey_http::ApiError;
use posey_http::auth::Person;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::openapi::NeedsPerson;
use super::tasks::TaskView;
use crate::db::deliveries::Delivery;
use crate::db::notifications::Notification;
use crate::db::push_subscriptions::Subscribed;
use crate::db::{self, Run, RunStatus};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_mine))
}

/// Everything cron keeps of the person.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CronExport {
    exported_at: DateTime<Utc>,
    user_id: Uuid,
    /// Newest first, as `GET /v1/tasks/{id}` shows each (a webhook's secret is never in it).
    tasks: Vec<TaskView>,
    /// Every run of those tasks: by task, newest scheduled time first.
    runs: Vec<RunExport>,
    /// Read and unread, newest first.
    notifications: Vec<NotificationExport>,
    /// The browsers subscribed to Web Push, oldest first (never their keys).
    push_subscriptions: Vec<SubscriptionExport>,
}

/// A run of one of the person's tasks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct RunExport {
    id: i64,
    task_id: Uuid,
    scheduled_for: DateTime<Utc>,
    status: RunStatus,
    attempts: i32,
    error: Option<String>,
    /// What the run's job gave back (an agent task's answer, a webhook's status).
    #[schema(value_type = Option<Object>)]
    output: Option<Value>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<Run> for RunExport {
    fn from(run: Run) -> Self {
        Self {
            id: run.id,
            task_id: run.task_id,
            scheduled_for: run.scheduled_for,
            status: run.status,
            attempts: run.attempts,
            error: run.error,
            output: run.output,
            started_at: run.started_at,
            finished_at: run.finished_at,
            created_at: run.created_at,
        }
    }
}

/// A notification, as `GET /v1/notifications` shows it, with how it was delivered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct NotificationExport {
    id: Uuid,
    title: String,
    body: String,
    #[schema(value_type = Object)]
    data: Value,
    task_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
    /// Its sending by email and Web Push, in the order queued.
    deliveries: Vec<DeliveryExport>,
}

impl NotificationExport {
    fn of(n: Notification, deliveries: Vec<DeliveryExport>) -> Self {
        Self {
            id: n.id,
            title: n.title,
            body: n.body,
            data: n.data,
            task_id: n.task_id,
            created_at: n.created_at,
            read_at: n.read_at,
            deliveries,
        }
    }
}

/// A notification's sending on one channel.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DeliveryExport {
    /// `email` or `web_push`.
    channel: String,
    /// `pending`, `delivered` or `failed`.
    status: String,
    attempts: i32,
    last_error: Option<String>,
    delivered_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<Delivery> for DeliveryExport {
    fn from(d: Delivery) -> Self {
        Self {
            channel: d.channel,
            status: d.status,
            attempts: d.attempts,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}

/// A browser subscribed to Web Push: its endpoint, not its keys.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SubscriptionExport {
    id: Uuid,
    endpoint: String,
    created_at: DateTime<Utc>,
}

impl From<Subscribed> for SubscriptionExport {
    fn from(s: Subscribed) -> Self {
        Self { id: s.id, endpoint: s.endpoint, created_at: s.created_at }
    }
}

/// Every row at once: the lists' own queries, unpaged (`LIMIT` the largest there is).
const ALL: i64 = i64::MAX;

#[tracing::instrument(skip_all)]
/// Everything cron keeps of the person (their part of the account's export)
#[utoipa::path(get, path = "/v1/me/export", tag = "tasks", operation_id = "exportMine",
    security(("bearer" = [])),
    responses((status = 200, description = "The person's tasks, runs, notifications and push subscriptions", body = CronExport),
        NeedsPerson))]
async fn export_mine(
    State(state): State<AppState>,
    Person(user_id): Person,
) -> Result<Json<CronExport>, ApiError> {
    let exported_at = Utc::now();
    let tasks =
        db::tasks::list_for_user(state.db(), user_id, ALL, 0).await.context("exporting tasks")?;
    let mut runs = Vec::new();
    for task in &tasks {
        let of_task = db::runs::list_for_task(state.db(), task.id, ALL, 0)
            .await
            .context("exporting a task's runs")?;
        runs.extend(of_task.into_iter().map(RunExport::from));
    }
    let tasks = tasks.into_iter().map(|t| TaskView::of(t, None)).collect();

    let mut deliveries: HashMap<Uuid, Vec<DeliveryExport>> = HashMap::new();
    for delivery in db::deliveries::of_user(state.db(), user_id)
        .await
        .context("exporting notification deliveries")?
    {
        deliveries.entry(delivery.notification_id).or_default().push(delivery.into());
    }
    let notifications = db::notifications::list_for_user(state.db(), user_id, false, None, ALL)
        .await
        .context("exporting notifications")?
        .into_iter()
        .map(|n| {
            let sent = deliveries.remove(&n.id).unwrap_or_default();
            NotificationExport::of(n, sent)
        })
        .collect();

    let push_subscriptions = db::push_subscriptions::of_user(state.db(), user_id)
        .await
        .context("exporting push subscriptions")?
        .into_iter()
        .map(SubscriptionExport::from)
        .collect();

    Ok(Json(CronExport { exported_at, user_id, tasks, runs, notifications, push_subscriptions }))
}
