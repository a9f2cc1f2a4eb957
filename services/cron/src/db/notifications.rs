//! `cron.notifications`: what a person is told, stored first (so a failed channel never loses
//! one), announced to the SSE streams of every replica with `pg_notify` on `CHANNEL`, and queued
//! per channel in `cron.deliveries`; and reading them back for the API and the streams.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

/// The Postgres channel new notifications are announced on; the payload is the user id.
pub const CHANNEL: &str = "posey_notifications";

/// A notification to store.
pub struct NewNotification<'a> {
    pub user_id: Uuid,
    pub title: &'a str,
    pub body: &'a str,
    pub data: &'a Value,
    pub task_id: Option<Uuid>,
    pub run_id: Option<i64>,
    /// What the service that handed it over named it: one notification per key and person.
    pub key: Option<&'a str>,
}

/// A stored notification, as its person sees it.
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    pub data: Value,
    pub task_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// `sqlx::$query!` over a statement that stores notifications: the SQL pieces `[with]` (joined
/// with `+`: its `WITH` and the CTEs before, the last one `rows`, yielding (id, user_id, title,
/// body, data, task_id, run_id, key) and followed by a comma), then the CTEs that store those rows as
/// `n`, announce them to the streams once per person (`announced`: the final `select` must read
/// it, or the announcement is not made) and queue their deliveries (email when `$2` is true and
/// the person has an address in auth's table, Web Push per subscription), then `select`. `$1` is
/// `CHANNEL`. A run that notified already, or a key the person was notified under already, is
/// left out (one notification per run, so a retried handler does not notify twice; one per key).
macro_rules! store_notifications {
    ($query:ident, [$with:literal $(+ $more:literal)*], $select:literal $(, $arg:expr)* $(,)?) => {
        sqlx::$query!(
            $with $(+ $more)*
                + " n AS (
                       INSERT INTO cron.notifications (id, user_id, title, body, data, task_id, run_id, key)
                       SELECT id, user_id, title, body, data, task_id, run_id, key FROM rows
                       ON CONFLICT DO NOTHING RETURNING id, user_id, run_id),
                   announced AS (
                       SELECT pg_notify($1, u.user_id::text) FROM (SELECT DISTINCT user_id FROM n) AS u),
                   mail AS (
                       INSERT INTO cron.deliveries (notification_id, channel, target)
                       SELECT n.id, 'email', u.email FROM n JOIN auth.users u ON u.id = n.user_id
                       WHERE $2 AND u.email IS NOT NULL),
                   push AS (
                       INSERT INTO cron.deliveries (notification_id, channel, target)
                       SELECT n.id, 'web_push', s.id::text
                       FROM n JOIN cron.push_subscriptions s ON s.user_id = n.user_id) "
                + $select
            $(, $arg)*
        )
    };
}
pub(super) use store_notifications;

/// Stores `news` in one statement (see `store_notifications`), queueing emails when `email`;
/// returns the `(id, run_id)` of those stored (one whose run or key already notified is left
/// out).
/// Ids are made here, time-ordered (version 7): the streams page by (created_at, id).
pub async fn insert_many(
    tx: &mut Transaction<'_, Postgres>,
    email: bool,
    news: &[NewNotification<'_>],
) -> sqlx::Result<Vec<(Uuid, Option<i64>)>> {
    let ids: Vec<Uuid> = news.iter().map(|_| Uuid::now_v7()).collect();
    let user_ids: Vec<Uuid> = news.iter().map(|n| n.user_id).collect();
    let titles: Vec<&str> = news.iter().map(|n| n.title).collect();
    let bodies: Vec<&str> = news.iter().map(|n| n.body).collect();
    let data: Vec<&Value> = news.iter().map(|n| n.data).collect();
    let task_ids: Vec<Option<Uuid>> = news.iter().map(|n| n.task_id).collect();
    let run_ids: Vec<Option<i64>> = news.iter().map(|n| n.run_id).collect();
    let keys: Vec<Option<&str>> = news.iter().map(|n| n.key).collect();
    // The `as _` arrays hold borrowed or nullable elements, which the macro's type check (owned,
    // non-null elements) does not know; the casts in the SQL type them.
    let stored = store_notifications!(
        query,
        ["WITH rows AS (
                 SELECT * FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::jsonb[],
                     $8::uuid[], $9::int8[], $10::text[])
                     AS r(id, user_id, title, body, data, task_id, run_id, key)),"],
        r#"SELECT n.id AS "id!", n.run_id FROM n, (SELECT count(*) FROM announced) AS a"#,
        CHANNEL,
        email,
        &ids,
        &user_ids,
        &titles as _,
        &bodies as _,
        &data as _,
        &task_ids as _,
        &run_ids as _,
        &keys as _,
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(stored.into_iter().map(|n| (n.id, n.run_id)).collect())
}

/// The notification a person was given under `key` (`None`: none).
pub async fn by_key(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    key: &str,
) -> sqlx::Result<Option<Notification>> {
    sqlx::query_as!(
        Notification,
        "SELECT id, title, body, data, task_id, created_at, read_at FROM cron.notifications \
         WHERE user_id = $1 AND key = $2",
        user_id,
        key,
    )
    .fetch_optional(db)
    .await
}

/// A person's notifications, newest first: only unread ones when `unread`, only those created
/// before `before` when given.
pub async fn list_for_user(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    unread: bool,
    before: Option<DateTime<Utc>>,
    limit: i64,
) -> sqlx::Result<Vec<Notification>> {
    sqlx::query_as!(
        Notification,
        "SELECT id, title, body, data, task_id, created_at, read_at FROM cron.notifications \
         WHERE user_id = $1 AND (NOT $2 OR read_at IS NULL) \
           AND ($3::timestamptz IS NULL OR created_at < $3) \
         ORDER BY created_at DESC, id DESC LIMIT $4",
        user_id,
        unread,
        before,
        limit,
    )
    .fetch_all(db)
    .await
}

/// Marks a person's notification read (the first time only); `None` when it is not theirs.
pub async fn mark_read(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Notification>> {
    sqlx::query_as!(
        Notification,
        "UPDATE cron.notifications SET read_at = coalesce(read_at, now()) \
         WHERE id = $1 AND user_id = $2 \
         RETURNING id, title, body, data, task_id, created_at, read_at",
        id,
        user_id,
    )
    .fetch_optional(db)
    .await
}

/// Marks every unread notification of a person read; returns how many.
pub async fn mark_all_read(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<u64> {
    let updated = sqlx::query!(
        "UPDATE cron.notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL",
        user_id,
    )
    .execute(db)
    .await?;
    Ok(updated.rows_affected())
}

/// When a person's notification was created (`None`: no such id, or not theirs).
pub async fn created_at(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar!(
        "SELECT created_at FROM cron.notifications WHERE id = $1 AND user_id = $2",
        id,
        user_id,
    )
    .fetch_optional(db)
    .await
}

/// A person's notifications created after `after`, oldest first, at most 100 (a stream's read).
pub async fn list_after(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    after: DateTime<Utc>,
) -> sqlx::Result<Vec<Notification>> {
    sqlx::query_as!(
        Notification,
        "SELECT id, title, body, data, task_id, created_at, read_at FROM cron.notifications \
         WHERE user_id = $1 AND created_at > $2 ORDER BY created_at, id LIMIT 100",
        user_id,
        after,
    )
    .fetch_all(db)
    .await
}

/// The database's time: notifications are stamped with it (`created_at`), so a stream starting
/// "from now" asks the same clock.
pub async fn now(db: impl PgExecutor<'_>) -> sqlx::Result<DateTime<Utc>> {
    sqlx::query_scalar!(r#"SELECT now() AS "now!""#).fetch_one(db).await
}
