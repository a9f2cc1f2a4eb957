//! posey-home's integration tests: what real MQTT devices publish, read back by this crate.

mod discoverable;
mod zigbee2mqtt;
