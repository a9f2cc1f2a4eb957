//! The home domain, free of I/O: Home Assistant's entities, areas and devices, the messages of
//! its WebSocket API and a mirror of a home fed by them, devices announced over MQTT (Home
//! Assistant discovery and Zigbee2MQTT) with their states and command publications, the
//! commands a person or the companion may give and which of them only the person's explicit
//! yes may run, what the companion may see and control, and watches on state changes. The
//! agents service's `home` plugin connects, stores and serves what this crate computes.

pub mod command;
pub mod entity;
pub mod exposure;
pub mod ha;
pub mod mqtt;
pub mod secret;
pub mod security;
pub mod watch;

pub use command::{Command, CommandError, ServiceCall};
pub use entity::{Area, Change, Device, Domain, EntityEntry, EntityError, EntityId, EntityState};
pub use secret::Secret;
