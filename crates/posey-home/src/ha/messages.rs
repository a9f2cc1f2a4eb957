//! The messages of Home Assistant's WebSocket API (`/api/websocket`): the auth phase, the
//! commands Posey sends with their ids, and the results and events that come back.
//! <https://developers.home-assistant.io/docs/api/websocket>

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::command::{ServiceCall, TemperatureUnit};
use crate::entity::{Area, Device, EntityEntry, EntityId, EntityState};
use crate::secret::Secret;

/// What Posey sends. The access token is a [`Secret`]: `Debug` never shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClientMessage {
    Auth(Auth),
    Request(Request),
}

/// `{"type": "auth", "access_token": ...}`, the answer to `auth_required`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename = "auth")]
pub struct Auth {
    pub access_token: Secret,
}

impl Auth {
    pub fn new(access_token: Secret) -> Self {
        Self { access_token }
    }
}

/// A command with its id: every message after auth carries an id greater than the last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    #[serde(flatten)]
    pub command: HaCommand,
}

/// The commands Posey uses. `Debug` hides an alarm code in `service_data`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum HaCommand {
    #[serde(rename = "get_states")]
    GetStates,
    #[serde(rename = "config/area_registry/list")]
    AreaRegistryList,
    #[serde(rename = "config/device_registry/list")]
    DeviceRegistryList,
    #[serde(rename = "config/entity_registry/list")]
    EntityRegistryList,
    #[serde(rename = "subscribe_events")]
    SubscribeEvents {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event_type: Option<String>,
    },
    #[serde(rename = "unsubscribe_events")]
    UnsubscribeEvents { subscription: u64 },
    #[serde(rename = "call_service")]
    CallService {
        domain: String,
        service: String,
        #[serde(default, skip_serializing_if = "Map::is_empty")]
        service_data: Map<String, Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<Target>,
    },
    /// The instance's configuration: its unit system, time zone, version.
    #[serde(rename = "get_config")]
    GetConfig,
    #[serde(rename = "ping")]
    Ping,
}

impl HaCommand {
    /// `subscribe_events` for `state_changed`, the events the mirror is fed.
    pub fn subscribe_state_changed() -> Self {
        Self::SubscribeEvents { event_type: Some(STATE_CHANGED.to_owned()) }
    }

    /// A service call as the `call_service` command.
    pub fn call_service(call: &ServiceCall) -> Self {
        Self::CallService {
            domain: call.domain.clone(),
            service: call.service.clone(),
            service_data: call.data.clone(),
            target: Some(Target { entity_id: vec![call.target.clone()] }),
        }
    }
}

impl std::fmt::Debug for HaCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::GetStates => f.write_str("GetStates"),
            Self::AreaRegistryList => f.write_str("AreaRegistryList"),
            Self::DeviceRegistryList => f.write_str("DeviceRegistryList"),
            Self::EntityRegistryList => f.write_str("EntityRegistryList"),
            Self::SubscribeEvents { event_type } => {
                f.debug_struct("SubscribeEvents").field("event_type", event_type).finish()
            }
            Self::UnsubscribeEvents { subscription } => {
                f.debug_struct("UnsubscribeEvents").field("subscription", subscription).finish()
            }
            Self::CallService { domain, service, service_data, target } => {
                let mut data = service_data.clone();
                if let Some(code) = data.get_mut("code") {
                    *code = Value::String("***".into());
                }
                f.debug_struct("CallService")
                    .field("domain", domain)
                    .field("service", service)
                    .field("service_data", &data)
                    .field("target", target)
                    .finish()
            }
            Self::GetConfig => f.write_str("GetConfig"),
            Self::Ping => f.write_str("Ping"),
        }
    }
}

/// Which entities a service call is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub entity_id: Vec<EntityId>,
}

pub const STATE_CHANGED: &str = "state_changed";

/// Hands out message ids: 1, 2, 3, ... on one connection; a new connection starts again.
#[derive(Debug, Clone, Default)]
pub struct IdCounter {
    last: u64,
}

impl IdCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The next id, greater than every one before.
    pub fn next_id(&mut self) -> u64 {
        self.last += 1;
        self.last
    }

    /// `command` with the next id.
    pub fn request(&mut self, command: HaCommand) -> Request {
        Request { id: self.next_id(), command }
    }
}

/// What Home Assistant sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    AuthRequired {
        #[serde(default)]
        ha_version: Option<String>,
    },
    AuthOk {
        #[serde(default)]
        ha_version: Option<String>,
    },
    AuthInvalid {
        #[serde(default)]
        message: Option<String>,
    },
    Result(ResultMessage),
    Event {
        id: u64,
        event: Event,
    },
    Pong {
        id: u64,
    },
    /// A message type Posey does not use.
    #[serde(other)]
    Other,
}

impl ServerMessage {
    /// One message from a text frame. Home Assistant may also send a JSON array of messages
    /// in one frame (coalesced); use [`ServerMessage::parse_frame`] for frames.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Every message in a text frame: one object, or an array of them.
    pub fn parse_frame(text: &str) -> Result<Vec<Self>, serde_json::Error> {
        if text.trim_start().starts_with('[') {
            serde_json::from_str(text)
        } else {
            Self::parse(text).map(|message| vec![message])
        }
    }
}

/// The answer to a command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultMessage {
    pub id: u64,
    pub success: bool,
    #[serde(default)]
    pub result: Option<Value>,
    #[serde(default)]
    pub error: Option<HaError>,
}

impl ResultMessage {
    /// The result, or the error Home Assistant gave.
    pub fn into_result(self) -> Result<Value, HaError> {
        if self.success {
            Ok(self.result.unwrap_or(Value::Null))
        } else {
            Err(self.error.unwrap_or_else(|| HaError {
                code: "unknown_error".into(),
                message: "Home Assistant gave no reason".into(),
            }))
        }
    }
}

/// An error result: `{"code": "not_found", "message": "Entity not found"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("Home Assistant answered {code}: {message}")]
pub struct HaError {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

/// An event of a subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub event_type: String,
    #[serde(default)]
    pub data: Value,
    #[serde(default)]
    pub time_fired: Option<DateTime<Utc>>,
    #[serde(default)]
    pub origin: Option<String>,
}

impl Event {
    /// The event's data when it is a `state_changed` event.
    pub fn state_changed(&self) -> Option<Result<StateChanged, serde_json::Error>> {
        (self.event_type == STATE_CHANGED).then(|| StateChanged::deserialize(&self.data))
    }
}

/// A `state_changed` event's data: `old_state` is null when the entity appears, `new_state`
/// when it is removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateChanged {
    pub entity_id: EntityId,
    #[serde(default)]
    pub old_state: Option<EntityState>,
    #[serde(default)]
    pub new_state: Option<EntityState>,
}

/// What Posey reads of `get_config`'s result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HaConfig {
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub unit_system: UnitSystem,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitSystem {
    #[serde(default)]
    pub temperature: TemperatureUnit,
}

/// `get_config`'s result.
pub fn parse_config(result: Value) -> Result<HaConfig, serde_json::Error> {
    serde_json::from_value(result)
}

/// `get_states`' result.
pub fn parse_states(result: Value) -> Result<Vec<EntityState>, serde_json::Error> {
    serde_json::from_value(result)
}

/// `config/area_registry/list`'s result.
pub fn parse_areas(result: Value) -> Result<Vec<Area>, serde_json::Error> {
    serde_json::from_value(result)
}

#[derive(Deserialize)]
struct DeviceWire {
    id: String,
    #[serde(default)]
    area_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    name_by_user: Option<String>,
    #[serde(default)]
    manufacturer: Option<String>,
    #[serde(default)]
    model: Option<String>,
}

/// `config/device_registry/list`'s result; the name the person gave wins over the
/// integration's.
pub fn parse_devices(result: Value) -> Result<Vec<Device>, serde_json::Error> {
    let wire: Vec<DeviceWire> = serde_json::from_value(result)?;
    Ok(wire
        .into_iter()
        .map(|d| Device {
            id: d.id,
            area_id: d.area_id,
            name: d.name_by_user.or(d.name),
            manufacturer: d.manufacturer,
            model: d.model,
        })
        .collect())
}

#[derive(Deserialize)]
struct EntityEntryWire {
    entity_id: EntityId,
    #[serde(default)]
    device_id: Option<String>,
    #[serde(default)]
    area_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    original_name: Option<String>,
    #[serde(default)]
    disabled_by: Option<String>,
}

/// `config/entity_registry/list`'s result; an entry is disabled when anything disabled it.
pub fn parse_entity_entries(result: Value) -> Result<Vec<EntityEntry>, serde_json::Error> {
    let wire: Vec<EntityEntryWire> = serde_json::from_value(result)?;
    Ok(wire
        .into_iter()
        .map(|e| EntityEntry {
            entity_id: e.entity_id,
            device_id: e.device_id,
            area_id: e.area_id,
            name: e.name.or(e.original_name),
            disabled: e.disabled_by.is_some(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::command::{Brightness, Command};

    fn id(text: &str) -> EntityId {
        EntityId::parse(text).expect("an entity id")
    }

    #[test]
    fn the_auth_phase_reads_and_writes_the_documented_messages() {
        let required =
            ServerMessage::parse(r#"{"type": "auth_required", "ha_version": "2024.3.3"}"#)
                .expect("a message");
        assert_eq!(required, ServerMessage::AuthRequired { ha_version: Some("2024.3.3".into()) });
        let auth = ClientMessage::Auth(Auth::new(Secret::new("ABCDEFGH")));
        assert_eq!(
            serde_json::to_value(&auth).expect("json"),
            json!({"type": "auth", "access_token": "ABCDEFGH"})
        );
        assert!(!format!("{auth:?}").contains("ABCDEFGH"));
        let ok =
            ServerMessage::parse(r#"{"type": "auth_ok", "ha_version": "2024.3.3"}"#).expect("ok");
        assert_eq!(ok, ServerMessage::AuthOk { ha_version: Some("2024.3.3".into()) });
        let invalid =
            ServerMessage::parse(r#"{"type": "auth_invalid", "message": "Invalid password"}"#)
                .expect("invalid");
        assert_eq!(
            invalid,
            ServerMessage::AuthInvalid { message: Some("Invalid password".into()) }
        );
    }

    #[test]
    fn commands_carry_increasing_ids_and_their_documented_types() {
        let mut ids = IdCounter::new();
        let cases = [
            (HaCommand::GetStates, json!({"id": 1, "type": "get_states"})),
            (HaCommand::AreaRegistryList, json!({"id": 2, "type": "config/area_registry/list"})),
            (
                HaCommand::DeviceRegistryList,
                json!({"id": 3, "type": "config/device_registry/list"}),
            ),
            (
                HaCommand::EntityRegistryList,
                json!({"id": 4, "type": "config/entity_registry/list"}),
            ),
            (
                HaCommand::subscribe_state_changed(),
                json!({"id": 5, "type": "subscribe_events", "event_type": "state_changed"}),
            ),
            (HaCommand::Ping, json!({"id": 6, "type": "ping"})),
            (HaCommand::GetConfig, json!({"id": 7, "type": "get_config"})),
        ];
        for (command, expected) in cases {
            let request = ClientMessage::Request(ids.request(command));
            let json = serde_json::to_value(&request).expect("json");
            assert_eq!(json, expected);
            let back: Request = serde_json::from_value(json).expect("reads back");
            assert_eq!(ClientMessage::Request(back), request);
        }
    }

    #[test]
    fn a_service_call_becomes_call_service_with_a_target() {
        let call = Command::TurnOn {
            brightness: Some(Brightness::Level(101)),
            rgb: None,
            color_temp_kelvin: None,
        }
        .to_service_call(&id("light.kitchen"))
        .expect("a call");
        let request = Request { id: 24, command: HaCommand::call_service(&call) };
        assert_eq!(
            serde_json::to_value(&request).expect("json"),
            json!({
                "id": 24,
                "type": "call_service",
                "domain": "light",
                "service": "turn_on",
                "service_data": {"brightness": 101},
                "target": {"entity_id": ["light.kitchen"]}
            })
        );
        let disarm = Command::AlarmDisarm { code: Some(Secret::new("2468")) }
            .to_service_call(&id("alarm_control_panel.home"))
            .expect("a call");
        let request =
            ClientMessage::Request(Request { id: 25, command: HaCommand::call_service(&disarm) });
        assert!(!format!("{request:?}").contains("2468"));
        assert!(
            serde_json::to_string(&request).expect("json").contains("2468"),
            "the wire carries it"
        );
        let bare = Command::Lock.to_service_call(&id("lock.front")).expect("a call");
        let json = serde_json::to_value(Request { id: 2, command: HaCommand::call_service(&bare) })
            .expect("json");
        assert!(json.get("service_data").is_none());
    }

    #[test]
    fn results_give_their_value_or_error() {
        let ok = ServerMessage::parse(
            r#"{"id": 18, "type": "result", "success": true, "result": null}"#,
        )
        .expect("a result");
        let ServerMessage::Result(ok) = ok else { panic!("a result") };
        assert_eq!(ok.into_result(), Ok(Value::Null));
        let failed = ServerMessage::parse(
            r#"{"id": 12, "type": "result", "success": false, "error": {"code": "invalid_format", "message": "Message incorrectly formatted."}}"#,
        )
        .expect("a result");
        let ServerMessage::Result(failed) = failed else { panic!("a result") };
        let error = failed.into_result().expect_err("an error");
        assert_eq!(error.code, "invalid_format");
        assert_eq!(
            error.to_string(),
            "Home Assistant answered invalid_format: Message incorrectly formatted."
        );
    }

    #[test]
    fn a_state_changed_event_reads_as_documented() {
        let frame = json!({
            "id": 18,
            "type": "event",
            "event": {
                "data": {
                    "entity_id": "light.bed_light",
                    "new_state": {
                        "entity_id": "light.bed_light",
                        "last_changed": "2016-11-26T01:37:24.265390+00:00",
                        "state": "on",
                        "attributes": {"rgb_color": [254, 208, 0], "color_temp": 380, "supported_features": 147, "xy_color": [0.5, 0.5], "brightness": 180, "white_value": 200, "friendly_name": "Bed Light"},
                        "last_updated": "2016-11-26T01:37:24.265390+00:00",
                        "context": {"id": "326ef27d19415c60c492fe330945f954", "parent_id": null, "user_id": "31ddb597e03147118cf8d2f8fbea5553"}
                    },
                    "old_state": {
                        "entity_id": "light.bed_light",
                        "last_changed": "2016-11-26T01:37:10.466994+00:00",
                        "state": "off",
                        "attributes": {"supported_features": 147, "friendly_name": "Bed Light"},
                        "last_updated": "2016-11-26T01:37:10.466994+00:00",
                        "context": {"id": "e4af5b117137425e97658041a0538441", "parent_id": null, "user_id": "31ddb597e03147118cf8d2f8fbea5553"}
                    }
                },
                "event_type": "state_changed",
                "time_fired": "2016-11-26T01:37:24.265429+00:00",
                "origin": "LOCAL",
                "context": {"id": "326ef27d19415c60c492fe330945f954", "parent_id": null, "user_id": "31ddb597e03147118cf8d2f8fbea5553"}
            }
        });
        let message = ServerMessage::parse(&frame.to_string()).expect("an event");
        let ServerMessage::Event { id: 18, event } = message else { panic!("an event") };
        let changed = event.state_changed().expect("state_changed").expect("its data");
        assert_eq!(changed.entity_id, id("light.bed_light"));
        assert_eq!(changed.old_state.expect("old").state, "off");
        let new = changed.new_state.expect("new");
        assert_eq!(new.state, "on");
        assert_eq!(new.attribute_number("brightness"), Some(180.0));
        let other = Event {
            event_type: "call_service".into(),
            data: json!({}),
            time_fired: None,
            origin: None,
        };
        assert!(other.state_changed().is_none());
    }

    #[test]
    fn frames_may_hold_several_messages_and_unknown_types() {
        let frame = r#"[{"id": 3, "type": "pong"}, {"type": "something_new", "x": 1}]"#;
        let messages = ServerMessage::parse_frame(frame).expect("messages");
        assert_eq!(messages, vec![ServerMessage::Pong { id: 3 }, ServerMessage::Other]);
    }

    #[test]
    fn the_config_gives_the_temperature_unit() {
        let config = parse_config(json!({
            "latitude": 52.37, "longitude": 4.89, "elevation": 0,
            "unit_system": {"length": "mi", "accumulated_precipitation": "in", "mass": "lb", "pressure": "psi", "temperature": "°F", "volume": "gal", "wind_speed": "mph"},
            "location_name": "Home", "time_zone": "America/New_York", "components": ["light"], "version": "2024.3.3", "state": "RUNNING"
        }))
        .expect("a config");
        assert_eq!(config.unit_system.temperature, TemperatureUnit::Fahrenheit);
        assert_eq!(config.time_zone.as_deref(), Some("America/New_York"));
    }

    #[test]
    fn registries_read_into_areas_devices_and_entries() {
        let areas = parse_areas(json!([
            {"aliases": [], "area_id": "living_room", "floor_id": null, "icon": null, "labels": [], "name": "Living Room", "picture": null}
        ]))
        .expect("areas");
        assert_eq!(areas[0].area_id, "living_room");
        assert_eq!(areas[0].name, "Living Room");
        let devices = parse_devices(json!([
            {"id": "d1", "area_id": "kitchen", "name": "Hue bulb", "name_by_user": "Kitchen ceiling", "manufacturer": "Signify", "model": "LCT015", "identifiers": [["hue", "x"]], "disabled_by": null},
            {"id": "d2", "area_id": null, "name": "Lock", "name_by_user": null, "manufacturer": null, "model": null}
        ]))
        .expect("devices");
        assert_eq!(devices[0].name.as_deref(), Some("Kitchen ceiling"));
        assert_eq!(devices[1].name.as_deref(), Some("Lock"));
        let entries = parse_entity_entries(json!([
            {"area_id": null, "config_entry_id": "c", "device_id": "d1", "disabled_by": null, "entity_category": null, "entity_id": "light.kitchen", "has_entity_name": true, "hidden_by": null, "icon": null, "id": "e1", "name": null, "original_name": "Ceiling", "platform": "hue", "unique_id": "u1"},
            {"area_id": "hall", "device_id": null, "disabled_by": "user", "entity_id": "switch.old", "name": "Old switch"}
        ]))
        .expect("entries");
        assert_eq!(entries[0].name.as_deref(), Some("Ceiling"));
        assert!(!entries[0].disabled);
        assert!(entries[1].disabled);
        assert_eq!(entries[1].area_id.as_deref(), Some("hall"));
    }
}
