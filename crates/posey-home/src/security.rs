//! Which commands act on the home's safety: unlocking a door, arming or disarming an alarm,
//! opening a garage door or gate, switching an automation off, and anything at all on an
//! entity the person marked "always ask first" (a garage opener that is a relay's switch, a
//! script that unlocks: what its kind does not tell). The model's word alone never runs them;
//! the person's explicit yes does.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::entity::{Domain, EntityId};

/// What the security rule needs to know about the target entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityInfo {
    pub entity_id: EntityId,
    /// Home Assistant's `device_class` attribute (`garage`, `gate`, `door`, `blind`, ...).
    pub device_class: Option<String>,
    /// The person marked it "always ask first" (`ExposurePolicy::ask_first_entities`).
    pub ask_first: bool,
}

impl EntityInfo {
    pub fn new(entity_id: EntityId, device_class: Option<&str>) -> Self {
        Self { entity_id, device_class: device_class.map(str::to_owned), ask_first: false }
    }

    /// The same entity, marked "always ask first" or not.
    pub fn asking_first(self, ask_first: bool) -> Self {
        Self { ask_first, ..self }
    }
}

/// Why a command needs the person's confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    UnlockLock,
    OpenLock,
    ArmAlarm,
    DisarmAlarm,
    /// Opening (or moving) a cover that is a way into the home: a garage door, gate or door.
    OpenEntrance,
    DisableAutomation,
    /// Anything on an entity the person marked "always ask first".
    AskedFirst,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnlockLock => "unlocking a lock",
            Self::OpenLock => "opening a lock",
            Self::ArmAlarm => "arming an alarm",
            Self::DisarmAlarm => "disarming an alarm",
            Self::OpenEntrance => "opening a garage door, gate or door",
            Self::DisableAutomation => "switching an automation off",
            Self::AskedFirst => "anything on an entity marked \"always ask first\"",
        })
    }
}

/// Cover device classes that are a way into the home.
const ENTRANCES: &[&str] = &["garage", "gate", "door"];

/// Why `command` on this entity needs the person's explicit confirmation, or `None` when the
/// companion may run it on its own (given it may control the entity at all).
pub fn requires_confirmation(command: &Command, entity: &EntityInfo) -> Option<Reason> {
    let by_kind = by_kind(command, entity);
    if entity.ask_first {
        return Some(by_kind.unwrap_or(Reason::AskedFirst));
    }
    by_kind
}

/// What the entity's kind alone asks the person's yes for.
fn by_kind(command: &Command, entity: &EntityInfo) -> Option<Reason> {
    let entrance = || {
        entity
            .device_class
            .as_deref()
            .is_some_and(|class| ENTRANCES.iter().any(|e| e.eq_ignore_ascii_case(class.trim())))
    };
    match (entity.entity_id.domain(), command) {
        (_, Command::Unlock) => Some(Reason::UnlockLock),
        (_, Command::Open) => Some(Reason::OpenLock),
        (_, Command::AlarmArm { .. }) => Some(Reason::ArmAlarm),
        (_, Command::AlarmDisarm { .. }) => Some(Reason::DisarmAlarm),
        (_, Command::DisableAutomation) => Some(Reason::DisableAutomation),
        // Toggling may switch it off.
        (Domain::Automation, Command::TurnOff | Command::Toggle) => Some(Reason::DisableAutomation),
        // Any move but closing may open it: position 0 is closed.
        (Domain::Cover, Command::OpenCover | Command::Toggle) if entrance() => {
            Some(Reason::OpenEntrance)
        }
        (Domain::Cover, Command::SetCoverPosition { position }) if *position > 0 && entrance() => {
            Some(Reason::OpenEntrance)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::sample::select;

    use super::*;
    use crate::command::{AlarmMode, Brightness, HvacMode, TargetTemperature};
    use crate::secret::Secret;

    fn info(entity: &str, class: Option<&str>) -> EntityInfo {
        EntityInfo::new(EntityId::parse(entity).expect("an entity id"), class)
    }

    /// One of every command, with the values that matter to the rule.
    fn every_command() -> Vec<Command> {
        let mut all = vec![
            Command::TurnOn { brightness: None, rgb: None, color_temp_kelvin: None },
            Command::TurnOn {
                brightness: Some(Brightness::Level(255)),
                rgb: Some([1, 2, 3]),
                color_temp_kelvin: Some(3000),
            },
            Command::TurnOff,
            Command::Toggle,
            Command::SetTemperature { target: TargetTemperature::Single(20.0) },
            Command::SetHvacMode { mode: HvacMode::Off },
            Command::OpenCover,
            Command::CloseCover,
            Command::StopCover,
            Command::SetCoverPosition { position: 0 },
            Command::SetCoverPosition { position: 1 },
            Command::SetCoverPosition { position: 100 },
            Command::Lock,
            Command::Unlock,
            Command::Open,
            Command::AlarmDisarm { code: None },
            Command::AlarmDisarm { code: Some(Secret::new("1234")) },
            Command::MediaPlay,
            Command::MediaPause,
            Command::SetVolume { level: 1.0 },
            Command::ActivateScene,
            Command::RunScript,
            Command::EnableAutomation,
            Command::DisableAutomation,
        ];
        for mode in [AlarmMode::Home, AlarmMode::Away, AlarmMode::Night, AlarmMode::Vacation] {
            all.push(Command::AlarmArm { mode, code: None });
            all.push(Command::AlarmArm { mode, code: Some(Secret::new("0000")) });
        }
        all
    }

    const ENTITIES: &[&str] = &[
        "light.desk",
        "switch.garage_opener",
        "lock.front_door",
        "alarm_control_panel.home",
        "cover.garage",
        "climate.hall",
        "media_player.tv",
        "scene.movie",
        "script.goodnight",
        "automation.porch_light",
        "sensor.outside",
        "binary_sensor.front_door",
        "fan.ceiling",
        "button.doorbell",
        "input_boolean.guest",
    ];

    const CLASSES: &[Option<&str>] = &[
        None,
        Some("garage"),
        Some("gate"),
        Some("door"),
        Some("Garage"),
        Some("blind"),
        Some("shutter"),
        Some("window"),
        Some("awning"),
        Some("curtain"),
    ];

    /// The rule written out once more, the slow way, to hold the function to.
    fn expected(command: &Command, entity: &str, class: Option<&str>) -> Option<Reason> {
        let entrance = matches!(
            class.map(str::to_ascii_lowercase).as_deref(),
            Some("garage" | "gate" | "door")
        );
        let cover = entity.starts_with("cover.");
        let automation = entity.starts_with("automation.");
        match command {
            Command::Unlock => Some(Reason::UnlockLock),
            Command::Open => Some(Reason::OpenLock),
            Command::AlarmArm { .. } => Some(Reason::ArmAlarm),
            Command::AlarmDisarm { .. } => Some(Reason::DisarmAlarm),
            Command::DisableAutomation => Some(Reason::DisableAutomation),
            Command::TurnOff | Command::Toggle if automation => Some(Reason::DisableAutomation),
            Command::OpenCover | Command::Toggle if cover && entrance => Some(Reason::OpenEntrance),
            Command::SetCoverPosition { position } if cover && entrance && *position > 0 => {
                Some(Reason::OpenEntrance)
            }
            _ => None,
        }
    }

    #[test]
    fn every_command_on_every_kind_of_entity_follows_the_rule() {
        let mut checked = 0;
        for command in every_command() {
            for entity in ENTITIES {
                for class in CLASSES {
                    let got = requires_confirmation(&command, &info(entity, *class));
                    assert_eq!(
                        got,
                        expected(&command, entity, *class),
                        "{command:?} on {entity} ({class:?})"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, every_command().len() * ENTITIES.len() * CLASSES.len());
    }

    #[test]
    fn the_named_cases() {
        let lock = info("lock.front_door", None);
        assert_eq!(requires_confirmation(&Command::Unlock, &lock), Some(Reason::UnlockLock));
        assert_eq!(requires_confirmation(&Command::Open, &lock), Some(Reason::OpenLock));
        assert_eq!(requires_confirmation(&Command::Lock, &lock), None);

        let alarm = info("alarm_control_panel.home", None);
        let arm = Command::AlarmArm { mode: AlarmMode::Away, code: None };
        assert_eq!(requires_confirmation(&arm, &alarm), Some(Reason::ArmAlarm));
        let disarm = Command::AlarmDisarm { code: None };
        assert_eq!(requires_confirmation(&disarm, &alarm), Some(Reason::DisarmAlarm));

        for class in ["garage", "gate", "door"] {
            let cover = info("cover.entrance", Some(class));
            assert_eq!(
                requires_confirmation(&Command::OpenCover, &cover),
                Some(Reason::OpenEntrance)
            );
            assert_eq!(requires_confirmation(&Command::CloseCover, &cover), None);
            assert_eq!(requires_confirmation(&Command::StopCover, &cover), None);
            let ajar = Command::SetCoverPosition { position: 10 };
            assert_eq!(requires_confirmation(&ajar, &cover), Some(Reason::OpenEntrance));
            let shut = Command::SetCoverPosition { position: 0 };
            assert_eq!(requires_confirmation(&shut, &cover), None);
        }
        let blind = info("cover.living_room", Some("blind"));
        assert_eq!(requires_confirmation(&Command::OpenCover, &blind), None);

        let automation = info("automation.night_lock", None);
        assert_eq!(
            requires_confirmation(&Command::DisableAutomation, &automation),
            Some(Reason::DisableAutomation)
        );
        assert_eq!(
            requires_confirmation(&Command::TurnOff, &automation),
            Some(Reason::DisableAutomation)
        );
        assert_eq!(
            requires_confirmation(&Command::Toggle, &automation),
            Some(Reason::DisableAutomation)
        );
        assert_eq!(requires_confirmation(&Command::EnableAutomation, &automation), None);

        let light = info("light.desk", None);
        assert_eq!(requires_confirmation(&Command::TurnOff, &light), None);
        assert_eq!(Reason::DisarmAlarm.to_string(), "disarming an alarm");
    }

    #[test]
    fn everything_on_an_entity_marked_ask_first_asks() {
        for command in every_command() {
            for entity in ENTITIES {
                for class in CLASSES {
                    let marked = info(entity, *class).asking_first(true);
                    let reason = requires_confirmation(&command, &marked);
                    let by_kind = expected(&command, entity, *class);
                    assert_eq!(
                        reason,
                        Some(by_kind.unwrap_or(Reason::AskedFirst)),
                        "{command:?} on {entity} ({class:?}), marked"
                    );
                }
            }
        }
        let opener = info("switch.garage_opener", None);
        assert_eq!(
            requires_confirmation(
                &Command::TurnOn { brightness: None, rgb: None, color_temp_kelvin: None },
                &opener
            ),
            None,
            "unmarked, a switch is a switch"
        );
        let script = info("script.unlock_everything", None).asking_first(true);
        assert_eq!(requires_confirmation(&Command::RunScript, &script), Some(Reason::AskedFirst));
    }

    /// What the model may run on its own: a command the entity takes, needing no confirmation.
    fn model_alone(command: &Command, entity: &EntityInfo) -> bool {
        command.check(&entity.entity_id).is_ok() && requires_confirmation(command, entity).is_none()
    }

    proptest! {
        #[test]
        fn no_sequence_of_the_models_commands_opens_a_locked_door(
            commands in proptest::collection::vec(select(every_command()), 0..30),
        ) {
            let lock = info("lock.front_door", None);
            let mut state = "locked";
            for command in commands.iter().filter(|c| model_alone(c, &lock)) {
                state = match command {
                    Command::Lock => "locked",
                    Command::Unlock => "unlocked",
                    Command::Open => "open",
                    _ => state,
                };
            }
            prop_assert_eq!(state, "locked");
        }

        #[test]
        fn no_sequence_of_the_models_commands_opens_a_closed_garage_or_gate(
            commands in proptest::collection::vec(select(every_command()), 0..30),
            class in select(vec!["garage", "gate", "door", "GATE"]),
        ) {
            let cover = info("cover.entrance", Some(class));
            let mut position = 0u8;
            for command in commands.iter().filter(|c| model_alone(c, &cover)) {
                position = match command {
                    Command::OpenCover => 100,
                    Command::CloseCover => 0,
                    Command::SetCoverPosition { position } => *position,
                    Command::Toggle if position == 0 => 100,
                    Command::Toggle => 0,
                    _ => position,
                };
            }
            prop_assert_eq!(position, 0);
        }

        #[test]
        fn no_sequence_of_the_models_commands_moves_a_garage_opener_marked_ask_first(
            commands in proptest::collection::vec(select(every_command()), 0..30),
            entity in select(vec!["switch.garage_opener", "button.gate", "script.unlock", "scene.away", "light.porch"]),
        ) {
            let opener = info(entity, None).asking_first(true);
            prop_assert!(commands.iter().all(|c| !model_alone(c, &opener)));
        }

        #[test]
        fn the_model_alone_never_arms_or_disarms_an_alarm_nor_disables_an_automation(
            command in select(every_command()),
        ) {
            let alarm = info("alarm_control_panel.home", None);
            prop_assert!(!model_alone(&command, &alarm));
            let automation = info("automation.night_lock", None);
            if model_alone(&command, &automation) {
                // Turning an automation on is enabling it.
                let enables = matches!(command, Command::EnableAutomation | Command::TurnOn { .. });
                prop_assert!(enables, "{:?}", command);
            }
        }
    }
}
