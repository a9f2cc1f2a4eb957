//! What the link knows of the devices on the broker, fed one message at a time, without I/O:
//! entities from Home Assistant discovery and from Zigbee2MQTT's `bridge/devices`, their
//! states and availability, the topics to be subscribed to, and the events to send.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use posey_home::mqtt::discovery::Kind;
use posey_home::mqtt::z2m::{self, Z2mDevice, Z2mEntity, Z2mTopic};
use posey_home::mqtt::{
    AvailabilityTracker, Discovery, EntityConfig, MqttError, MqttState, Publication,
    parse_discovery,
};
use posey_home::{Change, Command, EntityId, EntityState};
use serde_json::{Value, json};

use super::types::{DiscoveredEntity, LinkError, LinkEvent, Source};

/// What one message changed: the events to send and the subscriptions to make or drop.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    pub events: Vec<LinkEvent>,
    pub subscribe: Vec<String>,
    pub unsubscribe: Vec<String>,
}

enum Origin {
    Discovery { key: String, config: Box<EntityConfig>, availability: AvailabilityTracker },
    Zigbee { ieee_address: String, base_id: EntityId, entity: Box<Z2mEntity> },
}

struct Entry {
    info: DiscoveredEntity,
    origin: Origin,
    mqtt: MqttState,
    state: EntityState,
}

struct ZigbeeDevice {
    device: Z2mDevice,
    /// What `<base>/<name>/availability` last said; `None` when the device has none.
    available: Option<bool>,
}

pub(crate) struct Registry {
    prefix: String,
    z2m_base: Option<String>,
    connected: bool,
    entities: BTreeMap<EntityId, Entry>,
    by_key: HashMap<String, EntityId>,
    /// Discovered entities by the topics they read.
    by_topic: HashMap<String, Vec<EntityId>>,
    /// Zigbee2MQTT devices by IEEE address, and their friendly names.
    devices: HashMap<String, ZigbeeDevice>,
    by_name: HashMap<String, String>,
    bridge_online: Option<bool>,
    /// The per-entity and per-device topics subscribed to (beyond [`Registry::base_filters`]).
    subscribed: BTreeSet<String>,
}

impl Registry {
    pub fn new(prefix: &str, z2m_base: Option<&str>) -> Self {
        Self {
            prefix: prefix.to_owned(),
            z2m_base: z2m_base.map(str::to_owned),
            connected: false,
            entities: BTreeMap::new(),
            by_key: HashMap::new(),
            by_topic: HashMap::new(),
            devices: HashMap::new(),
            by_name: HashMap::new(),
            bridge_online: None,
            subscribed: BTreeSet::new(),
        }
    }

    /// The filters subscribed to on every connection, before any entity is known.
    pub fn base_filters(&self) -> Vec<String> {
        let mut filters =
            vec![format!("{}/+/+/config", self.prefix), format!("{}/+/+/+/config", self.prefix)];
        if let Some(base) = &self.z2m_base {
            filters.push(format!("{base}/bridge/devices"));
            filters.push(format!("{base}/bridge/state"));
        }
        filters
    }

    /// Everything to subscribe to after a (re)connection: a clean session has none.
    pub fn all_filters(&self) -> Vec<String> {
        let mut filters = self.base_filters();
        filters.extend(self.subscribed.iter().cloned());
        filters
    }

    pub fn states(&self) -> Vec<EntityState> {
        self.entities.values().map(|e| e.state.clone()).collect()
    }

    pub fn state(&self, entity_id: &EntityId) -> Option<&EntityState> {
        self.entities.get(entity_id).map(|e| &e.state)
    }

    pub fn entities(&self) -> Vec<DiscoveredEntity> {
        self.entities.values().map(|e| e.info.clone()).collect()
    }

    pub fn entity(&self, entity_id: &EntityId) -> Option<&DiscoveredEntity> {
        self.entities.get(entity_id).map(|e| &e.info)
    }

    /// The link came up or went down: while it is down every entity is unavailable, as in
    /// Home Assistant.
    pub fn set_connected(&mut self, connected: bool, now: DateTime<Utc>) -> Effects {
        let mut effects = Effects::default();
        if self.connected == connected {
            return effects;
        }
        self.connected = connected;
        let ids: Vec<EntityId> = self.entities.keys().cloned().collect();
        for id in ids {
            self.refresh(&id, now, &mut effects);
        }
        effects
    }

    pub fn handle(&mut self, topic: &str, payload: &[u8], now: DateTime<Utc>) -> Effects {
        let mut effects = Effects::default();
        if topic.starts_with(&self.prefix) && topic.ends_with("/config") {
            match parse_discovery(&self.prefix, topic, payload) {
                Ok(Discovery::Config(config)) => self.upsert_config(*config, now, &mut effects),
                Ok(Discovery::Removed(topic)) => {
                    if let Some(id) = self.by_key.get(&topic.key()).cloned() {
                        self.remove(&id, &mut effects);
                    }
                }
                Err(MqttError::UnsupportedComponent(component)) => {
                    tracing::debug!(topic, component, "discovery of an unsupported component");
                }
                Err(error) => {
                    tracing::warn!(topic, error = %describe(&error), "discovery config ignored");
                }
            }
            self.sync_subscriptions(&mut effects);
            return effects;
        }
        let Ok(text) = std::str::from_utf8(payload) else {
            tracing::debug!(topic, "a message that is not UTF-8, ignored");
            return effects;
        };
        if let Some(base) = self.z2m_base.clone()
            && let Some(z2m_topic) = z2m::parse_topic(&base, topic)
        {
            self.handle_zigbee(z2m_topic, text, now, &mut effects);
        }
        let ids = self.by_topic.get(topic).cloned().unwrap_or_default();
        for id in ids {
            let Some(entry) = self.entities.get_mut(&id) else { continue };
            let Origin::Discovery { config, availability, .. } = &mut entry.origin else {
                continue;
            };
            if let Err(error) = availability.update(&config.availability, topic, text) {
                tracing::debug!(%id, topic, error = %describe(&error), "availability ignored");
            }
            if let Err(error) = config.apply_message(&mut entry.mqtt, topic, text) {
                tracing::debug!(%id, topic, error = %describe(&error), "state ignored");
            }
            self.refresh(&id, now, &mut effects);
        }
        effects
    }

    /// The messages that carry out `command` on `entity_id`, checked by posey-home.
    pub fn publications(
        &self,
        entity_id: &EntityId,
        command: &Command,
    ) -> Result<Vec<Publication>, LinkError> {
        let entry = self
            .entities
            .get(entity_id)
            .ok_or_else(|| LinkError::UnknownEntity(entity_id.clone()))?;
        if entry.state.state == "unavailable" {
            if self.connected
                && let Origin::Discovery { config, availability, .. } = &entry.origin
                && availability.unheard(&config.availability)
            {
                return Err(LinkError::Unheard(entity_id.clone()));
            }
            // A command queued for a device that is away (or retained for it) would run when
            // it comes back, long after it was asked for.
            return Err(LinkError::Unavailable(entity_id.clone()));
        }
        let command = command.clone().resolve_toggle(&entry.state.state);
        match &entry.origin {
            Origin::Discovery { config, .. } => Ok(config.publications(&command)?),
            Origin::Zigbee { ieee_address, entity, .. } => {
                let (Some(device), Some(base)) = (self.devices.get(ieee_address), &self.z2m_base)
                else {
                    return Err(LinkError::UnknownEntity(entity_id.clone()));
                };
                Ok(vec![entity.set_publication(&device.device, base, &command)?])
            }
        }
    }

    /// After `command` was published: an optimistic entity takes the state it was told to.
    pub fn commanded(
        &mut self,
        entity_id: &EntityId,
        command: &Command,
        now: DateTime<Utc>,
    ) -> Effects {
        let mut effects = Effects::default();
        let Some(entry) = self.entities.get_mut(entity_id) else { return effects };
        let command = command.clone().resolve_toggle(&entry.state.state);
        if let Origin::Discovery { config, .. } = &entry.origin
            && let Some(assumed) = config.assumed_state(&command)
        {
            entry.mqtt.state = Some(assumed.to_owned());
            self.refresh(entity_id, now, &mut effects);
        }
        effects
    }

    fn available(&self, entry: &Entry) -> bool {
        if !self.connected {
            return false;
        }
        match &entry.origin {
            Origin::Discovery { config, availability, .. } => {
                availability.is_available(&config.availability)
            }
            Origin::Zigbee { ieee_address, .. } => {
                self.bridge_online != Some(false)
                    && self.devices.get(ieee_address).is_none_or(|d| d.available != Some(false))
            }
        }
    }

    /// Recomputes an entity's state; a `Changed` event when its state or attributes moved.
    fn refresh(&mut self, id: &EntityId, now: DateTime<Utc>, effects: &mut Effects) {
        let Some(entry) = self.entities.get(id) else { return };
        let available = self.available(entry);
        let new = entry.mqtt.to_entity_state(id.clone(), available, Some(&entry.state), now);
        if new.state == entry.state.state && new.attributes == entry.state.attributes {
            return;
        }
        let Some(entry) = self.entities.get_mut(id) else { return };
        let old = std::mem::replace(&mut entry.state, new.clone());
        effects.events.push(LinkEvent::Changed(Change {
            entity_id: id.clone(),
            old: Some(old),
            new: Some(new),
        }));
    }

    /// An id no other entity has: Home Assistant's `_2`, `_3`... when two announce the same.
    fn unique_id(&self, wanted: EntityId) -> EntityId {
        if !self.entities.contains_key(&wanted) {
            return wanted;
        }
        (2..)
            .filter_map(|n| EntityId::parse(&format!("{wanted}_{n}")).ok())
            .find(|id| !self.entities.contains_key(id))
            .unwrap_or(wanted)
    }

    fn upsert_config(&mut self, config: EntityConfig, now: DateTime<Utc>, effects: &mut Effects) {
        let key = config.topic.key();
        if let Some(id) = self.by_key.get(&key).cloned()
            && let Some(entry) = self.entities.get_mut(&id)
            && let Origin::Discovery { config: old, .. } = &mut entry.origin
        {
            if **old == config {
                // The retained config again, on a reconnection: nothing new.
                return;
            }
            if config.entity_id() == old.entity_id() {
                **old = config;
                entry.info = discovered_info(&id, &key, old);
                effects.events.push(LinkEvent::Discovered {
                    entity: entry.info.clone(),
                    state: entry.state.clone(),
                });
                self.reindex();
                self.refresh(&id, now, effects);
                return;
            }
            self.remove(&id, effects);
        }
        let id = self.unique_id(config.entity_id());
        let info = discovered_info(&id, &key, &config);
        let mut mqtt = MqttState::default();
        mqtt.attributes.insert("friendly_name".into(), json!(info.name));
        if let Some(class) = &info.device_class {
            mqtt.attributes.insert("device_class".into(), json!(class));
        }
        if let Kind::Sensor(sensor) = &config.kind
            && let Some(unit) = &sensor.unit_of_measurement
        {
            mqtt.attributes.insert("unit_of_measurement".into(), json!(unit));
        }
        let entry = Entry {
            info,
            origin: Origin::Discovery {
                key: key.clone(),
                config: Box::new(config),
                availability: AvailabilityTracker::new(),
            },
            mqtt,
            state: placeholder(&id, now),
        };
        self.by_key.insert(key, id.clone());
        self.insert(id, entry, now, effects);
        self.reindex();
    }

    fn insert(
        &mut self,
        id: EntityId,
        mut entry: Entry,
        now: DateTime<Utc>,
        effects: &mut Effects,
    ) {
        let available = self.available(&entry);
        entry.state = entry.mqtt.to_entity_state(id.clone(), available, None, now);
        effects
            .events
            .push(LinkEvent::Discovered { entity: entry.info.clone(), state: entry.state.clone() });
        self.entities.insert(id, entry);
    }

    fn remove(&mut self, id: &EntityId, effects: &mut Effects) {
        if let Some(entry) = self.entities.remove(id) {
            if let Origin::Discovery { key, .. } = &entry.origin {
                self.by_key.remove(key);
            }
            effects.events.push(LinkEvent::Removed(id.clone()));
            self.reindex();
        }
    }

    fn reindex(&mut self) {
        self.by_topic.clear();
        for (id, entry) in &self.entities {
            if let Origin::Discovery { config, .. } = &entry.origin {
                for topic in config.subscriptions() {
                    self.by_topic.entry(topic.to_owned()).or_default().push(id.clone());
                }
            }
        }
    }

    /// Subscribes to what the entities and devices now read, and drops what none reads.
    fn sync_subscriptions(&mut self, effects: &mut Effects) {
        let mut wanted: BTreeSet<String> = self.by_topic.keys().cloned().collect();
        if let Some(base) = &self.z2m_base {
            for device in self.devices.values() {
                if device_entities(&device.device) {
                    wanted.insert(device.device.state_topic(base));
                    wanted.insert(format!("{}/availability", device.device.state_topic(base)));
                }
            }
        }
        let base: BTreeSet<String> = self.base_filters().into_iter().collect();
        wanted.retain(|t| !base.contains(t));
        effects.subscribe.extend(wanted.difference(&self.subscribed).cloned());
        effects.unsubscribe.extend(self.subscribed.difference(&wanted).cloned());
        self.subscribed = wanted;
    }

    fn handle_zigbee(
        &mut self,
        topic: Z2mTopic,
        payload: &str,
        now: DateTime<Utc>,
        effects: &mut Effects,
    ) {
        match topic {
            Z2mTopic::BridgeDevices => match z2m::parse_bridge_devices(payload) {
                Ok(devices) => {
                    self.replace_devices(devices, now, effects);
                    self.sync_subscriptions(effects);
                }
                Err(error) => {
                    tracing::warn!(error = %describe(&error), "zigbee2mqtt bridge/devices ignored")
                }
            },
            Z2mTopic::BridgeState => {
                self.bridge_online = z2m::parse_availability(payload);
                self.refresh_zigbee(None, now, effects);
            }
            Z2mTopic::Availability(name) => {
                if let Some(ieee) = self.by_name.get(&name).cloned()
                    && let Some(device) = self.devices.get_mut(&ieee)
                {
                    device.available = z2m::parse_availability(payload);
                    self.refresh_zigbee(Some(&ieee), now, effects);
                }
            }
            Z2mTopic::State(name) => {
                let Some(ieee) = self.by_name.get(&name).cloned() else { return };
                let Ok(Value::Object(object)) = serde_json::from_str::<Value>(payload) else {
                    tracing::debug!(device = name, "a zigbee2mqtt state that is not an object");
                    return;
                };
                let ids = self.zigbee_ids(Some(&ieee));
                for id in ids {
                    if let Some(entry) = self.entities.get_mut(&id)
                        && let Origin::Zigbee { entity, .. } = &entry.origin
                    {
                        entity.apply_state(&mut entry.mqtt, &object);
                    }
                    self.refresh(&id, now, effects);
                }
            }
            Z2mTopic::Other => {}
        }
    }

    fn zigbee_ids(&self, ieee: Option<&str>) -> Vec<EntityId> {
        self.entities
            .iter()
            .filter(|(_, e)| match &e.origin {
                Origin::Zigbee { ieee_address, .. } => ieee.is_none_or(|i| i == ieee_address),
                Origin::Discovery { .. } => false,
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    fn refresh_zigbee(&mut self, ieee: Option<&str>, now: DateTime<Utc>, effects: &mut Effects) {
        for id in self.zigbee_ids(ieee) {
            self.refresh(&id, now, effects);
        }
    }

    fn replace_devices(
        &mut self,
        devices: Vec<Z2mDevice>,
        now: DateTime<Utc>,
        effects: &mut Effects,
    ) {
        let mut wanted: BTreeMap<(String, EntityId), Z2mEntity> = BTreeMap::new();
        for device in &devices {
            for entity in device.entities() {
                wanted.insert((device.ieee_address.clone(), entity.entity_id.clone()), entity);
            }
        }
        // Entities gone (or renamed, which changes their ids) go; the others are updated.
        let mut kept = BTreeSet::new();
        for id in self.zigbee_ids(None) {
            let Some(Entry { origin: Origin::Zigbee { ieee_address, base_id, .. }, .. }) =
                self.entities.get(&id)
            else {
                continue;
            };
            let key = (ieee_address.clone(), base_id.clone());
            match wanted.get(&key) {
                Some(new) => {
                    if let Some(Entry { origin: Origin::Zigbee { entity, .. }, .. }) =
                        self.entities.get_mut(&id)
                    {
                        **entity = new.clone();
                    }
                    kept.insert(key);
                }
                None => self.remove(&id, effects),
            }
        }
        let old_available: HashMap<String, Option<bool>> =
            self.devices.iter().map(|(ieee, d)| (ieee.clone(), d.available)).collect();
        self.by_name =
            devices.iter().map(|d| (d.friendly_name.clone(), d.ieee_address.clone())).collect();
        self.devices = devices
            .into_iter()
            .map(|device| {
                let available = old_available.get(&device.ieee_address).copied().flatten();
                (device.ieee_address.clone(), ZigbeeDevice { device, available })
            })
            .collect();
        for ((ieee, base_id), entity) in wanted {
            if kept.contains(&(ieee.clone(), base_id.clone())) {
                continue;
            }
            let Some(device) = self.devices.get(&ieee) else { continue };
            let id = self.unique_id(base_id.clone());
            let info = zigbee_info(&id, &device.device, &entity);
            let mut mqtt = MqttState::default();
            mqtt.attributes.insert("friendly_name".into(), json!(info.name));
            let entry = Entry {
                info,
                origin: Origin::Zigbee { ieee_address: ieee, base_id, entity: Box::new(entity) },
                mqtt,
                state: placeholder(&id, now),
            };
            self.insert(id, entry, now, effects);
        }
    }
}

fn device_entities(device: &Z2mDevice) -> bool {
    !device.entities().is_empty()
}

/// A stand-in state, replaced before anyone sees it.
fn placeholder(id: &EntityId, now: DateTime<Utc>) -> EntityState {
    EntityState {
        entity_id: id.clone(),
        state: "unknown".into(),
        attributes: Default::default(),
        last_changed: now,
        last_updated: now,
    }
}

fn discovered_info(id: &EntityId, key: &str, config: &EntityConfig) -> DiscoveredEntity {
    let device = config.common.device.as_ref();
    DiscoveredEntity {
        entity_id: id.clone(),
        name: config.display_name(),
        device_class: config.common.device_class.clone(),
        device_name: device.and_then(|d| d.name.clone()),
        suggested_area: device.and_then(|d| d.suggested_area.clone()),
        source: Source::Discovery {
            component: config.topic.component.as_str().to_owned(),
            key: key.to_owned(),
        },
    }
}

fn zigbee_info(id: &EntityId, device: &Z2mDevice, entity: &Z2mEntity) -> DiscoveredEntity {
    let expose = &entity.expose;
    let name =
        match (expose.features.is_empty(), expose.label.as_deref().or(expose.name.as_deref())) {
            (true, Some(label)) => format!("{} {label}", device.friendly_name),
            _ => device.friendly_name.clone(),
        };
    DiscoveredEntity {
        entity_id: id.clone(),
        name,
        device_class: None,
        device_name: Some(device.friendly_name.clone()),
        suggested_area: None,
        source: Source::Zigbee2Mqtt {
            ieee_address: device.ieee_address.clone(),
            friendly_name: device.friendly_name.clone(),
        },
    }
}

/// An error to log: never a payload, which might carry a code.
pub(crate) fn describe(error: &MqttError) -> String {
    match error {
        MqttError::NotJson(_) => "the payload is not JSON".into(),
        MqttError::UnexpectedPayload { entity, .. } => {
            format!("{entity} sent a payload that is none of its states")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("a time")
    }

    fn switch(object: &str, name: &str, state_topic: &str) -> (String, Vec<u8>) {
        let config = json!({"name": name, "state_topic": state_topic,
                            "command_topic": format!("{state_topic}/set")});
        (format!("homeassistant/switch/{object}/config"), config.to_string().into_bytes())
    }

    fn connected() -> Registry {
        let mut registry = Registry::new("homeassistant", Some("zigbee2mqtt"));
        registry.set_connected(true, now());
        registry
    }

    #[test]
    fn two_entities_announcing_one_id_get_home_assistants_suffix() {
        let mut registry = connected();
        let (topic, payload) = switch("a", "Kettle", "a/state");
        registry.handle(&topic, &payload, now());
        let (topic, payload) = switch("b", "Kettle", "b/state");
        let effects = registry.handle(&topic, &payload, now());
        assert!(matches!(&effects.events[..], [LinkEvent::Discovered { entity, .. }]
            if entity.entity_id.as_str() == "switch.kettle_2"));
        assert_eq!(effects.subscribe, ["b/state"]);
    }

    #[test]
    fn a_config_again_is_nothing_new_a_changed_one_moves_subscriptions_and_empty_removes() {
        let mut registry = connected();
        let (topic, payload) = switch("k", "Kettle", "old/state");
        let first = registry.handle(&topic, &payload, now());
        assert_eq!(first.subscribe, ["old/state"]);
        let again = registry.handle(&topic, &payload, now());
        assert!(again.events.is_empty() && again.subscribe.is_empty(), "{again:?}");

        registry.handle("old/state", b"ON", now());
        let (_, moved) = switch("k", "Kettle", "new/state");
        let effects = registry.handle(&topic, &moved, now());
        assert!(matches!(&effects.events[..], [LinkEvent::Discovered { .. }]), "{effects:?}");
        assert_eq!(
            (effects.subscribe, effects.unsubscribe),
            (vec!["new/state".to_owned()], vec!["old/state".to_owned()])
        );
        let kettle = EntityId::parse("switch.kettle").expect("an id");
        assert_eq!(
            registry.state(&kettle).map(|s| s.state.as_str()),
            Some("on"),
            "the state stays"
        );

        let effects = registry.handle(&topic, b"", now());
        assert!(matches!(&effects.events[..], [LinkEvent::Removed(id)] if *id == kettle));
        assert_eq!(effects.unsubscribe, ["new/state"]);
        assert!(registry.states().is_empty());
        assert_eq!(registry.all_filters(), registry.base_filters());
    }

    #[test]
    fn every_entity_is_unavailable_while_the_link_is_down() {
        let mut registry = connected();
        let (topic, payload) = switch("k", "Kettle", "k/state");
        registry.handle(&topic, &payload, now());
        registry.handle("k/state", b"OFF", now());
        let down = registry.set_connected(false, now());
        assert!(matches!(&down.events[..], [LinkEvent::Changed(c)]
            if c.new.as_ref().is_some_and(|s| s.state == "unavailable")));
        let kettle = EntityId::parse("switch.kettle").expect("an id");
        assert!(matches!(
            registry.publications(
                &kettle,
                &Command::TurnOn { brightness: None, rgb: None, color_temp_kelvin: None }
            ),
            Err(LinkError::Unavailable(_))
        ));
        let up = registry.set_connected(true, now());
        assert!(matches!(&up.events[..], [LinkEvent::Changed(c)]
            if c.new.as_ref().is_some_and(|s| s.state == "off")));
        let publications = registry.publications(&kettle, &Command::Toggle).expect("it takes it");
        assert_eq!(publications[0].payload, "ON", "a toggle of what is off turns it on");
    }

    #[test]
    fn an_entity_not_yet_heard_from_differs_from_one_that_said_it_is_away() {
        let mut registry = connected();
        let config = json!({"name": "Lamp", "state_topic": "l/state", "command_topic": "l/set",
                            "availability_topic": "l/availability"});
        registry.handle("homeassistant/switch/l/config", config.to_string().as_bytes(), now());
        let lamp = EntityId::parse("switch.lamp").expect("an id");
        assert_eq!(registry.state(&lamp).map(|s| s.state.as_str()), Some("unavailable"));
        assert!(matches!(
            registry.publications(&lamp, &Command::Toggle),
            Err(LinkError::Unheard(_))
        ));
        registry.handle("l/availability", b"offline", now());
        assert!(matches!(
            registry.publications(&lamp, &Command::Toggle),
            Err(LinkError::Unavailable(_))
        ));
        registry.handle("l/availability", b"online", now());
        assert!(registry.publications(&lamp, &Command::Toggle).is_ok());
        registry.set_connected(false, now());
        assert!(matches!(
            registry.publications(&lamp, &Command::Toggle),
            Err(LinkError::Unavailable(_))
        ));
    }

    #[test]
    fn logged_errors_never_carry_a_payload() {
        let error = MqttError::NotJson(r#"{"code": "1234"#.into());
        assert!(!describe(&error).contains("1234"));
        let error =
            MqttError::UnexpectedPayload { entity: "lock.door".into(), payload: "1234".into() };
        assert!(!describe(&error).contains("1234"));
    }
}
