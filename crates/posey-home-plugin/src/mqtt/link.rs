//! The live connection to the broker: rumqttc's event loop in a task that subscribes to
//! discovery and Zigbee2MQTT, feeds every message to the [`Registry`], sends what changed to
//! the link's subscribers, and reconnects with a growing delay when the broker goes away.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use posey_home::mqtt::discovery::DEFAULT_PREFIX;
use posey_home::mqtt::z2m::DEFAULT_BASE;
use posey_home::{Command, EntityId, EntityState};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Outgoing, Packet, QoS, SubscribeFilter};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use super::registry::{Effects, Registry};
use super::types::{DiscoveredEntity, LinkError, LinkEvent};
use super::url::BrokerUrl;
use crate::Backoff;

#[derive(Debug, Clone)]
pub struct LinkConfig {
    pub url: BrokerUrl,
    /// Unique per connection: a broker drops the older of two clients with one id.
    pub client_id: String,
    /// Home Assistant's discovery prefix, `homeassistant` unless configured otherwise.
    pub discovery_prefix: String,
    /// Zigbee2MQTT's base topic (`zigbee2mqtt`), or `None` not to follow Zigbee2MQTT.
    pub zigbee2mqtt_base: Option<String>,
    pub keep_alive: Duration,
    pub backoff: Backoff,
    /// How many events a slow subscriber may fall behind before it misses some (and should
    /// read [`Link::states`] again).
    pub event_capacity: usize,
}

impl LinkConfig {
    pub fn new(url: BrokerUrl) -> Self {
        Self {
            url,
            client_id: format!("posey-{:016x}", rand::random::<u64>()),
            discovery_prefix: DEFAULT_PREFIX.to_owned(),
            zigbee2mqtt_base: Some(DEFAULT_BASE.to_owned()),
            keep_alive: Duration::from_secs(30),
            backoff: Backoff { initial: Duration::from_millis(500), max: Duration::from_secs(30) },
            event_capacity: 4096,
        }
    }

    fn options(&self) -> MqttOptions {
        let mut options =
            MqttOptions::new(&self.client_id, self.url.host().to_owned(), self.url.port());
        options.set_keep_alive(self.keep_alive);
        // Zigbee2MQTT's bridge/devices grows with the network: far beyond rumqttc's 10 KiB.
        options.set_max_packet_size(4 << 20, 1 << 20);
        options.set_clean_session(true);
        if let Some((user, password)) = self.url.credentials() {
            options.set_credentials(user.clone(), password.expose().to_owned());
        }
        if self.url.is_tls() {
            // rumqttc builds its TLS config on rustls's process-wide provider, and more than
            // one is compiled in here (ring, aws-lc-rs): without one named it panics. aws-lc-rs
            // is the one rumqttc itself brings; an Err means one is installed already.
            let _ = rumqttc::tokio_rustls::rustls::crypto::aws_lc_rs::default_provider()
                .install_default();
            // The platform's trusted roots.
            options.set_transport(rumqttc::Transport::tls_with_default_config());
        }
        options
    }
}

struct Shared {
    registry: Mutex<Registry>,
    connected: AtomicBool,
    events: broadcast::Sender<LinkEvent>,
}

impl Shared {
    fn registry(&self) -> MutexGuard<'_, Registry> {
        // A panic while holding the lock leaves a registry that is still consistent enough to
        // read; keep serving it.
        self.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn send(&self, events: Vec<LinkEvent>) {
        for event in events {
            // No subscriber is fine: the registry keeps the states.
            let _ = self.events.send(event);
        }
    }
}

enum Subscription {
    Subscribe(Vec<String>),
    Unsubscribe(Vec<String>),
}

/// A live link to one broker. Dropping it (or cancelling the token it was started with)
/// disconnects.
pub struct Link {
    shared: Arc<Shared>,
    client: AsyncClient,
    cancel: CancellationToken,
}

impl Link {
    /// Starts the link in the background (within a Tokio runtime) and returns it with a
    /// receiver that sees every event from the first one.
    pub fn spawn(
        config: LinkConfig,
        cancel: &CancellationToken,
    ) -> (Self, broadcast::Receiver<LinkEvent>) {
        let (client, eventloop) = AsyncClient::new(config.options(), 256);
        let (events, receiver) = broadcast::channel(config.event_capacity.max(16));
        let shared = Arc::new(Shared {
            registry: Mutex::new(Registry::new(
                &config.discovery_prefix,
                config.zigbee2mqtt_base.as_deref(),
            )),
            connected: AtomicBool::new(false),
            events,
        });
        let cancel = cancel.child_token();
        let (subscriptions, queue) = mpsc::unbounded_channel();
        tokio::spawn(subscribe_in_order(client.clone(), queue, cancel.clone()));
        tracing::info!(broker = %config.url, client_id = config.client_id, "MQTT link starting");
        tokio::spawn(run(
            eventloop,
            client.clone(),
            shared.clone(),
            subscriptions,
            config,
            cancel.clone(),
        ));
        (Self { shared, client, cancel }, receiver)
    }

    /// Another receiver, from now on; [`Link::states`] gives what came before.
    pub fn subscribe(&self) -> broadcast::Receiver<LinkEvent> {
        self.shared.events.subscribe()
    }

    pub fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::SeqCst)
    }

    /// Every entity's current state.
    pub fn states(&self) -> Vec<EntityState> {
        self.shared.registry().states()
    }

    pub fn state(&self, entity_id: &EntityId) -> Option<EntityState> {
        self.shared.registry().state(entity_id).cloned()
    }

    pub fn entities(&self) -> Vec<DiscoveredEntity> {
        self.shared.registry().entities()
    }

    pub fn entity(&self, entity_id: &EntityId) -> Option<DiscoveredEntity> {
        self.shared.registry().entity(entity_id).cloned()
    }

    /// Publishes what carries out `command` on the entity, after posey-home has checked that
    /// the entity takes it. Whether the person must confirm it first is the caller's to
    /// decide (`posey_home::security`); the link only transports. Refused while disconnected
    /// or while the entity is unavailable, so no command waits to run later.
    pub async fn command(&self, entity_id: &EntityId, command: &Command) -> Result<(), LinkError> {
        if self.cancel.is_cancelled() {
            return Err(LinkError::Stopped);
        }
        if !self.is_connected() {
            return Err(LinkError::NotConnected);
        }
        let publications = self.shared.registry().publications(entity_id, command)?;
        for publication in publications {
            let qos = qos(publication.qos);
            // Debug of a sensitive publication hides its payload (an alarm code).
            tracing::debug!(%entity_id, command = command.name(), ?publication, "publishing");
            self.client
                .publish(publication.topic, qos, publication.retain, publication.payload)
                .await
                .map_err(|_| LinkError::Stopped)?;
        }
        let effects = self.shared.registry().commanded(entity_id, command, Utc::now());
        self.shared.send(
            effects
                .events
                .into_iter()
                .map(|event| match event {
                    LinkEvent::Changed(change) => LinkEvent::Assumed(change),
                    other => other,
                })
                .collect(),
        );
        Ok(())
    }

    /// Disconnects; the same as dropping the link.
    pub fn stop(&self) {
        self.cancel.cancel();
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn qos(level: u8) -> QoS {
    match level {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

/// Subscribes and unsubscribes in the order asked, apart from the event loop, which must
/// never wait on rumqttc's request queue it alone drains. A topic rumqttc refuses (an empty
/// one in some device's config, say) is logged and skipped, never the others.
async fn subscribe_in_order(
    client: AsyncClient,
    mut queue: mpsc::UnboundedReceiver<Subscription>,
    cancel: CancellationToken,
) {
    loop {
        let next = tokio::select! {
            () = cancel.cancelled() => return,
            next = queue.recv() => next,
        };
        match next {
            None => return,
            Some(Subscription::Subscribe(topics)) => {
                for chunk in topics.chunks(64) {
                    let filters = |topics: &[String]| {
                        topics
                            .iter()
                            .map(|t| SubscribeFilter::new(t.clone(), QoS::AtLeastOnce))
                            .collect::<Vec<_>>()
                    };
                    if client.subscribe_many(filters(chunk)).await.is_ok() {
                        continue;
                    }
                    for topic in chunk {
                        if let Err(error) =
                            client.subscribe_many(filters(std::slice::from_ref(topic))).await
                        {
                            tracing::warn!(topic, %error, "cannot subscribe to a device's topic");
                        }
                    }
                }
            }
            Some(Subscription::Unsubscribe(topics)) => {
                for topic in topics {
                    if let Err(error) = client.unsubscribe(topic.clone()).await {
                        tracing::debug!(topic, %error, "cannot unsubscribe");
                    }
                }
            }
        }
    }
}

async fn run(
    mut eventloop: EventLoop,
    client: AsyncClient,
    shared: Arc<Shared>,
    subscriptions: mpsc::UnboundedSender<Subscription>,
    config: LinkConfig,
    cancel: CancellationToken,
) {
    let apply = |effects: Effects| {
        if !effects.unsubscribe.is_empty() {
            let _ = subscriptions.send(Subscription::Unsubscribe(effects.unsubscribe));
        }
        if !effects.subscribe.is_empty() {
            let _ = subscriptions.send(Subscription::Subscribe(effects.subscribe));
        }
        shared.send(effects.events);
    };
    let mut failures: u32 = 0;
    loop {
        let event = tokio::select! {
            () = cancel.cancelled() => break,
            event = eventloop.poll() => event,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                failures = 0;
                // A clean session keeps no subscriptions: make them all again.
                let filters = shared.registry().all_filters();
                let _ = subscriptions.send(Subscription::Subscribe(filters));
                shared.connected.store(true, Ordering::SeqCst);
                tracing::info!(broker = %config.url, "MQTT link connected");
                let _ = shared.events.send(LinkEvent::Connected);
                let effects = shared.registry().set_connected(true, Utc::now());
                apply(effects);
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let effects =
                    shared.registry().handle(&publish.topic, &publish.payload, Utc::now());
                apply(effects);
            }
            Ok(_) => {}
            Err(error) => {
                if shared.connected.swap(false, Ordering::SeqCst) {
                    tracing::warn!(broker = %config.url, %error, "MQTT link lost; reconnecting");
                    let effects = shared.registry().set_connected(false, Utc::now());
                    apply(effects);
                    let _ = shared.events.send(LinkEvent::Disconnected);
                } else if failures == 0 {
                    tracing::warn!(broker = %config.url, %error, "cannot reach the MQTT broker; retrying");
                } else {
                    tracing::debug!(broker = %config.url, %error, failures, "MQTT broker still unreachable");
                }
                let delay = config.backoff.delay(failures, &mut rand::thread_rng());
                failures = failures.saturating_add(1);
                tokio::select! {
                    () = cancel.cancelled() => break,
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
    // Say goodbye when connected, so the broker does not keep the session waiting.
    if shared.connected.swap(false, Ordering::SeqCst) && client.try_disconnect().is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            while let Ok(event) = eventloop.poll().await {
                if matches!(event, Event::Outgoing(Outgoing::Disconnect)) {
                    break;
                }
            }
        })
        .await;
    }
    let effects = shared.registry().set_connected(false, Utc::now());
    shared.send(effects.events);
    tracing::info!(broker = %config.url, "MQTT link stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mqtts_builds_a_tls_transport_and_plain_mqtt_does_not() {
        let tls = LinkConfig::new(BrokerUrl::parse("mqtts://u:pw@broker.example").expect("a URL"));
        let options = tls.options();
        assert!(matches!(options.transport(), rumqttc::Transport::Tls(_)));
        assert_eq!(options.broker_address(), ("broker.example".to_owned(), 8883));
        let plain = LinkConfig::new(BrokerUrl::parse("mqtt://broker").expect("a URL"));
        assert!(matches!(plain.options().transport(), rumqttc::Transport::Tcp));
        assert!(!format!("{tls:?}").contains("pw"), "{tls:?}");
    }
}
