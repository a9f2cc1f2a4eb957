//! Watches: a person's rule on state changes ("tell me if the front door opens after 23:00"),
//! and the key that lets each change fire a watch at most once.

use chrono::{NaiveTime, Timelike};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entity::{Change, EntityId, EntityState};

/// A watch on one entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Watch {
    pub id: Uuid,
    pub entity_id: EntityId,
    /// The state it must change from (`off`), if any.
    #[serde(default)]
    pub from: Option<String>,
    /// The state it must change to (`on`), if any.
    #[serde(default)]
    pub to: Option<String>,
    /// A number the state or an attribute must cross, if any.
    #[serde(default)]
    pub threshold: Option<Threshold>,
    /// The time of day, in the person's zone, the change must happen in, if any.
    #[serde(default)]
    pub window: Option<TimeWindow>,
}

/// A number crossing into a range: above `above` and/or below `below`, as Home Assistant's
/// numeric state trigger. It fires when the value enters the range, not again while it stays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// The attribute to read (`temperature`, `battery`); `None` reads the state itself.
    #[serde(default)]
    pub attribute: Option<String>,
    #[serde(default)]
    pub above: Option<f64>,
    #[serde(default)]
    pub below: Option<f64>,
}

impl Threshold {
    fn value(&self, state: &EntityState) -> Option<f64> {
        match &self.attribute {
            Some(name) => state.attribute_number(name),
            None => state.number(),
        }
    }

    fn holds(&self, value: f64) -> bool {
        (self.above.is_some() || self.below.is_some())
            && self.above.is_none_or(|above| value > above)
            && self.below.is_none_or(|below| value < below)
    }
}

/// From `start` to `end`, local time; `23:00`-`06:00` crosses midnight. Start is in the
/// window, end is not; equal ends mean the whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl TimeWindow {
    pub fn contains(&self, time: NaiveTime) -> bool {
        match self.start.cmp(&self.end) {
            std::cmp::Ordering::Less => self.start <= time && time < self.end,
            std::cmp::Ordering::Greater => time >= self.start || time < self.end,
            std::cmp::Ordering::Equal => true,
        }
    }
}

/// Whether this change fires this watch, for a person in zone `tz`. The change's time is when
/// the new state was written (`last_updated`).
pub fn fires(watch: &Watch, change: &Change, tz: Tz) -> bool {
    if change.entity_id != watch.entity_id {
        return false;
    }
    // An entity going away is not something a watch is about.
    let Some(new) = &change.new else { return false };
    let old = change.old.as_ref();
    let any_rule = watch.from.is_some() || watch.to.is_some() || watch.threshold.is_some();
    if (watch.from.is_some() || watch.to.is_some() || !any_rule) && !change.state_changed() {
        return false;
    }
    if let Some(from) = &watch.from
        && old.map(|s| &s.state) != Some(from)
    {
        return false;
    }
    if let Some(to) = &watch.to
        && &new.state != to
    {
        return false;
    }
    if let Some(threshold) = &watch.threshold {
        let now = threshold.value(new).is_some_and(|v| threshold.holds(v));
        let before = old.and_then(|s| threshold.value(s)).is_some_and(|v| threshold.holds(v));
        if !now || before {
            return false;
        }
    }
    if let Some(window) = &watch.window {
        let local = new.last_updated.with_timezone(&tz).time();
        // Whole seconds: 23:00:00.4 is 23:00.
        let local = local.with_nanosecond(0).unwrap_or(local);
        if !window.contains(local) {
            return false;
        }
    }
    true
}

/// The key that makes a change fire a watch at most once, however often it is seen (after a
/// resynchronisation, on a second replica): the watch, the entity and when the state was written.
pub fn dedupe_key(watch: &Watch, change: &Change) -> String {
    let at = change
        .new
        .as_ref()
        .or(change.old.as_ref())
        .map(|s| s.last_updated.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .unwrap_or_default();
    format!("{}:{}:{}", watch.id, change.entity_id, at)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn id(text: &str) -> EntityId {
        EntityId::parse(text).expect("an entity id")
    }

    fn state(
        entity: &str,
        value: &str,
        at: DateTime<Utc>,
        attributes: serde_json::Value,
    ) -> EntityState {
        EntityState {
            entity_id: id(entity),
            state: value.to_owned(),
            attributes: attributes.as_object().cloned().unwrap_or_default(),
            last_changed: at,
            last_updated: at,
        }
    }

    fn change(entity: &str, old: Option<&str>, new: &str, at: DateTime<Utc>) -> Change {
        Change {
            entity_id: id(entity),
            old: old.map(|o| state(entity, o, at - chrono::Duration::minutes(5), json!({}))),
            new: Some(state(entity, new, at, json!({}))),
        }
    }

    fn door_after_23() -> Watch {
        Watch {
            id: Uuid::from_u128(7),
            entity_id: id("binary_sensor.front_door"),
            from: Some("off".into()),
            to: Some("on".into()),
            threshold: None,
            window: Some(TimeWindow {
                start: NaiveTime::from_hms_opt(23, 0, 0).expect("time"),
                end: NaiveTime::from_hms_opt(6, 0, 0).expect("time"),
            }),
        }
    }

    fn berlin(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Berlin
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("a local time")
            .with_timezone(&Utc)
    }

    #[test]
    fn the_front_door_opening_after_23_fires_in_the_persons_zone() {
        let tz = chrono_tz::Europe::Berlin;
        let watch = door_after_23();
        let door = "binary_sensor.front_door";
        assert!(fires(&watch, &change(door, Some("off"), "on", berlin(2026, 1, 10, 23, 30)), tz));
        assert!(fires(&watch, &change(door, Some("off"), "on", berlin(2026, 1, 11, 2, 0)), tz));
        assert!(fires(&watch, &change(door, Some("off"), "on", berlin(2026, 7, 11, 23, 0)), tz));
        assert!(!fires(&watch, &change(door, Some("off"), "on", berlin(2026, 1, 10, 22, 59)), tz));
        assert!(!fires(&watch, &change(door, Some("off"), "on", berlin(2026, 1, 11, 6, 0)), tz));
        assert!(!fires(&watch, &change(door, Some("on"), "off", berlin(2026, 1, 10, 23, 30)), tz));
        // 22:30 UTC is 23:30 in Berlin in winter, but not in New York.
        let at = Utc.with_ymd_and_hms(2026, 1, 10, 22, 30, 0).single().expect("time");
        assert!(fires(&watch, &change(door, Some("off"), "on", at), tz));
        assert!(!fires(&watch, &change(door, Some("off"), "on", at), chrono_tz::America::New_York));
    }

    #[test]
    fn another_entity_a_removal_or_an_attribute_update_does_not_fire() {
        let tz = chrono_tz::UTC;
        let at = berlin(2026, 1, 10, 23, 30);
        let watch = door_after_23();
        assert!(!fires(&watch, &change("binary_sensor.back_door", Some("off"), "on", at), tz));
        let gone =
            Change { new: None, ..change("binary_sensor.front_door", Some("off"), "on", at) };
        assert!(!fires(&watch, &gone, tz));
        let any = Watch { from: None, to: None, window: None, ..door_after_23() };
        let same = change("binary_sensor.front_door", Some("on"), "on", at);
        assert!(!fires(&any, &same, tz));
        assert!(fires(&any, &change("binary_sensor.front_door", Some("off"), "on", at), tz));
        assert!(fires(&any, &change("binary_sensor.front_door", None, "on", at), tz));
    }

    #[test]
    fn a_threshold_fires_when_crossed_not_while_it_stays() {
        let tz = chrono_tz::UTC;
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().expect("time");
        let watch = Watch {
            id: Uuid::from_u128(1),
            entity_id: id("climate.hall"),
            from: None,
            to: None,
            threshold: Some(Threshold {
                attribute: Some("current_temperature".into()),
                above: Some(25.0),
                below: None,
            }),
            window: None,
        };
        let temp = |old: f64, new: f64| Change {
            entity_id: id("climate.hall"),
            old: Some(state("climate.hall", "heat", at, json!({"current_temperature": old}))),
            new: Some(state("climate.hall", "heat", at, json!({"current_temperature": new}))),
        };
        assert!(fires(&watch, &temp(24.0, 25.5), tz));
        assert!(!fires(&watch, &temp(25.5, 26.0), tz));
        assert!(!fires(&watch, &temp(26.0, 24.0), tz));
        assert!(!fires(&watch, &temp(24.0, 25.0), tz));
        let on_state = Watch {
            entity_id: id("sensor.co2"),
            threshold: Some(Threshold {
                attribute: None,
                above: Some(1000.0),
                below: Some(5000.0),
            }),
            ..watch
        };
        assert!(fires(&on_state, &change("sensor.co2", Some("900"), "1200", at), tz));
        assert!(!fires(&on_state, &change("sensor.co2", Some("900"), "unavailable", at), tz));
        assert!(!fires(&on_state, &change("sensor.co2", Some("900"), "6000", at), tz));
    }

    #[test]
    fn the_dedupe_key_is_the_same_for_the_same_change() {
        let at = berlin(2026, 1, 10, 23, 30);
        let watch = door_after_23();
        let one = change("binary_sensor.front_door", Some("off"), "on", at);
        let again = one.clone();
        let later = change(
            "binary_sensor.front_door",
            Some("off"),
            "on",
            at + chrono::Duration::seconds(1),
        );
        assert_eq!(dedupe_key(&watch, &one), dedupe_key(&watch, &again));
        assert_ne!(dedupe_key(&watch, &one), dedupe_key(&watch, &later));
        assert_eq!(
            dedupe_key(&watch, &one),
            "00000000-0000-0000-0000-000000000007:binary_sensor.front_door:2026-01-10T22:30:00.000000Z"
        );
    }

    proptest! {
        #[test]
        fn a_window_and_its_complement_split_the_day(s in 0u32..1440, e in 0u32..1440, t in 0u32..86_400) {
            prop_assume!(s != e);
            let at = |m: u32| NaiveTime::from_hms_opt(m / 60, m % 60, 0).expect("time");
            let window = TimeWindow { start: at(s), end: at(e) };
            let rest = TimeWindow { start: at(e), end: at(s) };
            let time = NaiveTime::from_num_seconds_from_midnight_opt(t, 0).expect("time");
            prop_assert!(window.contains(time) != rest.contains(time));
        }
    }
}
