//! What of a person's home the companion may see and what it may control. Opt-in, as the
//! person chooses: by default the companion sees nothing and controls nothing; the person
//! allows entities one by one or whole areas, and may hide single entities of an allowed area,
//! or mark single entities "always ask first": the companion then runs nothing on them without
//! the person's yes (`security::requires_confirmation`).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::entity::EntityId;

/// A person's exposure policy. An entity the companion may control it may also see: it could
/// not be told what it switched otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExposurePolicy {
    /// Entities the companion may see.
    #[serde(default)]
    pub visible_entities: BTreeSet<EntityId>,
    /// Areas whose entities the companion may see.
    #[serde(default)]
    pub visible_areas: BTreeSet<String>,
    /// Entities the companion may control.
    #[serde(default)]
    pub controllable_entities: BTreeSet<EntityId>,
    /// Areas whose entities the companion may control.
    #[serde(default)]
    pub controllable_areas: BTreeSet<String>,
    /// Entities kept from the companion whatever their area allows (the bedroom's camera in an
    /// allowed bedroom).
    #[serde(default)]
    pub hidden_entities: BTreeSet<EntityId>,
    /// Entities on which every command of the companion waits for the person's yes, whatever
    /// their kind (a garage opener that is a switch, a script that unlocks the door).
    #[serde(default)]
    pub ask_first_entities: BTreeSet<EntityId>,
}

impl ExposurePolicy {
    /// Nothing visible, nothing controllable: where every person starts.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether the companion may see this entity, which is in `area` (its own area, else its
    /// device's) if any.
    pub fn can_see(&self, entity_id: &EntityId, area: Option<&str>) -> bool {
        if self.hidden_entities.contains(entity_id) {
            return false;
        }
        self.visible_entities.contains(entity_id)
            || area.is_some_and(|area| self.visible_areas.contains(area))
            || self.allows_control(entity_id, area)
    }

    /// Whether the companion may control this entity, which is in `area` if any.
    pub fn can_control(&self, entity_id: &EntityId, area: Option<&str>) -> bool {
        !self.hidden_entities.contains(entity_id) && self.allows_control(entity_id, area)
    }

    /// Whether the person marked this entity "always ask first".
    pub fn asks_first(&self, entity_id: &EntityId) -> bool {
        self.ask_first_entities.contains(entity_id)
    }

    fn allows_control(&self, entity_id: &EntityId, area: Option<&str>) -> bool {
        self.controllable_entities.contains(entity_id)
            || area.is_some_and(|area| self.controllable_areas.contains(area))
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
    fn by_default_nothing_is_seen_or_controlled() {
        let policy = ExposurePolicy::none();
        assert!(!policy.can_see(&id("light.desk"), Some("office")));
        assert!(!policy.can_control(&id("light.desk"), Some("office")));
        assert!(!policy.can_see(&id("light.desk"), None));
        let read: ExposurePolicy = serde_json::from_str("{}").expect("json");
        assert_eq!(read, policy);
        assert!(!policy.asks_first(&id("switch.garage_opener")));
    }

    #[test]
    fn seeing_does_not_give_control() {
        let policy = ExposurePolicy {
            visible_areas: ["kitchen".to_owned()].into(),
            visible_entities: [id("lock.front_door")].into(),
            ..ExposurePolicy::none()
        };
        assert!(policy.can_see(&id("light.kitchen"), Some("kitchen")));
        assert!(!policy.can_control(&id("light.kitchen"), Some("kitchen")));
        assert!(policy.can_see(&id("lock.front_door"), Some("hall")));
        assert!(!policy.can_control(&id("lock.front_door"), Some("hall")));
        assert!(!policy.can_see(&id("light.hall"), Some("hall")));
    }

    #[test]
    fn control_by_entity_or_area_includes_seeing() {
        let policy = ExposurePolicy {
            controllable_entities: [id("light.desk")].into(),
            controllable_areas: ["living_room".to_owned()].into(),
            ..ExposurePolicy::none()
        };
        assert!(policy.can_control(&id("light.desk"), None));
        assert!(policy.can_see(&id("light.desk"), None));
        assert!(policy.can_control(&id("switch.tv"), Some("living_room")));
        assert!(policy.can_see(&id("switch.tv"), Some("living_room")));
        assert!(!policy.can_control(&id("switch.tv"), Some("bedroom")));
        assert!(!policy.can_control(&id("switch.tv"), None));
    }

    #[test]
    fn a_hidden_entity_stays_hidden_in_an_allowed_area() {
        let policy = ExposurePolicy {
            controllable_areas: ["bedroom".to_owned()].into(),
            hidden_entities: [id("switch.camera")].into(),
            ..ExposurePolicy::none()
        };
        assert!(!policy.can_see(&id("switch.camera"), Some("bedroom")));
        assert!(!policy.can_control(&id("switch.camera"), Some("bedroom")));
        assert!(policy.can_control(&id("light.bedside"), Some("bedroom")));
    }

    #[test]
    fn asking_first_is_apart_from_seeing_and_controlling() {
        let policy = ExposurePolicy {
            controllable_entities: [id("switch.garage_opener")].into(),
            ask_first_entities: [id("switch.garage_opener"), id("script.unlock")].into(),
            ..ExposurePolicy::none()
        };
        assert!(policy.asks_first(&id("switch.garage_opener")));
        assert!(policy.can_control(&id("switch.garage_opener"), None));
        assert!(policy.asks_first(&id("script.unlock")));
        assert!(!policy.can_see(&id("script.unlock"), None), "asking first shows nothing");
        assert!(!policy.asks_first(&id("switch.coffee")));
        // Policies stored before the mark read as marking nothing.
        let old: ExposurePolicy =
            serde_json::from_str(r#"{"controllable_entities": ["switch.garage_opener"]}"#)
                .expect("json");
        assert!(old.ask_first_entities.is_empty());
    }

    proptest! {
        #[test]
        fn control_always_implies_sight(
            entities in proptest::collection::vec(0usize..4, 0..4),
            areas in proptest::collection::vec(0usize..3, 0..3),
            seen in proptest::collection::vec(0usize..4, 0..4),
            hidden in proptest::collection::vec(0usize..4, 0..2),
            which in 0usize..4,
            area in proptest::option::of(0usize..3),
        ) {
            let ids = ["light.a", "switch.b", "lock.c", "cover.d"].map(id);
            let names = ["kitchen", "hall", "office"].map(str::to_owned);
            let policy = ExposurePolicy {
                controllable_entities: entities.iter().map(|i| ids[*i].clone()).collect(),
                controllable_areas: areas.iter().map(|i| names[*i].clone()).collect(),
                visible_entities: seen.iter().map(|i| ids[*i].clone()).collect(),
                hidden_entities: hidden.iter().map(|i| ids[*i].clone()).collect(),
                ..ExposurePolicy::none()
            };
            let area = area.map(|a| names[a].as_str());
            let entity = &ids[which];
            if policy.can_control(entity, area) {
                prop_assert!(policy.can_see(entity, area));
            }
            if policy.hidden_entities.contains(entity) {
                prop_assert!(!policy.can_see(entity, area));
            }
        }
    }
}
