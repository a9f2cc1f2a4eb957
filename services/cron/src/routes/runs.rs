//! A task's runs: `/v1/tasks/{id}/runs`, its run history, newest first, and
//! `/v1/tasks/{id}/run`, a run now (a write counted against the person's task rate).

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use posey_domain::TaskId;
use posey_http::params::Page;
use posey_http::{ApiError, PathId, Query};
use serde::Serialize;

use super::acting_person::ActingPerson;
use super::openapi::{BadQuery, Error, NeedsActingPerson, NotFound, RateLimited};
use super::tasks::{count_write, find_task};
use crate::clock::{Clock, SystemClock};
use crate::db::{self, Run, RunStatus};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_runs)).routes(routes!(run_task))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunView {
    id: i64,
    scheduled_for: DateTime<Utc>,
    status: RunStatus,
    attempts: i32,
    error: Option<String>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    duration_ms: Option<i64>,
}

impl From<Run> for RunView {
    fn from(run: Run) -> Self {
        let duration_ms = match (run.started_at, run.finished_at) {
            (Some(start), Some(end)) => Some((end - start).num_milliseconds()),
            _ => None,
        };
        Self {
            id: run.id,
            scheduled_for: run.scheduled_for,
            status: run.status,
            attempts: run.attempts,
            error: run.error,
            started_at: run.started_at,
            finished_at: run.finished_at,
            duration_ms,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct RunList {
    runs: Vec<RunView>,
    limit: i64,
    offset: i64,
}

#[tracing::instrument(skip_all)]
/// A task's runs, newest first
#[utoipa::path(get, path = "/v1/tasks/{id}/runs", tag = "tasks", security(("bearer" = [])),
    params(("id" = String, Path, description = "The task's id"), ("limit" = Option<i64>, Query, description = "Default 50, at most 200"), ("offset" = Option<i64>, Query, description = "From 0")),
    responses((status = 200, description = "A page of runs", body = RunList), BadQuery, NeedsActingPerson, NotFound))]
async fn list_runs(
    State(state): State<AppState>,
    ActingPerson(user_id): ActingPerson,
    PathId(id, ..): PathId<TaskId>,
    Query(page): Query<Page>,
) -> Result<Json<RunList>, ApiError> {
    let task = find_task(&state, user_id, id).await?;
    let (limit, offset) = (page.limit(), page.offset());
    let runs = db::runs::list_for_task(state.db(), task.id, limit, offset)
        .await
        .context("listing runs")?;
    Ok(Json(RunList { runs: runs.into_iter().map(RunView::from).collect(), limit, offset }))
}

#[tracing::instrument(skip_all)]
/// Run a task now
#[utoipa::path(post, path = "/v1/tasks/{id}/run", tag = "tasks", security(("bearer" = [])),
    params(("id" = String, Path, description = "The task's id")),
    responses(
        (status = 202, description = "The run, queued", body = RunView),
        (status = 409, description = "The task is paused, or a run for this instant exists (`conflict`)", body = Error),
        BadQuery, NeedsActingPerson, NotFound, RateLimited,
    ))]
async fn run_task(
    State(state): State<AppState>,
    ActingPerson(user_id): ActingPerson,
    PathId(id, ..): PathId<TaskId>,
) -> Result<(StatusCode, Json<RunView>), ApiError> {
    count_write(&state, user_id).await?;
    let task = find_task(&state, user_id, id).await?;
    if task.paused {
        // Paused means nothing of the task runs; a run recorded now would be held anyway.
        return Err(ApiError::Conflict("the task is paused; resume it to run it".into()));
    }
    let run = db::runs::insert_now(state.db(), task.id, SystemClock.now())
        .await
        .context("recording a run now")?
        .ok_or_else(|| ApiError::Conflict("a run for this instant exists already".into()))?;
    Ok((StatusCode::ACCEPTED, Json(RunView::from(run))))
}
