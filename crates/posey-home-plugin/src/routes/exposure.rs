//! `/v1/home/exposure`: what the companion may see and control. Nothing, until the person
//! chooses.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use posey_home::EntityId;
use posey_home::exposure::ExposurePolicy;
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson};
use posey_plugin::responses::{BadFields, NeedsPerson};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::shared::RouteState;
use crate::db::exposure;

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new().routes(routes!(get_exposure, put_exposure))
}

/// What the companion may see and control: entities by id, areas by id. An entity it may
/// control it may also see; a hidden entity it neither sees nor controls, whatever its area.
/// On an entity marked "always ask first" every command of the companion waits for the
/// person's yes, whatever its kind (a garage opener that is a switch, a script that unlocks).
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Exposure {
    #[serde(default)]
    visible_entities: BTreeSet<String>,
    #[serde(default)]
    visible_areas: BTreeSet<String>,
    #[serde(default)]
    controllable_entities: BTreeSet<String>,
    #[serde(default)]
    controllable_areas: BTreeSet<String>,
    #[serde(default)]
    hidden_entities: BTreeSet<String>,
    #[serde(default)]
    ask_first_entities: BTreeSet<String>,
}

fn shown(policy: ExposurePolicy) -> Exposure {
    let ids = |set: BTreeSet<EntityId>| set.into_iter().map(|id| id.to_string()).collect();
    Exposure {
        visible_entities: ids(policy.visible_entities),
        visible_areas: policy.visible_areas,
        controllable_entities: ids(policy.controllable_entities),
        controllable_areas: policy.controllable_areas,
        hidden_entities: ids(policy.hidden_entities),
        ask_first_entities: ids(policy.ask_first_entities),
    }
}

/// The person's policy as the API shows it.
pub(crate) async fn exposure_of(db: &PgPool, person: uuid::Uuid) -> anyhow::Result<Exposure> {
    Ok(shown(exposure::get(db, person).await?))
}

fn read(body: Exposure) -> Result<ExposurePolicy, ApiError> {
    let ids = |field: &str, set: BTreeSet<String>| {
        set.into_iter()
            .map(|text| {
                EntityId::parse(text.trim())
                    .map_err(|e| ApiError::invalid(field, format!("{text:?}: {e}")))
            })
            .collect::<Result<BTreeSet<_>, _>>()
    };
    let areas = |field: &str, set: BTreeSet<String>| {
        let set: BTreeSet<String> = set.into_iter().map(|a| a.trim().to_owned()).collect();
        if set.iter().any(|a| a.is_empty() || a.chars().count() > 200) {
            return Err(ApiError::invalid(field, "an area id is 1 to 200 characters"));
        }
        Ok(set)
    };
    Ok(ExposurePolicy {
        visible_entities: ids("visible_entities", body.visible_entities)?,
        visible_areas: areas("visible_areas", body.visible_areas)?,
        controllable_entities: ids("controllable_entities", body.controllable_entities)?,
        controllable_areas: areas("controllable_areas", body.controllable_areas)?,
        hidden_entities: ids("hidden_entities", body.hidden_entities)?,
        ask_first_entities: ids("ask_first_entities", body.ask_first_entities)?,
    })
}

/// What the companion may see and control
#[utoipa::path(get, path = "/v1/home/exposure", tag = "home", operation_id = "getHomeExposure",
    security(("bearer" = [])),
    responses((status = 200, description = "The policy", body = Exposure), NeedsPerson))]
async fn get_exposure(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Json<Exposure>, ApiError> {
    Ok(Json(exposure_of(state.db(), person).await?))
}

/// Set what the companion may see and control (the whole policy)
#[utoipa::path(put, path = "/v1/home/exposure", tag = "home", operation_id = "putHomeExposure",
    security(("bearer" = [])), request_body = Exposure,
    responses((status = 200, description = "The policy as stored", body = Exposure), BadFields, NeedsPerson))]
async fn put_exposure(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(body): AppJson<Exposure>,
) -> Result<Json<Exposure>, ApiError> {
    let policy = read(body)?;
    exposure::put(state.db(), person, &policy).await?;
    Ok(Json(shown(policy)))
}
