//! What the MQTT tests share: a link with unique topic prefixes, the Python devices made with
//! ha-mqtt-discoverable, a plain MQTT client for the test's own messages, and waiting.

use std::future::Future;
use std::time::Duration;

use posey_home::{EntityId, EntityState};
use posey_home_plugin::mqtt::{Backoff, BrokerUrl, Link, LinkConfig, LinkEvent};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

pub const WAIT: Duration = Duration::from_secs(15);

/// Topic prefixes of their own, so tests (and runs) on one broker never see each other.
pub fn unique(what: &str) -> String {
    format!("posey-test-{what}-{:08x}", rand::random::<u32>())
}

pub fn id(text: &str) -> EntityId {
    EntityId::parse(text).expect("an entity id")
}

/// Waits for `check` to give something, polling; fails the test after [`WAIT`].
pub async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

pub struct TestLink {
    pub link: Link,
    pub events: broadcast::Receiver<LinkEvent>,
    pub prefix: String,
    pub z2m_base: String,
    _cancel: CancellationToken,
}

impl TestLink {
    pub async fn start(url: &str) -> Self {
        let mut config = LinkConfig::new(BrokerUrl::parse(url).expect("a broker URL"));
        config.discovery_prefix = unique("ha");
        config.zigbee2mqtt_base = Some(unique("z2m"));
        config.backoff =
            Backoff { initial: Duration::from_millis(50), max: Duration::from_millis(400) };
        let (prefix, z2m_base) = (config.discovery_prefix.clone(), config.zigbee2mqtt_base.clone());
        let cancel = CancellationToken::new();
        let (link, events) = Link::spawn(config, &cancel);
        let mut test =
            Self { link, events, prefix, z2m_base: z2m_base.expect("a base"), _cancel: cancel };
        test.next_event("the link to connect", |e| matches!(e, LinkEvent::Connected)).await;
        test
    }

    /// The next event that `matches`, skipping others.
    pub async fn next_event(
        &mut self,
        what: &str,
        mut matches: impl FnMut(&LinkEvent) -> bool,
    ) -> LinkEvent {
        within(what, async {
            loop {
                match self.events.recv().await {
                    Ok(event) if matches(&event) => return event,
                    Ok(_) => {}
                    Err(error) => panic!("the link's events ended: {error}"),
                }
            }
        })
        .await
    }

    /// Waits for a `Changed` event that leaves `entity` in `state`; returns the new state.
    pub async fn changed_to(&mut self, entity: &EntityId, state: &str) -> EntityState {
        let event = self
            .next_event(&format!("{entity} to become {state}"), |e| {
                matches!(e, LinkEvent::Changed(c) if &c.entity_id == entity
                    && c.new.as_ref().is_some_and(|n| n.state == state))
            })
            .await;
        let LinkEvent::Changed(change) = event else { unreachable!() };
        let new = change.new.expect("a new state");
        assert_eq!(self.link.state(entity).as_ref(), Some(&new), "states() agrees with the event");
        new
    }

    /// Waits for a `Removed` event for each of `entities`, in any order.
    pub async fn removed(&mut self, entities: &[EntityId]) {
        let mut left: Vec<EntityId> = entities.to_vec();
        while !left.is_empty() {
            let event = self
                .next_event(
                    &format!("{left:?} to be removed"),
                    |e| matches!(e, LinkEvent::Removed(r) if left.contains(r)),
                )
                .await;
            left.retain(|e| !matches!(&event, LinkEvent::Removed(r) if r == e));
        }
    }

    pub async fn state_becomes(&self, entity: &EntityId, state: &str) -> EntityState {
        eventually(&format!("{entity} to be {state}"), || {
            self.link.state(entity).filter(|s| s.state == state)
        })
        .await
    }
}

/// The devices of posey-testkit (ha-mqtt-discoverable's), on `broker`.
pub struct Devices;

impl Devices {
    pub async fn start(
        broker: &BrokerUrl,
        discovery_prefix: &str,
    ) -> posey_testkit::devices::Devices {
        posey_testkit::devices::Devices::start(broker.host(), broker.port(), discovery_prefix).await
    }
}

/// A plain MQTT client for the test's own messages (a fake Zigbee2MQTT, cleaning up).
pub struct TestClient {
    pub client: AsyncClient,
    pub messages: mpsc::UnboundedReceiver<(String, Vec<u8>, bool)>,
    subacks: mpsc::UnboundedReceiver<()>,
}

impl TestClient {
    pub async fn connect(url: &BrokerUrl) -> Self {
        let mut options = MqttOptions::new(unique("client"), url.host(), url.port());
        options.set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        let (tx, messages) = mpsc::unbounded_channel();
        let (suback_tx, subacks) = mpsc::unbounded_channel();
        let (connected_tx, mut connected) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = connected_tx.send(());
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let message = (p.topic.clone(), p.payload.to_vec(), p.retain);
                        if tx.send(message).is_err() {
                            return;
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        let _ = suback_tx.send(());
                    }
                    Ok(_) => {}
                    Err(_) if tx.is_closed() => return,
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        within("the test client to connect", connected.recv()).await;
        Self { client, messages, subacks }
    }

    pub async fn subscribe(&mut self, filter: &str) {
        self.client.subscribe(filter, QoS::AtLeastOnce).await.expect("subscribing");
        within("the SUBACK", self.subacks.recv()).await;
    }

    pub async fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>, retain: bool) {
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload.into())
            .await
            .expect("publishing");
    }

    /// The next message on `topic`.
    pub async fn message_on(&mut self, topic: &str) -> String {
        within(&format!("a message on {topic}"), async {
            loop {
                let (on, payload, _) = self.messages.recv().await.expect("the client runs");
                if on == topic {
                    return String::from_utf8(payload).expect("UTF-8");
                }
            }
        })
        .await
    }

    /// Empties every retained message under `prefix`, so a shared broker keeps no trace.
    pub async fn clear_retained(&mut self, prefix: &str) {
        while self.messages.try_recv().is_ok() {}
        self.subscribe(&format!("{prefix}/#")).await;
        // Retained messages come right after the SUBACK; a quiet moment means all came.
        let mut retained = Vec::new();
        while let Ok(Some((topic, payload, is_retained))) =
            tokio::time::timeout(Duration::from_millis(300), self.messages.recv()).await
        {
            if is_retained && !payload.is_empty() {
                retained.push(topic);
            }
        }
        for topic in &retained {
            self.publish(topic, Vec::new(), true).await;
        }
        // The broker echoes each one back (the client reads `prefix/#`): then it has them, and
        // the test may end without losing what was still queued.
        within("the broker to take the clearing messages", async {
            while !retained.is_empty() {
                let (topic, payload, _) = self.messages.recv().await.expect("the client runs");
                if payload.is_empty() {
                    retained.retain(|t| *t != topic);
                }
            }
        })
        .await;
        self.client.unsubscribe(format!("{prefix}/#")).await.expect("unsubscribing");
    }
}
