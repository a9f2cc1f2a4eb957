//! A Zigbee2MQTT network as its bridge announces it (fixtures/zigbee2mqtt): devices become
//! entities from their exposes, state messages become states, commands become `/set` messages.

use std::collections::BTreeMap;

use posey_home::command::{Brightness, Command, HvacMode, TargetTemperature};
use posey_home::mqtt::MqttState;
use posey_home::mqtt::z2m::{
    DEFAULT_BASE, Z2mDevice, Z2mEntity, Z2mTopic, parse_bridge_devices, parse_topic,
};
use posey_home::security::{EntityInfo, Reason, requires_confirmation};
use serde_json::{Map, Value, json};

fn devices() -> Vec<Z2mDevice> {
    parse_bridge_devices(include_str!("fixtures/zigbee2mqtt/bridge-devices.json"))
        .expect("bridge/devices reads")
}

fn entities() -> Vec<(Z2mDevice, Z2mEntity)> {
    devices()
        .into_iter()
        .flat_map(|d| d.entities().into_iter().map(move |e| (d.clone(), e)))
        .collect()
}

fn entity(id: &str) -> (Z2mDevice, Z2mEntity) {
    entities()
        .into_iter()
        .find(|(_, e)| e.entity_id.as_str() == id)
        .unwrap_or_else(|| panic!("{id}"))
}

/// Every entity's state after each device's state message.
fn states() -> BTreeMap<String, MqttState> {
    let messages: Map<String, Value> =
        serde_json::from_str(include_str!("fixtures/zigbee2mqtt/states.json"))
            .expect("states read");
    let mut states = BTreeMap::new();
    for (name, payload) in messages {
        let topic = format!("{DEFAULT_BASE}/{name}");
        let Some(Z2mTopic::State(friendly)) = parse_topic(DEFAULT_BASE, &topic) else {
            panic!("{topic}")
        };
        let Value::Object(payload) = payload else { panic!("an object") };
        for (device, entity) in entities() {
            if device.friendly_name == friendly {
                let state: &mut MqttState = states.entry(entity.entity_id.to_string()).or_default();
                entity.apply_state(state, &payload);
            }
        }
    }
    states
}

#[test]
fn devices_become_entities_from_their_exposes() {
    let mut ids: Vec<String> =
        entities().into_iter().map(|(_, e)| e.entity_id.to_string()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "binary_sensor.front_door_contact_contact",
            "climate.bedroom_radiator",
            "cover.study_blind",
            "light.living_ceiling",
            "lock.front_door_lock",
            "select.living_ceiling_effect",
            "sensor.front_door_contact_battery",
            "sensor.front_door_contact_device_temperature",
            "sensor.front_door_lock_battery",
            "sensor.living_ceiling_linkquality",
            "switch.kitchen_double_switch_left",
            "switch.kitchen_double_switch_right",
        ]
    );
}

#[test]
fn state_messages_become_home_assistant_states() {
    let states = states();
    let state = |id: &str| states.get(id).unwrap_or_else(|| panic!("{id}"));
    let light = state("light.living_ceiling");
    assert_eq!(light.state.as_deref(), Some("on"));
    assert_eq!(light.attributes["brightness"], json!(128));
    assert_eq!(light.attributes["color_temp_kelvin"], json!(2703));
    assert_eq!(light.attributes["xy_color"], json!([0.4599, 0.4106]));
    assert_eq!(light.attributes["color_mode"], json!("color_temp"));
    // `contact: false` is an open door: the expose's value_on is false.
    assert_eq!(state("binary_sensor.front_door_contact_contact").state.as_deref(), Some("on"));
    assert_eq!(state("sensor.front_door_contact_battery").state.as_deref(), Some("91"));
    assert_eq!(
        state("sensor.front_door_contact_battery").attributes["unit_of_measurement"],
        json!("%")
    );
    assert_eq!(state("lock.front_door_lock").state.as_deref(), Some("locked"));
    let radiator = state("climate.bedroom_radiator");
    assert_eq!(radiator.state.as_deref(), Some("heat"));
    assert_eq!(radiator.attributes["temperature"], json!(21.0));
    assert_eq!(radiator.attributes["current_temperature"], json!(19.5));
    assert_eq!(state("switch.kitchen_double_switch_left").state.as_deref(), Some("on"));
    assert_eq!(state("switch.kitchen_double_switch_right").state.as_deref(), Some("off"));
    let blind = state("cover.study_blind");
    assert_eq!(blind.state.as_deref(), Some("open"));
    assert_eq!(blind.attributes["current_position"], json!(40));
}

fn set(id: &str, command: Command) -> (String, Value) {
    let (device, entity) = entity(id);
    let publication =
        entity.set_publication(&device, DEFAULT_BASE, &command).expect("a /set message");
    assert!(!publication.retain);
    (publication.topic, serde_json::from_str(&publication.payload).expect("json"))
}

#[test]
fn commands_become_set_messages() {
    let on = Command::TurnOn {
        brightness: Some(Brightness::Level(255)),
        rgb: Some([255, 0, 0]),
        color_temp_kelvin: None,
    };
    assert_eq!(
        set("light.living_ceiling", on),
        (
            "zigbee2mqtt/living/ceiling/set".into(),
            json!({"state": "ON", "brightness": 254, "color": {"r": 255, "g": 0, "b": 0}})
        )
    );
    let warm = Command::TurnOn { brightness: None, rgb: None, color_temp_kelvin: Some(1800) };
    assert_eq!(
        set("light.living_ceiling", warm).1,
        json!({"state": "ON", "color_temp": 500}),
        "clamped to the bulb's range"
    );
    assert_eq!(set("light.living_ceiling", Command::Toggle).1, json!({"state": "TOGGLE"}));
    assert_eq!(
        set(
            "switch.kitchen_double_switch_right",
            Command::TurnOn { brightness: None, rgb: None, color_temp_kelvin: None }
        ),
        ("zigbee2mqtt/kitchen_double_switch/set".into(), json!({"state_right": "ON"}))
    );
    assert_eq!(set("lock.front_door_lock", Command::Unlock).1, json!({"state": "UNLOCK"}));
    assert_eq!(set("lock.front_door_lock", Command::Lock).1, json!({"state": "LOCK"}));
    assert_eq!(set("cover.study_blind", Command::CloseCover).1, json!({"state": "CLOSE"}));
    assert_eq!(
        set("cover.study_blind", Command::SetCoverPosition { position: 75 }).1,
        json!({"position": 75})
    );
    assert_eq!(
        set(
            "climate.bedroom_radiator",
            Command::SetTemperature { target: TargetTemperature::Single(22.5) }
        )
        .1,
        json!({"occupied_heating_setpoint": 22.5})
    );
    assert_eq!(
        set("climate.bedroom_radiator", Command::SetHvacMode { mode: HvacMode::Off }).1,
        json!({"system_mode": "off"})
    );
}

#[test]
fn commands_a_device_cannot_take_are_refused() {
    let refuse = |id: &str, command: Command| {
        let (device, entity) = entity(id);
        entity.set_publication(&device, DEFAULT_BASE, &command).expect_err("refused").to_string()
    };
    assert_eq!(
        refuse("climate.bedroom_radiator", Command::SetHvacMode { mode: HvacMode::Cool }),
        "climate.bedroom_radiator cannot be set to cool: its modes are off, auto, heat"
    );
    assert!(
        refuse(
            "climate.bedroom_radiator",
            Command::SetTemperature { target: TargetTemperature::Single(35.0) }
        )
        .contains("5 to 30")
    );
    assert!(refuse("lock.front_door_lock", Command::Open).contains("cannot"));
    assert!(
        refuse("sensor.front_door_lock_battery", Command::TurnOff)
            .contains("only reports its state")
    );
    assert!(
        refuse(
            "switch.kitchen_double_switch_left",
            Command::TurnOn {
                brightness: Some(Brightness::Level(1)),
                rgb: None,
                color_temp_kelvin: None
            }
        )
        .contains("only lights")
    );
}

#[test]
fn unlocking_the_zigbee_lock_needs_the_persons_yes() {
    let (_, lock) = entity("lock.front_door_lock");
    let info = EntityInfo::new(lock.entity_id.clone(), None);
    assert_eq!(requires_confirmation(&Command::Unlock, &info), Some(Reason::UnlockLock));
}
