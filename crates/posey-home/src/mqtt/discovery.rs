//! Home Assistant MQTT discovery: which entity a retained `.../config` message announces (or,
//! empty, removes), read with Home Assistant's defaults for each supported component.
//! <https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery>

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::abbreviations::expand;
use super::message::MqttError;
use super::template::{CommandTemplate, ValueTemplate};
use crate::entity::{Domain, EntityId};
use crate::secret::Secret;

/// Home Assistant's discovery prefix unless configured otherwise.
pub const DEFAULT_PREFIX: &str = "homeassistant";

/// The components Posey reads; any other is kept by name and refused when parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Component {
    Light,
    Switch,
    Lock,
    Sensor,
    BinarySensor,
    Cover,
    AlarmControlPanel,
    Climate,
    Other(String),
}

impl Component {
    pub fn from_name(name: &str) -> Self {
        match name {
            "light" => Self::Light,
            "switch" => Self::Switch,
            "lock" => Self::Lock,
            "sensor" => Self::Sensor,
            "binary_sensor" => Self::BinarySensor,
            "cover" => Self::Cover,
            "alarm_control_panel" => Self::AlarmControlPanel,
            "climate" => Self::Climate,
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Light => "light",
            Self::Switch => "switch",
            Self::Lock => "lock",
            Self::Sensor => "sensor",
            Self::BinarySensor => "binary_sensor",
            Self::Cover => "cover",
            Self::AlarmControlPanel => "alarm_control_panel",
            Self::Climate => "climate",
            Self::Other(name) => name,
        }
    }

    /// The entity domain a component's entities are in (the same name).
    pub fn domain(&self) -> Domain {
        Domain::from_name(self.as_str())
    }
}

/// A discovery topic's parts: `<prefix>/<component>/[<node_id>/]<object_id>/config`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DiscoveryTopic {
    pub component: Component,
    pub node_id: Option<String>,
    pub object_id: String,
}

impl DiscoveryTopic {
    /// The key one discovered entity is known by until it is removed: the topic without
    /// prefix and `/config` (`light/node/object`).
    pub fn key(&self) -> String {
        match &self.node_id {
            Some(node) => format!("{}/{}/{}", self.component.as_str(), node, self.object_id),
            None => format!("{}/{}", self.component.as_str(), self.object_id),
        }
    }
}

fn topic_part(part: &str) -> bool {
    !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Reads a discovery topic under `prefix`, by Home Assistant's rule: the component is a word,
/// node and object ids are letters, digits, `_` and `-`.
pub fn parse_discovery_topic(prefix: &str, topic: &str) -> Result<DiscoveryTopic, MqttError> {
    let bad = || MqttError::NotDiscoveryTopic(topic.to_owned());
    let rest = topic
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|rest| rest.strip_suffix("/config"))
        .ok_or_else(bad)?;
    let parts: Vec<&str> = rest.split('/').collect();
    let (component, node_id, object_id) = match parts.as_slice() {
        [component, object_id] => (*component, None, *object_id),
        [component, node_id, object_id] => (*component, Some(*node_id), *object_id),
        _ => return Err(bad()),
    };
    let word = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !word(component) || !topic_part(object_id) || node_id.is_some_and(|n| !topic_part(n)) {
        return Err(bad());
    }
    Ok(DiscoveryTopic {
        component: Component::from_name(component),
        node_id: node_id.map(str::to_owned),
        object_id: object_id.to_owned(),
    })
}

/// What one discovery message says.
#[derive(Debug, Clone, PartialEq)]
pub enum Discovery {
    /// An entity announced, or announced again with a new configuration.
    Config(Box<EntityConfig>),
    /// An empty payload: the entity is gone.
    Removed(DiscoveryTopic),
}

/// Reads one discovery message: its topic under `prefix` and its payload.
pub fn parse_discovery(prefix: &str, topic: &str, payload: &[u8]) -> Result<Discovery, MqttError> {
    let topic = parse_discovery_topic(prefix, topic)?;
    if payload.iter().all(u8::is_ascii_whitespace) {
        return Ok(Discovery::Removed(topic));
    }
    let text = std::str::from_utf8(payload).map_err(|_| MqttError::NotJson("not UTF-8".into()))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|_| MqttError::NotJson(text.chars().take(80).collect()))?;
    let Value::Object(object) = value else { return Err(MqttError::NotAnObject) };
    EntityConfig::from_payload(topic, object).map(|config| Discovery::Config(Box::new(config)))
}

/// What every component's configuration has.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Common {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub unique_id: Option<String>,
    #[serde(default)]
    pub object_id: Option<String>,
    #[serde(default)]
    pub default_entity_id: Option<String>,
    #[serde(default)]
    pub device: Option<DeviceInfo>,
    #[serde(default)]
    pub device_class: Option<String>,
    #[serde(default)]
    pub state_topic: Option<String>,
    #[serde(default)]
    pub command_topic: Option<String>,
    #[serde(default)]
    pub value_template: Option<String>,
    #[serde(default)]
    pub command_template: Option<String>,
    #[serde(default)]
    pub json_attributes_topic: Option<String>,
    #[serde(default)]
    pub retain: bool,
    #[serde(default)]
    pub qos: u8,
    #[serde(default)]
    pub optimistic: Option<bool>,
    #[serde(default)]
    pub icon: Option<String>,
    #[serde(default)]
    pub entity_category: Option<String>,
}

/// The device an entity belongs to.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DeviceInfo {
    #[serde(default, deserialize_with = "one_or_many")]
    pub identifiers: Vec<String>,
    #[serde(default)]
    pub connections: Vec<Vec<String>>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub manufacturer: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub sw_version: Option<String>,
    #[serde(default)]
    pub hw_version: Option<String>,
    #[serde(default)]
    pub suggested_area: Option<String>,
    #[serde(default)]
    pub via_device: Option<String>,
}

/// A string or a list of strings (device identifiers may be either).
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    })
}

/// How several availability topics combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AvailabilityMode {
    /// Available when every topic says so.
    All,
    /// Available when any topic says so.
    Any,
    /// The last message on any topic decides.
    #[default]
    Latest,
}

/// One availability topic with its payloads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityTopic {
    pub topic: String,
    #[serde(default = "online")]
    pub payload_available: String,
    #[serde(default = "offline")]
    pub payload_not_available: String,
    #[serde(default)]
    pub value_template: Option<String>,
}

fn online() -> String {
    "online".into()
}

fn offline() -> String {
    "offline".into()
}

/// An entity's availability topics; with none, it is always available.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Availability {
    pub topics: Vec<AvailabilityTopic>,
    pub mode: AvailabilityMode,
}

#[derive(Deserialize)]
struct AvailabilityWire {
    #[serde(default)]
    availability_topic: Option<String>,
    #[serde(default)]
    availability_template: Option<String>,
    #[serde(default)]
    payload_available: Option<String>,
    #[serde(default)]
    payload_not_available: Option<String>,
    #[serde(default)]
    availability: Option<Value>,
    #[serde(default)]
    availability_mode: AvailabilityMode,
}

impl Availability {
    fn from_payload(payload: &Map<String, Value>, component: &str) -> Result<Self, MqttError> {
        let wire: AvailabilityWire = read(payload, component)?;
        let invalid = |message: &str| MqttError::Config {
            component: component.to_owned(),
            message: message.to_owned(),
        };
        let mut topics = Vec::new();
        if let Some(topic) = wire.availability_topic {
            if wire.availability.is_some() {
                return Err(invalid("availability_topic and availability cannot both be set"));
            }
            topics.push(AvailabilityTopic {
                topic,
                payload_available: wire.payload_available.unwrap_or_else(online),
                payload_not_available: wire.payload_not_available.unwrap_or_else(offline),
                value_template: wire.availability_template,
            });
        }
        match wire.availability {
            Some(Value::Array(entries)) => {
                for entry in entries {
                    topics
                        .push(serde_json::from_value(entry).map_err(|e| invalid(&e.to_string()))?);
                }
            }
            Some(Value::Null) | None => {}
            Some(_) => return Err(invalid("availability must be a list of topics")),
        }
        for topic in &topics {
            if let Some(template) = &topic.value_template {
                ValueTemplate::parse(template)?;
            }
        }
        Ok(Self { topics, mode: wire.availability_mode })
    }
}

/// An announced entity: its topic, what all components share, its availability, and what its
/// component adds.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityConfig {
    pub topic: DiscoveryTopic,
    pub common: Common,
    pub availability: Availability,
    pub kind: Kind,
}

/// Each supported component's own configuration, with Home Assistant's defaults.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Light(LightConfig),
    Switch(SwitchConfig),
    Lock(LockConfig),
    Sensor(SensorConfig),
    BinarySensor(BinarySensorConfig),
    Cover(CoverConfig),
    AlarmControlPanel(AlarmConfig),
    Climate(ClimateConfig),
}

fn read<T: DeserializeOwned>(
    payload: &Map<String, Value>,
    component: &str,
) -> Result<T, MqttError> {
    serde_json::from_value(Value::Object(payload.clone()))
        .map_err(|e| MqttError::Config { component: component.to_owned(), message: e.to_string() })
}

impl EntityConfig {
    /// An entity's configuration from a discovery payload (abbreviations and `~` allowed).
    pub fn from_payload(
        topic: DiscoveryTopic,
        payload: Map<String, Value>,
    ) -> Result<Self, MqttError> {
        let payload = expand(payload);
        let name = topic.component.as_str().to_owned();
        let common: Common = read(&payload, &name)?;
        let availability = Availability::from_payload(&payload, &name)?;
        let missing = |field: &str| MqttError::Config {
            component: name.clone(),
            message: format!("{field} is required"),
        };
        let kind = match &topic.component {
            Component::Light => {
                let light: LightConfig = read(&payload, &name)?;
                if light.schema == LightSchema::Template {
                    return Err(MqttError::Unsupported {
                        entity: topic.key(),
                        what: "be read: the light template schema is not supported".into(),
                    });
                }
                Kind::Light(light)
            }
            Component::Switch => Kind::Switch(read(&payload, &name)?),
            Component::Lock => Kind::Lock(read(&payload, &name)?),
            Component::Sensor => Kind::Sensor(read(&payload, &name)?),
            Component::BinarySensor => Kind::BinarySensor(read(&payload, &name)?),
            Component::Cover => Kind::Cover(read(&payload, &name)?),
            Component::AlarmControlPanel => Kind::AlarmControlPanel(read(&payload, &name)?),
            Component::Climate => Kind::Climate(read(&payload, &name)?),
            Component::Other(other) => return Err(MqttError::UnsupportedComponent(other.clone())),
        };
        let needs_command = matches!(
            kind,
            Kind::Light(_) | Kind::Switch(_) | Kind::Lock(_) | Kind::AlarmControlPanel(_)
        );
        if needs_command && common.command_topic.is_none() {
            return Err(missing("command_topic"));
        }
        if matches!(kind, Kind::Sensor(_) | Kind::BinarySensor(_) | Kind::AlarmControlPanel(_))
            && common.state_topic.is_none()
        {
            return Err(missing("state_topic"));
        }
        let config = Self { topic, common, availability, kind };
        config.check_templates()?;
        Ok(config)
    }

    /// Every value template the entity uses must be one Posey can render; every command
    /// template one it can fill in. Checked once, when announced.
    fn check_templates(&self) -> Result<(), MqttError> {
        for template in self.value_templates() {
            ValueTemplate::parse(template)?;
        }
        for template in self.command_templates() {
            CommandTemplate::parse(template)?;
        }
        Ok(())
    }

    fn value_templates(&self) -> Vec<&str> {
        let mut all = vec![self.common.value_template.as_deref()];
        match &self.kind {
            Kind::Light(l) => all.extend([
                l.state_value_template.as_deref(),
                l.brightness_value_template.as_deref(),
                l.rgb_value_template.as_deref(),
                l.color_temp_value_template.as_deref(),
            ]),
            Kind::Cover(c) => all.push(c.position_template.as_deref()),
            Kind::Climate(c) => all.extend([
                c.mode_state_template.as_deref(),
                c.temperature_state_template.as_deref(),
                c.current_temperature_template.as_deref(),
            ]),
            _ => {}
        }
        all.into_iter().flatten().collect()
    }

    fn command_templates(&self) -> Vec<&str> {
        let mut all = vec![self.common.command_template.as_deref()];
        match &self.kind {
            Kind::Light(l) => all.extend([
                l.brightness_command_template.as_deref(),
                l.rgb_command_template.as_deref(),
                l.color_temp_command_template.as_deref(),
            ]),
            Kind::Cover(c) => all.push(c.set_position_template.as_deref()),
            Kind::Climate(c) => all.extend([
                c.temperature_command_template.as_deref(),
                c.mode_command_template.as_deref(),
            ]),
            _ => {}
        }
        all.into_iter().flatten().collect()
    }

    pub fn domain(&self) -> Domain {
        self.topic.component.domain()
    }

    /// The entity id Home Assistant would give it: `default_entity_id`, else `object_id`, else
    /// the device's name and the entity's name, else the topic's ids.
    pub fn entity_id(&self) -> EntityId {
        let domain = self.domain();
        if let Some(id) = self.common.default_entity_id.as_deref()
            && let Ok(id) = EntityId::parse(id)
            && id.domain() == &domain
        {
            return id;
        }
        let device_name = self.common.device.as_ref().and_then(|d| d.name.as_deref());
        let name = match (&self.common.object_id, device_name, &self.common.name) {
            (Some(object_id), _, _) => object_id.clone(),
            (None, Some(device), Some(name)) => format!("{device} {name}"),
            (None, Some(device), None) => device.to_owned(),
            (None, None, Some(name)) => name.clone(),
            (None, None, None) => {
                format!("{} {}", self.topic.node_id.as_deref().unwrap_or(""), self.topic.object_id)
            }
        };
        EntityId::from_name(&domain, &name)
            .expect("a supported component's name is a domain and a slug an object id")
    }

    /// The name to show: the entity's, else its device's, else the object id.
    pub fn display_name(&self) -> String {
        let device_name = self.common.device.as_ref().and_then(|d| d.name.clone());
        self.common.name.clone().or(device_name).unwrap_or_else(|| self.topic.object_id.clone())
    }

    /// Every topic to subscribe to for this entity's state, attributes and availability.
    pub fn subscriptions(&self) -> Vec<&str> {
        let mut topics: Vec<Option<&str>> =
            vec![self.common.state_topic.as_deref(), self.common.json_attributes_topic.as_deref()];
        match &self.kind {
            Kind::Light(l) => topics.extend([
                l.brightness_state_topic.as_deref(),
                l.rgb_state_topic.as_deref(),
                l.color_temp_state_topic.as_deref(),
            ]),
            Kind::Cover(c) => topics.push(c.position_topic.as_deref()),
            Kind::Climate(c) => topics.extend([
                c.mode_state_topic.as_deref(),
                c.temperature_state_topic.as_deref(),
                c.current_temperature_topic.as_deref(),
            ]),
            _ => {}
        }
        topics.extend(self.availability.topics.iter().map(|t| Some(t.topic.as_str())));
        let mut topics: Vec<&str> = topics.into_iter().flatten().collect();
        topics.sort_unstable();
        topics.dedup();
        topics
    }
}

macro_rules! default_str {
    ($($name:ident = $value:literal),* $(,)?) => {
        $(fn $name() -> String { $value.to_owned() })*
    };
}

default_str! {
    on_upper = "ON", off_upper = "OFF", lock = "LOCK", unlock = "UNLOCK", locked = "LOCKED",
    unlocked = "UNLOCKED", locking = "LOCKING", unlocking = "UNLOCKING", jammed = "JAMMED",
    open_upper = "OPEN", opening_upper = "OPENING", close_upper = "CLOSE", stop_upper = "STOP",
    open = "open", opening = "opening", closed = "closed", closing = "closing", stopped = "stopped",
    arm_home = "ARM_HOME", arm_away = "ARM_AWAY", arm_night = "ARM_NIGHT",
    arm_vacation = "ARM_VACATION", arm_custom_bypass = "ARM_CUSTOM_BYPASS", disarm = "DISARM",
    trigger = "TRIGGER", action_template = "{{action}}",
}

fn scale_255() -> u32 {
    255
}

fn yes() -> bool {
    true
}

fn hundred() -> i64 {
    100
}

/// A light's state schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LightSchema {
    /// One topic per value (`basic` is its old name).
    #[default]
    #[serde(alias = "basic")]
    Default,
    /// One JSON message with everything.
    Json,
    Template,
}

/// When the default schema sends `ON` along with a brightness or colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnCommandType {
    /// Values first, then `ON`.
    #[default]
    Last,
    /// `ON` first, then values.
    First,
    /// Only the brightness, no `ON`, when a brightness is given.
    Brightness,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LightConfig {
    #[serde(default)]
    pub schema: LightSchema,
    #[serde(default = "on_upper")]
    pub payload_on: String,
    #[serde(default = "off_upper")]
    pub payload_off: String,
    #[serde(default)]
    pub state_value_template: Option<String>,
    #[serde(default)]
    pub on_command_type: OnCommandType,
    #[serde(default)]
    pub brightness_state_topic: Option<String>,
    #[serde(default)]
    pub brightness_command_topic: Option<String>,
    #[serde(default)]
    pub brightness_command_template: Option<String>,
    #[serde(default)]
    pub brightness_value_template: Option<String>,
    #[serde(default = "scale_255")]
    pub brightness_scale: u32,
    #[serde(default)]
    pub rgb_state_topic: Option<String>,
    #[serde(default)]
    pub rgb_command_topic: Option<String>,
    #[serde(default)]
    pub rgb_command_template: Option<String>,
    #[serde(default)]
    pub rgb_value_template: Option<String>,
    #[serde(default)]
    pub color_temp_state_topic: Option<String>,
    #[serde(default)]
    pub color_temp_command_topic: Option<String>,
    #[serde(default)]
    pub color_temp_command_template: Option<String>,
    #[serde(default)]
    pub color_temp_value_template: Option<String>,
    /// Colour temperatures in kelvin rather than mireds.
    #[serde(default)]
    pub color_temp_kelvin: bool,
    /// The JSON schema's (old) flag that the light takes a brightness.
    #[serde(default)]
    pub brightness: bool,
    /// The JSON schema's colour modes (`onoff`, `brightness`, `color_temp`, `rgb`, `xy`, ...).
    #[serde(default)]
    pub supported_color_modes: Vec<String>,
}

impl LightConfig {
    /// Whether the light takes a brightness.
    pub fn has_brightness(&self) -> bool {
        match self.schema {
            LightSchema::Json => {
                self.brightness || self.supported_color_modes.iter().any(|m| m != "onoff")
            }
            _ => self.brightness_command_topic.is_some(),
        }
    }

    pub fn has_rgb(&self) -> bool {
        match self.schema {
            LightSchema::Json => self
                .supported_color_modes
                .iter()
                .any(|m| matches!(m.as_str(), "rgb" | "rgbw" | "rgbww" | "hs" | "xy")),
            _ => self.rgb_command_topic.is_some(),
        }
    }

    pub fn has_color_temp(&self) -> bool {
        match self.schema {
            LightSchema::Json => self.supported_color_modes.iter().any(|m| m == "color_temp"),
            _ => self.color_temp_command_topic.is_some(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwitchConfig {
    #[serde(default = "on_upper")]
    pub payload_on: String,
    #[serde(default = "off_upper")]
    pub payload_off: String,
    /// The state payload meaning on; `payload_on` when not set.
    #[serde(default)]
    pub state_on: Option<String>,
    #[serde(default)]
    pub state_off: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockConfig {
    #[serde(default = "lock")]
    pub payload_lock: String,
    #[serde(default = "unlock")]
    pub payload_unlock: String,
    /// Only locks that can open (unlatch) have one.
    #[serde(default)]
    pub payload_open: Option<String>,
    #[serde(default = "locked")]
    pub state_locked: String,
    #[serde(default = "unlocked")]
    pub state_unlocked: String,
    #[serde(default = "locking")]
    pub state_locking: String,
    #[serde(default = "unlocking")]
    pub state_unlocking: String,
    #[serde(default = "jammed")]
    pub state_jammed: String,
    #[serde(default = "open_upper")]
    pub state_open: String,
    #[serde(default = "opening_upper")]
    pub state_opening: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorConfig {
    #[serde(default)]
    pub unit_of_measurement: Option<String>,
    #[serde(default)]
    pub state_class: Option<String>,
    #[serde(default)]
    pub expire_after: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinarySensorConfig {
    #[serde(default = "on_upper")]
    pub payload_on: String,
    #[serde(default = "off_upper")]
    pub payload_off: String,
    #[serde(default)]
    pub off_delay: Option<u64>,
    #[serde(default)]
    pub expire_after: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverConfig {
    #[serde(default = "open_upper")]
    pub payload_open: String,
    #[serde(default = "close_upper")]
    pub payload_close: String,
    #[serde(default = "stop_upper")]
    pub payload_stop: String,
    #[serde(default = "open")]
    pub state_open: String,
    #[serde(default = "opening")]
    pub state_opening: String,
    #[serde(default = "closed")]
    pub state_closed: String,
    #[serde(default = "closing")]
    pub state_closing: String,
    #[serde(default = "stopped")]
    pub state_stopped: String,
    #[serde(default)]
    pub position_topic: Option<String>,
    #[serde(default)]
    pub position_template: Option<String>,
    #[serde(default)]
    pub set_position_topic: Option<String>,
    #[serde(default)]
    pub set_position_template: Option<String>,
    #[serde(default = "hundred")]
    pub position_open: i64,
    #[serde(default)]
    pub position_closed: i64,
}

/// An alarm panel. Its `code` is a [`Secret`]; `REMOTE_CODE` and `REMOTE_CODE_TEXT` mean the
/// code given with a command is passed on for the panel to check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmConfig {
    #[serde(default)]
    pub code: Option<Secret>,
    #[serde(default = "yes")]
    pub code_arm_required: bool,
    #[serde(default = "yes")]
    pub code_disarm_required: bool,
    #[serde(default = "yes")]
    pub code_trigger_required: bool,
    #[serde(default = "arm_home")]
    pub payload_arm_home: String,
    #[serde(default = "arm_away")]
    pub payload_arm_away: String,
    #[serde(default = "arm_night")]
    pub payload_arm_night: String,
    #[serde(default = "arm_vacation")]
    pub payload_arm_vacation: String,
    #[serde(default = "arm_custom_bypass")]
    pub payload_arm_custom_bypass: String,
    #[serde(default = "disarm")]
    pub payload_disarm: String,
    #[serde(default = "trigger")]
    pub payload_trigger: String,
    #[serde(default = "action_template", rename = "command_template")]
    pub action_template: String,
}

/// A thermostat (temperatures in its `temperature_unit`, Celsius unless `F`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClimateConfig {
    #[serde(default)]
    pub temperature_command_topic: Option<String>,
    #[serde(default)]
    pub temperature_command_template: Option<String>,
    #[serde(default)]
    pub temperature_state_topic: Option<String>,
    #[serde(default)]
    pub temperature_state_template: Option<String>,
    #[serde(default)]
    pub current_temperature_topic: Option<String>,
    #[serde(default)]
    pub current_temperature_template: Option<String>,
    #[serde(default)]
    pub mode_command_topic: Option<String>,
    #[serde(default)]
    pub mode_command_template: Option<String>,
    #[serde(default)]
    pub mode_state_topic: Option<String>,
    #[serde(default)]
    pub mode_state_template: Option<String>,
    #[serde(default = "climate_modes")]
    pub modes: Vec<String>,
    #[serde(default)]
    pub min_temp: Option<f64>,
    #[serde(default)]
    pub max_temp: Option<f64>,
    #[serde(default)]
    pub temperature_unit: Option<String>,
}

fn climate_modes() -> Vec<String> {
    ["auto", "off", "cool", "heat", "dry", "fan_only"].map(str::to_owned).to_vec()
}

impl ClimateConfig {
    /// Whether its temperatures are in Fahrenheit.
    pub fn fahrenheit(&self) -> bool {
        self.temperature_unit.as_deref().is_some_and(|u| u.trim_start_matches('°') == "F")
    }

    /// The temperature range it takes, in its own unit (Home Assistant's defaults: 7-35 °C,
    /// 44.6-95 °F).
    pub fn range(&self) -> (f64, f64) {
        let (min, max) = if self.fahrenheit() { (44.6, 95.0) } else { (7.0, 35.0) };
        (self.min_temp.unwrap_or(min), self.max_temp.unwrap_or(max))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config(topic: &str, payload: Value) -> EntityConfig {
        match parse_discovery(DEFAULT_PREFIX, topic, payload.to_string().as_bytes())
            .expect("parses")
        {
            Discovery::Config(config) => *config,
            Discovery::Removed(_) => panic!("not a removal"),
        }
    }

    #[test]
    fn topics_with_and_without_a_node_id() {
        let topic =
            parse_discovery_topic("homeassistant", "homeassistant/binary_sensor/garden/config")
                .expect("a topic");
        assert_eq!(topic.component, Component::BinarySensor);
        assert_eq!(topic.node_id, None);
        assert_eq!(topic.object_id, "garden");
        let topic = parse_discovery_topic(
            "homeassistant",
            "homeassistant/light/Posey-Test-Rig/Desk-lamp/config",
        )
        .expect("a topic");
        assert_eq!(topic.node_id.as_deref(), Some("Posey-Test-Rig"));
        assert_eq!(topic.key(), "light/Posey-Test-Rig/Desk-lamp");
        let custom =
            parse_discovery_topic("my/prefix", "my/prefix/switch/x/config").expect("a topic");
        assert_eq!(custom.component, Component::Switch);
        for bad in [
            "homeassistant/light/config",
            "homeassistant/light/a/b/c/config",
            "homeassistant/light/a b/config",
            "homeassistant/li-ght/a/config",
            "homeassistant/light/a/state",
            "other/light/a/config",
            "homeassistant/light//config",
        ] {
            assert!(parse_discovery_topic("homeassistant", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_empty_payload_removes_the_entity() {
        let removed = parse_discovery(DEFAULT_PREFIX, "homeassistant/light/node/lamp/config", b"")
            .expect("parses");
        let Discovery::Removed(topic) = removed else { panic!("a removal") };
        assert_eq!(topic.key(), "light/node/lamp");
    }

    #[test]
    fn abbreviated_payloads_read_with_defaults() {
        let switch = config(
            "homeassistant/switch/35EBF6_RL_1/config",
            json!({"name":"3DPrinter","stat_t":"tele/EZPlug_35EBF6/STATE","avty_t":"tele/EZPlug_35EBF6/LWT","pl_avail":"Online","pl_not_avail":"Offline","cmd_t":"cmnd/EZPlug_35EBF6/POWER1","pl_off":"OFF","pl_on":"ON","val_tpl":"{{value_json.POWER1}}","uniq_id":"35EBF6_RL_1","dev":{"ids":["35EBF6"]}}),
        );
        assert_eq!(switch.common.command_topic.as_deref(), Some("cmnd/EZPlug_35EBF6/POWER1"));
        assert_eq!(switch.common.value_template.as_deref(), Some("{{value_json.POWER1}}"));
        assert_eq!(
            switch.common.device.as_ref().map(|d| d.identifiers.clone()),
            Some(vec!["35EBF6".to_owned()])
        );
        assert_eq!(
            switch.availability.topics,
            vec![AvailabilityTopic {
                topic: "tele/EZPlug_35EBF6/LWT".into(),
                payload_available: "Online".into(),
                payload_not_available: "Offline".into(),
                value_template: None,
            }]
        );
        assert_eq!(switch.entity_id().to_string(), "switch.3dprinter");
        assert_eq!(
            switch.subscriptions(),
            vec!["tele/EZPlug_35EBF6/LWT", "tele/EZPlug_35EBF6/STATE"]
        );
        let Kind::Switch(kind) = &switch.kind else { panic!("a switch") };
        assert_eq!(kind.payload_on, "ON");
    }

    #[test]
    fn availability_lists_modes_and_defaults() {
        let light = config(
            "homeassistant/light/kitchen/config",
            json!({"cmd_t": "k/set", "avty": [{"t": "k/online"}, {"topic": "bridge/state", "payload_available": "up"}], "avty_mode": "all"}),
        );
        assert_eq!(light.availability.mode, AvailabilityMode::All);
        assert_eq!(light.availability.topics[0].payload_available, "online");
        assert_eq!(light.availability.topics[0].payload_not_available, "offline");
        assert_eq!(light.availability.topics[1].payload_available, "up");
        let both = parse_discovery(
            DEFAULT_PREFIX,
            "homeassistant/light/kitchen/config",
            json!({"cmd_t": "k/set", "avty_t": "a", "avty": [{"t": "b"}]}).to_string().as_bytes(),
        );
        assert!(matches!(both, Err(MqttError::Config { .. })));
    }

    #[test]
    fn refusals_are_clear() {
        let no_command = parse_discovery(
            DEFAULT_PREFIX,
            "homeassistant/switch/x/config",
            br#"{"name": "x", "state_topic": "x/state"}"#,
        )
        .expect_err("a switch needs a command topic");
        assert_eq!(
            no_command.to_string(),
            "the switch configuration is not valid: command_topic is required"
        );
        let vacuum =
            parse_discovery(DEFAULT_PREFIX, "homeassistant/vacuum/x/config", br#"{"name": "x"}"#)
                .expect_err("unsupported");
        assert_eq!(vacuum, MqttError::UnsupportedComponent("vacuum".into()));
        let template = parse_discovery(
            DEFAULT_PREFIX,
            "homeassistant/sensor/x/config",
            br#"{"stat_t": "x", "val_tpl": "{{ value_json.t | round(1) }}"}"#,
        )
        .expect_err("unsupported template");
        assert!(matches!(template, MqttError::UnsupportedTemplate(_)));
        assert!(matches!(
            parse_discovery(DEFAULT_PREFIX, "homeassistant/sensor/x/config", b"[1]"),
            Err(MqttError::NotAnObject)
        ));
        assert!(matches!(
            parse_discovery(DEFAULT_PREFIX, "homeassistant/sensor/x/config", b"{nope"),
            Err(MqttError::NotJson(_))
        ));
    }

    #[test]
    fn an_alarm_code_never_shows_in_debug() {
        let alarm = config(
            "homeassistant/alarm_control_panel/home/config",
            json!({"name": "Alarm", "stat_t": "alarm/state", "cmd_t": "alarm/set", "code": "4711"}),
        );
        assert!(!format!("{alarm:?}").contains("4711"));
        let Kind::AlarmControlPanel(kind) = &alarm.kind else { panic!("an alarm") };
        assert_eq!(kind.code.as_ref().map(Secret::expose), Some("4711"));
        assert_eq!(kind.action_template, "{{action}}");
        assert!(kind.code_arm_required && kind.code_disarm_required);
    }

    #[test]
    fn entity_ids_follow_home_assistant() {
        let with_device = config(
            "homeassistant/light/rig/lamp/config",
            json!({"name": "Desk lamp", "cmd_t": "x", "dev": {"name": "Posey Test Rig", "ids": "rig"}}),
        );
        assert_eq!(with_device.entity_id().to_string(), "light.posey_test_rig_desk_lamp");
        let object_id = config(
            "homeassistant/light/rig/lamp/config",
            json!({"name": "Desk lamp", "object_id": "my_lamp", "cmd_t": "x"}),
        );
        assert_eq!(object_id.entity_id().to_string(), "light.my_lamp");
        let explicit = config(
            "homeassistant/light/rig/lamp/config",
            json!({"default_entity_id": "light.chosen", "cmd_t": "x"}),
        );
        assert_eq!(explicit.entity_id().to_string(), "light.chosen");
        let bare = config("homeassistant/light/rig/lamp/config", json!({"cmd_t": "x"}));
        assert_eq!(bare.entity_id().to_string(), "light.rig_lamp");
    }
}
