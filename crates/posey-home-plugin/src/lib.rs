//! The home plugin of the agents service: the live links to a person's home. `mqtt` keeps
//! devices that announce themselves by Home Assistant's MQTT discovery or through Zigbee2MQTT
//! (and runs an embedded broker when no `MQTT_URL` is set); `ha` keeps a live mirror of a
//! Home Assistant instance over its WebSocket API. What the entities are, which commands they
//! take and which need the person's yes is `posey-home`'s.

mod backoff;
pub mod ha;
pub mod mqtt;

pub use backoff::Backoff;
