//! A person's notifications: stored first (so a failed channel never loses one), then announced
//! to the SSE streams of every replica with `pg_notify`, and queued per channel in
//! `cron.deliveries` for the delivery loop (email, Web Push).

pub mod delivery;
pub mod stream;
pub mod webpush;

use anyhow::Context;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

/// The Postgres channel new notifications are announced on; the payload is the user id.
pub const CHANNEL: &str = "posey_notifications";

/// The channels besides the in-app stream that a new notification is queued for, from the
/// service's configuration (`NotifySettings::channels`) and handed to whoever creates
/// notifications. Web Push needs no switch: it is queued per subscription a person made (and
/// fails plainly as not configured when there is no VAPID key).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Channels {
    /// SMTP is configured: queue an email to the person's address.
    pub email: bool,
}

pub struct NewNotification<'a> {
    pub user_id: Uuid,
    pub title: &'a str,
    pub body: &'a str,
    pub data: &'a serde_json::Value,
    pub task_id: Option<Uuid>,
    pub run_id: Option<i64>,
}

/// Stores a notification, wakes the person's streams and queues its deliveries, all in `tx`.
/// `None` when the run already notified (a retried handler does not notify twice).
#[tracing::instrument(skip_all, fields(user_id = %new.user_id, run_id = ?new.run_id))]
pub async fn create(
    tx: &mut Transaction<'_, Postgres>,
    channels: Channels,
    new: &NewNotification<'_>,
) -> anyhow::Result<Option<Uuid>> {
    let created = create_many(tx, channels, std::slice::from_ref(new)).await?;
    Ok(created.first().map(|(id, _)| *id))
}

/// `create` for many notifications in one statement (a batch of reminders): returns the
/// `(id, run_id)` of those stored; one whose run already notified is left out.
#[tracing::instrument(skip_all, fields(notifications = news.len()))]
pub async fn create_many(
    tx: &mut Transaction<'_, Postgres>,
    channels: Channels,
    news: &[NewNotification<'_>],
) -> anyhow::Result<Vec<(Uuid, Option<i64>)>> {
    if news.is_empty() {
        return Ok(Vec::new());
    }
    let mut columns = Columns::with_capacity(news.len());
    for new in news {
        // Time-ordered ids, made here: the stream pages by (created_at, id).
        columns.id.push(Uuid::now_v7());
        columns.user_id.push(new.user_id);
        columns.title.push(new.title);
        columns.body.push(new.body);
        columns.data.push(new.data);
        columns.task_id.push(new.task_id);
        columns.run_id.push(new.run_id);
    }
    let rows = "SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], \
                $5::jsonb[], $6::uuid[], $7::int8[])";
    sqlx::query_as(&format!(
        "WITH {} SELECT n.id, n.run_id FROM n, (SELECT count(*) FROM announced) AS a",
        store_ctes(rows, "$8", "$9")
    ))
    .bind(&columns.id)
    .bind(&columns.user_id)
    .bind(&columns.title)
    .bind(&columns.body)
    .bind(&columns.data)
    .bind(&columns.task_id)
    .bind(&columns.run_id)
    .bind(CHANNEL)
    .bind(channels.email)
    .fetch_all(&mut **tx)
    .await
    .context("storing notifications")
}

/// A time-ordered (version 7) UUID made in SQL, for notifications stored by a statement that
/// makes its rows itself (PostgreSQL 15 has no `uuidv7()`): the stream pages by
/// (created_at, id), and ids made in Rust are v7 too.
pub(crate) const UUID_V7_SQL: &str = "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) \
    placing substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) \
    FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid";

/// The CTEs (for a `WITH`) that store the notifications `rows` yields — a query with the
/// columns (id, user_id, title, body, data, task_id, run_id) — as `n`, announce them to the
/// streams once per person (`announced`: the caller's final SELECT must read it, or the
/// announcement is not made) and queue their deliveries: email when the parameter `email` is
/// true and the person has an address in auth's table, Web Push per subscription. `channel`
/// is the parameter holding `CHANNEL`. A run that notified already is left out (one
/// notification per run, so a retried handler does not notify twice).
pub(crate) fn store_ctes(rows: &str, channel: &str, email: &str) -> String {
    format!(
        "n AS ( \
             INSERT INTO cron.notifications (id, user_id, title, body, data, task_id, run_id) \
             {rows} \
             ON CONFLICT (run_id) DO NOTHING RETURNING id, user_id, run_id), \
         announced AS ( \
             SELECT pg_notify({channel}, u.user_id::text) FROM (SELECT DISTINCT user_id FROM n) AS u), \
         mail AS ( \
             INSERT INTO cron.deliveries (notification_id, channel, target) \
             SELECT n.id, 'email', u.email FROM n JOIN auth.users u ON u.id = n.user_id \
             WHERE {email} AND u.email IS NOT NULL), \
         push AS ( \
             INSERT INTO cron.deliveries (notification_id, channel, target) \
             SELECT n.id, 'web_push', s.id::text \
             FROM n JOIN cron.push_subscriptions s ON s.user_id = n.user_id)"
    )
}

/// `NewNotification`s as columns, for `unnest`.
struct Columns<'a> {
    id: Vec<Uuid>,
    user_id: Vec<Uuid>,
    title: Vec<&'a str>,
    body: Vec<&'a str>,
    data: Vec<&'a serde_json::Value>,
    task_id: Vec<Option<Uuid>>,
    run_id: Vec<Option<i64>>,
}

impl Columns<'_> {
    fn with_capacity(n: usize) -> Self {
        Self {
            id: Vec::with_capacity(n),
            user_id: Vec::with_capacity(n),
            title: Vec::with_capacity(n),
            body: Vec::with_capacity(n),
            data: Vec::with_capacity(n),
            task_id: Vec::with_capacity(n),
            run_id: Vec::with_capacity(n),
        }
    }
}
