//! `/v1/home/connections`: a person's Home Assistant instances and MQTT brokers. Making one
//! connects at once: a refused token or an unreachable address is a 422 naming it, and
//! nothing is stored. The token (or the broker's password) is sealed, never returned.

use anyhow::Context as _;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use posey_domain::HomeConnectionId;
use posey_home::Secret;
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson, PathId};
use posey_plugin::responses::{BadFields, NeedsPerson};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::shared::{NameTaken, NoSuchConnection, RouteState};
use crate::db::connections::{self, Connection, Kind};
use crate::homes::NewConnection;

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new()
        .routes(routes!(list_connections, create_connection))
        .routes(routes!(delete_connection))
}

/// A connection, as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ConnectionView {
    id: Uuid,
    kind: Kind,
    name: String,
    /// Home Assistant's address or the broker's (never with a password); `null`: this Posey's
    /// broker.
    #[schema(required = true)]
    url: Option<String>,
    /// `connecting`, `connected`, `disconnected` (retrying) or `stopped` (the token was
    /// refused: connect again with a new one).
    status: String,
    #[schema(required = true)]
    last_error: Option<String>,
    discovery_prefix: String,
    #[schema(required = true)]
    zigbee2mqtt_base: Option<String>,
    /// How many entities it mirrors.
    entities: i64,
    created_at: DateTime<Utc>,
}

fn view(c: Connection, entities: i64) -> ConnectionView {
    ConnectionView {
        id: c.id,
        kind: c.kind,
        name: c.name,
        url: c.url,
        status: c.status,
        last_error: c.last_error,
        discovery_prefix: c.discovery_prefix,
        zigbee2mqtt_base: c.zigbee2mqtt_base,
        entities,
        created_at: c.created_at,
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ConnectionList {
    connections: Vec<ConnectionView>,
}

/// The person's connections as the list shows them (never a token or a password).
pub(crate) async fn connection_list(db: &PgPool, person: Uuid) -> anyhow::Result<ConnectionList> {
    let counts = connections::entity_counts(db, person).await.context("counting entities")?;
    let list = connections::of_person(db, person).await.context("reading connections")?;
    let connections = list
        .into_iter()
        .map(|c| {
            let n = counts.iter().find(|(id, _)| *id == c.id).map_or(0, |(_, n)| *n);
            view(c, n)
        })
        .collect();
    Ok(ConnectionList { connections })
}

/// The person's connections
#[utoipa::path(get, path = "/v1/home/connections", tag = "home", operation_id = "listHomeConnections",
    security(("bearer" = [])),
    responses((status = 200, description = "The connections", body = ConnectionList), NeedsPerson))]
async fn list_connections(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Json<ConnectionList>, ApiError> {
    Ok(Json(connection_list(state.db(), person).await?))
}

/// What to connect to.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewConnectionBody {
    kind: Kind,
    name: String,
    /// Home Assistant's address (`http://homeassistant.local:8123`), or the broker's
    /// (`mqtt://host:1883`; left out: this Posey's broker).
    url: Option<String>,
    /// Home Assistant's long-lived access token (required for it), or the broker's password.
    token: Option<String>,
    /// Home Assistant's MQTT discovery prefix (default `homeassistant`).
    discovery_prefix: Option<String>,
    /// Zigbee2MQTT's base topic (`zigbee2mqtt`) to follow its devices; left out: none.
    zigbee2mqtt_base: Option<String>,
}

/// Connect a Home Assistant instance or an MQTT broker
#[utoipa::path(post, path = "/v1/home/connections", tag = "home", operation_id = "createHomeConnection",
    security(("bearer" = [])), request_body = NewConnectionBody,
    responses((status = 201, description = "Connected; its entities are being mirrored", body = ConnectionView),
        NameTaken, BadFields, NeedsPerson))]
async fn create_connection(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(body): AppJson<NewConnectionBody>,
) -> Result<(StatusCode, Json<ConnectionView>), ApiError> {
    let new = NewConnection {
        kind: body.kind,
        name: body.name,
        url: body.url,
        secret: body.token.map(Secret::new),
        discovery_prefix: body.discovery_prefix,
        zigbee2mqtt_base: body.zigbee2mqtt_base,
    };
    let connection = state.own.connect(person, new).await?;
    Ok((StatusCode::CREATED, Json(view(connection, 0))))
}

/// Remove a connection: its entities and their history go; the audit log stays
#[utoipa::path(delete, path = "/v1/home/connections/{id}", tag = "home", operation_id = "deleteHomeConnection",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The connection's id")),
    responses((status = 204, description = "Removed"), NoSuchConnection, NeedsPerson))]
async fn delete_connection(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<HomeConnectionId>,
) -> Result<StatusCode, ApiError> {
    if state.own.disconnect(person, id.as_uuid()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such connection".into()))
    }
}
