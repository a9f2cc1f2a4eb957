//! MQTT devices and the embedded broker: a [`Link`] to a broker that keeps every device
//! announced by Home Assistant discovery or Zigbee2MQTT, with its state, and carries out
//! commands on them; [`broker`] runs a broker in-process when no `MQTT_URL` is set.

pub mod broker;
mod link;
mod registry;
mod types;
mod url;

pub use crate::Backoff;
pub use link::{Link, LinkConfig};
pub use types::{DiscoveredEntity, LinkError, LinkEvent, Source};
pub use url::BrokerUrl;
