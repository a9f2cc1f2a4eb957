//! The embedded broker going away and coming back on the same port: the link marks every
//! entity unavailable, keeps retrying, reconnects, subscribes again (a clean session keeps no
//! subscriptions) and carries commands again.

use posey_home::Command;
use posey_home_plugin::mqtt::{BrokerUrl, LinkError, LinkEvent, broker};
use serde_json::json;

use super::helpers::{TestClient, TestLink, id, unique};

pub async fn survives_a_broker_restart() {
    let server = broker::start("127.0.0.1:0".parse().expect("an address")).await.expect("a broker");
    let addr = server.addr();
    let url = server.url();
    let broker_url = BrokerUrl::parse(&url).expect("a broker URL");
    let mut test = TestLink::start(&url).await;
    let topics = unique("kettle");
    let config = json!({"name": "Kettle", "state_topic": format!("{topics}/state"),
                        "command_topic": format!("{topics}/set")})
    .to_string();
    let kettle = id("switch.kettle");

    let device = TestClient::connect(&broker_url).await;
    device.publish(&format!("{}/switch/kettle/config", test.prefix), config.clone(), true).await;
    device.publish(&format!("{topics}/state"), "ON", true).await;
    test.state_becomes(&kettle, "on").await;

    server.stop().await;
    test.next_event("the link to notice", |e| matches!(e, LinkEvent::Disconnected)).await;
    assert_eq!(test.link.state(&kettle).map(|s| s.state), Some("unavailable".into()));
    assert!(!test.link.is_connected());
    let refused = test.link.command(&kettle, &Command::TurnOff).await;
    assert!(matches!(refused, Err(LinkError::NotConnected)), "{refused:?}");
    // Let it fail a few times, growing its delay.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;

    // A new broker on the same port, knowing nothing: no retained message, no subscription.
    let server = broker::start(addr).await.expect("the broker again on the same port");
    test.next_event("the link to reconnect", |e| matches!(e, LinkEvent::Connected)).await;
    test.changed_to(&kettle, "on").await;

    // It subscribed again: a state published now reaches it (published until it does, as the
    // link subscribes a moment after it connects).
    let mut device = TestClient::connect(&broker_url).await;
    device.subscribe(&format!("{topics}/set")).await;
    let deadline = tokio::time::Instant::now() + super::helpers::WAIT;
    while test.link.state(&kettle).map(|s| s.state) != Some("off".into()) {
        assert!(tokio::time::Instant::now() < deadline, "the link never heard the device again");
        device.publish(&format!("{topics}/state"), "OFF", false).await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Discovery too.
    device
        .publish(
            &format!("{}/switch/toaster/config", test.prefix),
            json!({"name": "Toaster", "command_topic": format!("{topics}/toaster")}).to_string(),
            true,
        )
        .await;
    test.state_becomes(&id("switch.toaster"), "unknown").await;

    // And commands flow again.
    test.link.command(&kettle, &Command::Toggle).await.expect("connected again");
    assert_eq!(device.message_on(&format!("{topics}/set")).await, "ON");
    server.stop().await;
}
