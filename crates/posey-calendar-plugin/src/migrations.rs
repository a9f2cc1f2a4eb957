//! The plugin's tables, in schema `calendar`: applied in order by the agents service at start.

use posey_plugin::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration { name: "0001_calendar", sql: INITIAL },
    Migration { name: "0002_caldav", sql: CALDAV },
];

const INITIAL: &str = r"
CREATE SCHEMA IF NOT EXISTS calendar;

CREATE TABLE calendar.calendars (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    colour text CHECK (colour ~ '^#[0-9a-f]{6}$'),
    -- Where the calendar's all-day and floating times are read (an IANA name).
    time_zone text NOT NULL,
    description text,
    -- Every change to one of its objects takes the next number: CalDAV's sync token and ctag.
    sync_seq bigint NOT NULL DEFAULT 0,
    -- SHA-256 of the private feed token (`/v1/feeds/{token}`); NULL: no feed.
    feed_token_hash bytea UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calendars_user ON calendar.calendars (user_id, created_at);

-- One calendar object resource: every component of one UID, as iCalendar text, with what the
-- queries filter on kept beside it.
CREATE TABLE calendar.objects (
    id uuid PRIMARY KEY,
    calendar_id uuid NOT NULL REFERENCES calendar.calendars ON DELETE CASCADE,
    user_id uuid NOT NULL,
    uid text NOT NULL,
    -- Its name in the CalDAV collection.
    href text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('event', 'todo')),
    -- NULL once deleted: the row stays as a tombstone so that sync-collection reports it.
    ics text,
    etag text NOT NULL,
    -- The calendar's sync_seq at the object's last change.
    seq bigint NOT NULL,
    summary text,
    -- The first start and last end of its occurrences; last_end NULL: the series never ends.
    first_start timestamptz,
    last_end timestamptz,
    recurring boolean NOT NULL DEFAULT false,
    -- To-dos: their status, when due and completed (of the master).
    status text,
    due timestamptz,
    completed_at timestamptz,
    parent_uid text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    UNIQUE (calendar_id, uid),
    UNIQUE (calendar_id, href)
);
CREATE INDEX objects_changes ON calendar.objects (calendar_id, seq);
CREATE INDEX objects_time ON calendar.objects (user_id, first_start) WHERE ics IS NOT NULL;
CREATE INDEX objects_user_kind ON calendar.objects (user_id, kind) WHERE ics IS NOT NULL;
";

// CalDAV: a calendar made by MKCALENDAR keeps the path segment its client chose (a calendar
// without one is at its id). Unique per person; never a `/`, a control character, `.` or `..`.
const CALDAV: &str = r"
ALTER TABLE calendar.calendars ADD COLUMN slug text
    CHECK (length(slug) BETWEEN 1 AND 200 AND slug !~ '[/[:cntrl:]]' AND slug NOT IN ('.', '..'));
CREATE UNIQUE INDEX calendars_user_slug ON calendar.calendars (user_id, slug) WHERE slug IS NOT NULL;
";
