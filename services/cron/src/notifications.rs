//! A person's notifications: stored first (so a failed channel never loses one), then announced
//! to the SSE streams of every replica with `pg_notify`, and queued per channel in
//! `cron.deliveries` for the delivery loop (email, Web Push). The SQL is `db::notifications`.

pub mod delivery;
pub mod stream;
pub mod webpush;

use anyhow::Context;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use crate::db;
pub use crate::db::notifications::{CHANNEL, NewNotification};

/// The channels besides the in-app stream that a new notification is queued for, from the
/// service's configuration (`NotifySettings::channels`) and handed to whoever creates
/// notifications. Web Push needs no switch: it is queued per subscription a person made (and
/// fails plainly as not configured when there is no VAPID key).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Channels {
    /// SMTP is configured: queue an email to the person's address.
    pub email: bool,
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
    db::notifications::insert_many(tx, channels.email, news).await.context("storing notifications")
}
