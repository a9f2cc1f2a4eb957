//! What the routes and the tools both do with a person's calendar: create, list occurrences
//! in a window, edit and delete in the three scopes, import and export ICS. A subscribed
//! calendar is filled from its URL alone: every change a person asks for is refused here
//! ([`ChangeError::ReadOnly`]), and CalDAV, which writes through the store, asks [`writable`].

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use posey_calendar::edit::{self, Edit, Edited, Patch, Scope};
use posey_calendar::ics::Limits;
use posey_calendar::object::{Skipped, calendar_of, parse_calendar_lenient};
use posey_calendar::{Item, Kind, Object, When};
use posey_http::ApiError;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::{self, Calendar, ObjectRow};
use crate::schemas::{AlarmJson, Recurrence, Time, end_of, occurrence_param, status_name};
use crate::store::{self, CAPS, Change, PRODID, Precondition, Saved, StoreError, zone_of};

/// The name of the calendar a person gets when they first need one.
pub const DEFAULT_CALENDAR: &str = "Personal";

/// The longest window one listing may ask for.
pub const MAX_WINDOW_DAYS: i64 = 3660;

/// The occurrences one listing returns at most (over all the person's events).
pub const MAX_OCCURRENCES: usize = 5_000;

/// Why a change a person asked for was not made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The calendar is a subscription: what is in it comes from its URL (HTTP 403).
    #[error("{0}")]
    ReadOnly(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ChangeError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.into())
    }
}

impl From<ChangeError> for ApiError {
    fn from(error: ChangeError) -> Self {
        match error {
            ChangeError::ReadOnly(message) => ApiError::Forbidden(message),
            ChangeError::Store(error) => error.into(),
        }
    }
}

/// Refuses changes to a subscribed calendar's events and to-dos, saying what to do instead.
pub fn writable(calendar: &Calendar) -> Result<(), ChangeError> {
    if calendar.subscribed {
        return Err(ChangeError::ReadOnly(format!(
            "\"{}\" is a subscription: its events come from its URL and are read-only here; \
             change them where they are published, or delete the calendar to unsubscribe",
            calendar.name
        )));
    }
    Ok(())
}

/// The calendar named, or the person's first (made in `zone` when they have none).
pub async fn calendar_or_default(
    db: &PgPool,
    person: Uuid,
    id: Option<Uuid>,
    zone: Tz,
) -> Result<Calendar, StoreError> {
    match id {
        Some(id) => db::calendar(db, person, id)
            .await?
            .ok_or_else(|| StoreError::NotFound("no such calendar".into())),
        None => Ok(db::default_calendar(db, person, DEFAULT_CALENDAR, zone.name()).await?),
    }
}

/// A new UID for an item Posey makes.
pub fn new_uid() -> String {
    format!("{}@posey", Uuid::now_v7())
}

/// Stores a new event or to-do (`item`, without RECURRENCE-ID) in `calendar`.
pub async fn create(
    db: &PgPool,
    person: Uuid,
    calendar: &Calendar,
    mut item: Item,
) -> Result<Saved, ChangeError> {
    writable(calendar)?;
    let now = store::now();
    item.created = Some(now);
    item.last_modified = Some(now);
    let object = Object {
        uid: item.uid.clone(),
        kind: item.kind,
        master: Some(item),
        overrides: Vec::new(),
    };
    check_expands(&object, zone_of(calendar))?;
    let mut saved = store::commit(
        db,
        person,
        calendar.id,
        vec![Change::Put {
            object: Box::new(object),
            href: None,
            precondition: Precondition::Absent,
        }],
    )
    .await?;
    Ok(saved.remove(0))
}

/// Refuses an object whose recurrence cannot be expanded within the caps (its span).
fn check_expands(object: &Object, zone: Tz) -> Result<(), StoreError> {
    object.span(zone, &CAPS).map(|_| ()).map_err(|error| StoreError::invalid("recurrence", error))
}

/// One occurrence of an event (or a to-do) in a window.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OccurrenceJson {
    /// The event's id (the series').
    pub event_id: Uuid,
    pub calendar_id: Uuid,
    pub uid: String,
    /// For a recurring event: what `occurrence` takes to edit or delete this one.
    #[schema(required = true)]
    pub occurrence: Option<String>,
    pub recurring: bool,
    #[schema(required = true)]
    pub summary: Option<String>,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true)]
    pub location: Option<String>,
    pub start: Time,
    pub end: Time,
    pub all_day: bool,
    #[schema(required = true)]
    pub status: Option<String>,
    pub categories: Vec<String>,
    /// Whether it leaves its time free.
    pub transparent: bool,
    pub alarms: Vec<AlarmJson>,
    /// The series' ETag, for `If-Match`.
    pub etag: String,
}

/// The person's occurrences overlapping [from, to), by start.
pub async fn occurrences(
    db: &PgPool,
    person: Uuid,
    calendar: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<OccurrenceJson>, StoreError> {
    if to <= from {
        return Err(StoreError::invalid("to", "must be after from"));
    }
    if to - from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(StoreError::invalid(
            "to",
            format!("the window is longer than {MAX_WINDOW_DAYS} days; ask for a shorter one"),
        ));
    }
    let rows = db::objects_in_range(db, person, calendar, "event", Some((from, to))).await?;
    let mut found = Vec::new();
    for row in &rows {
        let object = store::read(row)?;
        let zone: Tz = row.time_zone.parse().unwrap_or(Tz::UTC);
        let instances = object
            .instances(from, to, zone, &CAPS)
            .map_err(|error| StoreError::invalid("to", format!("{} ({})", error, object.uid)))?;
        for instance in instances {
            let item = instance.item;
            let all_day = item.start.is_some_and(|start| start.is_date());
            let recurring = object.master.as_ref().is_some_and(Item::is_recurring);
            let start_when = item.start.unwrap_or(instance.occurrence.id);
            let start_when = if item.recurrence_id.is_none() && recurring {
                instance.occurrence.id
            } else {
                start_when
            };
            let end_when = posey_calendar::object::shift(
                &start_when,
                Duration::seconds((instance.end - instance.start).num_seconds()),
                zone,
            );
            found.push((
                instance.start,
                OccurrenceJson {
                    event_id: row.id,
                    calendar_id: row.calendar_id,
                    uid: object.uid.clone(),
                    occurrence: recurring.then(|| occurrence_param(&instance.occurrence.id, zone)),
                    recurring,
                    summary: item.summary.clone(),
                    description: item.description.clone(),
                    location: item.location.clone(),
                    start: Time::of(&start_when, zone),
                    end: Time::of(&end_when, zone),
                    all_day,
                    status: item.status.map(status_name),
                    categories: item.categories.clone(),
                    transparent: item.transparent,
                    alarms: item.alarms.iter().map(AlarmJson::of).collect(),
                    etag: row.etag.clone(),
                },
            ));
        }
        if found.len() > MAX_OCCURRENCES {
            return Err(StoreError::invalid(
                "to",
                format!(
                    "more than {MAX_OCCURRENCES} occurrences in the window; ask for a shorter one"
                ),
            ));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.event_id.cmp(&b.1.event_id)));
    Ok(found.into_iter().map(|(_, occurrence)| occurrence).collect())
}

/// An event or to-do whole, as `GET /v1/events/{id}` shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventJson {
    pub id: Uuid,
    pub calendar_id: Uuid,
    pub uid: String,
    pub etag: String,
    #[schema(required = true)]
    pub summary: Option<String>,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(required = true)]
    pub location: Option<String>,
    #[schema(required = true)]
    pub start: Option<Time>,
    /// An event's end, a to-do's due time.
    #[schema(required = true)]
    pub end: Option<Time>,
    pub all_day: bool,
    #[schema(required = true)]
    pub status: Option<String>,
    pub categories: Vec<String>,
    pub transparent: bool,
    /// 1 (highest) to 9.
    #[schema(required = true)]
    pub priority: Option<u8>,
    #[schema(required = true)]
    pub completed_at: Option<DateTime<Utc>>,
    /// A subtask's parent to-do, by UID.
    #[schema(required = true)]
    pub parent_uid: Option<String>,
    #[schema(required = true)]
    pub recurrence: Option<Recurrence>,
    pub alarms: Vec<AlarmJson>,
    /// The occurrences changed on their own ("this one" edits), by occurrence.
    pub overrides: Vec<OverrideJson>,
    pub updated_at: DateTime<Utc>,
}

/// One occurrence that differs from its series.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverrideJson {
    pub occurrence: String,
    #[schema(required = true)]
    pub summary: Option<String>,
    #[schema(required = true)]
    pub start: Option<Time>,
    #[schema(required = true)]
    pub end: Option<Time>,
    #[schema(required = true)]
    pub status: Option<String>,
}

pub fn event_json(row: &ObjectRow, object: &Object) -> EventJson {
    let zone: Tz = row.time_zone.parse().unwrap_or(Tz::UTC);
    let empty = Item::new(object.kind, object.uid.clone());
    let item = object.master.as_ref().or(object.overrides.first()).unwrap_or(&empty);
    EventJson {
        id: row.id,
        calendar_id: row.calendar_id,
        uid: object.uid.clone(),
        etag: row.etag.clone(),
        summary: item.summary.clone(),
        description: item.description.clone(),
        location: item.location.clone(),
        start: item.start.map(|start| Time::of(&start, zone)),
        end: end_of(item, zone),
        all_day: item.start.is_some_and(|start| start.is_date()),
        status: item.status.map(status_name),
        categories: item.categories.clone(),
        transparent: item.transparent,
        priority: item.priority,
        completed_at: item.completed,
        parent_uid: item.parent.clone(),
        recurrence: Recurrence::of(item, zone),
        alarms: item.alarms.iter().map(AlarmJson::of).collect(),
        overrides: object
            .overrides
            .iter()
            .filter_map(|o| {
                Some(OverrideJson {
                    occurrence: occurrence_param(&o.recurrence_id?, zone),
                    summary: o.summary.clone(),
                    start: o.start.map(|start| Time::of(&start, zone)),
                    end: end_of(o, zone),
                    status: o.status.map(status_name),
                })
            })
            .collect(),
        updated_at: row.updated_at,
    }
}

/// A person's object by id, with its parsed form.
pub async fn load(
    db: &PgPool,
    person: Uuid,
    id: Uuid,
    kind: Kind,
) -> Result<(ObjectRow, Object), StoreError> {
    let what = if kind == Kind::Event { "event" } else { "to-do" };
    let row = db::object(db, person, id)
        .await?
        .filter(|row| row.kind == kind.as_str())
        .ok_or_else(|| StoreError::NotFound(format!("no such {what}")))?;
    let object = store::read(&row)?;
    Ok((row, object))
}

/// Where an edit or deletion lands.
#[derive(Debug, Clone)]
pub struct Target {
    pub scope: Scope,
    pub occurrence: Option<When>,
    /// The caller's `If-Match`.
    pub if_match: Option<String>,
}

/// What an edit or deletion left: the object (`None`: gone) and the series split off.
pub struct Outcome {
    pub object: Option<Saved>,
    pub split: Option<Saved>,
}

/// Edits (`patch`) or, without one, deletes the occurrences `target` names.
pub async fn change(
    db: &PgPool,
    person: Uuid,
    id: Uuid,
    kind: Kind,
    patch: Option<&Patch>,
    target: &Target,
) -> Result<Outcome, ChangeError> {
    let (row, object) = load(db, person, id, kind).await?;
    let calendar = db::calendar(db, person, row.calendar_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("no such calendar".into()))?;
    writable(&calendar)?;
    let zone: Tz = row.time_zone.parse().unwrap_or(Tz::UTC);
    if target.scope != Scope::All
        && target.occurrence.is_none()
        && object.master.as_ref().is_some_and(Item::is_recurring)
    {
        return Err(StoreError::invalid(
            "occurrence",
            "name the occurrence (its `occurrence` from the listing) for scope this or following",
        )
        .into());
    }
    let new_uid = new_uid();
    let at = Edit {
        scope: target.scope,
        occurrence: target.occurrence,
        now: store::now(),
        floating_zone: zone,
        caps: &CAPS,
        new_uid: &new_uid,
    };
    let Edited { object: kept, split } = match patch {
        Some(patch) => edit::edit(&object, patch, &at),
        None => edit::delete(&object, &at),
    }
    .map_err(|error| match error {
        edit::EditError::NotAnOccurrence(_) => StoreError::invalid("occurrence", error),
        other => StoreError::invalid("event", other),
    })?;
    let precondition =
        Precondition::Exists(Some(target.if_match.clone().unwrap_or_else(|| row.etag.clone())));
    let mut changes = Vec::new();
    match &kept {
        Some(kept) => {
            check_expands(kept, zone)?;
            changes.push(Change::Put { object: Box::new(kept.clone()), href: None, precondition });
        }
        None => changes.push(Change::Delete { uid: object.uid.clone(), precondition }),
    }
    if let Some(split) = &split {
        check_expands(split, zone)?;
        changes.push(Change::Put {
            object: Box::new(split.clone()),
            href: None,
            precondition: Precondition::Absent,
        });
    }
    let mut saved = store::commit(db, person, row.calendar_id, changes).await?.into_iter();
    let first = saved.next();
    Ok(Outcome { object: first.filter(|_| kept.is_some()), split: saved.next() })
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// UIDs new to the calendar.
    pub added: Vec<String>,
    /// UIDs it had, now as the file has them.
    pub updated: Vec<String>,
    /// UIDs it had exactly so already.
    pub unchanged: Vec<String>,
    /// Events and to-dos of the file left out, each with every component of its UID, because
    /// they are wrong on their own (no start, a bad RRULE, a time zone no one defines); the
    /// rest is imported.
    pub skipped: Vec<SkippedJson>,
}

/// An event or to-do an import left out.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SkippedJson {
    /// Its UID (one made from its content when it has none).
    pub uid: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Imports an iCalendar file into `calendar` in one transaction: every event and to-do that
/// is valid, matched by UID; those wrong on their own are reported as skipped. A file that is
/// not iCalendar is refused whole.
pub async fn import(
    db: &PgPool,
    person: Uuid,
    calendar: &Calendar,
    text: &str,
) -> Result<ImportReport, ChangeError> {
    writable(calendar)?;
    let parsed = parse_calendar_lenient(text, &Limits::FILE)
        .map_err(|error| StoreError::invalid("file", error))?;
    let existing = db::calendar_objects(db, calendar.id).await?;
    let plan = plan(zone_of(calendar), &existing, parsed, Mode::Merge)?;
    if !plan.changes.is_empty() {
        store::commit(db, person, calendar.id, plan.changes).await?;
    }
    Ok(plan.report)
}

/// How [`plan`] treats what a calendar has and a file has not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An import: it stays.
    Merge,
    /// A subscription's refresh: the calendar becomes the file, so it goes; and a DTSTAMP alone
    /// is no change, as feeds stamp every object with the time they were fetched.
    Mirror,
}

/// What making a calendar's objects those of a file takes.
#[derive(Debug, Default)]
pub struct Plan {
    pub report: ImportReport,
    /// UIDs the calendar has and the file has not ([`Mode::Mirror`] only).
    pub removed: Vec<String>,
    /// The puts and deletes, each conditional on the ETag read (none for what is unchanged).
    pub changes: Vec<Change>,
}

/// The changes that make `existing` (a calendar's live objects) hold the file's objects,
/// matched by UID; an object of the file that is wrong on its own is skipped with the reason.
pub fn plan(
    zone: Tz,
    existing: &[ObjectRow],
    (objects, skipped): (Vec<Object>, Vec<Skipped>),
    mode: Mode,
) -> Result<Plan, StoreError> {
    let skipped = skipped
        .into_iter()
        .map(|skipped| SkippedJson { uid: skipped.uid, reason: skipped.reason })
        .collect();
    let mut plan =
        Plan { report: ImportReport { skipped, ..ImportReport::default() }, ..Plan::default() };
    let same = |stored: &Object, given: &Object| match mode {
        Mode::Merge => stored == given,
        Mode::Mirror => unstamped(stored) == unstamped(given),
    };
    let mut seen = BTreeSet::new();
    for object in objects {
        if seen.contains(&object.uid) {
            continue;
        }
        // A series that cannot be expanded within the caps is wrong on its own too.
        if let Err(error) = object.span(zone, &CAPS) {
            plan.report.skipped.push(SkippedJson { uid: object.uid, reason: error.to_string() });
            continue;
        }
        seen.insert(object.uid.clone());
        let report = &mut plan.report;
        match existing.iter().find(|row| row.uid == object.uid) {
            Some(row) if same(&store::read(row)?, &object) => {
                report.unchanged.push(object.uid.clone());
            }
            Some(row) => {
                report.updated.push(object.uid.clone());
                let precondition = Precondition::Exists(Some(row.etag.clone()));
                plan.changes.push(Change::Put {
                    object: Box::new(object),
                    href: None,
                    precondition,
                });
            }
            None => {
                report.added.push(object.uid.clone());
                plan.changes.push(Change::Put {
                    object: Box::new(object),
                    href: None,
                    precondition: Precondition::Any,
                });
            }
        }
    }
    if mode == Mode::Mirror {
        // What was skipped goes too: the calendar holds what the file holds that can be read,
        // and the report says what could not.
        for row in existing.iter().filter(|row| !seen.contains(&row.uid)) {
            plan.removed.push(row.uid.clone());
            plan.changes.push(Change::Delete {
                uid: row.uid.clone(),
                precondition: Precondition::Exists(Some(row.etag.clone())),
            });
        }
    }
    Ok(plan)
}

/// An object without its DTSTAMPs.
fn unstamped(object: &Object) -> Object {
    let mut object = object.clone();
    for item in object.master.iter_mut().chain(object.overrides.iter_mut()) {
        item.extra.retain(|property| property.name != "DTSTAMP");
    }
    object
}

/// A calendar's objects as one iCalendar text.
pub async fn export(db: &PgPool, calendar: &Calendar) -> Result<String, StoreError> {
    let rows = db::calendar_objects(db, calendar.id).await?;
    let objects = rows.iter().map(store::read).collect::<Result<Vec<_>, _>>()?;
    Ok(posey_calendar::ics::write(&calendar_of(&objects, PRODID, Some(&calendar.name))))
}
