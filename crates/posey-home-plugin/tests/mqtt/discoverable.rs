//! Devices made by the PyPI library ha-mqtt-discoverable (a light, a switch, a lock and a
//! sensor, posey-testkit's python/mqtt_devices.py) on a real broker: the link discovers them, reads their
//! states, carries Posey's commands to their callbacks and sees the states they publish back,
//! follows availability (set by the device and by the broker's last will) and removal.

use posey_home::command::Brightness;
use posey_home::{Command, EntityId};
use posey_home_plugin::mqtt::{BrokerUrl, LinkError, LinkEvent, Source};

use super::helpers::{Devices, TestClient, TestLink, id};

fn lamp() -> EntityId {
    id("light.posey_test_rig_desk_lamp")
}
fn coffee() -> EntityId {
    id("switch.posey_test_rig_coffee_maker")
}
fn door() -> EntityId {
    id("lock.posey_test_rig_front_door")
}
fn temperature() -> EntityId {
    id("sensor.posey_test_rig_living_room_temperature")
}

/// The whole round trip against the broker at `url`.
pub async fn round_trip(url: &str) {
    let broker = BrokerUrl::parse(url).expect("a broker URL");
    let mut test = TestLink::start(url).await;
    let mut devices = Devices::start(&broker, &test.prefix).await;

    // Discovery: one event per entity, with what kind of thing it is.
    let mut discovered = Vec::new();
    while discovered.len() < 4 {
        if let LinkEvent::Discovered { entity, .. } = test
            .next_event("four discovered entities", |e| matches!(e, LinkEvent::Discovered { .. }))
            .await
        {
            discovered.push(entity);
        }
    }
    discovered.sort_by(|a, b| a.entity_id.cmp(&b.entity_id));
    let ids: Vec<&str> = discovered.iter().map(|e| e.entity_id.as_str()).collect();
    assert_eq!(ids, [lamp().as_str(), door().as_str(), temperature().as_str(), coffee().as_str()]);
    let sensor = discovered.iter().find(|e| e.entity_id == temperature()).expect("the sensor");
    assert_eq!(sensor.device_class.as_deref(), Some("temperature"));
    assert_eq!(sensor.device_name.as_deref(), Some("Posey Test Rig"));
    assert!(matches!(&sensor.source, Source::Discovery { component, .. } if component == "sensor"));

    // The states the devices published (retained, so in whatever order things started).
    test.state_becomes(&lamp(), "off").await;
    test.state_becomes(&coffee(), "off").await;
    test.state_becomes(&door(), "locked").await;
    let reading = test.state_becomes(&temperature(), "21.5").await;
    assert_eq!(reading.attributes["unit_of_measurement"], "°C");
    assert_eq!(reading.friendly_name(), Some("Living room temperature"));
    assert_eq!(test.link.states().len(), 4);

    // Commands reach the devices' callbacks, which publish the new state back.
    let on = Command::TurnOn {
        brightness: Some(Brightness::Level(128)),
        rgb: None,
        color_temp_kelvin: None,
    };
    test.link.command(&lamp(), &on).await.expect("the light takes it");
    let said = devices.expect("command light").await;
    assert!(said.contains(r#""state": "ON""#) || said.contains(r#""state":"ON""#), "{said}");
    // One message from the device carries both: {"brightness": 128, "state": "ON"}.
    let lit = test.changed_to(&lamp(), "on").await;
    assert_eq!(lit.attributes["brightness"], 128);

    test.link.command(&coffee(), &Command::Toggle).await.expect("the switch toggles");
    assert_eq!(devices.expect("command switch").await, "command switch ON");
    test.changed_to(&coffee(), "on").await;

    test.link.command(&door(), &Command::Unlock).await.expect("the lock takes it");
    assert_eq!(devices.expect("command lock").await, "command lock UNLOCK");
    test.changed_to(&door(), "unlocked").await;
    test.link.command(&door(), &Command::Lock).await.expect("the lock takes it");
    assert_eq!(devices.expect("command lock").await, "command lock LOCK");
    test.changed_to(&door(), "locked").await;

    // posey-home refuses what an entity cannot do, before anything is published.
    let refused = test.link.command(&temperature(), &Command::TurnOff).await;
    assert!(matches!(refused, Err(LinkError::Rejected(_))), "{refused:?}");
    let unknown = test.link.command(&id("light.nowhere"), &Command::TurnOff).await;
    assert!(matches!(unknown, Err(LinkError::UnknownEntity(_))), "{unknown:?}");

    devices.tell("sensor 23.25").await;
    test.changed_to(&temperature(), "23.25").await;

    // Availability as the device reports it; no command goes to a device that is away.
    devices.tell("offline").await;
    test.changed_to(&lamp(), "unavailable").await;
    let away = test.link.command(&lamp(), &Command::TurnOff).await;
    assert!(matches!(away, Err(LinkError::Unavailable(_))), "{away:?}");
    devices.tell("online").await;
    let back = test.changed_to(&lamp(), "on").await;
    assert_eq!(back.attributes["brightness"], 128, "what it said before it went away stays");

    // An empty retained config removes the entity.
    devices.tell("delete switch").await;
    test.next_event(
        "the switch's removal",
        |e| matches!(e, LinkEvent::Removed(r) if *r == coffee()),
    )
    .await;
    assert_eq!(test.link.state(&coffee()), None);
    assert_eq!(test.link.states().len(), 3);

    // A device that vanishes: the broker publishes its last will, and the light is away.
    let state_prefix = devices.state_prefix.clone();
    devices.crash().await;
    test.changed_to(&lamp(), "unavailable").await;

    // Leave nothing retained on a shared broker.
    let mut client = TestClient::connect(&broker).await;
    client.clear_retained(&test.prefix).await;
    client.clear_retained(&state_prefix).await;
    test.removed(&[lamp(), door(), temperature()]).await;
    assert!(test.link.states().is_empty());
}

/// The devices leave cleanly (`quit`): everything they retained is cleared.
pub async fn devices_clean_up(url: &str) {
    let broker = BrokerUrl::parse(url).expect("a broker URL");
    let mut test = TestLink::start(url).await;
    let devices = Devices::start(&broker, &test.prefix).await;
    test.state_becomes(&door(), "locked").await;
    devices.quit().await;
    test.removed(&[lamp(), coffee(), door(), temperature()]).await;
}
