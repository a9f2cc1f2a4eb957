//! `/v1/home/entities`: a person's entities by area, one entity's state and history, and the
//! person's own commands (which run at once: the person is the one who confirms; the web app
//! asks before a security-relevant one).

use anyhow::Context as _;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use posey_home::Command;
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson, Path, Query};
use posey_plugin::responses::{BadInput, NeedsPerson};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::shared::{CommandRefused, EntityView, NoSuchEntity, RouteState};
use crate::control::{self, Actor, Outcome};
use crate::db::audit::AuditEntry;
use crate::db::entities::{self, EntityRow};
use crate::db::exposure;
use crate::db::history::{self, Past};
use crate::error::HomeError;

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new()
        .routes(routes!(list_entities))
        .routes(routes!(get_entity))
        .routes(routes!(entity_history))
        .routes(routes!(command_entity))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListParams {
    /// Only those in this area (its id).
    area: Option<String>,
    /// Only those of this domain (`light`).
    domain: Option<String>,
}

/// An area, as the entities name it.
#[derive(Debug, Serialize, utoipa::ToSchema, PartialEq, Eq, PartialOrd, Ord)]
struct AreaView {
    area_id: String,
    name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct EntityList {
    /// The areas the entities are in, by name.
    areas: Vec<AreaView>,
    /// By area name (entities without an area last), then name.
    entities: Vec<EntityView>,
}

/// The person's entities, by area
#[utoipa::path(get, path = "/v1/home/entities", tag = "home", operation_id = "listHomeEntities",
    security(("bearer" = [])), params(ListParams),
    responses((status = 200, description = "The entities", body = EntityList), BadInput, NeedsPerson))]
async fn list_entities(
    State(state): State<RouteState>,
    Person(person): Person,
    Query(params): Query<ListParams>,
) -> Result<Json<EntityList>, ApiError> {
    Ok(Json(
        entity_list(state.db(), person, params.area.as_deref(), params.domain.as_deref()).await?,
    ))
}

/// The person's entities as the list shows them; `area` and `domain` narrow them.
pub(crate) async fn entity_list(
    db: &PgPool,
    person: Uuid,
    area: Option<&str>,
    domain: Option<&str>,
) -> anyhow::Result<EntityList> {
    let rows = entities::of_person(db, person, area, domain).await.context("reading entities")?;
    let policy = exposure::get(db, person).await.context("reading the exposure policy")?;
    let mut areas: Vec<AreaView> = rows
        .iter()
        .filter_map(|r| Some(AreaView { area_id: r.area_id.clone()?, name: r.area.clone()? }))
        .collect();
    areas.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.cmp(b)));
    areas.dedup();
    let entities = rows.into_iter().map(|row| EntityView::new(row, &policy)).collect();
    Ok(EntityList { areas, entities })
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct WhichParams {
    /// The connection, when two have an entity with this id.
    connection: Option<Uuid>,
}

async fn entity(
    state: &RouteState,
    person: Uuid,
    entity_id: &str,
    connection: Option<Uuid>,
) -> Result<EntityRow, ApiError> {
    control::find(&state.own, person, entity_id, connection).await.map_err(|error| match error {
        // An id that does not parse names nothing: a 404 as for one nobody has.
        HomeError::Invalid { .. } => {
            ApiError::NotFound(format!("no entity {entity_id} in this home"))
        }
        other => other.into(),
    })
}

/// One entity
#[utoipa::path(get, path = "/v1/home/entities/{entity_id}", tag = "home", operation_id = "getHomeEntity",
    security(("bearer" = [])),
    params(("entity_id" = String, Path, description = "The entity's id, `light.kitchen`"), WhichParams),
    responses((status = 200, description = "The entity", body = EntityView), NoSuchEntity, BadInput, NeedsPerson))]
async fn get_entity(
    State(state): State<RouteState>,
    Person(person): Person,
    Path(entity_id): Path<String>,
    Query(which): Query<WhichParams>,
) -> Result<Json<EntityView>, ApiError> {
    let row = entity(&state, person, &entity_id, which.connection).await?;
    let policy = exposure::get(state.db(), person).await?;
    Ok(Json(EntityView::new(row, &policy)))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct HistoryParams {
    /// From then on (default: 24 hours ago).
    since: Option<DateTime<Utc>>,
    /// 1 to 5000, default 1000.
    limit: Option<i64>,
    /// The connection, when two have an entity with this id.
    connection: Option<Uuid>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct History {
    /// Oldest first.
    states: Vec<Past>,
}

/// The states an entity took
#[utoipa::path(get, path = "/v1/home/entities/{entity_id}/history", tag = "home", operation_id = "homeEntityHistory",
    security(("bearer" = [])),
    params(("entity_id" = String, Path, description = "The entity's id"), HistoryParams),
    responses((status = 200, description = "Its states", body = History), NoSuchEntity, BadInput, NeedsPerson))]
async fn entity_history(
    State(state): State<RouteState>,
    Person(person): Person,
    Path(entity_id): Path<String>,
    Query(params): Query<HistoryParams>,
) -> Result<Json<History>, ApiError> {
    let limit = params.limit.unwrap_or(1000);
    if !(1..=5000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be 1 to 5000"));
    }
    let row = entity(&state, person, &entity_id, params.connection).await?;
    let since = params.since.unwrap_or_else(|| Utc::now() - chrono::Duration::hours(24));
    let states = history::since(state.db(), row.connection_id, &row.entity_id, since, limit)
        .await
        .map_err(HomeError::from)?;
    Ok(Json(History { states }))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Commanded {
    /// The entity as mirrored after the command.
    entity: EntityView,
    audit: AuditEntry,
}

/// Give an entity a command (`{"action": "turn_on", "brightness": {"percent": 40}}`)
#[utoipa::path(post, path = "/v1/home/entities/{entity_id}/commands", tag = "home", operation_id = "commandHomeEntity",
    security(("bearer" = [])),
    params(("entity_id" = String, Path, description = "The entity's id"), WhichParams),
    request_body(content = Object, description = "The command: `action` (`turn_on`, `turn_off`, `toggle`, \
        `set_temperature`, `set_hvac_mode`, `open_cover`, `close_cover`, `stop_cover`, `set_cover_position`, \
        `lock`, `unlock`, `open`, `alarm_arm`, `alarm_disarm`, `media_play`, `media_pause`, `set_volume`, \
        `activate_scene`, `run_script`, `enable_automation`, `disable_automation`) and its values"),
    responses((status = 200, description = "Done, with the entity after and the audit entry", body = Commanded),
        NoSuchEntity, CommandRefused, BadInput, NeedsPerson))]
async fn command_entity(
    State(state): State<RouteState>,
    Person(person): Person,
    Path(entity_id): Path<String>,
    Query(which): Query<WhichParams>,
    AppJson(command): AppJson<Command>,
) -> Result<Json<Commanded>, ApiError> {
    let row = entity(&state, person, &entity_id, which.connection).await?;
    let outcome = control::control(&state.own, person, &Actor::Person, &row, command).await?;
    let Outcome::Done { state: after, audit } = outcome else {
        return Err(ApiError::Internal(anyhow::anyhow!("a person's command waited for a yes")));
    };
    let mut row = row;
    if let Some(after) = after {
        row.state = after.state;
        row.attributes = serde_json::Value::Object(after.attributes);
        row.last_changed = after.last_changed;
        row.last_updated = after.last_updated;
    }
    let policy = exposure::get(state.db(), person).await?;
    Ok(Json(Commanded { entity: EntityView::new(row, &policy), audit }))
}
