//! `home.notices`: a watch's notices, written before they are handed to cron and marked once
//! cron has them.

use posey_plugin::Notice;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use super::connections::{Fence, fence_holds};

/// Writes the notice under its key; `false` when a notice with this key was written before
/// (another replica saw the same change), or when under `fence` its holder no longer holds
/// the connection's lease.
pub async fn insert(
    db: impl PgExecutor<'_>,
    watch: Uuid,
    notice: &Notice,
    fence: Option<Fence>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!(
        "INSERT INTO home.notices (key, user_id, watch_id, title, body, data) \
         SELECT $1, $2, $3, $4, $5, $6 WHERE {} ON CONFLICT (key) DO NOTHING",
        fence_holds(7, 8)
    ))
    .bind(&notice.key)
    .bind(notice.person)
    .bind(watch)
    .bind(&notice.title)
    .bind(&notice.body)
    .bind(&notice.data)
    .bind(fence.map(|f| f.connection))
    .bind(fence.map(|f| f.holder))
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn delivered(db: impl PgExecutor<'_>, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE home.notices SET delivered_at = now() WHERE key = $1")
        .bind(key)
        .execute(db)
        .await?;
    Ok(())
}

/// Notices not yet handed over that are older than a few seconds (not one being delivered
/// right now), oldest first.
pub async fn undelivered(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<Notice>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT key, user_id, title, body, data FROM home.notices WHERE delivered_at IS NULL \
         AND created_at < now() - interval '5 seconds' ORDER BY created_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Notice {
                key: r.try_get("key")?,
                person: r.try_get("user_id")?,
                title: r.try_get("title")?,
                body: r.try_get("body")?,
                data: r.try_get("data")?,
            })
        })
        .collect()
}
