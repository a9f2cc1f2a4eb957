//! Objects in and out of the database: every write of one calendar's objects happens in one
//! transaction holding the calendar's lock, checks the caller's precondition (the ETag it last
//! saw, or that the UID is new), and takes the calendar's next sequence number, so CalDAV's
//! sync tokens see every change once and two devices never silently overwrite each other. The
//! times an object's alarms ring are written out in the same transaction.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use posey_calendar::ics::Limits;
use posey_calendar::recurrence::Caps;
use posey_calendar::{End, Kind, Object, ObjectError, Status};
use posey_http::ApiError;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::alarms;
use crate::db::{self, Calendar, ObjectFields, ObjectRow};

/// What Posey writes as PRODID.
pub const PRODID: &str = "-//Posey//Calendar 1.0//EN";

/// The bounds on expanding a series (the API's windows, the stored spans).
pub const CAPS: Caps = Caps::DEFAULT;

/// Why a change was not made.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    NotFound(String),
    /// The object changed since the caller read it (its ETag differs), or exists when the
    /// caller said it must not: HTTP 412.
    #[error("{0}")]
    Precondition(String),
    /// The object is not valid (its text, a time, a rule): HTTP 422, naming the problem.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// A CalDAV resource (an href) would hold a UID another resource holds, or change its UID:
    /// CalDAV's `no-uid-conflict`.
    #[error("{0}")]
    UidConflict(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl StoreError {
    pub fn invalid(field: &'static str, error: impl std::fmt::Display) -> Self {
        Self::Invalid { field, message: error.to_string() }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(message) => ApiError::NotFound(message),
            StoreError::Precondition(message) => ApiError::PreconditionFailed(message),
            StoreError::UidConflict(message) => ApiError::Conflict(message),
            StoreError::Invalid { field, message } => ApiError::invalid(field, message),
            StoreError::Internal(error) => ApiError::Internal(error),
        }
    }
}

/// The zone of a calendar (its column is checked on the way in; UTC should it ever not be).
pub fn zone_of(calendar: &Calendar) -> Tz {
    calendar.time_zone.parse().unwrap_or(Tz::UTC)
}

/// A strong ETag for an object's text.
pub fn etag_of(ics: &str) -> String {
    let digest = Sha256::digest(ics.as_bytes());
    let hex: String = digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether `header` (an If-Match value: `*`, or ETags, weak or strong) matches `etag`.
pub fn matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|given| given == "*" || given.strip_prefix("W/").unwrap_or(given) == etag)
}

/// A stored object read back.
pub fn read(row: &ObjectRow) -> Result<Object, StoreError> {
    let ics = row.ics.as_deref().ok_or_else(|| StoreError::NotFound("no such event".into()))?;
    Object::parse(ics, &Limits::FILE).map_err(|error| {
        StoreError::Internal(anyhow::anyhow!("stored object {} does not parse: {error}", row.id))
    })
}

/// What the caller expects of the UID's current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// Nothing: create or replace.
    Any,
    /// It must exist, with this ETag when one is given (an `If-Match`).
    Exists(Option<String>),
    /// It must not exist (`If-None-Match: *`, a create).
    Absent,
}

/// One change in a [`commit`].
#[derive(Debug, Clone)]
pub enum Change {
    /// `href`: the resource name a CalDAV client put it at (`None`: the one it has, or a new
    /// one); a live UID elsewhere or another live UID there is a [`StoreError::UidConflict`].
    Put {
        object: Box<Object>,
        href: Option<String>,
        precondition: Precondition,
    },
    Delete {
        uid: String,
        precondition: Precondition,
    },
}

/// A change made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub id: Uuid,
    pub uid: String,
    pub href: String,
    /// Empty for a deletion.
    pub etag: String,
    pub seq: i64,
}

/// The href a new object gets in its collection.
pub fn href_for(uid: &str) -> String {
    let safe = uid.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b));
    if safe && uid.len() <= 200 { format!("{uid}.ics") } else { format!("{}.ics", Uuid::now_v7()) }
}

/// Makes `changes` to one calendar of the person's, all or none.
pub async fn commit(
    db: &PgPool,
    person: Uuid,
    calendar: Uuid,
    changes: Vec<Change>,
) -> Result<Vec<Saved>, StoreError> {
    let mut tx = db.begin().await?;
    let calendar = db::lock_calendar(&mut tx, person, calendar)
        .await?
        .ok_or_else(|| StoreError::NotFound("no such calendar".into()))?;
    let zone = zone_of(&calendar);
    let mut saved = Vec::with_capacity(changes.len());
    for change in changes {
        let uid = match &change {
            Change::Put { object, .. } => object.uid.clone(),
            Change::Delete { uid, .. } => uid.clone(),
        };
        let current = db::object_by_uid(&mut *tx, calendar.id, &uid).await?;
        let live = current.as_ref().filter(|row| row.ics.is_some());
        let precondition = match &change {
            Change::Put { precondition, .. } | Change::Delete { precondition, .. } => precondition,
        };
        check(precondition, live, &uid)?;
        let seq = db::next_seq(&mut tx, calendar.id).await?;
        match change {
            Change::Put { object, href, .. } => {
                let href = match href {
                    Some(href) => place(&mut tx, calendar.id, &uid, current.as_ref(), href).await?,
                    None => current
                        .as_ref()
                        .map(|row| row.href.clone())
                        .unwrap_or_else(|| href_for(&uid)),
                };
                let ics = object.to_ics(PRODID);
                let etag = etag_of(&ics);
                let span = object
                    .span(zone, &CAPS)
                    .map_err(|error| StoreError::invalid("recurrence", error))?;
                let master = object.master.as_ref().or(object.overrides.first());
                let due = master.and_then(|item| match (item.kind, item.end) {
                    (Kind::Todo, Some(End::At(due))) => Some(due.instant(zone)),
                    _ => None,
                });
                let fields = ObjectFields {
                    uid: &uid,
                    href: &href,
                    kind: object.kind.as_str(),
                    ics: &ics,
                    etag: &etag,
                    summary: master.and_then(|item| item.summary.as_deref()),
                    first_start: span.first_start,
                    last_end: span.last_end,
                    recurring: master.is_some_and(|item| item.is_recurring()),
                    status: master.and_then(|item| item.status).map(Status::as_ics),
                    due,
                    completed_at: master.and_then(|item| item.completed),
                    parent_uid: master.and_then(|item| item.parent.as_deref()),
                };
                let id = db::put_object(&mut tx, person, calendar.id, seq, &fields).await?;
                // A subscribed calendar's alarms stay silent (as calendar apps remove a
                // subscription's alerts by default): the publisher's reminders are not the
                // person's.
                if calendar.subscribed {
                    alarms::schedule::clear(&mut tx, id).await?;
                } else {
                    alarms::schedule::after_put(
                        &mut tx,
                        person,
                        calendar.id,
                        id,
                        &object,
                        zone,
                        now(),
                    )
                    .await?;
                }
                saved.push(Saved { id, uid, href, etag, seq });
            }
            Change::Delete { .. } => {
                let Some(row) = live else {
                    return Err(StoreError::NotFound(format!("no event or to-do with UID {uid}")));
                };
                db::delete_object(&mut tx, row.id, seq).await?;
                alarms::schedule::clear(&mut tx, row.id).await?;
                saved.push(Saved {
                    id: row.id,
                    uid,
                    href: row.href.clone(),
                    etag: String::new(),
                    seq,
                });
            }
        }
    }
    tx.commit().await?;
    Ok(saved)
}

/// Makes room for `uid` at the `href` a CalDAV client named: one UID is at one href while it
/// lives, and a tombstone in the way (of another UID there, or of this UID at another href)
/// steps aside.
async fn place(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    calendar: Uuid,
    uid: &str,
    current: Option<&ObjectRow>,
    href: String,
) -> Result<String, StoreError> {
    if let Some(row) = current
        && row.href != href
    {
        if row.ics.is_some() {
            return Err(StoreError::UidConflict(format!(
                "UID {uid} is already stored at {}; one UID is one resource",
                row.href
            )));
        }
        db::retire_tombstone(tx, row.id).await?;
    }
    if let Some(there) = db::object_by_href(&mut **tx, calendar, &href).await?
        && there.uid != uid
    {
        if there.ics.is_some() {
            return Err(StoreError::UidConflict(format!(
                "{href} holds UID {}; a resource keeps its UID",
                there.uid
            )));
        }
        db::drop_tombstone_at(tx, calendar, &href).await?;
    }
    Ok(href)
}

fn check(
    precondition: &Precondition,
    live: Option<&ObjectRow>,
    uid: &str,
) -> Result<(), StoreError> {
    match (precondition, live) {
        (Precondition::Any, _) => Ok(()),
        (Precondition::Absent, Some(_)) => Err(StoreError::Precondition(format!(
            "an event or to-do with UID {uid} exists already"
        ))),
        (Precondition::Absent, None) => Ok(()),
        (Precondition::Exists(_), None) => {
            Err(StoreError::NotFound(format!("no event or to-do with UID {uid}")))
        }
        (Precondition::Exists(Some(expected)), Some(row)) if !matches(expected, &row.etag) => {
            Err(StoreError::Precondition(format!(
                "it changed since it was read (its ETag is now {}); read it again and retry",
                row.etag
            )))
        }
        (Precondition::Exists(_), Some(_)) => Ok(()),
    }
}

/// An object error as a 422 naming the field it is about.
pub fn invalid_object(field: &'static str, error: ObjectError) -> StoreError {
    StoreError::invalid(field, error)
}

/// Now, to the second (iCalendar keeps no fractions).
pub fn now() -> DateTime<Utc> {
    use chrono::{SubsecRound, Utc};
    Utc::now().trunc_subsecs(0)
}
