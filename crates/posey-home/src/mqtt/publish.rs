//! The MQTT messages that carry out a [`Command`] on a discovered entity, as Home Assistant
//! would publish them: topics, payloads and the retain flag from the entity's configuration.

use serde_json::{Map, Value, json};

use super::discovery::{AlarmConfig, EntityConfig, Kind, LightConfig, LightSchema, OnCommandType};
use super::message::{MqttError, Publication};
use super::template::{CommandTemplate, python_float};
use crate::command::{AlarmMode, Command, TargetTemperature};
use crate::secret::Secret;

impl EntityConfig {
    /// The messages that carry out `command`, in the order to publish them. `Toggle` must be
    /// resolved first ([`Command::resolve_toggle`]): MQTT devices have no toggle.
    pub fn publications(&self, command: &Command) -> Result<Vec<Publication>, MqttError> {
        let entity_id = self.entity_id();
        command.check(&entity_id).map_err(|e| MqttError::Unsupported {
            entity: entity_id.to_string(),
            what: format!("do that: {e}"),
        })?;
        let cannot = |what: &str| MqttError::Unsupported {
            entity: entity_id.to_string(),
            what: what.to_owned(),
        };
        let common = &self.common;
        let publish = |topic: &str, payload: String| {
            Publication::new(topic, payload, common.retain, common.qos)
        };
        let command_topic = || {
            common
                .command_topic
                .as_deref()
                .ok_or_else(|| cannot("take commands: it has no command topic"))
        };
        let templated = |template: Option<&str>, value: &str| -> Result<String, MqttError> {
            Ok(match template {
                Some(template) => CommandTemplate::parse(template)?.render(value, "", ""),
                None => value.to_owned(),
            })
        };
        match (&self.kind, command) {
            (_, Command::Toggle) => {
                Err(cannot("toggle: resolve it to on or off from its state first"))
            }
            (Kind::Light(light), _) => {
                light_publications(light, command, command_topic()?, &publish, &cannot)
            }
            (Kind::Switch(switch), Command::TurnOn { .. }) => Ok(vec![publish(
                command_topic()?,
                templated(common.command_template.as_deref(), &switch.payload_on)?,
            )]),
            (Kind::Switch(switch), Command::TurnOff) => Ok(vec![publish(
                command_topic()?,
                templated(common.command_template.as_deref(), &switch.payload_off)?,
            )]),
            (Kind::Lock(lock), Command::Lock | Command::Unlock | Command::Open) => {
                let payload = match command {
                    Command::Lock => &lock.payload_lock,
                    Command::Unlock => &lock.payload_unlock,
                    _ => lock
                        .payload_open
                        .as_ref()
                        .ok_or_else(|| cannot("open: it has no payload_open"))?,
                };
                Ok(vec![publish(
                    command_topic()?,
                    templated(common.command_template.as_deref(), payload)?,
                )])
            }
            (Kind::Cover(cover), Command::OpenCover | Command::CloseCover | Command::StopCover) => {
                let payload = match command {
                    Command::OpenCover => &cover.payload_open,
                    Command::CloseCover => &cover.payload_close,
                    _ => &cover.payload_stop,
                };
                Ok(vec![publish(command_topic()?, payload.clone())])
            }
            (Kind::Cover(cover), Command::SetCoverPosition { position }) => {
                let topic = cover
                    .set_position_topic
                    .as_deref()
                    .ok_or_else(|| cannot("be set to a position"))?;
                let span = (cover.position_open - cover.position_closed) as f64;
                let raw = cover.position_closed as f64 + span * f64::from(*position) / 100.0;
                let value = format!("{}", raw.round() as i64);
                Ok(vec![publish(topic, templated(cover.set_position_template.as_deref(), &value)?)])
            }
            (Kind::AlarmControlPanel(alarm), Command::AlarmArm { mode, code }) => {
                let payload = match mode {
                    AlarmMode::Home => &alarm.payload_arm_home,
                    AlarmMode::Away => &alarm.payload_arm_away,
                    AlarmMode::Night => &alarm.payload_arm_night,
                    AlarmMode::Vacation => &alarm.payload_arm_vacation,
                };
                alarm_publication(
                    alarm,
                    payload,
                    code.as_ref(),
                    alarm.code_arm_required,
                    command_topic()?,
                    &publish,
                )
            }
            (Kind::AlarmControlPanel(alarm), Command::AlarmDisarm { code }) => alarm_publication(
                alarm,
                &alarm.payload_disarm,
                code.as_ref(),
                alarm.code_disarm_required,
                command_topic()?,
                &publish,
            ),
            (Kind::Climate(climate), Command::SetTemperature { target }) => {
                let topic = climate
                    .temperature_command_topic
                    .as_deref()
                    .ok_or_else(|| cannot("take a target temperature"))?;
                let TargetTemperature::Single(celsius) = *target else {
                    return Err(cannot(
                        "take a temperature range: only a single target is supported over MQTT",
                    ));
                };
                let value = if climate.fahrenheit() { celsius * 9.0 / 5.0 + 32.0 } else { celsius };
                let (min, max) = climate.range();
                if !(min..=max).contains(&value) {
                    return Err(cannot(&format!("be set to {value}: it takes {min} to {max}")));
                }
                let value = python_float((value * 10.0).round() / 10.0);
                Ok(vec![publish(
                    topic,
                    templated(climate.temperature_command_template.as_deref(), &value)?,
                )])
            }
            (Kind::Climate(climate), Command::SetHvacMode { mode }) => {
                let topic = climate
                    .mode_command_topic
                    .as_deref()
                    .ok_or_else(|| cannot("take an HVAC mode"))?;
                if !climate.modes.iter().any(|m| m == mode.as_str()) {
                    return Err(cannot(&format!(
                        "be set to {}: its modes are {}",
                        mode.as_str(),
                        climate.modes.join(", ")
                    )));
                }
                Ok(vec![publish(
                    topic,
                    templated(climate.mode_command_template.as_deref(), mode.as_str())?,
                )])
            }
            _ => Err(cannot(&format!("{} over MQTT", command.name()))),
        }
    }
}

impl EntityConfig {
    /// Whether the entity is optimistic, as Home Assistant decides it: asked to be, or with no
    /// topic that reports its state. An optimistic entity's state is what it was last told.
    pub fn is_optimistic(&self) -> bool {
        if self.common.optimistic == Some(true) {
            return true;
        }
        let reported = match &self.kind {
            Kind::Cover(cover) => {
                self.common.state_topic.is_some() || cover.position_topic.is_some()
            }
            Kind::Climate(climate) => climate.mode_state_topic.is_some(),
            Kind::Sensor(_) | Kind::BinarySensor(_) | Kind::AlarmControlPanel(_) => true,
            _ => self.common.state_topic.is_some(),
        };
        !reported
    }

    /// The state an optimistic entity takes once `command` is published; `None` when the
    /// entity reports its own state or the command sets none.
    pub fn assumed_state(&self, command: &Command) -> Option<&'static str> {
        if !self.is_optimistic() {
            return None;
        }
        Some(match (&self.kind, command) {
            (Kind::Light(_) | Kind::Switch(_), Command::TurnOn { .. }) => "on",
            (Kind::Light(_) | Kind::Switch(_), Command::TurnOff) => "off",
            (Kind::Lock(_), Command::Lock) => "locked",
            (Kind::Lock(_), Command::Unlock) => "unlocked",
            (Kind::Lock(_), Command::Open) => "open",
            (Kind::Cover(_), Command::OpenCover) => "open",
            (Kind::Cover(_), Command::CloseCover) => "closed",
            (Kind::Cover(_), Command::SetCoverPosition { position: 0 }) => "closed",
            (Kind::Cover(_), Command::SetCoverPosition { .. }) => "open",
            (Kind::Climate(_), Command::SetHvacMode { mode }) => mode.as_str(),
            _ => return None,
        })
    }
}

fn light_publications(
    light: &LightConfig,
    command: &Command,
    command_topic: &str,
    publish: &dyn Fn(&str, String) -> Publication,
    cannot: &dyn Fn(&str) -> MqttError,
) -> Result<Vec<Publication>, MqttError> {
    let (brightness, rgb, kelvin) = match command {
        Command::TurnOn { brightness, rgb, color_temp_kelvin } => {
            (*brightness, *rgb, *color_temp_kelvin)
        }
        Command::TurnOff => {
            let payload = match light.schema {
                LightSchema::Json => json!({"state": "OFF"}).to_string(),
                _ => light.payload_off.clone(),
            };
            return Ok(vec![publish(command_topic, payload)]);
        }
        _ => return Err(cannot("do that: a light turns on and off")),
    };
    if brightness.is_some() && !light.has_brightness() {
        return Err(cannot("take a brightness"));
    }
    if rgb.is_some() && !light.has_rgb() {
        return Err(cannot("take a colour"));
    }
    if kelvin.is_some() && !light.has_color_temp() {
        return Err(cannot("take a colour temperature"));
    }
    let scaled = brightness.map(|b| {
        let scale = f64::from(light.brightness_scale.max(1));
        (f64::from(b.level()) * scale / 255.0).round() as u32
    });
    let temperature = kelvin.map(|k| {
        if light.color_temp_kelvin {
            u32::from(k)
        } else {
            (1_000_000.0 / f64::from(k)).round() as u32
        }
    });
    if light.schema == LightSchema::Json {
        let mut body = Map::new();
        body.insert("state".into(), json!("ON"));
        if let Some(b) = scaled {
            body.insert("brightness".into(), json!(b));
        }
        if let Some([r, g, b]) = rgb {
            body.insert("color".into(), json!({"r": r, "g": g, "b": b}));
        }
        if let Some(t) = temperature {
            body.insert("color_temp".into(), json!(t));
        }
        return Ok(vec![publish(command_topic, Value::Object(body).to_string())]);
    }
    let render = |template: &Option<String>, value: String| -> Result<String, MqttError> {
        Ok(match template {
            Some(template) => CommandTemplate::parse(template)?.render(&value, "", ""),
            None => value,
        })
    };
    let mut values = Vec::new();
    if let (Some(b), Some(topic)) = (scaled, &light.brightness_command_topic) {
        values.push(publish(topic, render(&light.brightness_command_template, b.to_string())?));
    }
    if let (Some([r, g, b]), Some(topic)) = (rgb, &light.rgb_command_topic) {
        values.push(publish(topic, render(&light.rgb_command_template, format!("{r},{g},{b}"))?));
    }
    if let (Some(t), Some(topic)) = (temperature, &light.color_temp_command_topic) {
        values.push(publish(topic, render(&light.color_temp_command_template, t.to_string())?));
    }
    let on = publish(command_topic, light.payload_on.clone());
    Ok(match light.on_command_type {
        OnCommandType::Last => values.into_iter().chain([on]).collect(),
        OnCommandType::First => [on].into_iter().chain(values).collect(),
        OnCommandType::Brightness if scaled.is_some() => values,
        OnCommandType::Brightness => values.into_iter().chain([on]).collect(),
    })
}

/// An alarm command, with the code checked as Home Assistant checks it: a panel with a fixed
/// code takes only that code; `REMOTE_CODE` passes the given one on; a required code must be
/// given. A payload that carries the code is sensitive.
fn alarm_publication(
    alarm: &AlarmConfig,
    action: &str,
    code: Option<&Secret>,
    required: bool,
    topic: &str,
    publish: &dyn Fn(&str, String) -> Publication,
) -> Result<Vec<Publication>, MqttError> {
    match alarm.code.as_ref().map(Secret::expose) {
        None => {}
        Some("REMOTE_CODE" | "REMOTE_CODE_TEXT")
            if required && code.is_none_or(Secret::is_empty) =>
        {
            return Err(MqttError::CodeRequired);
        }
        Some("REMOTE_CODE" | "REMOTE_CODE_TEXT") => {}
        Some(fixed) if required => match code {
            None => return Err(MqttError::CodeRequired),
            Some(given) if given.expose() != fixed => return Err(MqttError::WrongCode),
            Some(_) => {}
        },
        Some(_) => {}
    }
    let template = CommandTemplate::parse(&alarm.action_template)?;
    let payload = template.render("", action, code.map(Secret::expose).unwrap_or(""));
    let mut publication = publish(topic, payload);
    publication.sensitive = template.uses_code();
    Ok(vec![publication])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Brightness, HvacMode};
    use crate::mqtt::discovery::{DEFAULT_PREFIX, Discovery, parse_discovery};

    fn config(topic: &str, payload: Value) -> EntityConfig {
        match parse_discovery(DEFAULT_PREFIX, topic, payload.to_string().as_bytes())
            .expect("parses")
        {
            Discovery::Config(config) => *config,
            Discovery::Removed(_) => panic!("not a removal"),
        }
    }

    fn on(brightness: Option<Brightness>, rgb: Option<[u8; 3]>, kelvin: Option<u16>) -> Command {
        Command::TurnOn { brightness, rgb, color_temp_kelvin: kelvin }
    }

    fn pairs(publications: &[Publication]) -> Vec<(&str, &str)> {
        publications.iter().map(|p| (p.topic.as_str(), p.payload.as_str())).collect()
    }

    #[test]
    fn a_default_schema_light_sends_values_then_on() {
        let light = config(
            "homeassistant/light/k/config",
            json!({"cmd_t": "k/set", "bri_cmd_t": "k/bri/set", "bri_scl": 100, "rgb_cmd_t": "k/rgb/set", "clr_temp_cmd_t": "k/ct/set", "ret": true}),
        );
        let published = light
            .publications(&on(Some(Brightness::Level(255)), Some([1, 2, 3]), Some(4000)))
            .expect("ok");
        assert_eq!(
            pairs(&published),
            vec![
                ("k/bri/set", "100"),
                ("k/rgb/set", "1,2,3"),
                ("k/ct/set", "250"),
                ("k/set", "ON")
            ]
        );
        assert!(published.iter().all(|p| p.retain));
        assert_eq!(
            pairs(&light.publications(&Command::TurnOff).expect("ok")),
            vec![("k/set", "OFF")]
        );
        let first = config(
            "homeassistant/light/k/config",
            json!({"cmd_t": "k/set", "bri_cmd_t": "k/b", "on_cmd_type": "first"}),
        );
        assert_eq!(
            pairs(&first.publications(&on(Some(Brightness::Percent(50)), None, None)).expect("ok")),
            vec![("k/set", "ON"), ("k/b", "128")]
        );
        let brightness_only = config(
            "homeassistant/light/k/config",
            json!({"cmd_t": "k/set", "bri_cmd_t": "k/b", "on_cmd_type": "brightness"}),
        );
        assert_eq!(
            pairs(
                &brightness_only
                    .publications(&on(Some(Brightness::Level(10)), None, None))
                    .expect("ok")
            ),
            vec![("k/b", "10")]
        );
    }

    #[test]
    fn a_light_without_a_feature_says_so() {
        let plain = config("homeassistant/light/k/config", json!({"cmd_t": "k/set"}));
        let error = plain
            .publications(&on(Some(Brightness::Level(3)), None, None))
            .expect_err("no brightness");
        assert_eq!(error.to_string(), "light.k cannot take a brightness");
        assert!(plain.publications(&on(None, Some([1, 1, 1]), None)).is_err());
        assert!(plain.publications(&Command::Toggle).is_err());
    }

    #[test]
    fn a_json_schema_light_sends_one_message() {
        let light = config(
            "homeassistant/light/j/config",
            json!({"schema": "json", "cmd_t": "j/set", "sup_clrm": ["rgb", "color_temp"], "brightness": true}),
        );
        let published = light
            .publications(&on(Some(Brightness::Level(200)), Some([255, 0, 0]), Some(2500)))
            .expect("ok");
        assert_eq!(published.len(), 1);
        let body: Value = serde_json::from_str(&published[0].payload).expect("json");
        assert_eq!(
            body,
            json!({"state": "ON", "brightness": 200, "color": {"r": 255, "g": 0, "b": 0}, "color_temp": 400})
        );
        let off = light.publications(&Command::TurnOff).expect("ok");
        assert_eq!(
            serde_json::from_str::<Value>(&off[0].payload).expect("json"),
            json!({"state": "OFF"})
        );
    }

    #[test]
    fn switches_locks_and_covers_send_their_payloads() {
        let switch = config(
            "homeassistant/switch/s/config",
            json!({"cmd_t": "s/set", "pl_on": "1", "pl_off": "0"}),
        );
        assert_eq!(
            pairs(&switch.publications(&on(None, None, None)).expect("ok")),
            vec![("s/set", "1")]
        );
        assert_eq!(
            pairs(&switch.publications(&Command::TurnOff).expect("ok")),
            vec![("s/set", "0")]
        );

        let lock = config("homeassistant/lock/l/config", json!({"cmd_t": "l/set"}));
        assert_eq!(
            pairs(&lock.publications(&Command::Unlock).expect("ok")),
            vec![("l/set", "UNLOCK")]
        );
        assert_eq!(pairs(&lock.publications(&Command::Lock).expect("ok")), vec![("l/set", "LOCK")]);
        assert_eq!(
            lock.publications(&Command::Open).expect_err("no open").to_string(),
            "lock.l cannot open: it has no payload_open"
        );
        let latch = config(
            "homeassistant/lock/l/config",
            json!({"cmd_t": "l/set", "pl_open": "UNLATCH", "cmd_tpl": "{\"do\": \"{{ value }}\"}"}),
        );
        assert_eq!(
            pairs(&latch.publications(&Command::Open).expect("ok")),
            vec![("l/set", r#"{"do": "UNLATCH"}"#)]
        );

        let cover = config(
            "homeassistant/cover/c/config",
            json!({"cmd_t": "c/set", "set_pos_t": "c/pos/set", "pos_open": 255, "pos_clsd": 0}),
        );
        assert_eq!(
            pairs(&cover.publications(&Command::OpenCover).expect("ok")),
            vec![("c/set", "OPEN")]
        );
        assert_eq!(
            pairs(&cover.publications(&Command::StopCover).expect("ok")),
            vec![("c/set", "STOP")]
        );
        assert_eq!(
            pairs(&cover.publications(&Command::SetCoverPosition { position: 50 }).expect("ok")),
            vec![("c/pos/set", "128")]
        );
        let error = switch.publications(&Command::Unlock).expect_err("a switch does not unlock");
        assert!(error.to_string().starts_with("switch.s cannot do that"), "{error}");
    }

    #[test]
    fn alarm_codes_are_checked_and_hidden() {
        let fixed = config(
            "homeassistant/alarm_control_panel/a/config",
            json!({"cmd_t": "a/set", "stat_t": "a/state", "code": "1234"}),
        );
        let arm = |code: Option<&str>| Command::AlarmArm {
            mode: AlarmMode::Away,
            code: code.map(Secret::new),
        };
        assert_eq!(
            pairs(&fixed.publications(&arm(Some("1234"))).expect("ok")),
            vec![("a/set", "ARM_AWAY")]
        );
        assert_eq!(fixed.publications(&arm(Some("0000"))), Err(MqttError::WrongCode));
        assert_eq!(fixed.publications(&arm(None)), Err(MqttError::CodeRequired));

        let remote = config(
            "homeassistant/alarm_control_panel/a/config",
            json!({"cmd_t": "a/set", "stat_t": "a/state", "code": "REMOTE_CODE", "cmd_tpl": "{\"action\": \"{{ action }}\", \"code\": \"{{ code }}\"}"}),
        );
        let disarm = Command::AlarmDisarm { code: Some(Secret::new("9876")) };
        let published = remote.publications(&disarm).expect("ok");
        assert_eq!(published[0].payload, r#"{"action": "DISARM", "code": "9876"}"#);
        assert!(published[0].sensitive);
        assert!(!format!("{published:?}").contains("9876"));
        assert_eq!(
            remote.publications(&Command::AlarmDisarm { code: None }),
            Err(MqttError::CodeRequired)
        );

        let open = config(
            "homeassistant/alarm_control_panel/a/config",
            json!({"cmd_t": "a/set", "stat_t": "a/state"}),
        );
        assert_eq!(
            pairs(&open.publications(&Command::AlarmDisarm { code: None }).expect("ok")),
            vec![("a/set", "DISARM")]
        );
    }

    #[test]
    fn climates_take_temperatures_in_range_and_known_modes() {
        let climate = config(
            "homeassistant/climate/h/config",
            json!({"temp_cmd_t": "h/t/set", "mode_cmd_t": "h/m/set", "modes": ["off", "heat"]}),
        );
        let set = |t| Command::SetTemperature { target: TargetTemperature::Single(t) };
        assert_eq!(
            pairs(&climate.publications(&set(21.0)).expect("ok")),
            vec![("h/t/set", "21.0")]
        );
        assert_eq!(
            pairs(&climate.publications(&set(21.55)).expect("ok")),
            vec![("h/t/set", "21.6")]
        );
        assert!(climate.publications(&set(40.0)).is_err());
        assert_eq!(
            pairs(
                &climate.publications(&Command::SetHvacMode { mode: HvacMode::Heat }).expect("ok")
            ),
            vec![("h/m/set", "heat")]
        );
        let error = climate
            .publications(&Command::SetHvacMode { mode: HvacMode::Cool })
            .expect_err("not a mode");
        assert_eq!(error.to_string(), "climate.h cannot be set to cool: its modes are off, heat");
        let fahrenheit = config(
            "homeassistant/climate/h/config",
            json!({"temp_cmd_t": "h/t/set", "temp_unit": "F"}),
        );
        assert_eq!(
            pairs(&fahrenheit.publications(&set(20.0)).expect("ok")),
            vec![("h/t/set", "68.0")]
        );
    }

    #[test]
    fn optimistic_entities_take_the_state_they_are_told() {
        let blind = config("homeassistant/switch/s/config", json!({"cmd_t": "s/set"}));
        assert!(blind.is_optimistic());
        assert_eq!(blind.assumed_state(&on(None, None, None)), Some("on"));
        assert_eq!(blind.assumed_state(&Command::TurnOff), Some("off"));
        let reporting =
            config("homeassistant/switch/s/config", json!({"cmd_t": "s/set", "stat_t": "s/state"}));
        assert!(!reporting.is_optimistic());
        assert_eq!(reporting.assumed_state(&Command::TurnOff), None);
        let forced = config(
            "homeassistant/lock/l/config",
            json!({"cmd_t": "l/set", "stat_t": "l/state", "opt": true}),
        );
        assert_eq!(forced.assumed_state(&Command::Unlock), Some("unlocked"));
        let cover =
            config("homeassistant/cover/c/config", json!({"cmd_t": "c/set", "pos_t": "c/pos"}));
        assert!(!cover.is_optimistic());
        let climate = config("homeassistant/climate/h/config", json!({"mode_cmd_t": "h/m"}));
        assert_eq!(
            climate.assumed_state(&Command::SetHvacMode { mode: HvacMode::Heat }),
            Some("heat")
        );
    }

    #[test]
    fn sensors_take_no_command() {
        let sensor = config("homeassistant/sensor/t/config", json!({"stat_t": "t"}));
        let error = sensor.publications(&Command::TurnOff).expect_err("read only");
        assert!(error.to_string().contains("only reports its state"), "{error}");
    }
}
