//! The plugin's SQL. Its tables come from the plugin's own migrations, applied when the agents
//! service starts, so the queries are checked by the API tests rather than by `sqlx::query!`.
//! Every query is scoped by the person's id.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgExecutor, PgPool, Postgres, Transaction};
use uuid::Uuid;

/// A calendar, as the API shows it.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct Calendar {
    pub id: Uuid,
    #[serde(skip)]
    pub user_id: Uuid,
    pub name: String,
    /// `#rrggbb`
    #[schema(required = true)]
    pub colour: Option<String>,
    /// The IANA zone all-day and floating times are read in.
    pub time_zone: String,
    #[schema(required = true)]
    pub description: Option<String>,
    /// Changes so far: grows with every change to the calendar's events and to-dos (what
    /// CalDAV's sync token and ctag are made of).
    pub sync_seq: i64,
    /// Whether a private feed URL is on.
    pub has_feed: bool,
    /// Filled from a URL (`/v1/calendars/{id}/subscription`): its events and to-dos are
    /// read-only, changed only by refreshing it.
    pub subscribed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const CALENDAR_COLUMNS: &str = "id, user_id, name, colour, time_zone, description, sync_seq, \
    feed_token_hash IS NOT NULL AS has_feed, \
    EXISTS (SELECT 1 FROM calendar.subscriptions s WHERE s.calendar_id = calendars.id) \
        AS subscribed, \
    created_at, updated_at";

/// A stored object: the iCalendar text of one UID and its place.
#[derive(Debug, Clone, FromRow)]
pub struct ObjectRow {
    pub id: Uuid,
    pub calendar_id: Uuid,
    pub uid: String,
    pub href: String,
    pub kind: String,
    /// `None`: deleted (a tombstone).
    pub ics: Option<String>,
    pub etag: String,
    pub seq: i64,
    /// The calendar's zone.
    pub time_zone: String,
    pub updated_at: DateTime<Utc>,
}

const OBJECT_COLUMNS: &str = "o.id, o.calendar_id, o.uid, o.href, o.kind, o.ics, o.etag, o.seq, \
                              c.time_zone, o.updated_at";

/// What is kept of an object beside its text, for the queries.
#[derive(Debug, Clone)]
pub struct ObjectFields<'a> {
    pub uid: &'a str,
    pub href: &'a str,
    pub kind: &'a str,
    pub ics: &'a str,
    pub etag: &'a str,
    pub summary: Option<&'a str>,
    pub first_start: Option<DateTime<Utc>>,
    pub last_end: Option<DateTime<Utc>>,
    pub recurring: bool,
    pub status: Option<&'a str>,
    pub due: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub parent_uid: Option<&'a str>,
}

pub async fn list_calendars(db: &PgPool, person: Uuid) -> sqlx::Result<Vec<Calendar>> {
    sqlx::query_as(&format!(
        "SELECT {CALENDAR_COLUMNS} FROM calendar.calendars WHERE user_id = $1 \
         ORDER BY created_at, id"
    ))
    .bind(person)
    .fetch_all(db)
    .await
}

pub async fn calendar(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Calendar>> {
    sqlx::query_as(&format!(
        "SELECT {CALENDAR_COLUMNS} FROM calendar.calendars WHERE user_id = $1 AND id = $2"
    ))
    .bind(person)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// The calendar, locked for a change to its objects: changes to one calendar are serialised,
/// so their sequence numbers are given in commit order and a sync token never skips one.
pub async fn lock_calendar(
    tx: &mut Transaction<'_, Postgres>,
    person: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Calendar>> {
    sqlx::query_as(&format!(
        "SELECT {CALENDAR_COLUMNS} FROM calendar.calendars WHERE user_id = $1 AND id = $2 \
         FOR UPDATE"
    ))
    .bind(person)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// The person's first calendar of their own (not a subscription), made (named `name`, in
/// `time_zone`) when they have none.
pub async fn default_calendar(
    db: &PgPool,
    person: Uuid,
    name: &str,
    time_zone: &str,
) -> sqlx::Result<Calendar> {
    let mut tx = db.begin().await?;
    // One default per person even when two requests make it at once.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('calendar:' || $1::text, 0))")
        .bind(person)
        .execute(&mut *tx)
        .await?;
    let found: Option<Calendar> = sqlx::query_as(&format!(
        "SELECT {CALENDAR_COLUMNS} FROM calendar.calendars WHERE user_id = $1 \
           AND NOT EXISTS (SELECT 1 FROM calendar.subscriptions s \
                           WHERE s.calendar_id = calendars.id) \
         ORDER BY created_at, id LIMIT 1"
    ))
    .bind(person)
    .fetch_optional(&mut *tx)
    .await?;
    let calendar = match found {
        Some(calendar) => calendar,
        None => insert_calendar(&mut *tx, person, name, None, time_zone, None).await?,
    };
    tx.commit().await?;
    Ok(calendar)
}

pub async fn insert_calendar(
    db: impl PgExecutor<'_>,
    person: Uuid,
    name: &str,
    colour: Option<&str>,
    time_zone: &str,
    description: Option<&str>,
) -> sqlx::Result<Calendar> {
    sqlx::query_as(&format!(
        "INSERT INTO calendar.calendars (id, user_id, name, colour, time_zone, description) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {CALENDAR_COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(person)
    .bind(name)
    .bind(colour)
    .bind(time_zone)
    .bind(description)
    .fetch_one(db)
    .await
}

/// Changes the fields given (`None` leaves one as it is; the nullable ones take `Some(None)`).
pub async fn update_calendar(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
    name: Option<&str>,
    colour: Option<Option<&str>>,
    time_zone: Option<&str>,
    description: Option<Option<&str>>,
) -> sqlx::Result<Option<Calendar>> {
    sqlx::query_as(&format!(
        "UPDATE calendar.calendars SET
             name = COALESCE($3, name),
             colour = CASE WHEN $4 THEN $5 ELSE colour END,
             time_zone = COALESCE($6, time_zone),
             description = CASE WHEN $7 THEN $8 ELSE description END,
             updated_at = now()
         WHERE user_id = $1 AND id = $2 RETURNING {CALENDAR_COLUMNS}"
    ))
    .bind(person)
    .bind(id)
    .bind(name)
    .bind(colour.is_some())
    .bind(colour.flatten())
    .bind(time_zone)
    .bind(description.is_some())
    .bind(description.flatten())
    .fetch_optional(db)
    .await
}

pub async fn delete_calendar(db: &PgPool, person: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM calendar.calendars WHERE user_id = $1 AND id = $2")
        .bind(person)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Sets (or with `None` revokes) the hash of the calendar's feed token.
pub async fn set_feed(
    db: &PgPool,
    person: Uuid,
    id: Uuid,
    token_hash: Option<&[u8]>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE calendar.calendars SET feed_token_hash = $3, updated_at = now() \
         WHERE user_id = $1 AND id = $2",
    )
    .bind(person)
    .bind(id)
    .bind(token_hash)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn calendar_by_feed(db: &PgPool, token_hash: &[u8]) -> sqlx::Result<Option<Calendar>> {
    sqlx::query_as(&format!(
        "SELECT {CALENDAR_COLUMNS} FROM calendar.calendars WHERE feed_token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

/// The person's live objects of `kind` that may have occurrences in [from, to) (all of them
/// without a window), in the calendar given or all the person's.
pub async fn objects_in_range(
    db: &PgPool,
    person: Uuid,
    calendar: Option<Uuid>,
    kind: &str,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> sqlx::Result<Vec<ObjectRow>> {
    sqlx::query_as(&format!(
        "SELECT {OBJECT_COLUMNS} FROM calendar.objects o
           JOIN calendar.calendars c ON c.id = o.calendar_id
         WHERE o.user_id = $1 AND o.ics IS NOT NULL AND o.kind = $2
           AND ($3::uuid IS NULL OR o.calendar_id = $3)
           AND ($4::timestamptz IS NULL
                OR o.first_start IS NULL
                OR (o.first_start < $5 AND (o.last_end IS NULL OR o.last_end >= $4)))
         ORDER BY o.first_start NULLS LAST, o.id"
    ))
    .bind(person)
    .bind(kind)
    .bind(calendar)
    .bind(window.map(|(from, _)| from))
    .bind(window.map(|(_, to)| to))
    .fetch_all(db)
    .await
}

/// A live object of the person's.
pub async fn object(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<ObjectRow>> {
    sqlx::query_as(&format!(
        "SELECT {OBJECT_COLUMNS} FROM calendar.objects o
           JOIN calendar.calendars c ON c.id = o.calendar_id
         WHERE o.user_id = $1 AND o.id = $2 AND o.ics IS NOT NULL"
    ))
    .bind(person)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// The object (live or a tombstone) of `uid` in a calendar.
pub async fn object_by_uid(
    db: impl PgExecutor<'_>,
    calendar: Uuid,
    uid: &str,
) -> sqlx::Result<Option<ObjectRow>> {
    object_where(db, calendar, Key::Uid, uid).await
}

/// The object (live or a tombstone) at `href` in a calendar.
pub async fn object_by_href(
    db: impl PgExecutor<'_>,
    calendar: Uuid,
    href: &str,
) -> sqlx::Result<Option<ObjectRow>> {
    object_where(db, calendar, Key::Href, href).await
}

/// What names an object within its calendar.
#[derive(Clone, Copy)]
enum Key {
    Uid,
    Href,
}

async fn object_where(
    db: impl PgExecutor<'_>,
    calendar: Uuid,
    key: Key,
    value: &str,
) -> sqlx::Result<Option<ObjectRow>> {
    let column = match key {
        Key::Uid => "uid",
        Key::Href => "href",
    };
    sqlx::query_as(&format!(
        "SELECT {OBJECT_COLUMNS} FROM calendar.objects o
           JOIN calendar.calendars c ON c.id = o.calendar_id
         WHERE o.calendar_id = $1 AND o.{column} = $2"
    ))
    .bind(calendar)
    .bind(value)
    .fetch_optional(db)
    .await
}

/// Every live object of a calendar, for an export or a feed.
pub async fn calendar_objects(db: &PgPool, calendar: Uuid) -> sqlx::Result<Vec<ObjectRow>> {
    sqlx::query_as(&format!(
        "SELECT {OBJECT_COLUMNS} FROM calendar.objects o
           JOIN calendar.calendars c ON c.id = o.calendar_id
         WHERE o.calendar_id = $1 AND o.ics IS NOT NULL ORDER BY o.first_start NULLS LAST, o.id"
    ))
    .bind(calendar)
    .fetch_all(db)
    .await
}

/// The calendar's next sequence number (the caller holds its lock).
pub async fn next_seq(tx: &mut Transaction<'_, Postgres>, calendar: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "UPDATE calendar.calendars SET sync_seq = sync_seq + 1 WHERE id = $1 RETURNING sync_seq",
    )
    .bind(calendar)
    .fetch_one(&mut **tx)
    .await
}

/// Writes an object (new, changed, or one that comes back after its deletion) with sequence
/// number `seq`; its id is kept when it had one.
pub async fn put_object(
    tx: &mut Transaction<'_, Postgres>,
    person: Uuid,
    calendar: Uuid,
    seq: i64,
    fields: &ObjectFields<'_>,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "INSERT INTO calendar.objects
             (id, calendar_id, user_id, uid, href, kind, ics, etag, seq, summary, first_start,
              last_end, recurring, status, due, completed_at, parent_uid)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         ON CONFLICT (calendar_id, uid) DO UPDATE SET
             href = EXCLUDED.href, kind = EXCLUDED.kind, ics = EXCLUDED.ics,
             etag = EXCLUDED.etag, seq = EXCLUDED.seq, summary = EXCLUDED.summary,
             first_start = EXCLUDED.first_start, last_end = EXCLUDED.last_end,
             recurring = EXCLUDED.recurring, status = EXCLUDED.status, due = EXCLUDED.due,
             completed_at = EXCLUDED.completed_at, parent_uid = EXCLUDED.parent_uid,
             updated_at = now(), deleted_at = NULL
         RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(calendar)
    .bind(person)
    .bind(fields.uid)
    .bind(fields.href)
    .bind(fields.kind)
    .bind(fields.ics)
    .bind(fields.etag)
    .bind(seq)
    .bind(fields.summary)
    .bind(fields.first_start)
    .bind(fields.last_end)
    .bind(fields.recurring)
    .bind(fields.status)
    .bind(fields.due)
    .bind(fields.completed_at)
    .bind(fields.parent_uid)
    .fetch_one(&mut **tx)
    .await
}

/// Deletes an object, keeping its tombstone with sequence number `seq`.
pub async fn delete_object(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    seq: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE calendar.objects SET ics = NULL, seq = $2, etag = '', summary = NULL,
             deleted_at = now(), updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(seq)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

// CalDAV: calendars by their path segment, objects by href, and the changes since a sync token.

/// A calendar with the path segment a CalDAV client gave it (MKCALENDAR), if one did.
#[derive(Debug, Clone, FromRow)]
pub struct DavCalendar {
    #[sqlx(flatten)]
    pub calendar: Calendar,
    pub slug: Option<String>,
}

impl DavCalendar {
    /// Its segment in `/dav/calendars/{person}/{segment}/`.
    pub fn segment(&self) -> String {
        self.slug.clone().unwrap_or_else(|| self.calendar.id.to_string())
    }
}

pub async fn dav_calendars(db: &PgPool, person: Uuid) -> sqlx::Result<Vec<DavCalendar>> {
    sqlx::query_as(&format!(
        "SELECT {CALENDAR_COLUMNS}, slug FROM calendar.calendars WHERE user_id = $1 \
         ORDER BY created_at, id"
    ))
    .bind(person)
    .fetch_all(db)
    .await
}

/// The person's calendar at `segment`: its slug, or else its id.
pub async fn dav_calendar(
    db: &PgPool,
    person: Uuid,
    segment: &str,
) -> sqlx::Result<Option<DavCalendar>> {
    sqlx::query_as(&format!(
        "SELECT {CALENDAR_COLUMNS}, slug FROM calendar.calendars
         WHERE user_id = $1 AND (slug = $2 OR id = $3)
         ORDER BY slug = $2 DESC NULLS LAST LIMIT 1"
    ))
    .bind(person)
    .bind(segment)
    .bind(segment.parse::<Uuid>().ok())
    .fetch_optional(db)
    .await
}

/// A calendar made by MKCALENDAR at `slug`; `None` when the person has one there already.
pub async fn insert_dav_calendar(
    db: &PgPool,
    person: Uuid,
    slug: &str,
    name: &str,
    colour: Option<&str>,
    time_zone: &str,
    description: Option<&str>,
) -> sqlx::Result<Option<DavCalendar>> {
    sqlx::query_as(&format!(
        "INSERT INTO calendar.calendars (id, user_id, name, colour, time_zone, description, slug)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (user_id, slug) WHERE slug IS NOT NULL DO NOTHING
         RETURNING {CALENDAR_COLUMNS}, slug"
    ))
    .bind(Uuid::now_v7())
    .bind(person)
    .bind(name)
    .bind(colour)
    .bind(time_zone)
    .bind(description)
    .bind(slug)
    .fetch_optional(db)
    .await
}

/// The live objects at `hrefs` in a calendar.
pub async fn objects_by_hrefs(
    db: &PgPool,
    calendar: Uuid,
    hrefs: &[String],
) -> sqlx::Result<Vec<ObjectRow>> {
    sqlx::query_as(&format!(
        "SELECT {OBJECT_COLUMNS} FROM calendar.objects o
           JOIN calendar.calendars c ON c.id = o.calendar_id
         WHERE o.calendar_id = $1 AND o.href = ANY($2) AND o.ics IS NOT NULL"
    ))
    .bind(calendar)
    .bind(hrefs)
    .fetch_all(db)
    .await
}

/// A calendar's live objects (of `kind` when given) that may have occurrences in the window
/// (every one without it; either end may be open), by href.
pub async fn dav_objects(
    db: &PgPool,
    calendar: Uuid,
    kind: Option<&str>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> sqlx::Result<Vec<ObjectRow>> {
    sqlx::query_as(&format!(
        "SELECT {OBJECT_COLUMNS} FROM calendar.objects o
           JOIN calendar.calendars c ON c.id = o.calendar_id
         WHERE o.calendar_id = $1 AND o.ics IS NOT NULL AND ($2::text IS NULL OR o.kind = $2)
           AND ($4::timestamptz IS NULL OR o.first_start IS NULL OR o.first_start < $4)
           AND ($3::timestamptz IS NULL OR o.first_start IS NULL OR o.last_end IS NULL
                OR o.last_end >= $3)
         ORDER BY o.href"
    ))
    .bind(calendar)
    .bind(kind)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await
}

/// The calendar's objects changed after sequence number `since` up to `upto` (tombstones
/// too), or with no `since` its live objects up to `upto`, in the order they changed; at most
/// `limit`.
pub async fn changes(
    db: &PgPool,
    calendar: Uuid,
    since: Option<i64>,
    upto: i64,
    limit: i64,
) -> sqlx::Result<Vec<ObjectRow>> {
    sqlx::query_as(&format!(
        "SELECT {OBJECT_COLUMNS} FROM calendar.objects o
           JOIN calendar.calendars c ON c.id = o.calendar_id
         WHERE o.calendar_id = $1 AND o.seq <= $3
           AND (CASE WHEN $2::bigint IS NULL THEN o.ics IS NOT NULL ELSE o.seq > $2 END)
         ORDER BY o.seq, o.id LIMIT $4"
    ))
    .bind(calendar)
    .bind(since)
    .bind(upto)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Frees `href` for another UID: drops the tombstone there (the resource's next version, of
/// another UID, is what clients syncing see change).
pub async fn drop_tombstone_at(
    tx: &mut Transaction<'_, Postgres>,
    calendar: Uuid,
    href: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "DELETE FROM calendar.objects WHERE calendar_id = $1 AND href = $2 AND ics IS NULL",
    )
    .bind(calendar)
    .bind(href)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Frees a deleted UID for a resource at another href: its tombstone stays (clients still
/// learn that its href is gone) under a UID no object has.
pub async fn retire_tombstone(tx: &mut Transaction<'_, Postgres>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE calendar.objects SET uid = 'deleted:' || id::text WHERE id = $1 AND ics IS NULL",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
