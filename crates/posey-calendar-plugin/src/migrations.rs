//! The plugin's tables, in schema `calendar`: applied in order by the agents service at start.

use posey_plugin::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration { name: "0001_calendar", sql: INITIAL },
    Migration { name: "0002_caldav", sql: CALDAV },
    Migration { name: "0003_alarms", sql: ALARMS },
    Migration { name: "0004_subscriptions", sql: SUBSCRIPTIONS },
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

// Alarms: the times objects' alarms ring, written out for the days ahead whenever an object is
// written (and topped up as time passes), and handed to cron as notifications when due.
const ALARMS: &str = r"
-- Rings are in calendar.alarms up to this time; NULL: the object rings no alarm.
ALTER TABLE calendar.objects ADD COLUMN alarms_until timestamptz;
CREATE INDEX objects_alarms_until ON calendar.objects (alarms_until)
    WHERE alarms_until IS NOT NULL AND ics IS NOT NULL;

CREATE TABLE calendar.alarms (
    object_id uuid NOT NULL REFERENCES calendar.objects ON DELETE CASCADE,
    user_id uuid NOT NULL,
    -- The original start of the occurrence it is for, and when it rings: together its name
    -- (and the key cron keeps it under), whatever else of the event changes.
    occurrence timestamptz NOT NULL,
    ring_at timestamptz NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    data jsonb NOT NULL,
    -- NULL while waiting; then when cron took it ('sent') or it was given up as too late
    -- ('missed': nothing was running to ring it in time).
    done_at timestamptz,
    outcome text CHECK (outcome IN ('sent', 'missed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error text,
    PRIMARY KEY (object_id, occurrence, ring_at)
);
CREATE INDEX alarms_due ON calendar.alarms (next_attempt_at) WHERE done_at IS NULL;
CREATE INDEX alarms_user ON calendar.alarms (user_id, ring_at);
";

// Subscriptions: a calendar filled from an iCalendar URL (read-only to the person), refreshed on
// a schedule by whichever agents replica claims it first.
const SUBSCRIPTIONS: &str = r"
CREATE TABLE calendar.subscriptions (
    calendar_id uuid PRIMARY KEY REFERENCES calendar.calendars ON DELETE CASCADE,
    user_id uuid NOT NULL,
    -- What is fetched: http or https (a webcal:// URL is kept as https).
    url text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000 AND url ~ '^https?://'),
    -- 15 minutes to a week.
    refresh_secs integer NOT NULL CHECK (refresh_secs BETWEEN 900 AND 604800),
    next_refresh_at timestamptz NOT NULL,
    -- The last fetch that succeeded (a 304 too), and what it left out (UID and reason each).
    last_refreshed_at timestamptz,
    skipped jsonb NOT NULL DEFAULT '[]',
    -- Why the last fetch failed (NULL: it did not), and failures in a row: the next attempt
    -- waits longer after each.
    last_error text,
    failures integer NOT NULL DEFAULT 0,
    -- The validators of the last answer, for a conditional GET.
    etag text,
    last_modified text,
    -- A replica refreshing it holds it until then (a lease, not a lock held over the fetch).
    refreshing_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_due ON calendar.subscriptions (next_refresh_at);
CREATE INDEX subscriptions_user ON calendar.subscriptions (user_id, created_at);
";
