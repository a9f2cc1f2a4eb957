//! An MQTT entity's state, as Home Assistant would show it, from the messages on its topics;
//! and whether it is available, from its availability topics.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::discovery::{Availability, AvailabilityMode, EntityConfig, Kind, LightSchema};
use super::message::MqttError;
use super::template::ValueTemplate;
use crate::entity::{EntityId, EntityState};

/// What is known of an entity from its messages: the state string (`None` until one came) and
/// attributes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MqttState {
    pub state: Option<String>,
    pub attributes: Map<String, Value>,
}

impl MqttState {
    /// As an [`EntityState`] written at `now`, given the one before it (whose `last_changed`
    /// stays when only attributes changed). `unavailable` when the entity is not available,
    /// `unknown` before any state came.
    pub fn to_entity_state(
        &self,
        entity_id: EntityId,
        available: bool,
        previous: Option<&EntityState>,
        now: DateTime<Utc>,
    ) -> EntityState {
        let state = if available {
            self.state.clone().unwrap_or_else(|| "unknown".to_owned())
        } else {
            "unavailable".to_owned()
        };
        let last_changed = match previous {
            Some(previous) if previous.state == state => previous.last_changed,
            _ => now,
        };
        EntityState {
            entity_id,
            state,
            attributes: self.attributes.clone(),
            last_changed,
            last_updated: now,
        }
    }
}

fn render(template: Option<&str>, payload: &str) -> Result<Option<String>, MqttError> {
    match template {
        Some(template) => ValueTemplate::parse(template)?.render(payload),
        None => Ok(Some(payload.to_owned())),
    }
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A 0-`scale` brightness as Home Assistant's 0-255.
fn to_255(value: f64, scale: u32) -> Value {
    let scale = f64::from(scale.max(1));
    json!((value.clamp(0.0, scale) * 255.0 / scale).round() as u8)
}

fn kelvin_from(value: f64, in_kelvin: bool) -> Option<Value> {
    if value <= 0.0 {
        return None;
    }
    Some(json!(if in_kelvin { value.round() as u32 } else { (1_000_000.0 / value).round() as u32 }))
}

impl EntityConfig {
    /// Applies one message on `topic` to the entity's state. `Ok(false)`: the topic is not one
    /// of this entity's state topics, or the message carries nothing for it. A payload that
    /// is none of the entity's states is an error (to log; the state stays).
    pub fn apply_message(
        &self,
        state: &mut MqttState,
        topic: &str,
        payload: &str,
    ) -> Result<bool, MqttError> {
        let before = state.clone();
        let common = &self.common;
        let is = |t: &Option<String>| t.as_deref() == Some(topic);
        let unexpected = || MqttError::UnexpectedPayload {
            entity: self.entity_id().to_string(),
            payload: payload.chars().take(80).collect(),
        };
        if is(&common.json_attributes_topic)
            && let Ok(Value::Object(attributes)) = serde_json::from_str::<Value>(payload)
        {
            state.attributes.extend(attributes);
        }
        match &self.kind {
            Kind::Light(light) if light.schema == LightSchema::Json => {
                if is(&common.state_topic) {
                    let json: Value = serde_json::from_str(payload)
                        .map_err(|_| MqttError::NotJson(payload.chars().take(80).collect()))?;
                    match json.get("state").and_then(Value::as_str) {
                        Some("ON") => state.state = Some("on".into()),
                        Some("OFF") => state.state = Some("off".into()),
                        Some("None") => state.state = None,
                        Some(_) => return Err(unexpected()),
                        None => {}
                    }
                    if let Some(b) = json.get("brightness").and_then(Value::as_f64) {
                        state
                            .attributes
                            .insert("brightness".into(), to_255(b, light.brightness_scale));
                    }
                    if let Some(color) = json.get("color") {
                        let get = |k: &str| color.get(k).and_then(Value::as_f64);
                        if let (Some(r), Some(g), Some(b)) = (get("r"), get("g"), get("b")) {
                            state
                                .attributes
                                .insert("rgb_color".into(), json!([r as u8, g as u8, b as u8]));
                        } else if let (Some(x), Some(y)) = (get("x"), get("y")) {
                            state.attributes.insert("xy_color".into(), json!([x, y]));
                        } else if let (Some(h), Some(s)) = (get("h"), get("s")) {
                            state.attributes.insert("hs_color".into(), json!([h, s]));
                        }
                    }
                    if let Some(k) = json
                        .get("color_temp")
                        .and_then(Value::as_f64)
                        .and_then(|t| kelvin_from(t, light.color_temp_kelvin))
                    {
                        state.attributes.insert("color_temp_kelvin".into(), k);
                    }
                    if let Some(mode) = json.get("color_mode") {
                        state.attributes.insert("color_mode".into(), mode.clone());
                    }
                }
            }
            Kind::Light(light) => {
                if is(&common.state_topic)
                    && let Some(value) = render(
                        light.state_value_template.as_deref().or(common.value_template.as_deref()),
                        payload,
                    )?
                {
                    state.state = if value == light.payload_on {
                        Some("on".into())
                    } else if value == light.payload_off {
                        Some("off".into())
                    } else if value == "None" {
                        None
                    } else {
                        return Err(unexpected());
                    };
                }
                if is(&light.brightness_state_topic)
                    && let Some(value) =
                        render(light.brightness_value_template.as_deref(), payload)?
                    && let Some(b) = number(&value)
                {
                    state.attributes.insert("brightness".into(), to_255(b, light.brightness_scale));
                }
                if is(&light.rgb_state_topic)
                    && let Some(value) = render(light.rgb_value_template.as_deref(), payload)?
                {
                    let parts: Vec<u8> =
                        value.split(',').filter_map(|p| p.trim().parse().ok()).collect();
                    if let [r, g, b] = parts[..] {
                        state.attributes.insert("rgb_color".into(), json!([r, g, b]));
                    }
                }
                if is(&light.color_temp_state_topic)
                    && let Some(value) =
                        render(light.color_temp_value_template.as_deref(), payload)?
                    && let Some(k) =
                        number(&value).and_then(|t| kelvin_from(t, light.color_temp_kelvin))
                {
                    state.attributes.insert("color_temp_kelvin".into(), k);
                }
            }
            Kind::Switch(switch) => {
                if is(&common.state_topic)
                    && let Some(value) = render(common.value_template.as_deref(), payload)?
                {
                    let on = switch.state_on.as_deref().unwrap_or(&switch.payload_on);
                    let off = switch.state_off.as_deref().unwrap_or(&switch.payload_off);
                    state.state = match value.as_str() {
                        v if v == on => Some("on".into()),
                        v if v == off => Some("off".into()),
                        "None" => None,
                        _ => return Err(unexpected()),
                    };
                }
            }
            Kind::Lock(lock) => {
                if is(&common.state_topic)
                    && let Some(value) = render(common.value_template.as_deref(), payload)?
                {
                    let states = [
                        (&lock.state_locked, "locked"),
                        (&lock.state_unlocked, "unlocked"),
                        (&lock.state_locking, "locking"),
                        (&lock.state_unlocking, "unlocking"),
                        (&lock.state_jammed, "jammed"),
                        (&lock.state_open, "open"),
                        (&lock.state_opening, "opening"),
                    ];
                    match states.iter().find(|(payload, _)| **payload == value) {
                        Some((_, ha)) => state.state = Some((*ha).to_owned()),
                        None if value == "None" => state.state = None,
                        None => return Err(unexpected()),
                    }
                }
            }
            Kind::Sensor(_) => {
                if is(&common.state_topic)
                    && let Some(value) = render(common.value_template.as_deref(), payload)?
                {
                    state.state = Some(if value.is_empty() || value == "None" {
                        "unknown".into()
                    } else {
                        value
                    });
                }
            }
            Kind::BinarySensor(sensor) => {
                if is(&common.state_topic)
                    && let Some(value) = render(common.value_template.as_deref(), payload)?
                {
                    state.state = match value.as_str() {
                        v if v == sensor.payload_on => Some("on".into()),
                        v if v == sensor.payload_off => Some("off".into()),
                        "None" | "" => None,
                        _ => return Err(unexpected()),
                    };
                }
            }
            Kind::Cover(cover) => {
                if is(&cover.position_topic)
                    && let Some(value) = render(cover.position_template.as_deref(), payload)?
                    && let Some(raw) = number(&value)
                {
                    let span = (cover.position_open - cover.position_closed) as f64;
                    let percent = if span == 0.0 {
                        0.0
                    } else {
                        ((raw - cover.position_closed as f64) * 100.0 / span).clamp(0.0, 100.0)
                    };
                    state
                        .attributes
                        .insert("current_position".into(), json!(percent.round() as u8));
                    if common.state_topic.is_none() {
                        state.state = Some(if percent <= 0.0 { "closed" } else { "open" }.into());
                    }
                }
                if is(&common.state_topic)
                    && let Some(value) = render(common.value_template.as_deref(), payload)?
                {
                    let closed_now =
                        state.attributes.get("current_position").and_then(Value::as_u64) == Some(0);
                    state.state = match value.as_str() {
                        v if v == cover.state_open => Some("open".into()),
                        v if v == cover.state_opening => Some("opening".into()),
                        v if v == cover.state_closed => Some("closed".into()),
                        v if v == cover.state_closing => Some("closing".into()),
                        v if v == cover.state_stopped => {
                            Some(if closed_now { "closed" } else { "open" }.into())
                        }
                        "None" | "" => None,
                        _ => return Err(unexpected()),
                    };
                }
            }
            Kind::AlarmControlPanel(_) => {
                if is(&common.state_topic)
                    && let Some(value) = render(common.value_template.as_deref(), payload)?
                {
                    const STATES: &[&str] = &[
                        "disarmed",
                        "armed_home",
                        "armed_away",
                        "armed_night",
                        "armed_vacation",
                        "armed_custom_bypass",
                        "pending",
                        "triggered",
                        "arming",
                        "disarming",
                    ];
                    match value.as_str() {
                        v if STATES.contains(&v) => state.state = Some(value),
                        "None" => state.state = None,
                        _ => return Err(unexpected()),
                    }
                }
            }
            Kind::Climate(climate) => {
                if is(&climate.mode_state_topic)
                    && let Some(value) = render(climate.mode_state_template.as_deref(), payload)?
                {
                    if !climate.modes.contains(&value) {
                        return Err(unexpected());
                    }
                    state.state = Some(value);
                }
                if is(&climate.temperature_state_topic)
                    && let Some(value) =
                        render(climate.temperature_state_template.as_deref(), payload)?
                    && let Some(t) = number(&value)
                {
                    state.attributes.insert("temperature".into(), json!(t));
                }
                if is(&climate.current_temperature_topic)
                    && let Some(value) =
                        render(climate.current_temperature_template.as_deref(), payload)?
                    && let Some(t) = number(&value)
                {
                    state.attributes.insert("current_temperature".into(), json!(t));
                }
            }
        }
        if let Some(class) = &common.device_class {
            state.attributes.entry("device_class").or_insert_with(|| json!(class));
        }
        Ok(*state != before)
    }
}

/// What the availability topics last said, topic by topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AvailabilityTracker {
    topics: BTreeMap<String, bool>,
    latest: Option<bool>,
}

impl AvailabilityTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes a message on `topic`; `Ok(true)` when it was an availability payload for this
    /// entity. Payloads that are neither of the topic's payloads change nothing.
    pub fn update(
        &mut self,
        availability: &Availability,
        topic: &str,
        payload: &str,
    ) -> Result<bool, MqttError> {
        let mut handled = false;
        for entry in availability.topics.iter().filter(|t| t.topic == topic) {
            let Some(value) = render(entry.value_template.as_deref(), payload)? else { continue };
            let available = if value == entry.payload_available {
                true
            } else if value == entry.payload_not_available {
                false
            } else {
                continue;
            };
            self.topics.insert(topic.to_owned(), available);
            self.latest = Some(available);
            handled = true;
        }
        Ok(handled)
    }

    /// Whether none of the entity's availability topics has said anything yet (as on a link
    /// that has just subscribed and waits for the broker's retained messages): it is then
    /// unavailable for want of news, not because the device said it is away.
    pub fn unheard(&self, availability: &Availability) -> bool {
        !availability.topics.is_empty()
            && availability.topics.iter().all(|t| !self.topics.contains_key(&t.topic))
    }

    /// Whether the entity is available: always, with no availability topics; otherwise not
    /// until its topics say so, by the availability mode.
    pub fn is_available(&self, availability: &Availability) -> bool {
        if availability.topics.is_empty() {
            return true;
        }
        let said = |topic: &str| self.topics.get(topic).copied().unwrap_or(false);
        match availability.mode {
            AvailabilityMode::All => availability.topics.iter().all(|t| said(&t.topic)),
            AvailabilityMode::Any => availability.topics.iter().any(|t| said(&t.topic)),
            AvailabilityMode::Latest => self.latest.unwrap_or(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::mqtt::discovery::{AvailabilityTopic, DEFAULT_PREFIX, Discovery, parse_discovery};

    fn config(topic: &str, payload: Value) -> EntityConfig {
        match parse_discovery(DEFAULT_PREFIX, topic, payload.to_string().as_bytes())
            .expect("parses")
        {
            Discovery::Config(config) => *config,
            Discovery::Removed(_) => panic!("not a removal"),
        }
    }

    fn apply(config: &EntityConfig, state: &mut MqttState, topic: &str, payload: &str) -> bool {
        config.apply_message(state, topic, payload).expect("applies")
    }

    #[test]
    fn a_default_schema_light_reads_each_topic() {
        let light = config(
            "homeassistant/light/kitchen/config",
            json!({"cmd_t": "k/set", "stat_t": "k/state", "bri_stat_t": "k/bri", "bri_cmd_t": "k/bri/set", "bri_scl": 100, "rgb_stat_t": "k/rgb", "clr_temp_stat_t": "k/ct"}),
        );
        let mut state = MqttState::default();
        assert!(apply(&light, &mut state, "k/state", "ON"));
        assert!(apply(&light, &mut state, "k/bri", "50"));
        assert!(apply(&light, &mut state, "k/rgb", "255,0,10"));
        assert!(apply(&light, &mut state, "k/ct", "370"));
        assert!(!apply(&light, &mut state, "other/topic", "OFF"));
        assert!(!apply(&light, &mut state, "k/state", "ON"), "nothing new");
        assert_eq!(state.state.as_deref(), Some("on"));
        assert_eq!(state.attributes["brightness"], json!(128));
        assert_eq!(state.attributes["rgb_color"], json!([255, 0, 10]));
        assert_eq!(state.attributes["color_temp_kelvin"], json!(2703));
        let error = light.apply_message(&mut state, "k/state", "BLINK").expect_err("not a state");
        assert_eq!(error.to_string(), "light.kitchen sent \"BLINK\", which is none of its states");
        assert_eq!(state.state.as_deref(), Some("on"));
    }

    #[test]
    fn value_templates_pick_the_value_from_json_state() {
        let switch = config(
            "homeassistant/switch/plug/config",
            json!({"stat_t": "tele/plug/STATE", "cmd_t": "cmnd/plug/POWER", "val_tpl": "{{value_json.POWER}}"}),
        );
        let mut state = MqttState::default();
        assert!(apply(
            &switch,
            &mut state,
            "tele/plug/STATE",
            r#"{"POWER": "OFF", "Uptime": "1T"}"#
        ));
        assert_eq!(state.state.as_deref(), Some("off"));
        assert!(!apply(&switch, &mut state, "tele/plug/STATE", r#"{"Uptime": "2T"}"#));
        assert_eq!(state.state.as_deref(), Some("off"));
    }

    #[test]
    fn locks_covers_alarms_and_climates_map_to_home_assistant_states() {
        let lock = config(
            "homeassistant/lock/door/config",
            json!({"cmd_t": "d/set", "stat_t": "d/state"}),
        );
        let mut state = MqttState::default();
        for (payload, ha) in
            [("LOCKED", "locked"), ("UNLOCKED", "unlocked"), ("JAMMED", "jammed"), ("OPEN", "open")]
        {
            apply(&lock, &mut state, "d/state", payload);
            assert_eq!(state.state.as_deref(), Some(ha));
        }

        let cover = config(
            "homeassistant/cover/garage/config",
            json!({"cmd_t": "g/set", "stat_t": "g/state", "pos_t": "g/pos", "dev_cla": "garage", "pos_open": 255, "pos_clsd": 0}),
        );
        let mut state = MqttState::default();
        apply(&cover, &mut state, "g/state", "opening");
        assert_eq!(state.state.as_deref(), Some("opening"));
        apply(&cover, &mut state, "g/pos", "255");
        assert_eq!(state.attributes["current_position"], json!(100));
        assert_eq!(state.attributes["device_class"], json!("garage"));
        apply(&cover, &mut state, "g/pos", "0");
        apply(&cover, &mut state, "g/state", "stopped");
        assert_eq!(state.state.as_deref(), Some("closed"));

        let alarm = config(
            "homeassistant/alarm_control_panel/a/config",
            json!({"cmd_t": "a/set", "stat_t": "a/state"}),
        );
        let mut state = MqttState::default();
        apply(&alarm, &mut state, "a/state", "armed_away");
        assert_eq!(state.state.as_deref(), Some("armed_away"));
        assert!(alarm.apply_message(&mut state, "a/state", "ARMED").is_err());

        let climate = config(
            "homeassistant/climate/hall/config",
            json!({"mode_stat_t": "h/mode", "mode_cmd_t": "h/mode/set", "temp_stat_t": "h/target", "temp_cmd_t": "h/target/set", "curr_temp_t": "h/current", "curr_temp_tpl": "{{ value_json.t }}"}),
        );
        let mut state = MqttState::default();
        apply(&climate, &mut state, "h/mode", "heat");
        apply(&climate, &mut state, "h/target", "21.5");
        apply(&climate, &mut state, "h/current", r#"{"t": 19.25}"#);
        assert_eq!(state.state.as_deref(), Some("heat"));
        assert_eq!(state.attributes["temperature"], json!(21.5));
        assert_eq!(state.attributes["current_temperature"], json!(19.25));
        assert!(climate.apply_message(&mut state, "h/mode", "turbo").is_err());
    }

    #[test]
    fn json_attributes_are_merged() {
        let sensor = config(
            "homeassistant/sensor/t/config",
            json!({"stat_t": "t/state", "json_attr_t": "t/attrs", "unit_of_meas": "°C"}),
        );
        let mut state = MqttState::default();
        apply(&sensor, &mut state, "t/state", "21.5");
        apply(&sensor, &mut state, "t/attrs", r#"{"battery": 90}"#);
        assert_eq!(state.state.as_deref(), Some("21.5"));
        assert_eq!(state.attributes["battery"], json!(90));
    }

    #[test]
    fn entity_states_keep_last_changed_for_attribute_updates() {
        let at = |s| Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, s).single().expect("time");
        let id = EntityId::parse("sensor.t").expect("id");
        let mut state = MqttState { state: Some("1".into()), attributes: Map::new() };
        let first = state.to_entity_state(id.clone(), true, None, at(0));
        state.attributes.insert("battery".into(), json!(3));
        let second = state.to_entity_state(id.clone(), true, Some(&first), at(5));
        assert_eq!(second.last_changed, at(0));
        assert_eq!(second.last_updated, at(5));
        let gone = state.to_entity_state(id.clone(), false, Some(&second), at(9));
        assert_eq!(gone.state, "unavailable");
        assert_eq!(gone.last_changed, at(9));
        let unknown = MqttState::default().to_entity_state(id, true, None, at(0));
        assert_eq!(unknown.state, "unknown");
    }

    fn availability(mode: AvailabilityMode) -> Availability {
        let topic = |t: &str| AvailabilityTopic {
            topic: t.into(),
            payload_available: "online".into(),
            payload_not_available: "offline".into(),
            value_template: None,
        };
        Availability { topics: vec![topic("a"), topic("b")], mode }
    }

    #[test]
    fn availability_modes_combine_topics() {
        let mut all = AvailabilityTracker::new();
        let config = availability(AvailabilityMode::All);
        assert!(!all.is_available(&config), "unavailable until told");
        all.update(&config, "a", "online").expect("ok");
        assert!(!all.is_available(&config));
        all.update(&config, "b", "online").expect("ok");
        assert!(all.is_available(&config));
        all.update(&config, "a", "offline").expect("ok");
        assert!(!all.is_available(&config));

        let config = availability(AvailabilityMode::Any);
        let mut any = AvailabilityTracker::new();
        any.update(&config, "a", "offline").expect("ok");
        any.update(&config, "b", "online").expect("ok");
        assert!(any.is_available(&config));

        let config = availability(AvailabilityMode::Latest);
        let mut latest = AvailabilityTracker::new();
        latest.update(&config, "a", "online").expect("ok");
        latest.update(&config, "b", "offline").expect("ok");
        assert!(!latest.is_available(&config));
        assert!(!latest.update(&config, "b", "maybe").expect("ok"), "not an availability payload");
        assert!(!latest.update(&config, "c", "online").expect("ok"), "not its topic");
        assert!(!latest.is_available(&config));
        assert!(AvailabilityTracker::new().is_available(&Availability::default()));
    }

    proptest! {
        #[test]
        fn latest_is_the_last_message(messages in proptest::collection::vec((0usize..2, any::<bool>()), 1..20)) {
            let config = availability(AvailabilityMode::Latest);
            let mut tracker = AvailabilityTracker::new();
            for (topic, up) in &messages {
                tracker.update(&config, ["a", "b"][*topic], if *up { "online" } else { "offline" }).expect("ok");
            }
            prop_assert_eq!(tracker.is_available(&config), messages.last().map(|m| m.1).unwrap_or(false));
        }

        #[test]
        fn brightness_scales_into_0_255(value in 0u32..=1000, scale in 1u32..=1000) {
            let scaled = to_255(f64::from(value), scale).as_u64().expect("a number");
            prop_assert!(scaled <= 255);
            if value >= scale { prop_assert_eq!(scaled, 255); }
            if value == 0 { prop_assert_eq!(scaled, 0); }
        }
    }
}
