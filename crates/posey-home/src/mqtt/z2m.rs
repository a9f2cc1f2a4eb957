//! Zigbee2MQTT: the devices it announces on `<base>/bridge/devices` become entities from their
//! `exposes`; `<base>/<friendly_name>` carries a device's state as one JSON object; commands go
//! to `<base>/<friendly_name>/set` as JSON. <https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html>

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::message::{MqttError, Publication};
use super::state::MqttState;
use crate::command::{Command, TargetTemperature};
use crate::entity::{Domain, EntityId, slugify};

/// Zigbee2MQTT's base topic unless configured otherwise.
pub const DEFAULT_BASE: &str = "zigbee2mqtt";

/// Access bits of an expose: published in the state, settable with `/set`, readable with `/get`.
pub const ACCESS_STATE: u8 = 1;
pub const ACCESS_SET: u8 = 2;

/// One device of `bridge/devices`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Z2mDevice {
    pub ieee_address: String,
    pub friendly_name: String,
    /// `Coordinator`, `Router` or `EndDevice`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub supported: bool,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub definition: Option<Definition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub vendor: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub exposes: Vec<Expose>,
}

/// An expose: a generic one (`binary`, `numeric`, `enum`, `text`, `composite`, `list`) or a
/// specific one (`light`, `switch`, `lock`, `cover`, `climate`, `fan`) made of features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expose {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub property: Option<String>,
    #[serde(default)]
    pub access: u8,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub value_on: Option<Value>,
    #[serde(default)]
    pub value_off: Option<Value>,
    #[serde(default)]
    pub value_toggle: Option<Value>,
    #[serde(default)]
    pub value_min: Option<f64>,
    #[serde(default)]
    pub value_max: Option<f64>,
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub features: Vec<Expose>,
}

impl Expose {
    fn settable(&self) -> bool {
        self.access & ACCESS_SET != 0
    }

    fn feature(&self, name: &str) -> Option<&Expose> {
        self.features.iter().find(|f| f.name.as_deref() == Some(name))
    }

    fn property_or_name(&self) -> Option<&str> {
        self.property.as_deref().or(self.name.as_deref())
    }
}

/// One entity made from an expose.
#[derive(Debug, Clone, PartialEq)]
pub struct Z2mEntity {
    pub entity_id: EntityId,
    pub domain: Domain,
    /// The expose it was made from: a specific one with its features, or one generic feature.
    pub expose: Expose,
}

/// Reads the retained `bridge/devices` payload.
pub fn parse_bridge_devices(payload: &str) -> Result<Vec<Z2mDevice>, MqttError> {
    serde_json::from_str(payload).map_err(|e| MqttError::Config {
        component: "zigbee2mqtt bridge/devices".into(),
        message: e.to_string(),
    })
}

/// What a message under the base topic is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Z2mTopic {
    BridgeDevices,
    BridgeState,
    /// A device's state, by friendly name (which may contain `/`).
    State(String),
    Availability(String),
    /// Anything else (other bridge topics, `/set` and `/get` requests).
    Other,
}

pub fn parse_topic(base: &str, topic: &str) -> Option<Z2mTopic> {
    let rest = topic.strip_prefix(base)?.strip_prefix('/')?;
    Some(match rest {
        "bridge/devices" => Z2mTopic::BridgeDevices,
        "bridge/state" => Z2mTopic::BridgeState,
        _ if rest.starts_with("bridge/") => Z2mTopic::Other,
        _ if rest.ends_with("/set") || rest.ends_with("/get") || rest.contains("/set/") => {
            Z2mTopic::Other
        }
        _ => match rest.strip_suffix("/availability") {
            Some(name) => Z2mTopic::Availability(name.to_owned()),
            None if rest.is_empty() => Z2mTopic::Other,
            None => Z2mTopic::State(rest.to_owned()),
        },
    })
}

/// An availability payload (`{"state": "online"}`, or the older plain `online`).
pub fn parse_availability(payload: &str) -> Option<bool> {
    let state = match serde_json::from_str::<Value>(payload) {
        Ok(Value::Object(object)) => object.get("state")?.as_str()?.to_owned(),
        _ => payload.trim().to_owned(),
    };
    match state.as_str() {
        "online" => Some(true),
        "offline" => Some(false),
        _ => None,
    }
}

const SPECIFIC: &[(&str, Domain)] = &[
    ("light", Domain::Light),
    ("switch", Domain::Switch),
    ("lock", Domain::Lock),
    ("cover", Domain::Cover),
    ("climate", Domain::Climate),
    ("fan", Domain::Fan),
];

impl Z2mDevice {
    /// Its entities: one per specific expose (an endpoint's suffix on its id), one per generic
    /// expose (named by its property). The coordinator, unsupported and disabled devices have
    /// none.
    pub fn entities(&self) -> Vec<Z2mEntity> {
        let Some(definition) = &self.definition else { return Vec::new() };
        if self.disabled || self.kind == "Coordinator" {
            return Vec::new();
        }
        let mut entities = Vec::new();
        for expose in &definition.exposes {
            let specific = SPECIFIC.iter().find(|(kind, _)| *kind == expose.kind);
            let (domain, name) = match specific {
                Some((_, domain)) => {
                    let endpoint = expose
                        .endpoint
                        .clone()
                        .or_else(|| expose.features.iter().find_map(|f| f.endpoint.clone()));
                    let name = match endpoint {
                        Some(endpoint) => format!("{} {endpoint}", self.friendly_name),
                        None => self.friendly_name.clone(),
                    };
                    (domain.clone(), name)
                }
                None => {
                    let Some(property) = expose.property_or_name() else { continue };
                    let settable = expose.settable();
                    let domain = match (expose.kind.as_str(), settable) {
                        ("binary", false) => Domain::BinarySensor,
                        ("binary", true) => Domain::Switch,
                        ("numeric" | "enum" | "text", false) => Domain::Sensor,
                        ("numeric", true) => Domain::Other("number".into()),
                        ("enum", true) => Domain::Other("select".into()),
                        ("text", true) => Domain::Other("text".into()),
                        _ => continue,
                    };
                    (domain, format!("{} {property}", self.friendly_name))
                }
            };
            let Ok(entity_id) = EntityId::parse(&format!("{}.{}", domain.as_str(), slugify(&name)))
            else {
                continue;
            };
            entities.push(Z2mEntity { entity_id, domain, expose: expose.clone() });
        }
        entities
    }

    pub fn state_topic(&self, base: &str) -> String {
        format!("{base}/{}", self.friendly_name)
    }

    pub fn set_topic(&self, base: &str) -> String {
        format!("{base}/{}/set", self.friendly_name)
    }
}

fn binary_state(feature: &Expose, value: &Value) -> Option<&'static str> {
    if feature.value_on.as_ref() == Some(value) {
        Some("on")
    } else if feature.value_off.as_ref() == Some(value) {
        Some("off")
    } else {
        None
    }
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "unknown".into(),
        other => other.to_string(),
    }
}

impl Z2mEntity {
    fn property(&self, name: &str) -> Option<&str> {
        self.expose.feature(name).and_then(Expose::property_or_name)
    }

    fn read<'a>(&self, payload: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
        payload.get(self.property(name)?)
    }

    /// Applies a device's state message (one JSON object) to this entity's state; `true`
    /// when something changed.
    pub fn apply_state(&self, state: &mut MqttState, payload: &Map<String, Value>) -> bool {
        let before = state.clone();
        let expose = &self.expose;
        match self.domain {
            Domain::Light | Domain::Switch | Domain::Fan
                if SPECIFIC.iter().any(|(k, _)| *k == expose.kind) =>
            {
                let state_name =
                    if expose.feature("state").is_some() { "state" } else { "fan_state" };
                if let (Some(feature), Some(value)) =
                    (expose.feature(state_name), self.read(payload, state_name))
                    && let Some(on) = binary_state(feature, value)
                {
                    state.state = Some(on.into());
                }
                if let (Some(feature), Some(b)) = (
                    expose.feature("brightness"),
                    self.read(payload, "brightness").and_then(Value::as_f64),
                ) {
                    let max = feature.value_max.unwrap_or(254.0).max(1.0);
                    state.attributes.insert(
                        "brightness".into(),
                        json!((b.clamp(0.0, max) * 255.0 / max).round() as u8),
                    );
                }
                if let Some(mired) =
                    self.read(payload, "color_temp").and_then(Value::as_f64).filter(|m| *m > 0.0)
                {
                    state.attributes.insert(
                        "color_temp_kelvin".into(),
                        json!((1_000_000.0 / mired).round() as u32),
                    );
                }
                let color =
                    self.read(payload, "color_xy").or_else(|| self.read(payload, "color_hs"));
                if let Some(color) = color {
                    let get = |k: &str| color.get(k).and_then(Value::as_f64);
                    if let (Some(x), Some(y)) = (get("x"), get("y")) {
                        state.attributes.insert("xy_color".into(), json!([x, y]));
                    }
                    if let (Some(h), Some(s)) = (get("hue"), get("saturation")) {
                        state.attributes.insert("hs_color".into(), json!([h, s]));
                    }
                }
                if let Some(mode) = payload.get("color_mode") {
                    state.attributes.insert("color_mode".into(), mode.clone());
                }
            }
            Domain::Lock => {
                if let (Some(feature), Some(value)) =
                    (expose.feature("state"), self.read(payload, "state"))
                {
                    match binary_state(feature, value) {
                        Some("on") => state.state = Some("locked".into()),
                        Some(_) => state.state = Some("unlocked".into()),
                        None => {}
                    }
                }
            }
            Domain::Cover => {
                if let Some(position) = self.read(payload, "position").and_then(Value::as_f64) {
                    let position = position.clamp(0.0, 100.0).round() as u8;
                    state.attributes.insert("current_position".into(), json!(position));
                    state.state = Some(if position == 0 { "closed" } else { "open" }.into());
                } else if let Some(value) = self.read(payload, "state").and_then(Value::as_str) {
                    match value {
                        "OPEN" => state.state = Some("open".into()),
                        "CLOSE" => state.state = Some("closed".into()),
                        _ => {}
                    }
                }
            }
            Domain::Climate => {
                if let Some(mode) = self.read(payload, "system_mode").and_then(Value::as_str) {
                    state.state = Some(mode.to_owned());
                }
                let setpoint = self
                    .read(payload, "occupied_heating_setpoint")
                    .or_else(|| self.read(payload, "current_heating_setpoint"))
                    .and_then(Value::as_f64);
                if let Some(t) = setpoint {
                    state.attributes.insert("temperature".into(), json!(t));
                }
                if let Some(t) = self.read(payload, "local_temperature").and_then(Value::as_f64) {
                    state.attributes.insert("current_temperature".into(), json!(t));
                }
            }
            _ => {
                // A generic expose: its one property.
                if let Some(value) = expose.property_or_name().and_then(|p| payload.get(p)) {
                    let text = match expose.kind.as_str() {
                        "binary" => binary_state(expose, value).map(str::to_owned),
                        _ => Some(as_text(value)),
                    };
                    if let Some(text) = text {
                        state.state = Some(text);
                    }
                    if let Some(unit) = &expose.unit {
                        state.attributes.insert("unit_of_measurement".into(), json!(unit));
                    }
                }
            }
        }
        *state != before
    }

    /// The `/set` message that carries out `command` on this entity of `device`.
    pub fn set_publication(
        &self,
        device: &Z2mDevice,
        base: &str,
        command: &Command,
    ) -> Result<Publication, MqttError> {
        command.check(&self.entity_id).map_err(|e| MqttError::Unsupported {
            entity: self.entity_id.to_string(),
            what: format!("do that: {e}"),
        })?;
        let cannot = |what: &str| MqttError::Unsupported {
            entity: self.entity_id.to_string(),
            what: what.to_owned(),
        };
        let expose = &self.expose;
        let generic = !SPECIFIC.iter().any(|(k, _)| *k == expose.kind);
        // The on/off feature: the generic expose itself, or the specific one's `state`.
        let switch = if generic {
            Some(expose)
        } else {
            expose.feature("state").or_else(|| expose.feature("fan_state"))
        };
        let settable =
            |feature: Option<&Expose>, what: &str| -> Result<(String, Expose), MqttError> {
                let feature = feature.filter(|f| f.settable()).ok_or_else(|| cannot(what))?;
                let property = feature.property_or_name().ok_or_else(|| cannot(what))?.to_owned();
                Ok((property, feature.clone()))
            };
        let value = |v: &Option<Value>, what: &str| v.clone().ok_or_else(|| cannot(what));
        let mut body = Map::new();
        match command {
            Command::TurnOn { brightness, rgb, color_temp_kelvin } => {
                let (property, feature) = settable(switch, "be turned on")?;
                body.insert(property, value(&feature.value_on, "be turned on")?);
                if let Some(brightness) = brightness {
                    let (property, feature) =
                        settable(expose.feature("brightness"), "take a brightness")?;
                    let max = feature.value_max.unwrap_or(254.0);
                    body.insert(
                        property,
                        json!((f64::from(brightness.level()) * max / 255.0).round() as u32),
                    );
                }
                if let Some([r, g, b]) = rgb {
                    let color = expose.feature("color_xy").or_else(|| expose.feature("color_hs"));
                    let (property, _) = settable(color, "take a colour")?;
                    body.insert(property, json!({"r": r, "g": g, "b": b}));
                }
                if let Some(kelvin) = color_temp_kelvin {
                    let (property, feature) =
                        settable(expose.feature("color_temp"), "take a colour temperature")?;
                    let mired = (1_000_000.0 / f64::from(*kelvin)).round();
                    let mired = mired.clamp(
                        feature.value_min.unwrap_or(mired),
                        feature.value_max.unwrap_or(mired),
                    );
                    body.insert(property, json!(mired as u32));
                }
            }
            Command::TurnOff => {
                let (property, feature) = settable(switch, "be turned off")?;
                body.insert(property, value(&feature.value_off, "be turned off")?);
            }
            Command::Toggle => {
                let (property, feature) = settable(switch, "be toggled")?;
                body.insert(property, value(&feature.value_toggle, "be toggled")?);
            }
            Command::Lock | Command::Unlock => {
                let (property, feature) =
                    settable(expose.feature("state"), "be locked or unlocked")?;
                let v =
                    if *command == Command::Lock { &feature.value_on } else { &feature.value_off };
                body.insert(property, value(v, "be locked or unlocked")?);
            }
            Command::OpenCover | Command::CloseCover | Command::StopCover => {
                let (property, feature) = settable(expose.feature("state"), "be opened or closed")?;
                let word = match command {
                    Command::OpenCover => "OPEN",
                    Command::CloseCover => "CLOSE",
                    _ => "STOP",
                };
                if !feature.values.is_empty() && !feature.values.iter().any(|v| v == word) {
                    return Err(cannot(&format!("take {word}")));
                }
                body.insert(property, json!(word));
            }
            Command::SetCoverPosition { position } => {
                let (property, _) = settable(expose.feature("position"), "be set to a position")?;
                body.insert(property, json!(position));
            }
            Command::SetTemperature { target: TargetTemperature::Single(t) } => {
                let feature = expose
                    .feature("occupied_heating_setpoint")
                    .or_else(|| expose.feature("current_heating_setpoint"));
                let (property, feature) = settable(feature, "take a target temperature")?;
                let (min, max) =
                    (feature.value_min.unwrap_or(f64::MIN), feature.value_max.unwrap_or(f64::MAX));
                if !(min..=max).contains(t) {
                    return Err(cannot(&format!("be set to {t}: it takes {min} to {max}")));
                }
                body.insert(property, json!(t));
            }
            Command::SetHvacMode { mode } => {
                let (property, feature) =
                    settable(expose.feature("system_mode"), "take an HVAC mode")?;
                if !feature.values.iter().any(|v| v == mode.as_str()) {
                    return Err(cannot(&format!(
                        "be set to {}: its modes are {}",
                        mode.as_str(),
                        feature.values.join(", ")
                    )));
                }
                body.insert(property, json!(mode.as_str()));
            }
            other => return Err(cannot(&format!("{} over Zigbee2MQTT", other.name()))),
        }
        Ok(Publication::new(device.set_topic(base), Value::Object(body).to_string(), false, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_under_the_base() {
        let parse = |t| parse_topic(DEFAULT_BASE, t);
        assert_eq!(parse("zigbee2mqtt/bridge/devices"), Some(Z2mTopic::BridgeDevices));
        assert_eq!(parse("zigbee2mqtt/bridge/state"), Some(Z2mTopic::BridgeState));
        assert_eq!(parse("zigbee2mqtt/bridge/logging"), Some(Z2mTopic::Other));
        assert_eq!(parse("zigbee2mqtt/living/lamp"), Some(Z2mTopic::State("living/lamp".into())));
        assert_eq!(
            parse("zigbee2mqtt/lamp/availability"),
            Some(Z2mTopic::Availability("lamp".into()))
        );
        assert_eq!(parse("zigbee2mqtt/lamp/set"), Some(Z2mTopic::Other));
        assert_eq!(parse("zigbee2mqtt/lamp/get"), Some(Z2mTopic::Other));
        assert_eq!(parse("homeassistant/light/x/config"), None);
        assert_eq!(parse("zigbee2mqttx/lamp"), None);
    }

    #[test]
    fn availability_in_both_shapes() {
        assert_eq!(parse_availability(r#"{"state":"online"}"#), Some(true));
        assert_eq!(parse_availability(r#"{"state":"offline"}"#), Some(false));
        assert_eq!(parse_availability("online"), Some(true));
        assert_eq!(parse_availability("offline"), Some(false));
        assert_eq!(parse_availability("maybe"), None);
    }
}
