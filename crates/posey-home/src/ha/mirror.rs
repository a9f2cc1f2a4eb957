//! A live mirror of one Home Assistant: its entities' states, areas, devices and registry
//! entries. Fed a snapshot when connected, then `state_changed` events; fed a new snapshot
//! after a gap, it says what changed while it was away.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::entity::{Area, Change, Device, EntityEntry, EntityId, EntityState};
use crate::ha::messages::StateChanged;

/// Everything read when (re)connected: `get_states` and the three registries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub states: Vec<EntityState>,
    pub areas: Vec<Area>,
    pub devices: Vec<Device>,
    pub entities: Vec<EntityEntry>,
}

/// The mirror. Pure: it is told what Home Assistant said and answers what changed.
#[derive(Debug, Clone, Default)]
pub struct Mirror {
    states: BTreeMap<EntityId, EntityState>,
    areas: BTreeMap<String, Area>,
    devices: BTreeMap<String, Device>,
    entries: BTreeMap<EntityId, EntityEntry>,
}

impl Mirror {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes a whole snapshot in place of what the mirror held, and returns the changes
    /// between the two, entity by entity in id order: every entity the first time, after a
    /// gap only those whose state differs, appeared (`old` is `None`) or went away (`new` is
    /// `None`).
    pub fn apply_snapshot(&mut self, snapshot: Snapshot) -> Vec<Change> {
        let mut fresh: BTreeMap<EntityId, EntityState> =
            snapshot.states.into_iter().map(|s| (s.entity_id.clone(), s)).collect();
        let mut changes = Vec::new();
        for (entity_id, old) in std::mem::take(&mut self.states) {
            match fresh.remove(&entity_id) {
                Some(new) if new == old => {
                    self.states.insert(entity_id, new);
                }
                Some(new) => {
                    changes.push(Change {
                        entity_id: entity_id.clone(),
                        old: Some(old),
                        new: Some(new.clone()),
                    });
                    self.states.insert(entity_id, new);
                }
                None => changes.push(Change { entity_id, old: Some(old), new: None }),
            }
        }
        for (entity_id, new) in fresh {
            changes.push(Change {
                entity_id: entity_id.clone(),
                old: None,
                new: Some(new.clone()),
            });
            self.states.insert(entity_id, new);
        }
        changes.sort_by(|a, b| a.entity_id.cmp(&b.entity_id));
        self.areas = snapshot.areas.into_iter().map(|a| (a.area_id.clone(), a)).collect();
        self.devices = snapshot.devices.into_iter().map(|d| (d.id.clone(), d)).collect();
        self.entries = snapshot.entities.into_iter().map(|e| (e.entity_id.clone(), e)).collect();
        changes
    }

    /// Applies one `state_changed` event; `None` when it changes nothing the mirror holds (a
    /// repeat, or an event older than the state already held, as after a resynchronisation).
    pub fn apply_event(&mut self, event: StateChanged) -> Option<Change> {
        let old = self.states.get(&event.entity_id);
        match event.new_state {
            Some(new) => {
                if let Some(old) = old
                    && (old == &new || new.last_updated < old.last_updated)
                {
                    return None;
                }
                let old = self.states.insert(event.entity_id.clone(), new.clone());
                Some(Change { entity_id: event.entity_id, old, new: Some(new) })
            }
            None => {
                let old = self.states.remove(&event.entity_id)?;
                Some(Change { entity_id: event.entity_id, old: Some(old), new: None })
            }
        }
    }

    pub fn state(&self, entity_id: &EntityId) -> Option<&EntityState> {
        self.states.get(entity_id)
    }

    pub fn states(&self) -> impl Iterator<Item = &EntityState> {
        self.states.values()
    }

    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    pub fn areas(&self) -> impl Iterator<Item = &Area> {
        self.areas.values()
    }

    pub fn area(&self, area_id: &str) -> Option<&Area> {
        self.areas.get(area_id)
    }

    pub fn device(&self, device_id: &str) -> Option<&Device> {
        self.devices.get(device_id)
    }

    pub fn entry(&self, entity_id: &EntityId) -> Option<&EntityEntry> {
        self.entries.get(entity_id)
    }

    /// The area an entity is in: its own, else its device's.
    pub fn area_id_of(&self, entity_id: &EntityId) -> Option<&str> {
        let entry = self.entries.get(entity_id)?;
        entry
            .area_id
            .as_deref()
            .or_else(|| self.devices.get(entry.device_id.as_deref()?)?.area_id.as_deref())
    }

    pub fn area_of(&self, entity_id: &EntityId) -> Option<&Area> {
        self.areas.get(self.area_id_of(entity_id)?)
    }

    /// The entities with a state in this area (their own area, or their device's), leaving
    /// out disabled ones.
    pub fn in_area<'a>(&'a self, area_id: &'a str) -> impl Iterator<Item = &'a EntityState> + 'a {
        self.states.values().filter(move |state| {
            !self.entries.get(&state.entity_id).is_some_and(|e| e.disabled)
                && self.area_id_of(&state.entity_id) == Some(area_id)
        })
    }

    /// The entity's `device_class` attribute, which the security rule reads.
    pub fn device_class(&self, entity_id: &EntityId) -> Option<&str> {
        self.states.get(entity_id)?.attributes.get("device_class")?.as_str()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn id(text: &str) -> EntityId {
        EntityId::parse(text).expect("an entity id")
    }

    fn t(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("time")
            + Duration::seconds(seconds)
    }

    fn state(entity: &str, value: &str, at: i64) -> EntityState {
        EntityState {
            entity_id: id(entity),
            state: value.to_owned(),
            attributes: serde_json::Map::new(),
            last_changed: t(at),
            last_updated: t(at),
        }
    }

    fn area(area_id: &str) -> Area {
        Area { area_id: area_id.into(), name: area_id.into(), floor_id: None, aliases: vec![] }
    }

    fn entry(entity: &str, device: Option<&str>, area: Option<&str>) -> EntityEntry {
        EntityEntry {
            entity_id: id(entity),
            device_id: device.map(str::to_owned),
            area_id: area.map(str::to_owned),
            name: None,
            disabled: false,
        }
    }

    fn home() -> Snapshot {
        Snapshot {
            states: vec![
                state("light.kitchen", "off", 0),
                state("lock.front_door", "locked", 0),
                state("sensor.outside", "4.5", 0),
            ],
            areas: vec![area("kitchen"), area("hall")],
            devices: vec![Device {
                id: "lock_device".into(),
                area_id: Some("hall".into()),
                name: Some("Front door lock".into()),
                manufacturer: None,
                model: None,
            }],
            entities: vec![
                entry("light.kitchen", None, Some("kitchen")),
                entry("lock.front_door", Some("lock_device"), None),
            ],
        }
    }

    #[test]
    fn the_first_snapshot_is_all_new() {
        let mut mirror = Mirror::new();
        let changes = mirror.apply_snapshot(home());
        assert_eq!(changes.len(), 3);
        assert!(changes.iter().all(|c| c.old.is_none() && c.new.is_some()));
        assert_eq!(mirror.len(), 3);
    }

    #[test]
    fn an_entity_without_an_area_is_where_its_device_is() {
        let mut mirror = Mirror::new();
        mirror.apply_snapshot(home());
        assert_eq!(mirror.area_id_of(&id("light.kitchen")), Some("kitchen"));
        assert_eq!(mirror.area_id_of(&id("lock.front_door")), Some("hall"));
        assert_eq!(mirror.area_of(&id("lock.front_door")).map(|a| a.name.as_str()), Some("hall"));
        assert_eq!(mirror.area_id_of(&id("sensor.outside")), None);
        // An entity's own area wins over its device's.
        let mut moved = home();
        moved.entities[1].area_id = Some("kitchen".into());
        mirror.apply_snapshot(moved);
        assert_eq!(mirror.area_id_of(&id("lock.front_door")), Some("kitchen"));
        mirror.apply_snapshot(home());
        let hall: Vec<_> = mirror.in_area("hall").map(|s| s.entity_id.to_string()).collect();
        assert_eq!(hall, ["lock.front_door"]);
    }

    #[test]
    fn events_report_changes_once_and_ignore_stale_ones() {
        let mut mirror = Mirror::new();
        mirror.apply_snapshot(home());
        let on = StateChanged {
            entity_id: id("light.kitchen"),
            old_state: Some(state("light.kitchen", "off", 0)),
            new_state: Some(state("light.kitchen", "on", 10)),
        };
        let change = mirror.apply_event(on.clone()).expect("a change");
        assert_eq!(change.old.map(|s| s.state), Some("off".into()));
        assert_eq!(change.new.map(|s| s.state), Some("on".into()));
        assert_eq!(mirror.apply_event(on), None, "a repeat changes nothing");
        let stale = StateChanged {
            entity_id: id("light.kitchen"),
            old_state: None,
            new_state: Some(state("light.kitchen", "off", 5)),
        };
        assert_eq!(mirror.apply_event(stale), None, "older than what is held");
        assert_eq!(mirror.state(&id("light.kitchen")).map(|s| s.state.as_str()), Some("on"));
        let removed =
            StateChanged { entity_id: id("sensor.outside"), old_state: None, new_state: None };
        let change = mirror.apply_event(removed.clone()).expect("a removal");
        assert!(change.new.is_none());
        assert_eq!(mirror.apply_event(removed), None);
        let added = StateChanged {
            entity_id: id("switch.fan"),
            old_state: None,
            new_state: Some(state("switch.fan", "on", 20)),
        };
        assert!(mirror.apply_event(added).expect("an addition").old.is_none());
    }

    #[test]
    fn a_resynchronisation_returns_only_what_changed_in_the_gap() {
        let mut mirror = Mirror::new();
        mirror.apply_snapshot(home());
        let mut later = home();
        later.states = vec![
            state("light.kitchen", "off", 0),
            state("lock.front_door", "unlocked", 30),
            state("switch.fan", "on", 40),
        ];
        later.entities.push(entry("switch.fan", None, Some("kitchen")));
        let changes = mirror.apply_snapshot(later);
        let summary: Vec<(String, Option<String>, Option<String>)> = changes
            .into_iter()
            .map(|c| (c.entity_id.to_string(), c.old.map(|s| s.state), c.new.map(|s| s.state)))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("lock.front_door".into(), Some("locked".into()), Some("unlocked".into())),
                ("sensor.outside".into(), Some("4.5".into()), None),
                ("switch.fan".into(), None, Some("on".into())),
            ]
        );
        assert_eq!(mirror.area_id_of(&id("switch.fan")), Some("kitchen"));
    }

    #[test]
    fn the_device_class_is_read_from_attributes() {
        let mut mirror = Mirror::new();
        let mut garage = state("cover.garage", "closed", 0);
        garage.attributes.insert("device_class".into(), json!("garage"));
        mirror.apply_snapshot(Snapshot { states: vec![garage], ..Snapshot::default() });
        assert_eq!(mirror.device_class(&id("cover.garage")), Some("garage"));
    }

    fn states_strategy() -> impl Strategy<Value = Vec<EntityState>> {
        proptest::collection::btree_map(0u8..12, (0u8..3, 0i64..5), 0..12).prop_map(|m| {
            m.into_iter()
                .map(|(n, (v, at))| {
                    state(&format!("switch.s{n}"), ["on", "off", "unavailable"][usize::from(v)], at)
                })
                .collect()
        })
    }

    proptest! {
        /// Whatever happened in a gap, the changes a resynchronisation returns, replayed as
        /// events on a copy of the old mirror, give the new snapshot's states.
        #[test]
        fn resync_changes_replayed_reach_the_new_snapshot(before in states_strategy(), after in states_strategy()) {
            let mut mirror = Mirror::new();
            mirror.apply_snapshot(Snapshot { states: before, ..Snapshot::default() });
            let mut replay = mirror.clone();
            let changes = mirror.apply_snapshot(Snapshot { states: after.clone(), ..Snapshot::default() });
            for change in changes {
                prop_assert_eq!(replay.state(&change.entity_id), change.old.as_ref());
                match change.new {
                    Some(new) => { replay.states.insert(change.entity_id, new); }
                    None => { replay.states.remove(&change.entity_id); }
                }
            }
            let expected: Vec<&EntityState> = {
                let mut sorted: Vec<&EntityState> = after.iter().collect();
                sorted.sort_by(|a, b| a.entity_id.cmp(&b.entity_id));
                sorted
            };
            prop_assert_eq!(replay.states().collect::<Vec<_>>(), expected.clone());
            prop_assert_eq!(mirror.states().collect::<Vec<_>>(), expected);
        }

        #[test]
        fn a_second_identical_snapshot_changes_nothing(states in states_strategy()) {
            let mut mirror = Mirror::new();
            mirror.apply_snapshot(Snapshot { states: states.clone(), ..Snapshot::default() });
            let changes = mirror.apply_snapshot(Snapshot { states, ..Snapshot::default() });
            prop_assert!(changes.is_empty());
        }
    }
}
