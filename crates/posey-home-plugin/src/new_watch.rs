//! A watch as a person (through the API) or the companion (through its tool) asks for it,
//! checked: at least one rule, times as `HH:MM`, a threshold with a bound.

use chrono::NaiveTime;
use posey_home::EntityId;
use posey_home::watch::{Threshold, TimeWindow, Watch};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::HomeError;

/// What to watch.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWatch {
    /// The entity, `binary_sensor.front_door`.
    pub entity_id: String,
    /// What the notification is titled ("Front door opened late").
    pub name: String,
    /// The state it must change from (`off`).
    pub from: Option<String>,
    /// The state it must change to (`on`, `open`, `unlocked`).
    pub to: Option<String>,
    /// A number the state (or an attribute) must cross.
    pub threshold: Option<NewThreshold>,
    /// The local time of day the change must happen in: `{"start": "23:00", "end": "06:00"}`.
    pub window: Option<NewWindow>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewThreshold {
    /// The attribute to read (`temperature`); left out: the state itself.
    pub attribute: Option<String>,
    pub above: Option<f64>,
    pub below: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWindow {
    /// `HH:MM`, local time.
    pub start: String,
    /// `HH:MM`, local time; before `start` crosses midnight.
    pub end: String,
}

impl NewWatch {
    /// The watch, with its name; every problem names its field.
    pub fn build(self) -> Result<(String, Watch), HomeError> {
        let entity_id = EntityId::parse(self.entity_id.trim())
            .map_err(|e| HomeError::invalid("entity_id", e))?;
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 500 {
            return Err(HomeError::invalid("name", "must be 1 to 500 characters"));
        }
        let state = |field: &str, value: Option<String>| match value.map(|v| v.trim().to_owned()) {
            Some(v) if v.is_empty() || v.chars().count() > 255 => {
                Err(HomeError::invalid(field, "a state is 1 to 255 characters"))
            }
            other => Ok(other),
        };
        let from = state("from", self.from)?;
        let to = state("to", self.to)?;
        let threshold = match self.threshold {
            None => None,
            Some(t) => {
                if t.above.is_none() && t.below.is_none() {
                    return Err(HomeError::invalid("threshold", "give `above`, `below` or both"));
                }
                if t.above.is_some_and(|v| !v.is_finite())
                    || t.below.is_some_and(|v| !v.is_finite())
                {
                    return Err(HomeError::invalid("threshold", "the bounds must be numbers"));
                }
                if let (Some(above), Some(below)) = (t.above, t.below)
                    && above >= below
                {
                    return Err(HomeError::invalid(
                        "threshold",
                        "`above` must be less than `below`",
                    ));
                }
                Some(Threshold { attribute: t.attribute, above: t.above, below: t.below })
            }
        };
        if from.is_none() && to.is_none() && threshold.is_none() {
            return Err(HomeError::invalid(
                "to",
                "say what to watch for: a state to change to (or from), or a threshold",
            ));
        }
        let window = match self.window {
            None => None,
            Some(w) => {
                let time = |field: &str, text: &str| {
                    NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| {
                        HomeError::invalid(field, format!("{text:?} is not a time as HH:MM"))
                    })
                };
                Some(TimeWindow {
                    start: time("window.start", &w.start)?,
                    end: time("window.end", &w.end)?,
                })
            }
        };
        Ok((name, Watch { id: Uuid::now_v7(), entity_id, from, to, threshold, window }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch(json: serde_json::Value) -> Result<(String, Watch), HomeError> {
        serde_json::from_value::<NewWatch>(json).unwrap().build()
    }

    #[test]
    fn a_watch_needs_a_rule_and_good_times() {
        let (name, w) = watch(serde_json::json!({"entity_id": "binary_sensor.front_door",
            "name": "Door opened late", "to": "on", "window": {"start": "23:00", "end": "06:00"}}))
        .unwrap();
        assert_eq!(name, "Door opened late");
        assert_eq!(w.to.as_deref(), Some("on"));
        assert_eq!(w.window.unwrap().start, NaiveTime::from_hms_opt(23, 0, 0).unwrap());
        let field = |r: Result<(String, Watch), HomeError>| match r {
            Err(HomeError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(watch(serde_json::json!({"entity_id": "light.a", "name": "x"}))), "to");
        assert_eq!(
            field(watch(serde_json::json!({"entity_id": "nope", "name": "x", "to": "on"}))),
            "entity_id"
        );
        assert_eq!(
            field(watch(serde_json::json!({"entity_id": "light.a", "name": "x", "to": "on",
                "window": {"start": "25:00", "end": "06:00"}}))),
            "window.start"
        );
        assert_eq!(
            field(watch(serde_json::json!({"entity_id": "sensor.t", "name": "x",
                "threshold": {"above": 30.0, "below": 20.0}}))),
            "threshold"
        );
    }
}
