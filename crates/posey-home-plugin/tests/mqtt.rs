//! The MQTT link against real brokers: the harness's Mosquitto (`TEST_MQTT_URL`) and the
//! embedded rumqttd broker, with devices made by the PyPI library ha-mqtt-discoverable and a
//! fake Zigbee2MQTT bridge; and the link surviving a broker restart.

#[path = "mqtt/discoverable.rs"]
mod discoverable;
#[path = "mqtt/helpers.rs"]
mod helpers;
#[path = "mqtt/reconnect.rs"]
mod reconnect;
#[path = "mqtt/zigbee.rs"]
mod zigbee;

use posey_home_plugin::mqtt::broker;

async fn embedded() -> broker::Broker {
    broker::start("127.0.0.1:0".parse().expect("an address")).await.expect("the embedded broker")
}

#[tokio::test]
async fn discoverable_devices_on_mosquitto() {
    discoverable::round_trip(&posey_testkit::mqtt_url()).await;
}

#[tokio::test]
async fn discoverable_devices_on_the_embedded_broker() {
    let broker = embedded().await;
    discoverable::round_trip(&broker.url()).await;
    broker.stop().await;
}

#[tokio::test]
async fn devices_leaving_cleanly_are_removed_on_mosquitto() {
    discoverable::devices_clean_up(&posey_testkit::mqtt_url()).await;
}

#[tokio::test]
async fn zigbee2mqtt_bridge_on_mosquitto() {
    zigbee::fake_bridge(&posey_testkit::mqtt_url()).await;
}

#[tokio::test]
async fn zigbee2mqtt_bridge_on_the_embedded_broker() {
    let broker = embedded().await;
    zigbee::fake_bridge(&broker.url()).await;
    broker.stop().await;
}

#[tokio::test]
async fn the_link_survives_the_broker_going_away() {
    reconnect::survives_a_broker_restart().await;
}

#[tokio::test]
async fn the_embedded_broker_reports_its_port_stops_and_installs_nothing_global() {
    let broker = embedded().await;
    let addr = broker.addr();
    assert_ne!(addr.port(), 0);
    assert_eq!(broker.url(), format!("mqtt://127.0.0.1:{}", addr.port()));
    // A second broker on a port in use fails plainly.
    let busy = broker::start(addr).await;
    assert!(busy.is_err(), "two brokers on one port");
    // rumqttd left the process's tracing and metrics alone (its Broker::start would open a
    // Prometheus exporter when configured; this one is never configured).
    let global_is_none =
        tracing::dispatcher::get_default(|d| d.is::<tracing::subscriber::NoSubscriber>());
    assert!(global_is_none, "a global tracing subscriber was installed");
    broker.stop().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "still listening after stop");
    let again = broker::start(addr).await.expect("the same port again after stop");
    again.stop().await;
    // Listening on every address, it gives clients on this host the loopback address.
    let everywhere =
        broker::start("0.0.0.0:0".parse().expect("an address")).await.expect("a broker");
    assert_eq!(everywhere.url(), format!("mqtt://127.0.0.1:{}", everywhere.addr().port()));
    everywhere.stop().await;
}

#[tokio::test]
async fn the_embedded_broker_takes_only_its_login_when_given_one() {
    use std::time::Duration;

    use posey_home::Secret;
    use posey_home_plugin::mqtt::{BrokerUrl, Link, LinkConfig, LinkEvent};
    use tokio_util::sync::CancellationToken;

    let password = Secret::new("c0rrect h0rse");
    let broker =
        broker::start_with_login("127.0.0.1:0".parse().expect("an address"), "posey", &password)
            .await
            .expect("the embedded broker");
    let port = broker.addr().port();
    // The password travels in MQTT_URL, percent-encoded, and shows nowhere.
    let url =
        BrokerUrl::parse(&format!("mqtt://posey:c0rrect%20h0rse@127.0.0.1:{port}")).expect("a URL");
    assert!(!format!("{url} {url:?}").contains("h0rse"));
    let cancel = CancellationToken::new();
    let (link, mut events) = Link::spawn(LinkConfig::new(url), &cancel);
    let connected = tokio::time::timeout(helpers::WAIT, async {
        loop {
            if let Ok(LinkEvent::Connected) = events.recv().await {
                return;
            }
        }
    });
    connected.await.expect("the link logs in");
    assert!(link.is_connected());

    for wrong in
        [format!("mqtt://127.0.0.1:{port}"), format!("mqtt://posey:guess@127.0.0.1:{port}")]
    {
        let (outsider, _) =
            Link::spawn(LinkConfig::new(BrokerUrl::parse(&wrong).expect("a URL")), &cancel);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!outsider.is_connected(), "{wrong} got in");
    }
    cancel.cancel();
    broker.stop().await;
}

#[tokio::test]
async fn a_device_with_a_topic_no_broker_takes_spoils_nothing_for_the_others() {
    let broker = embedded().await;
    let mut test = helpers::TestLink::start(&broker.url()).await;
    let url = posey_home_plugin::mqtt::BrokerUrl::parse(&broker.url()).expect("a URL");
    let device = helpers::TestClient::connect(&url).await;
    let broken = serde_json::json!({"name": "Broken", "state_topic": "", "command_topic": "b/set"});
    let fine =
        serde_json::json!({"name": "Fine", "state_topic": "f/state", "command_topic": "f/set"});
    device
        .publish(&format!("{}/switch/broken/config", test.prefix), broken.to_string(), true)
        .await;
    device.publish(&format!("{}/switch/fine/config", test.prefix), fine.to_string(), true).await;
    let fine = helpers::id("switch.fine");
    test.next_event("the fine switch", |e| {
        matches!(e, posey_home_plugin::mqtt::LinkEvent::Discovered { entity, .. } if entity.entity_id == fine)
    })
    .await;
    assert!(test.link.entity(&helpers::id("switch.broken")).is_some(), "discovered all the same");
    // Published until heard: the link subscribes a moment after it discovers.
    let deadline = tokio::time::Instant::now() + helpers::WAIT;
    while test.link.state(&fine).map(|s| s.state) != Some("on".into()) {
        assert!(tokio::time::Instant::now() < deadline, "the fine switch's state never came");
        device.publish("f/state", "ON", false).await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    broker.stop().await;
}

#[tokio::test]
async fn a_stopped_link_disconnects_and_refuses_commands() {
    let broker = embedded().await;
    let mut test = helpers::TestLink::start(&broker.url()).await;
    let url = posey_home_plugin::mqtt::BrokerUrl::parse(&broker.url()).expect("a URL");
    let device = helpers::TestClient::connect(&url).await;
    let config = serde_json::json!({"name": "Fan", "command_topic": "fan/set"});
    device.publish(&format!("{}/switch/fan/config", test.prefix), config.to_string(), true).await;
    let fan = helpers::id("switch.fan");
    test.state_becomes(&fan, "unknown").await;

    test.link.stop();
    test.changed_to(&fan, "unavailable").await;
    assert!(!test.link.is_connected());
    let refused = test.link.command(
        &fan,
        &posey_home::Command::TurnOn { brightness: None, rgb: None, color_temp_kelvin: None },
    );
    assert!(matches!(refused.await, Err(posey_home_plugin::mqtt::LinkError::Stopped)));
    broker.stop().await;
}
