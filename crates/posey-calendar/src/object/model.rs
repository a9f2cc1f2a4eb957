//! The typed items: events and to-dos with their times, recurrence, alarms and what is kept
//! as given; an object's occurrences in a window and the span they cover.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::ics::{Component, IcsError, Property};
use crate::recurrence::{Caps, Occurrence, RecurrenceError, Rule, Series};
use crate::when::When;

/// An event or a to-do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Event,
    Todo,
}

impl Kind {
    pub fn component(self) -> &'static str {
        match self {
            Self::Event => "VEVENT",
            Self::Todo => "VTODO",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Todo => "todo",
        }
    }
}

/// STATUS of an event (TENTATIVE, CONFIRMED, CANCELLED) or a to-do (NEEDS-ACTION, COMPLETED,
/// IN-PROCESS, CANCELLED).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Tentative,
    Confirmed,
    Cancelled,
    NeedsAction,
    Completed,
    InProcess,
}

impl Status {
    pub fn as_ics(self) -> &'static str {
        match self {
            Self::Tentative => "TENTATIVE",
            Self::Confirmed => "CONFIRMED",
            Self::Cancelled => "CANCELLED",
            Self::NeedsAction => "NEEDS-ACTION",
            Self::Completed => "COMPLETED",
            Self::InProcess => "IN-PROCESS",
        }
    }

    pub fn parse(kind: Kind, text: &str) -> Option<Self> {
        let status = match text.trim().to_ascii_uppercase().as_str() {
            "TENTATIVE" => Self::Tentative,
            "CONFIRMED" => Self::Confirmed,
            "CANCELLED" => Self::Cancelled,
            "NEEDS-ACTION" => Self::NeedsAction,
            "COMPLETED" => Self::Completed,
            "IN-PROCESS" => Self::InProcess,
            _ => return None,
        };
        let fits = match kind {
            Kind::Event => matches!(status, Self::Tentative | Self::Confirmed | Self::Cancelled),
            Kind::Todo => !matches!(status, Self::Tentative | Self::Confirmed),
        };
        fits.then_some(status)
    }
}

/// When an event ends (DTEND or DURATION) or a to-do is due (DUE or DURATION).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    At(When),
    Duration(Duration),
}

/// What an alarm is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// `TRIGGER:-PT15M`, with `RELATED=END` when relative to the end.
    Relative {
        offset: Duration,
        to_end: bool,
    },
    Absolute(DateTime<Utc>),
}

/// A VALARM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// DISPLAY, AUDIO, EMAIL (kept as given).
    pub action: String,
    pub trigger: Trigger,
    pub description: Option<String>,
    /// Properties not modelled (REPEAT, DURATION, ATTACH, X-...), kept as given.
    pub extra: Vec<Property>,
}

/// One VEVENT or VTODO: a series' master, or an override of one of its occurrences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: Kind,
    pub uid: String,
    /// Set on an override: the original start of the occurrence it replaces.
    pub recurrence_id: Option<When>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub location: Option<String>,
    /// DTSTART (required on an event, optional on a to-do).
    pub start: Option<When>,
    /// DTEND/DURATION of an event; DUE/DURATION of a to-do.
    pub end: Option<End>,
    pub status: Option<Status>,
    pub categories: Vec<String>,
    /// TRANSP:TRANSPARENT: the event does not make its time busy.
    pub transparent: bool,
    /// 1 (highest) to 9; 0 or none: undefined.
    pub priority: Option<u8>,
    pub completed: Option<DateTime<Utc>>,
    pub percent_complete: Option<u8>,
    /// RELATED-TO a parent to-do's UID (a subtask).
    pub parent: Option<String>,
    pub rules: Vec<Rule>,
    pub rdates: Vec<When>,
    pub exdates: Vec<When>,
    pub alarms: Vec<Alarm>,
    pub sequence: u32,
    pub created: Option<DateTime<Utc>>,
    pub last_modified: Option<DateTime<Utc>>,
    /// Properties not modelled (ATTENDEE, ORGANIZER, URL, X-...), kept as given.
    pub extra: Vec<Property>,
    /// Sub-components other than VALARM, kept as given.
    pub extra_components: Vec<Component>,
}

impl Item {
    /// A new item with only what every one has.
    pub fn new(kind: Kind, uid: impl Into<String>) -> Self {
        Self {
            kind,
            uid: uid.into(),
            recurrence_id: None,
            summary: None,
            description: None,
            location: None,
            start: None,
            end: None,
            status: None,
            categories: Vec::new(),
            transparent: false,
            priority: None,
            completed: None,
            percent_complete: None,
            parent: None,
            rules: Vec::new(),
            rdates: Vec::new(),
            exdates: Vec::new(),
            alarms: Vec::new(),
            sequence: 0,
            created: None,
            last_modified: None,
            extra: Vec::new(),
            extra_components: Vec::new(),
        }
    }

    /// How long it lasts: DTEND - DTSTART or DURATION; an all-day event without either lasts
    /// a day, a timed one no time (RFC 5545, 3.6.1).
    pub fn duration(&self, floating_zone: Tz) -> Duration {
        match (self.start, self.end) {
            (_, Some(End::Duration(duration))) => duration.max(Duration::zero()),
            (Some(start), Some(End::At(end))) => {
                (end.instant(floating_zone) - start.instant(floating_zone)).max(Duration::zero())
            }
            (Some(When::Date(_)), None) if self.kind == Kind::Event => Duration::days(1),
            _ => Duration::zero(),
        }
    }

    /// The series its start, rules, RDATEs and EXDATEs make (`None` without a start).
    pub fn series(&self) -> Option<Series> {
        Some(Series {
            start: self.start?,
            rules: self.rules.clone(),
            rdates: self.rdates.clone(),
            exdates: self.exdates.clone(),
        })
    }

    pub fn is_recurring(&self) -> bool {
        !self.rules.is_empty() || !self.rdates.is_empty()
    }

    /// The end as a time (DTEND, or the start plus DURATION in the start's form).
    pub fn end_when(&self, floating_zone: Tz) -> Option<When> {
        match (self.start, self.end) {
            (_, Some(End::At(end))) => Some(end),
            (Some(start), Some(End::Duration(duration))) => {
                Some(shift(&start, duration, floating_zone))
            }
            _ => None,
        }
    }
}

/// `when` moved by `by`: on the wall clock for dates, floating and zoned times (an event an
/// hour long stays an hour on the clock), as an instant for UTC.
pub fn shift(when: &When, by: Duration, _floating_zone: Tz) -> When {
    match *when {
        When::Utc(at) => When::Utc(at + by),
        other => other.with_local(other.local() + by),
    }
}

/// One calendar object resource: a series (or a single event or to-do) and its overrides, all
/// with one UID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub uid: String,
    pub kind: Kind,
    /// `None` when a client sent only overrides (an invitation to some occurrences).
    pub master: Option<Item>,
    /// Sorted by recurrence id.
    pub overrides: Vec<Item>,
}

/// Why a text is not one calendar object, in words a person (or client) can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    #[error(transparent)]
    Ics(#[from] IcsError),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Recurrence(#[from] RecurrenceError),
}

pub(super) fn invalid(message: impl Into<String>) -> ObjectError {
    ObjectError::Invalid(message.into())
}

/// The time an object's occurrences cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub first_start: Option<DateTime<Utc>>,
    /// `None` when it never ends.
    pub last_end: Option<DateTime<Utc>>,
}

/// A recurring object's occurrence with its override applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance<'a> {
    pub occurrence: Occurrence,
    /// The master, or the override of this occurrence.
    pub item: &'a Item,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Object {
    /// Every item, the master first.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.master.iter().chain(&self.overrides)
    }

    pub fn override_of(&self, id: &When, floating_zone: Tz) -> Option<&Item> {
        let start = self.master.as_ref().and_then(|master| master.start)?;
        let id = start.in_form_of(id, floating_zone);
        self.overrides.iter().find(|item| {
            item.recurrence_id.map(|rid| start.in_form_of(&rid, floating_zone)) == Some(id)
        })
    }

    /// The occurrences overlapping [from, to) with their overrides applied; an override moved
    /// into the window from outside it is in, one moved out of it is not.
    pub fn instances(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        floating_zone: Tz,
        caps: &Caps,
    ) -> Result<Vec<Instance<'_>>, RecurrenceError> {
        let mut found = Vec::new();
        let overlaps = |start: DateTime<Utc>, end: DateTime<Utc>| {
            start < to && (end > from || (start == end && start >= from))
        };
        if let Some(master) = &self.master
            && let Some(series) = master.series()
        {
            let duration = master.duration(floating_zone);
            // Overrides may move an occurrence by any amount: the master's occurrences are
            // found for the window and each replaced by its override if it has one.
            let mut ids = std::collections::HashMap::new();
            for (index, item) in self.overrides.iter().enumerate() {
                if let Some(rid) = item.recurrence_id {
                    ids.insert(series.start.in_form_of(&rid, floating_zone), index);
                }
            }
            for occurrence in series.occurrences(from, to, duration, floating_zone, caps)? {
                if ids.contains_key(&occurrence.id) {
                    continue;
                }
                found.push(Instance {
                    occurrence,
                    item: master,
                    start: occurrence.start,
                    end: occurrence.start + duration,
                });
            }
            for item in &self.overrides {
                let Some(rid) = item.recurrence_id else { continue };
                let id = series.start.in_form_of(&rid, floating_zone);
                if series.exdates.iter().any(|ex| series.start.in_form_of(ex, floating_zone) == id)
                {
                    continue;
                }
                let start = item.start.unwrap_or(id).instant(floating_zone);
                let end = start + item.duration(floating_zone);
                if overlaps(start, end) {
                    let occurrence = Occurrence { id, start: id.instant(floating_zone) };
                    found.push(Instance { occurrence, item, start, end });
                }
            }
        } else {
            // Overrides without a master: each is an occurrence of its own.
            for item in &self.overrides {
                let Some(rid) = item.recurrence_id else { continue };
                let begins = item.start.unwrap_or(rid).instant(floating_zone);
                let end = begins + item.duration(floating_zone);
                if overlaps(begins, end) {
                    let occurrence = Occurrence { id: rid, start: rid.instant(floating_zone) };
                    found.push(Instance { occurrence, item, start: begins, end });
                }
            }
        }
        if found.len() > caps.max_occurrences {
            return Err(RecurrenceError::TooMany { limit: caps.max_occurrences });
        }
        found.sort_by_key(|instance| (instance.start, instance.occurrence.start));
        Ok(found)
    }

    /// The span the object's occurrences cover, for indexing: the first start and the last
    /// end (`None`: it never ends).
    pub fn span(&self, floating_zone: Tz, caps: &Caps) -> Result<Span, RecurrenceError> {
        let mut first: Option<DateTime<Utc>> = None;
        let mut last: Option<DateTime<Utc>> = None;
        let mut endless = false;
        for item in self.items() {
            // A to-do with only a DUE is there when it is due.
            let due = match item.end {
                Some(End::At(due)) if item.kind == Kind::Todo => Some(due),
                _ => None,
            };
            let Some(start) = item.start.or(item.recurrence_id).or(due) else { continue };
            let begins = start.instant(floating_zone);
            first = Some(first.map_or(begins, |first| first.min(begins)));
            let duration = item.duration(floating_zone);
            let item_last = match item.series() {
                Some(series) if item.recurrence_id.is_none() && series.is_recurring() => {
                    series.last_start(floating_zone, caps)?
                }
                _ => Some(begins),
            };
            match item_last {
                Some(at) => last = Some(last.map_or(at + duration, |last| last.max(at + duration))),
                None => endless = true,
            }
            if let Some(End::At(due)) = item.end.filter(|_| item.kind == Kind::Todo) {
                let due = due.instant(floating_zone);
                first = Some(first.map_or(due, |first| first.min(due)));
            }
        }
        Ok(Span { first_start: first, last_end: if endless { None } else { last } })
    }
}
