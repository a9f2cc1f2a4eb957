//! Zigbee2MQTT through a fake bridge the test plays itself (no real Zigbee2MQTT runs without a
//! Zigbee adapter): `bridge/devices`, device states, `/set` requests answered with the new
//! state as Zigbee2MQTT does, availability, and a device leaving the network.

use posey_home::Command;
use posey_home::command::Brightness;
use posey_home_plugin::mqtt::{BrokerUrl, LinkEvent, Source};
use serde_json::{Value, json};

use super::helpers::{TestClient, TestLink, id};

fn devices(with_lock: bool) -> String {
    let mut devices = vec![
        json!({"ieee_address": "0x00124b0022ee0001", "type": "Coordinator",
               "friendly_name": "Coordinator", "supported": true, "disabled": false,
               "definition": null}),
        json!({"ieee_address": "0x0017880108a1b2c3", "type": "Router",
               "friendly_name": "living/ceiling", "supported": true, "disabled": false,
               "definition": {"model": "9290022166", "vendor": "Philips", "description": "Hue",
                 "exposes": [
                   {"type": "light", "features": [
                     {"type": "binary", "name": "state", "property": "state", "access": 7,
                      "value_on": "ON", "value_off": "OFF", "value_toggle": "TOGGLE"},
                     {"type": "numeric", "name": "brightness", "property": "brightness",
                      "access": 7, "value_min": 0, "value_max": 254}]},
                   {"type": "numeric", "name": "linkquality", "property": "linkquality",
                    "access": 1, "unit": "lqi", "value_min": 0, "value_max": 255}]}}),
    ];
    if with_lock {
        devices.push(json!({"ieee_address": "0x000d6f0011a2b3c4", "type": "EndDevice",
            "friendly_name": "front_door_lock", "supported": true, "disabled": false,
            "definition": {"model": "YRD256HA20BP", "vendor": "Yale", "description": "Lock",
              "exposes": [{"type": "lock", "features": [
                {"type": "binary", "name": "state", "property": "state", "access": 7,
                 "value_on": "LOCK", "value_off": "UNLOCK"}]}]}}));
    }
    Value::Array(devices).to_string()
}

/// Answers one `/set` request as Zigbee2MQTT does: the device's whole new state.
async fn answer_set(bridge: &mut TestClient, base: &str, name: &str, state: &mut Value) -> Value {
    let request: Value =
        serde_json::from_str(&bridge.message_on(&format!("{base}/{name}/set")).await)
            .expect("a JSON /set request");
    for (key, value) in request.as_object().expect("an object") {
        state[key] = value.clone();
    }
    bridge.publish(&format!("{base}/{name}"), state.to_string(), false).await;
    request
}

pub async fn fake_bridge(url: &str) {
    let broker = BrokerUrl::parse(url).expect("a broker URL");
    let mut test = TestLink::start(url).await;
    let base = test.z2m_base.clone();
    let mut bridge = TestClient::connect(&broker).await;
    bridge.subscribe(&format!("{base}/+/set")).await;
    bridge.subscribe(&format!("{base}/+/+/set")).await;

    let mut ceiling = json!({"state": "OFF", "brightness": 10, "linkquality": 120});
    let mut lock = json!({"state": "LOCK"});
    bridge.publish(&format!("{base}/bridge/state"), r#"{"state":"online"}"#, true).await;
    bridge.publish(&format!("{base}/living/ceiling"), ceiling.to_string(), true).await;
    bridge.publish(&format!("{base}/front_door_lock"), lock.to_string(), true).await;
    bridge
        .publish(&format!("{base}/front_door_lock/availability"), r#"{"state":"online"}"#, true)
        .await;
    bridge.publish(&format!("{base}/bridge/devices"), devices(true), true).await;

    let (light, quality, door) = (
        id("light.living_ceiling"),
        id("sensor.living_ceiling_linkquality"),
        id("lock.front_door_lock"),
    );
    let state = test.state_becomes(&light, "off").await;
    assert_eq!(state.attributes["brightness"], 10, "254 is Home Assistant's 255: 10 stays 10");
    let reading = test.state_becomes(&quality, "120").await;
    assert_eq!(reading.attributes["unit_of_measurement"], "lqi");
    test.state_becomes(&door, "locked").await;
    assert_eq!(test.link.states().len(), 3, "the coordinator is no entity");
    let entity = test.link.entity(&door).expect("the lock");
    assert_eq!(
        entity.source,
        Source::Zigbee2Mqtt {
            ieee_address: "0x000d6f0011a2b3c4".into(),
            friendly_name: "front_door_lock".into()
        }
    );

    // Commands become /set requests within the device's ranges; its answer is the new state.
    let on = Command::TurnOn {
        brightness: Some(Brightness::Level(255)),
        rgb: None,
        color_temp_kelvin: None,
    };
    test.link.command(&light, &on).await.expect("the light takes it");
    let request = answer_set(&mut bridge, &base, "living/ceiling", &mut ceiling).await;
    assert_eq!(request, json!({"state": "ON", "brightness": 254}));
    let lit = test.changed_to(&light, "on").await;
    assert_eq!(lit.attributes["brightness"], 255);

    test.link.command(&door, &Command::Unlock).await.expect("the lock takes it");
    let request = answer_set(&mut bridge, &base, "front_door_lock", &mut lock).await;
    assert_eq!(request, json!({"state": "UNLOCK"}));
    test.changed_to(&door, "unlocked").await;

    // A device's availability, and the bridge's own.
    bridge
        .publish(&format!("{base}/front_door_lock/availability"), r#"{"state":"offline"}"#, true)
        .await;
    test.changed_to(&door, "unavailable").await;
    assert_eq!(test.link.state(&light).map(|s| s.state), Some("on".into()));
    bridge.publish(&format!("{base}/bridge/state"), r#"{"state":"offline"}"#, true).await;
    test.changed_to(&light, "unavailable").await;
    bridge.publish(&format!("{base}/bridge/state"), r#"{"state":"online"}"#, true).await;
    test.changed_to(&light, "on").await;

    // The lock leaves the network: bridge/devices no longer lists it.
    bridge.publish(&format!("{base}/bridge/devices"), devices(false), true).await;
    test.next_event("the lock's removal", |e| matches!(e, LinkEvent::Removed(r) if *r == door))
        .await;
    assert_eq!(test.link.states().len(), 2);

    bridge.clear_retained(&base).await;
}
