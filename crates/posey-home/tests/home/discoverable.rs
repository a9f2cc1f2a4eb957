//! The messages the PyPI library `ha-mqtt-discoverable` publishes for a light, a switch, a
//! lock, a sensor, a binary sensor and a garage door (recorded from the library itself, see
//! fixtures/README.md), replayed through discovery, state, availability and removal; and the
//! commands Posey would publish back to those devices.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use posey_home::command::{Brightness, Command};
use posey_home::mqtt::discovery::DEFAULT_PREFIX;
use posey_home::mqtt::{
    AvailabilityTracker, Discovery, EntityConfig, MqttState, Publication, parse_discovery,
};
use posey_home::security::{EntityInfo, Reason, requires_confirmation};
use posey_home::{EntityId, EntityState};
use serde::Deserialize;

#[derive(Deserialize)]
struct Recorded {
    topic: String,
    payload: String,
    retain: bool,
}

fn recorded() -> Vec<Recorded> {
    let text = include_str!("fixtures/ha-mqtt-discoverable/published.json");
    serde_json::from_str(text).expect("the recording reads")
}

/// A minimal home built from MQTT messages, as the plugin keeps one.
#[derive(Default)]
struct Devices {
    configs: BTreeMap<String, EntityConfig>,
    states: BTreeMap<String, MqttState>,
    availability: BTreeMap<String, AvailabilityTracker>,
    removed: Vec<String>,
}

impl Devices {
    fn receive(&mut self, topic: &str, payload: &str) {
        if topic.starts_with("homeassistant/") {
            match parse_discovery(DEFAULT_PREFIX, topic, payload.as_bytes()).expect("discovery") {
                Discovery::Config(config) => {
                    let key = config.topic.key();
                    self.configs.insert(key, *config);
                }
                Discovery::Removed(topic) => {
                    let key = topic.key();
                    self.configs.remove(&key);
                    self.states.remove(&key);
                    self.removed.push(key);
                }
            }
            return;
        }
        let mut handled = false;
        for (key, config) in &self.configs {
            if !config.subscriptions().contains(&topic) {
                continue;
            }
            let tracker = self.availability.entry(key.clone()).or_default();
            tracker.update(&config.availability, topic, payload).expect("availability");
            let state = self.states.entry(key.clone()).or_default();
            config.apply_message(state, topic, payload).expect("a state");
            handled = true;
        }
        assert!(handled, "no entity subscribes to {topic}");
    }

    fn entity(&self, entity_id: &str) -> (&EntityConfig, EntityState) {
        let (key, config) = self
            .configs
            .iter()
            .find(|(_, c)| c.entity_id().as_str() == entity_id)
            .unwrap_or_else(|| panic!("{entity_id} was discovered"));
        let available =
            self.availability.get(key).map_or(config.availability.topics.is_empty(), |t| {
                t.is_available(&config.availability)
            });
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("time");
        let state = self.states.get(key).cloned().unwrap_or_default();
        (config, state.to_entity_state(config.entity_id(), available, None, at))
    }
}

fn replay(until: usize) -> Devices {
    let mut devices = Devices::default();
    for message in recorded().iter().take(until) {
        devices.receive(&message.topic, &message.payload);
    }
    devices
}

#[test]
fn discovery_configs_are_retained_and_read() {
    let all = recorded();
    assert!(all.iter().filter(|m| m.topic.ends_with("/config")).all(|m| m.retain));
    let devices = replay(all.len() - 1);
    let mut ids: Vec<String> =
        devices.configs.values().map(|c| c.entity_id().to_string()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "binary_sensor.front_door_contact",
            "cover.garage_door",
            "light.posey_test_rig_desk_lamp",
            "lock.posey_test_rig_front_door",
            "sensor.posey_test_rig_living_room_temperature",
            "switch.posey_test_rig_coffee_maker",
        ]
    );
    let (lamp, _) = devices.entity("light.posey_test_rig_desk_lamp");
    assert_eq!(lamp.common.unique_id.as_deref(), Some("desk_lamp_1"));
    assert_eq!(lamp.display_name(), "Desk lamp");
    let device = lamp.common.device.as_ref().expect("a device");
    assert_eq!(device.identifiers, ["posey-rig-1"]);
    assert_eq!(device.manufacturer.as_deref(), Some("Posey"));
}

#[test]
fn states_attributes_and_availability_follow_the_devices() {
    let all = recorded();
    let devices = replay(all.len() - 1);

    let (_, lamp) = devices.entity("light.posey_test_rig_desk_lamp");
    // The lamp went off, then its availability topic said offline.
    assert_eq!(lamp.state, "unavailable");
    assert_eq!(lamp.attributes["brightness"], 128);
    assert_eq!(lamp.attributes["rgb_color"], serde_json::json!([255, 0, 0]));
    assert_eq!(lamp.attributes["color_mode"], "rgb");

    let (_, coffee) = devices.entity("switch.posey_test_rig_coffee_maker");
    assert_eq!(coffee.state, "off");
    assert_eq!(coffee.attributes["power_w"], 3.2);

    let (_, lock) = devices.entity("lock.posey_test_rig_front_door");
    assert_eq!(lock.state, "unlocked");

    let (_, temperature) = devices.entity("sensor.posey_test_rig_living_room_temperature");
    assert_eq!(temperature.state, "21.5");
    assert_eq!(temperature.number(), Some(21.5));

    let (_, contact) = devices.entity("binary_sensor.front_door_contact");
    assert_eq!(contact.state, "off");
    assert_eq!(contact.attributes["device_class"], "door");

    let (_, garage) = devices.entity("cover.garage_door");
    assert_eq!(garage.state, "closed");
    assert_eq!(garage.attributes["device_class"], "garage");
}

#[test]
fn the_lamp_is_available_while_its_topic_says_online() {
    // Up to and including its first state, after "online".
    let devices = replay(3);
    let (_, lamp) = devices.entity("light.posey_test_rig_desk_lamp");
    assert_eq!(lamp.state, "on");
    // Before any availability message it is unavailable, as in Home Assistant.
    let devices = replay(1);
    let (_, lamp) = devices.entity("light.posey_test_rig_desk_lamp");
    assert_eq!(lamp.state, "unavailable");
}

#[test]
fn the_empty_payload_removes_the_lamp() {
    let devices = replay(recorded().len());
    assert_eq!(devices.removed, ["light/Posey-Test-Rig/Desk-lamp"]);
    assert!(devices.configs.values().all(|c| c.entity_id().domain().as_str() != "light"));
    assert_eq!(devices.configs.len(), 5);
}

fn pairs(publications: &[Publication]) -> Vec<(String, String, bool)> {
    publications.iter().map(|p| (p.topic.clone(), p.payload.clone(), p.retain)).collect()
}

#[test]
fn commands_go_to_the_topics_the_library_listens_on() {
    let all = recorded();
    let devices = replay(all.len() - 1);

    let (lamp, _) = devices.entity("light.posey_test_rig_desk_lamp");
    let on = Command::TurnOn {
        brightness: Some(Brightness::Percent(50)),
        rgb: Some([0, 0, 255]),
        color_temp_kelvin: None,
    };
    let published = lamp.publications(&on).expect("the lamp turns on");
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].topic, "hmd/light/Posey-Test-Rig/Desk-lamp/command");
    assert!(!published[0].retain);
    let body: serde_json::Value = serde_json::from_str(&published[0].payload).expect("json");
    assert_eq!(
        body,
        serde_json::json!({"state": "ON", "brightness": 128, "color": {"r": 0, "g": 0, "b": 255}})
    );
    // The lamp announced rgb only: no colour temperature.
    let warm = Command::TurnOn { brightness: None, rgb: None, color_temp_kelvin: Some(2700) };
    assert!(lamp.publications(&warm).is_err());

    let (coffee, state) = devices.entity("switch.posey_test_rig_coffee_maker");
    let toggle = Command::Toggle.resolve_toggle(&state.state);
    assert_eq!(
        pairs(&coffee.publications(&toggle).expect("the switch turns on")),
        [("hmd/switch/Posey-Test-Rig/Coffee-maker/command".into(), "ON".into(), false)]
    );

    let (lock, _) = devices.entity("lock.posey_test_rig_front_door");
    assert_eq!(
        pairs(&lock.publications(&Command::Lock).expect("locks")),
        [("hmd/lock/Posey-Test-Rig/Front-door/command".into(), "LOCK".into(), false)]
    );
    assert_eq!(
        pairs(&lock.publications(&Command::Unlock).expect("unlocks")),
        [("hmd/lock/Posey-Test-Rig/Front-door/command".into(), "UNLOCK".into(), false)]
    );

    let (garage, _) = devices.entity("cover.garage_door");
    assert_eq!(
        pairs(&garage.publications(&Command::OpenCover).expect("opens")),
        [("hmd/cover/Garage-door/command".into(), "OPEN".into(), false)]
    );

    let (sensor, _) = devices.entity("sensor.posey_test_rig_living_room_temperature");
    assert!(sensor.publications(&Command::TurnOff).is_err());
}

#[test]
fn unlocking_the_door_and_opening_the_garage_need_the_persons_yes() {
    let devices = replay(recorded().len() - 1);
    let info = |entity: &str| {
        let (_, state) = devices.entity(entity);
        let class =
            state.attributes.get("device_class").and_then(|c| c.as_str()).map(str::to_owned);
        EntityInfo::new(EntityId::parse(entity).expect("id"), class.as_deref())
    };
    let lock = info("lock.posey_test_rig_front_door");
    assert_eq!(requires_confirmation(&Command::Unlock, &lock), Some(Reason::UnlockLock));
    assert_eq!(requires_confirmation(&Command::Lock, &lock), None);
    let garage = info("cover.garage_door");
    assert_eq!(requires_confirmation(&Command::OpenCover, &garage), Some(Reason::OpenEntrance));
    assert_eq!(requires_confirmation(&Command::CloseCover, &garage), None);
    let coffee = info("switch.posey_test_rig_coffee_maker");
    assert_eq!(
        requires_confirmation(
            &Command::TurnOn { brightness: None, rgb: None, color_temp_kelvin: None },
            &coffee
        ),
        None
    );
}
