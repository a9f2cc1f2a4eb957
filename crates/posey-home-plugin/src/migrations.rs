//! The plugin's tables, in schema `home`. Released migrations are never changed: add one.

use posey_plugin::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration { name: "0001_home", sql: HOME },
    Migration { name: "0002_mirror_lease", sql: MIRROR_LEASE },
];

const HOME: &str = r#"
CREATE SCHEMA IF NOT EXISTS home;

-- A person's links to their home: a Home Assistant instance (its URL and a long-lived access
-- token) or an MQTT broker whose devices announce themselves (NULL url: the instance's broker).
-- The token, or the broker's password, is sealed (AES-256-GCM under the operator's
-- HOME_SEAL_KEY, the connection's id as associated data): never stored or returned in clear.
CREATE TABLE home.connections (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('home_assistant', 'mqtt')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    url text,
    secret_sealed bytea,
    discovery_prefix text NOT NULL DEFAULT 'homeassistant',
    zigbee2mqtt_base text,
    status text NOT NULL DEFAULT 'connecting'
        CHECK (status IN ('connecting', 'connected', 'disconnected', 'stopped')),
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT connections_name UNIQUE (user_id, name)
);
CREATE INDEX connections_user ON home.connections (user_id);

-- The mirror of every entity a person's connections know, as the links last saw it.
CREATE TABLE home.entities (
    connection_id uuid NOT NULL REFERENCES home.connections ON DELETE CASCADE,
    entity_id text NOT NULL,
    user_id uuid NOT NULL,
    domain text NOT NULL,
    name text NOT NULL,
    area_id text,
    area text,
    device text,
    device_class text,
    state text NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{}',
    last_changed timestamptz NOT NULL,
    last_updated timestamptz NOT NULL,
    PRIMARY KEY (connection_id, entity_id)
);
CREATE INDEX entities_user ON home.entities (user_id, entity_id);

-- Each state an entity took, kept HOME_HISTORY_DAYS days (Home Assistant's recorder keeps 10).
CREATE TABLE home.history (
    connection_id uuid NOT NULL REFERENCES home.connections ON DELETE CASCADE,
    entity_id text NOT NULL,
    user_id uuid NOT NULL,
    state text NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{}',
    at timestamptz NOT NULL,
    PRIMARY KEY (connection_id, entity_id, at)
);
CREATE INDEX history_user ON home.history (user_id, entity_id, at);
CREATE INDEX history_at ON home.history (at);

-- What the companion may see and control (posey-home's ExposurePolicy); no row: nothing.
CREATE TABLE home.exposure (
    user_id uuid PRIMARY KEY,
    policy jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Every command given: who, what, when, what came of it and the state after. Kept when the
-- connection goes; alarm codes are never in it.
CREATE TABLE home.audit (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL CHECK (actor IN ('person', 'agent', 'automation')),
    agent text,
    connection_id uuid,
    entity_id text NOT NULL,
    command text NOT NULL,
    parameters jsonb NOT NULL DEFAULT '{}',
    outcome text NOT NULL
        CHECK (outcome IN ('done', 'failed', 'refused', 'awaiting_confirmation')),
    error text,
    state_after text
);
CREATE INDEX audit_user ON home.audit (user_id, at DESC, id);

-- A person's rules on state changes ("tell me if the front door opens after 23:00").
CREATE TABLE home.watches (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    entity_id text NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
    from_state text,
    to_state text,
    threshold jsonb,
    window_start time,
    window_end time,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_fired_at timestamptz,
    CHECK ((window_start IS NULL) = (window_end IS NULL))
);
CREATE INDEX watches_entity ON home.watches (user_id, entity_id);

-- A watch's notices, written before they are handed to cron (the key makes a change fire a
-- watch once, whichever replica saw it) and marked once cron has them: one that failed is
-- handed over again.
CREATE TABLE home.notices (
    key text PRIMARY KEY,
    user_id uuid NOT NULL,
    watch_id uuid NOT NULL REFERENCES home.watches ON DELETE CASCADE,
    title text NOT NULL,
    body text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz
);
CREATE INDEX notices_undelivered ON home.notices (created_at) WHERE delivered_at IS NULL;
"#;

const MIRROR_LEASE: &str = r#"
-- Which replica mirrors an MQTT connection (`crate::lease`): MQTT messages carry no time or id
-- of their own, so one replica at a time writes what the broker says, under a lease renewed
-- while it runs and taken over when its holder stops renewing it.
ALTER TABLE home.connections
    ADD COLUMN mirror_holder uuid,
    ADD COLUMN mirror_lease_until timestamptz;
"#;
