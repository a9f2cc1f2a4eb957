//! `home.watches`: a person's rules on state changes.

use chrono::{DateTime, NaiveTime, Utc};
use posey_home::EntityId;
use posey_home::watch::{Threshold, TimeWindow, Watch};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

/// A watch with what the person called it.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchRow {
    pub user_id: Uuid,
    pub name: String,
    pub watch: Watch,
    pub created_at: DateTime<Utc>,
    pub last_fired_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, user_id, entity_id, name, from_state, to_state, threshold, \
                       window_start, window_end, created_at, last_fired_at";

fn from_row(row: &sqlx::postgres::PgRow) -> anyhow::Result<WatchRow> {
    let threshold: Option<serde_json::Value> = row.try_get("threshold")?;
    let start: Option<NaiveTime> = row.try_get("window_start")?;
    let end: Option<NaiveTime> = row.try_get("window_end")?;
    Ok(WatchRow {
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        watch: Watch {
            id: row.try_get("id")?,
            entity_id: EntityId::parse(row.try_get("entity_id")?)?,
            from: row.try_get("from_state")?,
            to: row.try_get("to_state")?,
            threshold: threshold.map(serde_json::from_value::<Threshold>).transpose()?,
            window: start.zip(end).map(|(start, end)| TimeWindow { start, end }),
        },
        created_at: row.try_get("created_at")?,
        last_fired_at: row.try_get("last_fired_at")?,
    })
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    person: Uuid,
    name: &str,
    watch: &Watch,
) -> anyhow::Result<WatchRow> {
    let row = sqlx::query(&format!(
        "INSERT INTO home.watches (id, user_id, entity_id, name, from_state, to_state, \
         threshold, window_start, window_end) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         RETURNING {COLUMNS}"
    ))
    .bind(watch.id)
    .bind(person)
    .bind(watch.entity_id.as_str())
    .bind(name)
    .bind(&watch.from)
    .bind(&watch.to)
    .bind(watch.threshold.as_ref().map(serde_json::to_value).transpose()?)
    .bind(watch.window.map(|w| w.start))
    .bind(watch.window.map(|w| w.end))
    .fetch_one(db)
    .await?;
    from_row(&row)
}

pub async fn of_person(db: impl PgExecutor<'_>, person: Uuid) -> anyhow::Result<Vec<WatchRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM home.watches WHERE user_id = $1 ORDER BY created_at, id"
    ))
    .bind(person)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The person's watches on this entity.
pub async fn on_entity(
    db: impl PgExecutor<'_>,
    person: Uuid,
    entity_id: &str,
) -> anyhow::Result<Vec<WatchRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM home.watches WHERE user_id = $1 AND entity_id = $2"
    ))
    .bind(person)
    .bind(entity_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn fired(db: impl PgExecutor<'_>, id: Uuid, at: DateTime<Utc>) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE home.watches SET last_fired_at = greatest(last_fired_at, $2) WHERE id = $1",
    )
    .bind(id)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete(db: impl PgExecutor<'_>, person: Uuid, id: Uuid) -> anyhow::Result<bool> {
    let done = sqlx::query("DELETE FROM home.watches WHERE user_id = $1 AND id = $2")
        .bind(person)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
