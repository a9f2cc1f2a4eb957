//! What a person or the companion asks a home to do, checked against the kind of entity it is
//! for (a lock has no brightness), and the Home Assistant service call that does it.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::entity::{Domain, EntityId};
use crate::secret::Secret;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    #[error("{command} does not apply to {entity_id}: {hint}")]
    WrongDomain { command: &'static str, entity_id: String, hint: &'static str },
    #[error("{entity_id} cannot take {option}: only lights have {option}")]
    LightOnly { option: &'static str, entity_id: String },
    #[error("{entity_id} only reports its state and takes no command")]
    ReadOnly { entity_id: String },
    #[error("{field} must be {range}, not {value}")]
    OutOfRange { field: &'static str, value: String, range: &'static str },
}

/// A brightness: Home Assistant's level (0-255) or a percentage (0-100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Brightness {
    Level(u8),
    Percent(u8),
}

impl Brightness {
    /// The level 0-255 (a percentage rounded to the nearest level).
    pub fn level(self) -> u8 {
        match self {
            Self::Level(level) => level,
            Self::Percent(percent) => {
                let level = (u32::from(percent.min(100)) * 255 + 50) / 100;
                u8::try_from(level).unwrap_or(u8::MAX)
            }
        }
    }
}

/// A thermostat's target, in degrees Celsius: one temperature, or a range for heat-cool mode.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetTemperature {
    Single(f64),
    Range { low: f64, high: f64 },
}

/// Home Assistant's HVAC modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HvacMode {
    Off,
    Heat,
    Cool,
    HeatCool,
    Auto,
    Dry,
    FanOnly,
}

impl HvacMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Heat => "heat",
            Self::Cool => "cool",
            Self::HeatCool => "heat_cool",
            Self::Auto => "auto",
            Self::Dry => "dry",
            Self::FanOnly => "fan_only",
        }
    }
}

/// How an alarm is armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlarmMode {
    Home,
    Away,
    Night,
    Vacation,
}

impl AlarmMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Home => "home",
            Self::Away => "away",
            Self::Night => "night",
            Self::Vacation => "vacation",
        }
    }
}

/// One thing to do to one entity. Alarm codes are [`Secret`]s: they never show in `Debug`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    TurnOn {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        brightness: Option<Brightness>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rgb: Option<[u8; 3]>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        color_temp_kelvin: Option<u16>,
    },
    TurnOff,
    Toggle,
    SetTemperature {
        target: TargetTemperature,
    },
    SetHvacMode {
        mode: HvacMode,
    },
    OpenCover,
    CloseCover,
    StopCover,
    SetCoverPosition {
        /// 0 is closed, 100 open.
        position: u8,
    },
    Lock,
    Unlock,
    /// Opens the door (unlatches), for locks that can.
    Open,
    AlarmArm {
        mode: AlarmMode,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<Secret>,
    },
    AlarmDisarm {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<Secret>,
    },
    MediaPlay,
    MediaPause,
    SetVolume {
        /// 0.0 to 1.0.
        level: f64,
    },
    ActivateScene,
    RunScript,
    EnableAutomation,
    DisableAutomation,
}

/// Kelvin range a colour temperature may be given in (candle light to clear sky, and beyond
/// what any lamp does).
const KELVIN: std::ops::RangeInclusive<u16> = 1000..=12_000;
/// Celsius a thermostat may be asked for: anything outside is a mistake, not a wish.
const CELSIUS: std::ops::RangeInclusive<f64> = -30.0..=60.0;

impl Command {
    /// A short name for messages and audit (`turn_on`, `alarm_disarm`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::TurnOn { .. } => "turn_on",
            Self::TurnOff => "turn_off",
            Self::Toggle => "toggle",
            Self::SetTemperature { .. } => "set_temperature",
            Self::SetHvacMode { .. } => "set_hvac_mode",
            Self::OpenCover => "open_cover",
            Self::CloseCover => "close_cover",
            Self::StopCover => "stop_cover",
            Self::SetCoverPosition { .. } => "set_cover_position",
            Self::Lock => "lock",
            Self::Unlock => "unlock",
            Self::Open => "open",
            Self::AlarmArm { .. } => "alarm_arm",
            Self::AlarmDisarm { .. } => "alarm_disarm",
            Self::MediaPlay => "media_play",
            Self::MediaPause => "media_pause",
            Self::SetVolume { .. } => "set_volume",
            Self::ActivateScene => "activate_scene",
            Self::RunScript => "run_script",
            Self::EnableAutomation => "enable_automation",
            Self::DisableAutomation => "disable_automation",
        }
    }

    /// The alarm code this command carries, if any.
    pub fn code(&self) -> Option<&Secret> {
        match self {
            Self::AlarmArm { code, .. } | Self::AlarmDisarm { code } => code.as_ref(),
            _ => None,
        }
    }

    /// The command without its alarm code, to keep in an audit log or a pending confirmation:
    /// the code is asked for again, never stored.
    pub fn without_code(&self) -> Self {
        match self {
            Self::AlarmArm { mode, .. } => Self::AlarmArm { mode: *mode, code: None },
            Self::AlarmDisarm { .. } => Self::AlarmDisarm { code: None },
            other => other.clone(),
        }
    }

    /// The command with the alarm code the person gave (with their yes to a pending one);
    /// a command that takes no code is as it was.
    pub fn with_code(self, code: Secret) -> Self {
        match self {
            Self::AlarmArm { mode, .. } => Self::AlarmArm { mode, code: Some(code) },
            Self::AlarmDisarm { .. } => Self::AlarmDisarm { code: Some(code) },
            other => other,
        }
    }

    /// `Toggle` as the `TurnOn` or `TurnOff` it means for an entity now in `current` state,
    /// for devices that have no toggle of their own (MQTT lights and switches).
    pub fn resolve_toggle(self, current: &str) -> Self {
        match self {
            Self::Toggle if current == "on" => Self::TurnOff,
            Self::Toggle => Self::TurnOn { brightness: None, rgb: None, color_temp_kelvin: None },
            other => other,
        }
    }

    /// Whether this command can be given to this entity, and its values are in range; the
    /// error names the problem.
    pub fn check(&self, entity_id: &EntityId) -> Result<(), CommandError> {
        let domain = entity_id.domain();
        let wrong = |hint| CommandError::WrongDomain {
            command: self.name(),
            entity_id: entity_id.to_string(),
            hint,
        };
        if domain.is_read_only() {
            return Err(CommandError::ReadOnly { entity_id: entity_id.to_string() });
        }
        match self {
            Self::TurnOn { brightness, rgb, color_temp_kelvin } => {
                if !turns_on_and_off(domain) {
                    return Err(wrong(on_off_hint(domain)));
                }
                if *domain != Domain::Light {
                    let option = if brightness.is_some() {
                        Some("brightness")
                    } else if rgb.is_some() {
                        Some("a colour")
                    } else if color_temp_kelvin.is_some() {
                        Some("a colour temperature")
                    } else {
                        None
                    };
                    if let Some(option) = option {
                        return Err(CommandError::LightOnly {
                            option,
                            entity_id: entity_id.to_string(),
                        });
                    }
                }
                if let Some(Brightness::Percent(p)) = brightness
                    && *p > 100
                {
                    return Err(out_of_range("brightness percent", p, "0 to 100"));
                }
                if let Some(kelvin) = color_temp_kelvin
                    && !KELVIN.contains(kelvin)
                {
                    return Err(out_of_range("colour temperature", kelvin, "1000 K to 12000 K"));
                }
                Ok(())
            }
            Self::TurnOff | Self::Toggle if turns_on_and_off(domain) => Ok(()),
            Self::TurnOff | Self::Toggle => Err(wrong(on_off_hint(domain))),
            Self::SetTemperature { target } => {
                require(domain, &Domain::Climate, || wrong("only thermostats take a temperature"))?;
                let fine = |t: f64| t.is_finite() && CELSIUS.contains(&t);
                match *target {
                    TargetTemperature::Single(t) if !fine(t) => {
                        Err(out_of_range("temperature", t, "-30 °C to 60 °C"))
                    }
                    TargetTemperature::Range { low, high } if !fine(low) || !fine(high) => Err(
                        out_of_range("temperature", format!("{low}..{high}"), "-30 °C to 60 °C"),
                    ),
                    TargetTemperature::Range { low, high } if low > high => Err(out_of_range(
                        "temperature range",
                        format!("{low}..{high}"),
                        "low at most high",
                    )),
                    _ => Ok(()),
                }
            }
            Self::SetHvacMode { .. } => {
                require(domain, &Domain::Climate, || wrong("only thermostats have an HVAC mode"))
            }
            Self::OpenCover | Self::CloseCover | Self::StopCover => {
                require(domain, &Domain::Cover, || wrong(cover_hint(domain)))
            }
            Self::SetCoverPosition { position } => {
                require(domain, &Domain::Cover, || wrong(cover_hint(domain)))?;
                if *position > 100 {
                    return Err(out_of_range("cover position", position, "0 to 100"));
                }
                Ok(())
            }
            Self::Lock | Self::Unlock | Self::Open => {
                require(domain, &Domain::Lock, || wrong("only locks lock, unlock and open"))
            }
            Self::AlarmArm { .. } | Self::AlarmDisarm { .. } => {
                require(domain, &Domain::AlarmControlPanel, || {
                    wrong("only alarm control panels arm and disarm")
                })
            }
            Self::MediaPlay | Self::MediaPause => {
                require(domain, &Domain::MediaPlayer, || wrong("only media players play"))
            }
            Self::SetVolume { level } => {
                require(domain, &Domain::MediaPlayer, || {
                    wrong("only media players have a volume")
                })?;
                if !(level.is_finite() && (0.0..=1.0).contains(level)) {
                    return Err(out_of_range("volume", level, "0.0 to 1.0"));
                }
                Ok(())
            }
            Self::ActivateScene => require(domain, &Domain::Scene, || wrong("that is not a scene")),
            Self::RunScript => require(domain, &Domain::Script, || wrong("that is not a script")),
            Self::EnableAutomation | Self::DisableAutomation => {
                require(domain, &Domain::Automation, || wrong("that is not an automation"))
            }
        }
    }

    /// The Home Assistant service call that carries out this command on `entity_id`, after
    /// [`Command::check`].
    pub fn to_service_call(&self, entity_id: &EntityId) -> Result<ServiceCall, CommandError> {
        self.check(entity_id)?;
        let domain = entity_id.domain().as_str().to_owned();
        let mut data = Map::new();
        let service = match self {
            Self::TurnOn { brightness, rgb, color_temp_kelvin } => {
                if let Some(brightness) = brightness {
                    match brightness {
                        Brightness::Level(level) => data.insert("brightness".into(), json!(level)),
                        Brightness::Percent(p) => data.insert("brightness_pct".into(), json!(p)),
                    };
                }
                if let Some(rgb) = rgb {
                    data.insert("rgb_color".into(), json!(rgb));
                }
                if let Some(kelvin) = color_temp_kelvin {
                    data.insert("color_temp_kelvin".into(), json!(kelvin));
                }
                "turn_on"
            }
            Self::TurnOff => "turn_off",
            Self::Toggle => "toggle",
            Self::SetTemperature { target } => {
                match *target {
                    TargetTemperature::Single(t) => data.insert("temperature".into(), json!(t)),
                    TargetTemperature::Range { low, high } => {
                        data.insert("target_temp_low".into(), json!(low));
                        data.insert("target_temp_high".into(), json!(high))
                    }
                };
                "set_temperature"
            }
            Self::SetHvacMode { mode } => {
                data.insert("hvac_mode".into(), json!(mode.as_str()));
                "set_hvac_mode"
            }
            Self::OpenCover => "open_cover",
            Self::CloseCover => "close_cover",
            Self::StopCover => "stop_cover",
            Self::SetCoverPosition { position } => {
                data.insert("position".into(), json!(position));
                "set_cover_position"
            }
            Self::Lock => "lock",
            Self::Unlock => "unlock",
            Self::Open => "open",
            Self::AlarmArm { mode, code } => {
                if let Some(code) = code {
                    data.insert("code".into(), json!(code.expose()));
                }
                match mode {
                    AlarmMode::Home => "alarm_arm_home",
                    AlarmMode::Away => "alarm_arm_away",
                    AlarmMode::Night => "alarm_arm_night",
                    AlarmMode::Vacation => "alarm_arm_vacation",
                }
            }
            Self::AlarmDisarm { code } => {
                if let Some(code) = code {
                    data.insert("code".into(), json!(code.expose()));
                }
                "alarm_disarm"
            }
            Self::MediaPlay => "media_play",
            Self::MediaPause => "media_pause",
            Self::SetVolume { level } => {
                data.insert("volume_level".into(), json!(level));
                "volume_set"
            }
            Self::ActivateScene | Self::RunScript | Self::EnableAutomation => "turn_on",
            Self::DisableAutomation => "turn_off",
        };
        Ok(ServiceCall { domain, service: service.to_owned(), target: entity_id.clone(), data })
    }
}

fn turns_on_and_off(domain: &Domain) -> bool {
    matches!(
        domain,
        Domain::Light
            | Domain::Switch
            | Domain::Fan
            | Domain::MediaPlayer
            | Domain::Climate
            | Domain::Automation
            | Domain::Script
            | Domain::Other(_)
    )
}

fn on_off_hint(domain: &Domain) -> &'static str {
    match domain {
        Domain::Lock => "a lock is locked or unlocked, not turned on or off",
        Domain::Cover => "a cover is opened or closed, not turned on or off",
        Domain::AlarmControlPanel => "an alarm is armed or disarmed, not turned on or off",
        Domain::Scene => "a scene is activated, not turned on or off",
        _ => "it is not turned on or off",
    }
}

fn cover_hint(domain: &Domain) -> &'static str {
    match domain {
        Domain::Lock => "a lock is unlocked or opened with the lock's own commands",
        _ => "only covers (blinds, garage doors, gates) open and close",
    }
}

fn require(
    domain: &Domain,
    wanted: &Domain,
    error: impl FnOnce() -> CommandError,
) -> Result<(), CommandError> {
    if domain == wanted { Ok(()) } else { Err(error()) }
}

fn out_of_range(
    field: &'static str,
    value: impl fmt::Display,
    range: &'static str,
) -> CommandError {
    CommandError::OutOfRange { field, value: value.to_string(), range }
}

/// A Home Assistant service call: `domain.service` on the target entity with its data. An
/// alarm code in `data` is hidden from `Debug`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceCall {
    pub domain: String,
    pub service: String,
    pub target: EntityId,
    pub data: Map<String, Value>,
}

/// The unit a Home Assistant instance keeps temperatures in (its unit system's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TemperatureUnit {
    #[default]
    #[serde(rename = "°C")]
    Celsius,
    #[serde(rename = "°F")]
    Fahrenheit,
}

impl ServiceCall {
    /// The call for an instance that keeps temperatures in `unit`: commands give Celsius, an
    /// instance in Fahrenheit takes Fahrenheit (to a tenth of a degree).
    pub fn in_unit(mut self, unit: TemperatureUnit) -> Self {
        if unit == TemperatureUnit::Fahrenheit {
            for key in ["temperature", "target_temp_low", "target_temp_high"] {
                if let Some(celsius) = self.data.get(key).and_then(Value::as_f64) {
                    let fahrenheit = ((celsius * 9.0 / 5.0 + 32.0) * 10.0).round() / 10.0;
                    self.data.insert(key.to_owned(), json!(fahrenheit));
                }
            }
        }
        self
    }
}

impl fmt::Debug for ServiceCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut data = self.data.clone();
        if let Some(code) = data.get_mut("code") {
            *code = Value::String("***".into());
        }
        f.debug_struct("ServiceCall")
            .field("domain", &self.domain)
            .field("service", &self.service)
            .field("target", &self.target)
            .field("data", &data)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn id(text: &str) -> EntityId {
        EntityId::parse(text).expect("an entity id")
    }

    fn on() -> Command {
        Command::TurnOn { brightness: None, rgb: None, color_temp_kelvin: None }
    }

    #[test]
    fn brightness_on_a_lock_names_the_problem() {
        let command = Command::TurnOn {
            brightness: Some(Brightness::Level(10)),
            rgb: None,
            color_temp_kelvin: None,
        };
        let error = command.check(&id("lock.front_door")).expect_err("a lock has no brightness");
        assert_eq!(
            error.to_string(),
            "turn_on does not apply to lock.front_door: a lock is locked or unlocked, not turned on or off"
        );
        let error = command.check(&id("switch.kettle")).expect_err("a switch has no brightness");
        assert_eq!(
            error.to_string(),
            "switch.kettle cannot take brightness: only lights have brightness"
        );
    }

    #[test]
    fn a_light_turns_on_with_brightness_colour_and_temperature() {
        let command = Command::TurnOn {
            brightness: Some(Brightness::Percent(40)),
            rgb: Some([255, 128, 0]),
            color_temp_kelvin: None,
        };
        let call = command.to_service_call(&id("light.desk")).expect("a call");
        assert_eq!(call.domain, "light");
        assert_eq!(call.service, "turn_on");
        assert_eq!(call.target, id("light.desk"));
        assert_eq!(call.data["brightness_pct"], json!(40));
        assert_eq!(call.data["rgb_color"], json!([255, 128, 0]));
        let warm = Command::TurnOn {
            brightness: Some(Brightness::Level(200)),
            rgb: None,
            color_temp_kelvin: Some(2700),
        };
        let call = warm.to_service_call(&id("light.desk")).expect("a call");
        assert_eq!(call.data["brightness"], json!(200));
        assert_eq!(call.data["color_temp_kelvin"], json!(2700));
    }

    #[test]
    fn each_command_maps_to_its_service() {
        let cases: Vec<(Command, &str, &str)> = vec![
            (on(), "switch.kettle", "switch.turn_on"),
            (Command::TurnOff, "fan.ceiling", "fan.turn_off"),
            (Command::Toggle, "light.desk", "light.toggle"),
            (
                Command::SetTemperature { target: TargetTemperature::Single(21.5) },
                "climate.hall",
                "climate.set_temperature",
            ),
            (
                Command::SetHvacMode { mode: HvacMode::HeatCool },
                "climate.hall",
                "climate.set_hvac_mode",
            ),
            (Command::OpenCover, "cover.garage", "cover.open_cover"),
            (Command::CloseCover, "cover.garage", "cover.close_cover"),
            (Command::StopCover, "cover.garage", "cover.stop_cover"),
            (Command::SetCoverPosition { position: 30 }, "cover.blind", "cover.set_cover_position"),
            (Command::Lock, "lock.front", "lock.lock"),
            (Command::Unlock, "lock.front", "lock.unlock"),
            (Command::Open, "lock.front", "lock.open"),
            (
                Command::AlarmArm { mode: AlarmMode::Night, code: None },
                "alarm_control_panel.home",
                "alarm_control_panel.alarm_arm_night",
            ),
            (
                Command::AlarmDisarm { code: Some(Secret::new("1234")) },
                "alarm_control_panel.home",
                "alarm_control_panel.alarm_disarm",
            ),
            (Command::MediaPlay, "media_player.tv", "media_player.media_play"),
            (Command::MediaPause, "media_player.tv", "media_player.media_pause"),
            (Command::SetVolume { level: 0.3 }, "media_player.tv", "media_player.volume_set"),
            (Command::ActivateScene, "scene.movie", "scene.turn_on"),
            (Command::RunScript, "script.goodnight", "script.turn_on"),
            (Command::EnableAutomation, "automation.porch", "automation.turn_on"),
            (Command::DisableAutomation, "automation.porch", "automation.turn_off"),
        ];
        for (command, entity, service) in cases {
            let call = command.to_service_call(&id(entity)).expect(service);
            assert_eq!(format!("{}.{}", call.domain, call.service), service);
        }
    }

    #[test]
    fn service_data_carries_values() {
        let call =
            Command::SetTemperature { target: TargetTemperature::Range { low: 19.0, high: 24.0 } }
                .to_service_call(&id("climate.hall"))
                .expect("a call");
        assert_eq!(call.data["target_temp_low"], json!(19.0));
        assert_eq!(call.data["target_temp_high"], json!(24.0));
        let call = Command::SetHvacMode { mode: HvacMode::FanOnly }
            .to_service_call(&id("climate.hall"))
            .expect("a call");
        assert_eq!(call.data["hvac_mode"], json!("fan_only"));
        let call = Command::SetVolume { level: 0.25 }
            .to_service_call(&id("media_player.tv"))
            .expect("call");
        assert_eq!(call.data["volume_level"], json!(0.25));
    }

    #[test]
    fn temperatures_follow_the_instances_unit() {
        let call = Command::SetTemperature { target: TargetTemperature::Single(20.0) }
            .to_service_call(&id("climate.hall"))
            .expect("a call");
        assert_eq!(call.clone().in_unit(TemperatureUnit::Celsius).data["temperature"], json!(20.0));
        assert_eq!(call.in_unit(TemperatureUnit::Fahrenheit).data["temperature"], json!(68.0));
        let range =
            Command::SetTemperature { target: TargetTemperature::Range { low: 18.5, high: 24.0 } }
                .to_service_call(&id("climate.hall"))
                .expect("a call")
                .in_unit(TemperatureUnit::Fahrenheit);
        assert_eq!(range.data["target_temp_low"], json!(65.3));
        assert_eq!(range.data["target_temp_high"], json!(75.2));
        let unit: TemperatureUnit = serde_json::from_value(json!("°F")).expect("a unit");
        assert_eq!(unit, TemperatureUnit::Fahrenheit);
    }

    #[test]
    fn wrong_domains_are_refused_with_a_reason() {
        let cases: Vec<(Command, &str)> = vec![
            (Command::Unlock, "cover.garage"),
            (Command::OpenCover, "lock.front"),
            (Command::SetTemperature { target: TargetTemperature::Single(20.0) }, "light.desk"),
            (Command::AlarmArm { mode: AlarmMode::Away, code: None }, "lock.front"),
            (Command::MediaPlay, "light.desk"),
            (Command::ActivateScene, "script.x"),
            (Command::RunScript, "scene.x"),
            (Command::DisableAutomation, "switch.x"),
            (on(), "lock.front"),
            (Command::TurnOff, "alarm_control_panel.home"),
            (Command::Toggle, "cover.garage"),
            (on(), "scene.movie"),
        ];
        for (command, entity) in cases {
            let error = command.check(&id(entity)).expect_err(entity);
            assert!(matches!(error, CommandError::WrongDomain { .. }), "{error}");
        }
        let error = Command::TurnOff.check(&id("sensor.outside")).expect_err("read only");
        assert_eq!(error.to_string(), "sensor.outside only reports its state and takes no command");
    }

    #[test]
    fn values_out_of_range_are_refused() {
        let bad: Vec<Command> = vec![
            Command::TurnOn {
                brightness: Some(Brightness::Percent(101)),
                rgb: None,
                color_temp_kelvin: None,
            },
            Command::TurnOn { brightness: None, rgb: None, color_temp_kelvin: Some(500) },
            Command::SetTemperature { target: TargetTemperature::Single(f64::NAN) },
            Command::SetTemperature { target: TargetTemperature::Single(95.0) },
            Command::SetTemperature { target: TargetTemperature::Range { low: 25.0, high: 20.0 } },
            Command::SetCoverPosition { position: 101 },
            Command::SetVolume { level: 1.5 },
        ];
        for command in bad {
            let entity = match command {
                Command::TurnOn { .. } => "light.desk",
                Command::SetCoverPosition { .. } => "cover.blind",
                Command::SetVolume { .. } => "media_player.tv",
                _ => "climate.hall",
            };
            let error = command.check(&id(entity)).expect_err("out of range");
            assert!(matches!(error, CommandError::OutOfRange { .. }), "{error}");
        }
    }

    #[test]
    fn alarm_codes_never_show_in_debug() {
        let command = Command::AlarmDisarm { code: Some(Secret::new("9876")) };
        assert!(!format!("{command:?}").contains("9876"));
        let call = command.to_service_call(&id("alarm_control_panel.home")).expect("a call");
        assert_eq!(call.data["code"], json!("9876"));
        let kept = serde_json::to_string(&command.without_code()).expect("json");
        assert_eq!(kept, r#"{"action":"alarm_disarm"}"#);
        assert!(!format!("{call:?}").contains("9876"));
    }

    #[test]
    fn a_code_given_later_goes_only_where_a_code_is_taken() {
        let code = || Secret::new("2468");
        let disarm = Command::AlarmDisarm { code: None }.with_code(code());
        assert_eq!(disarm.code(), Some(&code()));
        let arm = Command::AlarmArm { mode: AlarmMode::Night, code: None }.with_code(code());
        assert_eq!(arm, Command::AlarmArm { mode: AlarmMode::Night, code: Some(code()) });
        assert_eq!(Command::Unlock.with_code(code()), Command::Unlock);
    }

    #[test]
    fn commands_read_from_tool_json() {
        let command: Command = serde_json::from_value(json!({
            "action": "turn_on", "brightness": {"percent": 50}, "rgb": [1, 2, 3]
        }))
        .expect("a command");
        assert_eq!(
            command,
            Command::TurnOn {
                brightness: Some(Brightness::Percent(50)),
                rgb: Some([1, 2, 3]),
                color_temp_kelvin: None
            }
        );
        let arm: Command =
            serde_json::from_value(json!({"action": "alarm_arm", "mode": "away", "code": "1234"}))
                .expect("a command");
        assert_eq!(arm.code().map(Secret::expose), Some("1234"));
    }

    #[test]
    fn toggle_resolves_from_the_current_state() {
        assert_eq!(Command::Toggle.resolve_toggle("on"), Command::TurnOff);
        assert_eq!(Command::Toggle.resolve_toggle("off"), on());
        assert_eq!(Command::Lock.resolve_toggle("on"), Command::Lock);
    }

    proptest! {
        #[test]
        fn percent_brightness_is_monotonic_and_ends_at_full(a in 0u8..=100, b in 0u8..=100) {
            let (la, lb) = (Brightness::Percent(a).level(), Brightness::Percent(b).level());
            if a <= b { prop_assert!(la <= lb) } else { prop_assert!(la >= lb) }
            prop_assert_eq!(Brightness::Percent(100).level(), 255);
            prop_assert_eq!(Brightness::Percent(0).level(), 0);
        }
    }
}
