//! A person's notifications: stored first (so a failed channel never loses one), then announced
//! to the SSE streams of every replica with `pg_notify`, and queued per channel in
//! `cron.deliveries` for the delivery loop (email, Web Push).

pub mod delivery;
pub mod stream;
pub mod webpush;

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

/// The Postgres channel new notifications are announced on; the payload is the user id.
pub const CHANNEL: &str = "posey_notifications";

/// Whether this process sends email (SMTP configured). Set once at startup; `create` queues an
/// email delivery only then. It only ever turns on: one process runs one cron service (tests run
/// several, each with its own database, and must not switch another one's email off).
static EMAIL_ENABLED: AtomicBool = AtomicBool::new(false);

pub fn enable_email() {
    EMAIL_ENABLED.store(true, Ordering::Relaxed);
}

fn email_enabled() -> bool {
    EMAIL_ENABLED.load(Ordering::Relaxed)
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
    new: &NewNotification<'_>,
) -> anyhow::Result<Option<Uuid>> {
    // One statement (the reminder job's hot path): the notification, its announcement and its
    // deliveries. A data-modifying CTE always runs; the announcing one is run by reading it.
    let inserted: Option<Uuid> = sqlx::query_scalar(
        "WITH n AS ( \
             INSERT INTO cron.notifications (id, user_id, title, body, data, task_id, run_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (run_id) DO NOTHING RETURNING id, user_id), \
         announced AS (SELECT pg_notify($8, n.user_id::text) FROM n), \
         mail AS ( \
             INSERT INTO cron.deliveries (notification_id, channel, target) \
             SELECT n.id, 'email', u.email FROM n JOIN auth.users u ON u.id = n.user_id \
             WHERE $9 AND u.email IS NOT NULL), \
         push AS ( \
             INSERT INTO cron.deliveries (notification_id, channel, target) \
             SELECT n.id, 'web_push', s.id::text \
             FROM n JOIN cron.push_subscriptions s ON s.user_id = n.user_id) \
         SELECT n.id FROM n, (SELECT count(*) FROM announced) AS a",
    )
    .bind(Uuid::now_v7())
    .bind(new.user_id)
    .bind(new.title)
    .bind(new.body)
    .bind(new.data)
    .bind(new.task_id)
    .bind(new.run_id)
    .bind(CHANNEL)
    // The address lives in the auth service's table; no row (or no address) means no email.
    .bind(email_enabled())
    .fetch_optional(&mut **tx)
    .await
    .context("storing a notification")?;
    let Some(id) = inserted else { return Ok(None) };
    Ok(Some(id))
}
