//! What the route modules share: the state and an entity as the API shows it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use posey_home::exposure::ExposurePolicy;
use posey_plugin::PluginState;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::control::{exposed, is_security};
use crate::db::entities::EntityRow;
use crate::homes::Homes;

/// The host's state and the live links.
pub type RouteState = PluginState<Arc<Homes>>;

posey_http::error_responses! { schema = "Error";
    /// A route taking a connection's id.
    NoSuchConnection {
        "404" => "No such connection of this person",
    }
    /// A route taking an entity's id.
    NoSuchEntity {
        "404" => "No such entity in this person's home",
        "409" => "Two connections have an entity with this id: say which with `connection`",
    }
    /// Making a connection.
    NameTaken {
        "409" => "A connection with this name exists",
    }
    /// A command on an entity.
    CommandRefused {
        "403" => "The companion may not control it",
        "409" => "The entity is unavailable, or the home refused the command",
        "503" => "The connection to the home is down",
    }
    /// A route taking a watch's id.
    NoSuchWatch {
        "404" => "No such watch of this person",
    }
}

/// An entity, as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntityView {
    /// `light.kitchen`.
    pub entity_id: String,
    pub connection_id: Uuid,
    /// `light`, `switch`, `lock`, `climate`, `cover`, `alarm_control_panel`, `sensor`...
    pub domain: String,
    pub name: String,
    #[schema(required = true)]
    pub area_id: Option<String>,
    /// The area's name.
    #[schema(required = true)]
    pub area: Option<String>,
    /// The device's name.
    #[schema(required = true)]
    pub device: Option<String>,
    #[schema(required = true)]
    pub device_class: Option<String>,
    /// `on`, `off`, `locked`, `21.5`, `unavailable`...
    pub state: String,
    #[schema(value_type = Object)]
    pub attributes: Value,
    pub last_changed: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    /// Whether the companion may see it.
    pub visible: bool,
    /// Whether the companion may control it.
    pub controllable: bool,
    /// Whether some of its commands need the person's yes when the companion asks (locks,
    /// alarm panels, garage doors and gates, automations).
    pub security: bool,
    /// Whether the person marked it "always ask first": every command the companion gives it
    /// waits for the person's yes, whatever its kind.
    pub ask_first: bool,
}

impl EntityView {
    pub fn new(row: EntityRow, policy: &ExposurePolicy) -> Self {
        let (visible, controllable) = exposed(policy, &row);
        let security = is_security(&row);
        let ask_first =
            posey_home::EntityId::parse(&row.entity_id).is_ok_and(|id| policy.asks_first(&id));
        Self {
            entity_id: row.entity_id,
            connection_id: row.connection_id,
            domain: row.domain,
            name: row.name,
            area_id: row.area_id,
            area: row.area,
            device: row.device,
            device_class: row.device_class,
            state: row.state,
            attributes: row.attributes,
            last_changed: row.last_changed,
            last_updated: row.last_updated,
            visible,
            controllable,
            security,
            ask_first,
        }
    }
}
