//! `home.entities`: the mirror of each connection's entities as the links last saw them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

/// One entity as mirrored.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityRow {
    pub connection_id: Uuid,
    pub user_id: Uuid,
    pub entity_id: String,
    pub domain: String,
    pub name: String,
    pub area_id: Option<String>,
    pub area: Option<String>,
    pub device: Option<String>,
    pub device_class: Option<String>,
    pub state: String,
    pub attributes: Value,
    pub last_changed: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
}

impl EntityRow {
    /// The state as mirrored.
    pub fn as_state(&self, entity_id: posey_home::EntityId) -> posey_home::EntityState {
        posey_home::EntityState {
            entity_id,
            state: self.state.clone(),
            attributes: self.attributes.as_object().cloned().unwrap_or_default(),
            last_changed: self.last_changed,
            last_updated: self.last_updated,
        }
    }
}

const COLUMNS: &str = "connection_id, user_id, entity_id, domain, name, area_id, area, device, \
                       device_class, state, attributes, last_changed, last_updated";

fn from_row(row: &sqlx::postgres::PgRow) -> Result<EntityRow, sqlx::Error> {
    Ok(EntityRow {
        connection_id: row.try_get("connection_id")?,
        user_id: row.try_get("user_id")?,
        entity_id: row.try_get("entity_id")?,
        domain: row.try_get("domain")?,
        name: row.try_get("name")?,
        area_id: row.try_get("area_id")?,
        area: row.try_get("area")?,
        device: row.try_get("device")?,
        device_class: row.try_get("device_class")?,
        state: row.try_get("state")?,
        attributes: row.try_get("attributes")?,
        last_changed: row.try_get("last_changed")?,
        last_updated: row.try_get("last_updated")?,
    })
}

/// Writes the entity as it is now; an older state than the one held changes nothing.
pub async fn upsert(db: impl PgExecutor<'_>, e: &EntityRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO home.entities ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13) \
         ON CONFLICT (connection_id, entity_id) DO UPDATE SET domain = EXCLUDED.domain, \
         name = EXCLUDED.name, area_id = EXCLUDED.area_id, area = EXCLUDED.area, \
         device = EXCLUDED.device, device_class = EXCLUDED.device_class, state = EXCLUDED.state, \
         attributes = EXCLUDED.attributes, last_changed = EXCLUDED.last_changed, \
         last_updated = EXCLUDED.last_updated \
         WHERE home.entities.last_updated <= EXCLUDED.last_updated"
    ))
    .bind(e.connection_id)
    .bind(e.user_id)
    .bind(&e.entity_id)
    .bind(&e.domain)
    .bind(&e.name)
    .bind(&e.area_id)
    .bind(&e.area)
    .bind(&e.device)
    .bind(&e.device_class)
    .bind(&e.state)
    .bind(&e.attributes)
    .bind(e.last_changed)
    .bind(e.last_updated)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete(
    db: impl PgExecutor<'_>,
    connection: Uuid,
    entity_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM home.entities WHERE connection_id = $1 AND entity_id = $2")
        .bind(connection)
        .bind(entity_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Drops the connection's entities that are not in `keep` (after a full snapshot).
pub async fn retain(
    db: impl PgExecutor<'_>,
    connection: Uuid,
    keep: &[String],
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM home.entities WHERE connection_id = $1 AND NOT (entity_id = ANY($2))",
    )
    .bind(connection)
    .bind(keep)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// A person's entities, by area name (none last) and name; `area` and `domain` narrow them.
pub async fn of_person(
    db: impl PgExecutor<'_>,
    person: Uuid,
    area: Option<&str>,
    domain: Option<&str>,
) -> Result<Vec<EntityRow>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM home.entities WHERE user_id = $1 \
         AND ($2::text IS NULL OR area_id = $2) AND ($3::text IS NULL OR domain = $3) \
         ORDER BY lower(area) NULLS LAST, lower(name), entity_id, connection_id"
    ))
    .bind(person)
    .bind(area)
    .bind(domain)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// A connection's entities.
pub async fn of_connection(
    db: impl PgExecutor<'_>,
    connection: Uuid,
) -> Result<Vec<EntityRow>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM home.entities WHERE connection_id = $1 ORDER BY entity_id"
    ))
    .bind(connection)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The person's entities with this id (one per connection that has it).
pub async fn find(
    db: impl PgExecutor<'_>,
    person: Uuid,
    entity_id: &str,
) -> Result<Vec<EntityRow>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM home.entities WHERE user_id = $1 AND entity_id = $2 \
         ORDER BY connection_id"
    ))
    .bind(person)
    .bind(entity_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}
