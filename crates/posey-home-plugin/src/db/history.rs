//! `home.history`: each state an entity took, kept for the configured days.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use super::connections::{Fence, fence_holds};
use super::entities::EntityRow;

/// One state in an entity's history.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Past {
    pub state: String,
    #[schema(value_type = Object)]
    pub attributes: Value,
    /// When Home Assistant (or the link) wrote it.
    pub at: DateTime<Utc>,
}

/// Records the entity's state; the same moment seen twice (another replica, a
/// resynchronisation) is kept once. Under a fence, only while its holder holds the lease.
pub async fn record(
    db: impl PgExecutor<'_>,
    e: &EntityRow,
    fence: Option<Fence>,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO home.history (connection_id, entity_id, user_id, state, attributes, at) \
         SELECT $1, $2, $3, $4, $5, $6 WHERE {} ON CONFLICT DO NOTHING",
        fence_holds(1, 7)
    ))
    .bind(e.connection_id)
    .bind(&e.entity_id)
    .bind(e.user_id)
    .bind(&e.state)
    .bind(&e.attributes)
    .bind(e.last_updated)
    .bind(fence.map(|f| f.holder))
    .execute(db)
    .await?;
    Ok(())
}

/// The states since `since`, oldest first (at most `limit`).
pub async fn since(
    db: impl PgExecutor<'_>,
    connection: Uuid,
    entity_id: &str,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Past>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT state, attributes, at FROM home.history \
         WHERE connection_id = $1 AND entity_id = $2 AND at >= $3 ORDER BY at LIMIT $4",
    )
    .bind(connection)
    .bind(entity_id)
    .bind(since)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Past {
                state: r.try_get("state")?,
                attributes: r.try_get("attributes")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// A state a person's entity took, with which entity it was.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    pub connection_id: Uuid,
    pub entity_id: String,
    pub state: String,
    pub attributes: Value,
    pub at: DateTime<Utc>,
}

/// A page of everything kept of a person's entities, by entity id, time and connection: the
/// `limit` after `after` (the previous page's last).
pub async fn of_person(
    db: impl PgExecutor<'_>,
    person: Uuid,
    after: Option<&Kept>,
    limit: i64,
) -> Result<Vec<Kept>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT connection_id, entity_id, state, attributes, at FROM home.history \
         WHERE user_id = $1 AND ($2::text IS NULL OR (entity_id, at, connection_id) > ($2, $3, $4)) \
         ORDER BY entity_id, at, connection_id LIMIT $5",
    )
    .bind(person)
    .bind(after.map(|k| k.entity_id.as_str()))
    .bind(after.map(|k| k.at))
    .bind(after.map(|k| k.connection_id))
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Kept {
                connection_id: r.try_get("connection_id")?,
                entity_id: r.try_get("entity_id")?,
                state: r.try_get("state")?,
                attributes: r.try_get("attributes")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// Forgets states older than `before`, a batch at a time; how many went.
pub async fn forget_before(
    db: impl PgExecutor<'_>,
    before: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM home.history WHERE ctid IN \
         (SELECT ctid FROM home.history WHERE at < $1 LIMIT 10000)",
    )
    .bind(before)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
