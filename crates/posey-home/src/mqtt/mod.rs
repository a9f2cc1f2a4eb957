//! Devices that speak MQTT to Posey directly: Home Assistant's MQTT discovery (configurations
//! under `homeassistant/<component>/.../config`, their states, availability and commands) and
//! Zigbee2MQTT (`bridge/devices`, `zigbee2mqtt/<name>` and `/set`).

pub mod abbreviations;
pub mod discovery;
mod message;
pub mod publish;
pub mod state;
pub mod template;
pub mod z2m;

pub use discovery::{
    Availability, AvailabilityMode, AvailabilityTopic, Component, Discovery, DiscoveryTopic,
    EntityConfig, Kind, parse_discovery, parse_discovery_topic,
};
pub use message::{MqttError, Publication};
pub use state::{AvailabilityTracker, MqttState};
