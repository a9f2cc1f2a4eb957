//! What a home is made of, as Home Assistant names it: entities (`light.kitchen`), their states,
//! the areas they are in and the devices they belong to.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntityError {
    #[error("{0:?} is not an entity id: it needs a domain and an object id, as in light.kitchen")]
    NoDot(String),
    #[error(
        "{0:?} is not an entity id: only lower-case letters, digits and single underscores, not at either end"
    )]
    Invalid(String),
}

/// What kind of thing an entity is: the part of its id before the dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Domain {
    Light,
    Switch,
    Lock,
    AlarmControlPanel,
    Cover,
    Climate,
    MediaPlayer,
    Scene,
    Script,
    Automation,
    Sensor,
    BinarySensor,
    Fan,
    Button,
    /// Any other domain (`input_boolean`, `number`, ...), kept by name.
    Other(String),
}

const DOMAINS: &[(&str, Domain)] = &[
    ("light", Domain::Light),
    ("switch", Domain::Switch),
    ("lock", Domain::Lock),
    ("alarm_control_panel", Domain::AlarmControlPanel),
    ("cover", Domain::Cover),
    ("climate", Domain::Climate),
    ("media_player", Domain::MediaPlayer),
    ("scene", Domain::Scene),
    ("script", Domain::Script),
    ("automation", Domain::Automation),
    ("sensor", Domain::Sensor),
    ("binary_sensor", Domain::BinarySensor),
    ("fan", Domain::Fan),
    ("button", Domain::Button),
];

impl Domain {
    /// The domain of that name; names this crate does not know are kept as `Other`. The name
    /// is not checked here: [`EntityId::parse`] does that.
    pub fn from_name(name: &str) -> Self {
        DOMAINS
            .iter()
            .find(|(known, _)| *known == name)
            .map_or_else(|| Self::Other(name.to_owned()), |(_, domain)| domain.clone())
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(name) => name,
            known => DOMAINS.iter().find(|(_, d)| d == known).map_or("", |(name, _)| name),
        }
    }

    /// Whether its entities only report (sensors) and take no command.
    pub fn is_read_only(&self) -> bool {
        matches!(self, Self::Sensor | Self::BinarySensor)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Domain {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Domain {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        if !valid_part(&name) {
            return Err(serde::de::Error::custom(format!("{name:?} is not a domain")));
        }
        Ok(Self::from_name(&name))
    }
}

/// Home Assistant's rule for each half of an entity id (`valid_entity_id`): lower-case ASCII
/// letters, digits and underscores, no underscore at either end, never two in a row.
fn valid_part(part: &str) -> bool {
    !part.is_empty()
        && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !part.starts_with('_')
        && !part.ends_with('_')
        && !part.contains("__")
}

/// An entity's id, `domain.object_id`, valid by Home Assistant's rules.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId {
    id: String,
    dot: usize,
    domain: Domain,
}

impl EntityId {
    pub fn parse(text: &str) -> Result<Self, EntityError> {
        let (domain, object_id) =
            text.split_once('.').ok_or_else(|| EntityError::NoDot(text.to_owned()))?;
        if !valid_part(domain) || !valid_part(object_id) {
            return Err(EntityError::Invalid(text.to_owned()));
        }
        Ok(Self { id: text.to_owned(), dot: domain.len(), domain: Domain::from_name(domain) })
    }

    /// The id of an entity of `domain` whose object id is made from a name, as Home Assistant
    /// makes one (`Living Room Lamp` is `living_room_lamp`; an empty slug is `unknown`).
    pub fn from_name(domain: &Domain, name: &str) -> Result<Self, EntityError> {
        Self::parse(&format!("{}.{}", domain.as_str(), slugify(name)))
    }

    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    pub fn object_id(&self) -> &str {
        &self.id[self.dot + 1..]
    }

    pub fn as_str(&self) -> &str {
        &self.id
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

impl fmt::Debug for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntityId({})", self.id)
    }
}

impl FromStr for EntityId {
    type Err = EntityError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl Serialize for EntityId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.id)
    }
}

impl<'de> Deserialize<'de> for EntityId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A name as an object id, the way Home Assistant's `slugify` makes one: lower case, common
/// accented Latin letters without their accents, every run of anything else one underscore.
pub fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    let mut gap = false;
    let push = |text: &str, slug: &mut String, gap: &mut bool| {
        if *gap && !slug.is_empty() {
            slug.push('_');
        }
        *gap = false;
        slug.push_str(text);
    };
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            push(c.encode_utf8(&mut [0; 4]), &mut slug, &mut gap);
        } else if let Some(plain) = unaccent(c) {
            push(plain, &mut slug, &mut gap);
        } else {
            gap = true;
        }
    }
    if slug.is_empty() { "unknown".to_owned() } else { slug }
}

fn unaccent(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' | 'ą' => "a",
        'ä' | 'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ō' => "o",
        'ö' | 'ø' | 'œ' => "oe",
        'ř' => "r",
        'ś' | 'š' => "s",
        'ß' => "ss",
        'ù' | 'ú' | 'û' | 'ů' => "u",
        'ü' => "ue",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// An entity's state as Home Assistant reports it (`get_states`, `state_changed` events):
/// the state is always a string (`on`, `21.5`, `unavailable`), the rest is in attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityState {
    pub entity_id: EntityId,
    pub state: String,
    #[serde(default)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    pub last_changed: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
}

impl EntityState {
    /// The state as a number, when it is one (`21.5`; not `unavailable`).
    pub fn number(&self) -> Option<f64> {
        self.state.trim().parse::<f64>().ok().filter(|n| n.is_finite())
    }

    /// An attribute as a number (a number, or a string that reads as one).
    pub fn attribute_number(&self, name: &str) -> Option<f64> {
        match self.attributes.get(name)? {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|n| n.is_finite())
    }

    /// The friendly name Home Assistant shows, when the entity has one.
    pub fn friendly_name(&self) -> Option<&str> {
        self.attributes.get("friendly_name").and_then(serde_json::Value::as_str)
    }

    /// `unavailable` or `unknown`: Home Assistant cannot reach the device or has no value.
    pub fn is_unavailable(&self) -> bool {
        matches!(self.state.as_str(), "unavailable" | "unknown")
    }
}

/// A room or zone of the home (`config/area_registry/list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Area {
    pub area_id: String,
    pub name: String,
    #[serde(default)]
    pub floor_id: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A physical device (`config/device_registry/list`): one device has several entities (a
/// thermostat's climate entity and its temperature sensor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub id: String,
    #[serde(default)]
    pub area_id: Option<String>,
    /// What the person named it, else what the integration named it.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub manufacturer: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
}

/// An entity's entry in the entity registry (`config/entity_registry/list`). Entities without
/// a unique id have no entry; they still have a state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityEntry {
    pub entity_id: EntityId,
    #[serde(default)]
    pub device_id: Option<String>,
    /// The entity's own area; when none, the entity is where its device is.
    #[serde(default)]
    pub area_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub disabled: bool,
}

/// One entity's state changing: `old` is `None` when it appears, `new` when it goes away.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub entity_id: EntityId,
    pub old: Option<EntityState>,
    pub new: Option<EntityState>,
}

impl Change {
    /// Whether the state string itself changed (not only attributes).
    pub fn state_changed(&self) -> bool {
        self.old.as_ref().map(|s| &s.state) != self.new.as_ref().map(|s| &s.state)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn id(text: &str) -> EntityId {
        EntityId::parse(text).expect("an entity id")
    }

    #[test]
    fn parses_domain_and_object_id() {
        let light = id("light.living_room_2");
        assert_eq!(light.domain(), &Domain::Light);
        assert_eq!(light.object_id(), "living_room_2");
        assert_eq!(light.to_string(), "light.living_room_2");
        assert_eq!(id("alarm_control_panel.home").domain(), &Domain::AlarmControlPanel);
        assert_eq!(id("input_boolean.guest").domain(), &Domain::Other("input_boolean".into()));
    }

    #[test]
    fn refuses_what_home_assistant_refuses() {
        for bad in [
            "light",
            "light.",
            ".kitchen",
            "Light.kitchen",
            "light.Kitchen",
            "light.kitchen-lamp",
            "light.kitchen lamp",
            "light._kitchen",
            "light.kitchen_",
            "light.kitchen__lamp",
            "_light.kitchen",
            "light_.kitchen",
            "li__ght.kitchen",
            "light.kitchen.lamp",
            "light.küche",
            "",
        ] {
            assert!(EntityId::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(matches!(EntityId::parse("light"), Err(EntityError::NoDot(_))));
        assert!(matches!(EntityId::parse("light.a b"), Err(EntityError::Invalid(_))));
    }

    #[test]
    fn serde_round_trips_and_refuses_bad_ids() {
        let json = serde_json::to_string(&id("switch.coffee")).expect("json");
        assert_eq!(json, r#""switch.coffee""#);
        assert_eq!(serde_json::from_str::<EntityId>(&json).expect("json"), id("switch.coffee"));
        assert!(serde_json::from_str::<EntityId>(r#""switch.Coffee""#).is_err());
    }

    #[test]
    fn domains_round_trip_by_name() {
        for (name, domain) in DOMAINS {
            assert_eq!(&Domain::from_name(name), domain);
            assert_eq!(domain.as_str(), *name);
        }
        assert_eq!(Domain::from_name("vacuum").as_str(), "vacuum");
    }

    #[test]
    fn slugify_makes_object_ids_as_home_assistant_does() {
        assert_eq!(slugify("Living Room Lamp"), "living_room_lamp");
        assert_eq!(slugify("  Desk-lamp (left)  "), "desk_lamp_left");
        assert_eq!(slugify("Küche Decke"), "kueche_decke");
        assert_eq!(slugify("Posey-Test-Rig Front door"), "posey_test_rig_front_door");
        assert_eq!(slugify("***"), "unknown");
        assert_eq!(
            EntityId::from_name(&Domain::Light, "Hall / Upstairs").expect("id"),
            id("light.hall_upstairs")
        );
    }

    #[test]
    fn states_read_numbers_and_names() {
        let state: EntityState = serde_json::from_value(serde_json::json!({
            "entity_id": "sensor.outside",
            "state": "21.5",
            "attributes": {"friendly_name": "Outside", "battery": "87"},
            "last_changed": "2024-03-01T10:00:00+00:00",
            "last_updated": "2024-03-01T10:00:00.123456+00:00",
        }))
        .expect("a state");
        assert_eq!(state.number(), Some(21.5));
        assert_eq!(state.attribute_number("battery"), Some(87.0));
        assert_eq!(state.friendly_name(), Some("Outside"));
        assert!(!state.is_unavailable());
    }

    proptest! {
        #[test]
        fn every_slug_makes_a_valid_entity_id(name in "\\PC{0,40}") {
            let slug = slugify(&name);
            let entity = EntityId::from_name(&Domain::Light, &name);
            prop_assert!(entity.is_ok(), "{:?} gave {:?}", name, slug);
        }

        #[test]
        fn valid_ids_round_trip(domain in "[a-z][a-z0-9]{0,5}(_[a-z0-9]{1,5}){0,2}", object in "[a-z0-9]{1,6}(_[a-z0-9]{1,6}){0,3}") {
            let text = format!("{domain}.{object}");
            let parsed = EntityId::parse(&text).expect("valid");
            prop_assert_eq!(parsed.as_str(), text.as_str());
            prop_assert_eq!(parsed.domain().as_str(), domain.as_str());
            prop_assert_eq!(parsed.object_id(), object.as_str());
        }
    }
}
