//! The JSON the REST API speaks, and its translation to and from the calendar domain. A time
//! is `{"date": "2025-07-01"}` (all day), `{"date_time": "2025-07-01T09:00:00", "time_zone":
//! "Europe/Berlin"}` (zoned; the calendar's zone when left out), `{"date_time":
//! "2025-07-01T07:00:00Z"}` (an instant) or `{"date_time": ..., "floating": true}`.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use posey_calendar::ics::values;
use posey_calendar::recurrence::Rule;
use posey_calendar::{Alarm, End, Item, Status, Trigger, When};
use serde::{Deserialize, Serialize};

use crate::store::StoreError;

/// A date or a time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Time {
    /// An all-day date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// `YYYY-MM-DDTHH:MM[:SS]`, local in `time_zone`; with `Z` or an offset, an instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_time: Option<String>,
    /// An IANA zone; the calendar's when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// A wall-clock time with no zone: the same hour wherever the person is.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub floating: bool,
    /// (Output only) the instant, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

impl Time {
    /// `when` as JSON, with its instant read in `zone`.
    pub fn of(when: &When, zone: Tz) -> Self {
        let at = Some(rfc3339(when.instant(zone)));
        match *when {
            When::Date(day) => Self { date: Some(day.to_string()), at, ..Self::default() },
            When::Floating(local) => {
                Self { date_time: Some(wall(local)), floating: true, at, ..Self::default() }
            }
            When::Utc(instant) => Self { date_time: Some(rfc3339(instant)), at, ..Self::default() },
            When::Zoned { local, zone } => Self {
                date_time: Some(wall(local)),
                time_zone: Some(zone.name().to_owned()),
                at,
                ..Self::default()
            },
        }
    }

    /// The time this JSON names; `field` names it in errors, `zone` is the calendar's.
    pub fn parse(&self, field: &'static str, zone: Tz) -> Result<When, StoreError> {
        let bad = |message: String| StoreError::Invalid { field, message };
        match (&self.date, &self.date_time) {
            (Some(date), None) => {
                if self.time_zone.is_some() || self.floating {
                    return Err(bad("a date takes no time_zone or floating".into()));
                }
                NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                    .map(When::Date)
                    .map_err(|_| bad(format!("{date:?} is not a date (YYYY-MM-DD)")))
            }
            (None, Some(text)) => {
                let text = text.trim();
                if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
                    if self.time_zone.is_some() || self.floating {
                        return Err(bad(
                            "a time with an offset takes no time_zone or floating".into()
                        ));
                    }
                    return Ok(When::Utc(instant.with_timezone(&Utc)));
                }
                let local = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
                    .iter()
                    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
                    .ok_or_else(|| {
                        bad(format!(
                            "{text:?} is not a time (YYYY-MM-DDTHH:MM[:SS], with Z or an offset for an instant)"
                        ))
                    })?;
                if self.floating {
                    if self.time_zone.is_some() {
                        return Err(bad("a floating time takes no time_zone".into()));
                    }
                    return Ok(When::Floating(local));
                }
                let zone = match &self.time_zone {
                    Some(name) => parse_zone(name)
                        .map_err(|message| StoreError::Invalid { field, message })?,
                    None => zone,
                };
                Ok(When::Zoned { local, zone })
            }
            (Some(_), Some(_)) => Err(bad("give date or date_time, not both".into())),
            (None, None) => Err(bad("give date (all day) or date_time".into())),
        }
    }
}

pub fn parse_zone(name: &str) -> Result<Tz, String> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| format!("unknown time zone {name:?}; use an IANA name such as Europe/Berlin"))
}

fn wall(local: NaiveDateTime) -> String {
    local.format("%Y-%m-%dT%H:%M:%S").to_string()
}

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An occurrence's id as the `occurrence` parameter takes it: the date of an all-day one, else
/// the instant it originally started.
pub fn occurrence_param(id: &When, zone: Tz) -> String {
    match id {
        When::Date(day) => day.to_string(),
        other => rfc3339(other.instant(zone)),
    }
}

/// The `occurrence` parameter read back.
pub fn parse_occurrence(text: &str) -> Result<When, StoreError> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(When::Date(day));
    }
    DateTime::parse_from_rfc3339(text).map(|at| When::Utc(at.with_timezone(&Utc))).map_err(|_| {
        StoreError::invalid(
            "occurrence",
            format!("{text:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 time"),
        )
    })
}

/// A recurrence: RFC 5545 rules, extra dates and excluded dates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    /// RRULE values, such as `FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10`.
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub dates: Vec<Time>,
    #[serde(default)]
    pub excluded: Vec<Time>,
}

impl Recurrence {
    pub fn of(item: &Item, zone: Tz) -> Option<Self> {
        item.is_recurring().then(|| Self {
            rules: item.rules.iter().map(ToString::to_string).collect(),
            dates: item.rdates.iter().map(|when| Time::of(when, zone)).collect(),
            excluded: item.exdates.iter().map(|when| Time::of(when, zone)).collect(),
        })
    }

    /// Sets `item`'s rules and dates from this.
    pub fn apply(&self, item: &mut Item, zone: Tz) -> Result<(), StoreError> {
        item.rules = self
            .rules
            .iter()
            .map(|rule| Rule::parse(rule.strip_prefix("RRULE:").unwrap_or(rule)))
            .collect::<Result<_, _>>()
            .map_err(|error| StoreError::invalid("recurrence.rules", error))?;
        item.rdates = self
            .dates
            .iter()
            .map(|time| time.parse("recurrence.dates", zone))
            .collect::<Result<_, _>>()?;
        item.exdates = self
            .excluded
            .iter()
            .map(|time| time.parse("recurrence.excluded", zone))
            .collect::<Result<_, _>>()?;
        Ok(())
    }
}

/// An alarm: `offset` before (negative) or after the start (or the end, `related: "end"`), or
/// at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmJson {
    /// `display` (the default), `audio` or `email`.
    #[serde(default = "display")]
    pub action: String,
    /// An ISO 8601 duration relative to the start or end: `-PT15M` is 15 minutes before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<String>,
    /// `start` (the default) or `end`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<String>,
    /// An instant instead of an offset (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn display() -> String {
    "display".to_owned()
}

impl AlarmJson {
    pub fn of(alarm: &Alarm) -> Self {
        let (offset, related, at) = match alarm.trigger {
            Trigger::Relative { offset, to_end } => (
                Some(values::write_duration(offset)),
                Some(if to_end { "end" } else { "start" }.to_owned()),
                None,
            ),
            Trigger::Absolute(at) => (None, None, Some(rfc3339(at))),
        };
        Self {
            action: alarm.action.to_ascii_lowercase(),
            offset,
            related,
            at,
            description: alarm.description.clone(),
        }
    }

    pub fn parse(&self) -> Result<Alarm, StoreError> {
        let bad = |message: String| StoreError::Invalid { field: "alarms", message };
        let action = self.action.trim().to_ascii_uppercase();
        if !matches!(action.as_str(), "DISPLAY" | "AUDIO" | "EMAIL") {
            return Err(bad(format!("action {:?} is not display, audio or email", self.action)));
        }
        let trigger = match (&self.offset, &self.at) {
            (Some(offset), None) => Trigger::Relative {
                offset: values::duration(offset).map_err(|m| bad(format!("offset: {m}")))?,
                to_end: match self.related.as_deref() {
                    None | Some("start") => false,
                    Some("end") => true,
                    Some(other) => {
                        return Err(bad(format!("related {other:?} is not start or end")));
                    }
                },
            },
            (None, Some(at)) => Trigger::Absolute(
                DateTime::parse_from_rfc3339(at)
                    .map_err(|_| bad(format!("at {at:?} is not an RFC 3339 time")))?
                    .with_timezone(&Utc),
            ),
            _ => return Err(bad("give offset or at".into())),
        };
        Ok(Alarm { action, trigger, description: self.description.clone(), extra: Vec::new() })
    }
}

pub fn parse_status(text: &str, todo: bool) -> Result<Status, StoreError> {
    let kind = if todo { posey_calendar::Kind::Todo } else { posey_calendar::Kind::Event };
    Status::parse(kind, &text.replace('_', "-")).ok_or_else(|| {
        let allowed = if todo {
            "needs_action, in_process, completed or cancelled"
        } else {
            "tentative, confirmed or cancelled"
        };
        StoreError::invalid("status", format!("{text:?} is not one of {allowed}"))
    })
}

pub fn status_name(status: Status) -> String {
    status.as_ics().to_ascii_lowercase().replace('-', "_")
}

/// An ISO 8601 duration (`PT1H30M`) read, for an event's length.
pub fn parse_duration(field: &'static str, text: &str) -> Result<Duration, StoreError> {
    let duration = values::duration(text).map_err(|m| StoreError::invalid(field, m))?;
    if duration < Duration::zero() {
        return Err(StoreError::invalid(field, "must not be negative"));
    }
    Ok(duration)
}

/// The end of `item` as JSON.
pub fn end_of(item: &Item, zone: Tz) -> Option<Time> {
    match item.end {
        Some(End::At(end)) => Some(Time::of(&end, zone)),
        Some(End::Duration(_)) => item.end_when(zone).map(|end| Time::of(&end, zone)),
        None => None,
    }
}

pub use posey_http::json::nullable;
