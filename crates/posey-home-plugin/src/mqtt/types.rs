//! What the MQTT link tells and refuses: where an entity came from, what is known of it, its
//! events and its errors.

use posey_home::mqtt::MqttError;
use posey_home::{Change, EntityId, EntityState};

/// Where an entity came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A Home Assistant discovery config: the component and its topic's
    /// `<component>/[<node_id>/]<object_id>`.
    Discovery {
        component: String,
        key: String,
    },
    Zigbee2Mqtt {
        ieee_address: String,
        friendly_name: String,
    },
}

/// What is known of an entity beyond its state: enough to show it and to tell whether a
/// command on it needs the person's confirmation (`device_class`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredEntity {
    pub entity_id: EntityId,
    pub name: String,
    pub device_class: Option<String>,
    pub device_name: Option<String>,
    pub suggested_area: Option<String>,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    /// An entity appeared, or its configuration changed.
    Discovered { entity: DiscoveredEntity, state: EntityState },
    /// An entity's state or attributes changed (`unavailable` included).
    Changed(Change),
    /// A command given on this link made an optimistic entity (one no device reports back on)
    /// take the state it was told: only this link knows it.
    Assumed(Change),
    /// Its discovery config was emptied, or Zigbee2MQTT no longer lists it.
    Removed(EntityId),
    /// Connected to the broker (again), subscriptions made.
    Connected,
    /// The connection was lost; the link keeps retrying.
    Disconnected,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("MQTT_URL is not a broker URL: {0}")]
    Url(String),
    #[error("no MQTT entity {0}")]
    UnknownEntity(EntityId),
    #[error("{0} is unavailable")]
    Unavailable(EntityId),
    /// Announced, but its availability topic has said nothing yet on this link.
    #[error("{0} has not yet said whether it is available")]
    Unheard(EntityId),
    #[error(transparent)]
    Rejected(#[from] MqttError),
    #[error("not connected to the MQTT broker")]
    NotConnected,
    #[error("the MQTT link has stopped")]
    Stopped,
}
