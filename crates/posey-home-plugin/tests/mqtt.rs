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
}
