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
