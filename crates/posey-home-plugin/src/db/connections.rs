//! `home.connections`: a person's Home Assistant instances and MQTT brokers.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

/// What a connection is to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    HomeAssistant,
    Mqtt,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HomeAssistant => "home_assistant",
            Self::Mqtt => "mqtt",
        }
    }

    fn parse(text: &str) -> Self {
        if text == "home_assistant" { Self::HomeAssistant } else { Self::Mqtt }
    }
}

/// A stored connection. `secret_sealed` never leaves the plugin.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: Kind,
    pub name: String,
    /// Home Assistant's base URL, or the broker's without a password; `None`: the instance's
    /// broker.
    pub url: Option<String>,
    pub secret_sealed: Option<Vec<u8>>,
    pub discovery_prefix: String,
    pub zigbee2mqtt_base: Option<String>,
    pub status: String,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, user_id, kind, name, url, secret_sealed, discovery_prefix, \
                       zigbee2mqtt_base, status, last_error, created_at, updated_at";

fn from_row(row: &sqlx::postgres::PgRow) -> Result<Connection, sqlx::Error> {
    Ok(Connection {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        kind: Kind::parse(row.try_get("kind")?),
        name: row.try_get("name")?,
        url: row.try_get("url")?,
        secret_sealed: row.try_get("secret_sealed")?,
        discovery_prefix: row.try_get("discovery_prefix")?,
        zigbee2mqtt_base: row.try_get("zigbee2mqtt_base")?,
        status: row.try_get("status")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn insert(db: impl PgExecutor<'_>, c: &Connection) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO home.connections (id, user_id, kind, name, url, secret_sealed, \
         discovery_prefix, zigbee2mqtt_base, status, last_error) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(c.id)
    .bind(c.user_id)
    .bind(c.kind.as_str())
    .bind(&c.name)
    .bind(&c.url)
    .bind(&c.secret_sealed)
    .bind(&c.discovery_prefix)
    .bind(&c.zigbee2mqtt_base)
    .bind(&c.status)
    .bind(&c.last_error)
    .execute(db)
    .await?;
    Ok(())
}

/// Every person's connections: what each replica keeps links to.
pub async fn all(db: impl PgExecutor<'_>) -> Result<Vec<Connection>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM home.connections ORDER BY created_at"))
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn of_person(
    db: impl PgExecutor<'_>,
    person: Uuid,
) -> Result<Vec<Connection>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM home.connections WHERE user_id = $1 ORDER BY lower(name), id"
    ))
    .bind(person)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> Result<Option<Connection>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM home.connections WHERE user_id = $1 AND id = $2"
    ))
    .bind(person)
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// How many entities each of a person's connections has.
pub async fn entity_counts(
    db: impl PgExecutor<'_>,
    person: Uuid,
) -> Result<Vec<(Uuid, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT connection_id, count(*) AS n FROM home.entities WHERE user_id = $1 \
         GROUP BY connection_id",
    )
    .bind(person)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| Ok((r.try_get("connection_id")?, r.try_get("n")?))).collect()
}

pub async fn set_status(
    db: impl PgExecutor<'_>,
    id: Uuid,
    status: &str,
    last_error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE home.connections SET status = $2, last_error = $3, updated_at = now() \
         WHERE id = $1 AND (status IS DISTINCT FROM $2 OR last_error IS DISTINCT FROM $3)",
    )
    .bind(id)
    .bind(status)
    .bind(last_error)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes it with its entities and history; `false` when the person has no such connection.
pub async fn delete(db: impl PgExecutor<'_>, person: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM home.connections WHERE user_id = $1 AND id = $2")
        .bind(person)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Gives the connection's mirror lease (`crate::lease`) to `holder` for `ttl`, or extends it
/// when it is theirs already, if nobody holds it or the holder's lease has run out: one
/// statement, so two takers never both get it. `Some(previous)`: it is `holder`'s now, and
/// `previous` held it before (`None`: nobody, or `holder` itself). `None`: another holds it,
/// or the connection is gone.
pub async fn take_mirror(
    db: impl PgExecutor<'_>,
    id: Uuid,
    holder: Uuid,
    ttl: std::time::Duration,
) -> Result<Option<Option<Uuid>>, sqlx::Error> {
    // The outer SELECT sees the row as it was when the statement began: who held it before.
    let row = sqlx::query(
        "WITH taken AS ( \
             UPDATE home.connections \
             SET mirror_holder = $2, mirror_lease_until = now() + make_interval(secs => $3) \
             WHERE id = $1 AND (mirror_holder IS NULL OR mirror_holder = $2 \
                 OR mirror_lease_until < now()) \
             RETURNING id \
         ) \
         SELECT mirror_holder FROM home.connections \
         WHERE id = $1 AND EXISTS (SELECT 1 FROM taken)",
    )
    .bind(id)
    .bind(holder)
    .bind(ttl.as_secs_f64())
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        let before: Option<Uuid> = row.try_get("mirror_holder")?;
        Ok(before.filter(|before| *before != holder))
    })
    .transpose()
}

/// Ends `holder`'s mirror leases at once (all of them when `id` is `None`), so another replica
/// takes them over on its next try rather than after they lapse. The holder is kept, so the
/// next one knows it takes over from someone.
pub async fn release_mirror(
    db: impl PgExecutor<'_>,
    id: Option<Uuid>,
    holder: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE home.connections SET mirror_lease_until = now() - interval '1 second' \
         WHERE ($1::uuid IS NULL OR id = $1) AND mirror_holder = $2",
    )
    .bind(id)
    .bind(holder)
    .execute(db)
    .await?;
    Ok(())
}

/// A write made only while `holder` still holds `connection`'s mirror lease in Postgres: a
/// holder that stalled past its lease (and was taken over) writes nothing a second time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fence {
    pub connection: Uuid,
    pub holder: Uuid,
}

/// The SQL condition of a write under `Option<Fence>`, its connection and holder bound at
/// `$c` and `$h` (both NULL: no fence).
pub(crate) fn fence_holds(c: u8, h: u8) -> String {
    format!(
        "(${h}::uuid IS NULL OR EXISTS (SELECT 1 FROM home.connections \
         WHERE id = ${c} AND mirror_holder = ${h} AND mirror_lease_until > now()))"
    )
}
