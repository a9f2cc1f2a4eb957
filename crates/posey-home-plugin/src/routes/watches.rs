//! `/v1/home/watches`: the person's rules on state changes; one that fires sends a
//! notification through cron's channels, once per change.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use posey_domain::HomeWatchId;
use posey_home::watch::{Threshold, TimeWindow};
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson, PathId};
use posey_plugin::responses::{BadFields, NeedsPerson};
use serde::Serialize;
use sqlx::PgPool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::shared::{NoSuchWatch, RouteState};
use crate::db::watches::{self, WatchRow};
use crate::new_watch::NewWatch;

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new().routes(routes!(list_watches, create_watch)).routes(routes!(delete_watch))
}

/// A watch, as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WatchView {
    id: Uuid,
    entity_id: String,
    name: String,
    #[schema(required = true)]
    from: Option<String>,
    #[schema(required = true)]
    to: Option<String>,
    #[schema(required = true, value_type = Option<Object>)]
    threshold: Option<Threshold>,
    /// `{"start": "23:00:00", "end": "06:00:00"}`, local time.
    #[schema(required = true, value_type = Option<Object>)]
    window: Option<TimeWindow>,
    created_at: DateTime<Utc>,
    #[schema(required = true)]
    last_fired_at: Option<DateTime<Utc>>,
}

pub fn view(row: WatchRow) -> WatchView {
    WatchView {
        id: row.watch.id,
        entity_id: row.watch.entity_id.to_string(),
        name: row.name,
        from: row.watch.from,
        to: row.watch.to,
        threshold: row.watch.threshold,
        window: row.watch.window,
        created_at: row.created_at,
        last_fired_at: row.last_fired_at,
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct WatchList {
    watches: Vec<WatchView>,
}

/// The person's watches as the list shows them.
pub(crate) async fn watch_list(db: &PgPool, person: Uuid) -> anyhow::Result<WatchList> {
    let rows = watches::of_person(db, person).await?;
    Ok(WatchList { watches: rows.into_iter().map(view).collect() })
}

/// The person's watches
#[utoipa::path(get, path = "/v1/home/watches", tag = "home", operation_id = "listHomeWatches",
    security(("bearer" = [])),
    responses((status = 200, description = "The watches", body = WatchList), NeedsPerson))]
async fn list_watches(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Json<WatchList>, ApiError> {
    Ok(Json(watch_list(state.db(), person).await?))
}

/// Make a watch ("tell me if the front door opens after 23:00")
#[utoipa::path(post, path = "/v1/home/watches", tag = "home", operation_id = "createHomeWatch",
    security(("bearer" = [])), request_body = NewWatch,
    responses((status = 201, description = "The watch", body = WatchView), BadFields, NeedsPerson))]
async fn create_watch(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(body): AppJson<NewWatch>,
) -> Result<(StatusCode, Json<WatchView>), ApiError> {
    let (name, watch) = body.build()?;
    let row = watches::insert(state.db(), person, &name, &watch).await?;
    Ok((StatusCode::CREATED, Json(view(row))))
}

/// Delete a watch
#[utoipa::path(delete, path = "/v1/home/watches/{id}", tag = "home", operation_id = "deleteHomeWatch",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The watch's id")),
    responses((status = 204, description = "Deleted"), NoSuchWatch, NeedsPerson))]
async fn delete_watch(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<HomeWatchId>,
) -> Result<StatusCode, ApiError> {
    if watches::delete(state.db(), person, id.as_uuid()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such watch".into()))
    }
}
