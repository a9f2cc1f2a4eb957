//! A person's notifications: stored first (so a failed channel never loses one), then announced
//! to the SSE streams of every replica with `pg_notify`, and queued per channel in
//! `cron.deliveries` for the delivery loop (email, Web Push).

pub mod delivery;
pub mod stream;

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
    let id = Uuid::now_v7();
    let inserted: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO cron.notifications (id, user_id, title, body, data, task_id, run_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (run_id) DO NOTHING RETURNING id",
    )
    .bind(id)
    .bind(new.user_id)
    .bind(new.title)
    .bind(new.body)
    .bind(new.data)
    .bind(new.task_id)
    .bind(new.run_id)
    .fetch_optional(&mut **tx)
    .await
    .context("inserting a notification")?;
    let Some(id) = inserted else { return Ok(None) };

    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(new.user_id.to_string())
        .execute(&mut **tx)
        .await
        .context("announcing a notification")?;

    if email_enabled() {
        // The address lives in the auth service's table; no row (or no address) means no email.
        sqlx::query(
            "INSERT INTO cron.deliveries (notification_id, channel, target) \
             SELECT $1, 'email', u.email FROM auth.users u WHERE u.id = $2 AND u.email IS NOT NULL",
        )
        .bind(id)
        .bind(new.user_id)
        .execute(&mut **tx)
        .await
        .context("queueing a notification's email")?;
    }
    sqlx::query(
        "INSERT INTO cron.deliveries (notification_id, channel, target) \
         SELECT $1, 'web_push', s.id::text FROM cron.push_subscriptions s WHERE s.user_id = $2",
    )
    .bind(id)
    .bind(new.user_id)
    .execute(&mut **tx)
    .await
    .context("queueing a notification's web pushes")?;
    Ok(Some(id))
}
