//! `cron.deliveries`, a notification's sending per channel (email, Web Push), claimed for a
//! while by one replica and retried with backoff; and auth's undelivered emails (`auth.outbox`),
//! which cron's delivery loop retries because it holds the SMTP transport. These run on the
//! database's clock (`now()`): delivery timing is not what tests move.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

/// A claimed delivery with what sending it needs.
#[derive(Debug)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub notification_id: Uuid,
    /// "email" or "web_push".
    pub channel: String,
    /// The email address, or the push subscription's id.
    pub target: Option<String>,
    /// Attempts before this one.
    pub attempts: i32,
    pub title: String,
    pub body: String,
    pub data: Value,
}

/// Claims up to `limit` due deliveries for `claim` (others skip them meanwhile), oldest due
/// first, with their notifications.
pub async fn claim_due(
    db: impl PgExecutor<'_>,
    claim: TimeDelta,
    limit: i64,
) -> sqlx::Result<Vec<ClaimedDelivery>> {
    // `as _`: chrono's TimeDelta encodes as an interval, which the macro's check spells PgInterval.
    sqlx::query_as!(
        ClaimedDelivery,
        "UPDATE cron.deliveries d SET next_attempt_at = now() + $1 \
         FROM cron.notifications n \
         WHERE d.notification_id = n.id AND d.id IN ( \
             SELECT id FROM cron.deliveries WHERE status = 'pending' AND next_attempt_at <= now() \
             ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
         RETURNING d.id, n.id AS notification_id, d.channel, d.target, d.attempts, n.title, n.body, \
             n.data",
        claim as _,
        limit,
    )
    .fetch_all(db)
    .await
}

/// Records a delivery sent, after `attempts` attempts.
pub async fn mark_delivered(db: impl PgExecutor<'_>, id: i64, attempts: i32) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE cron.deliveries SET status = 'delivered', attempts = $2, \
         delivered_at = now(), last_error = NULL WHERE id = $1",
        id,
        attempts,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records a failed attempt (the `attempts`th): given up as `failed` when `give_up`, else
/// pending again in `retry_in`.
pub async fn mark_failed(
    db: impl PgExecutor<'_>,
    id: i64,
    attempts: i32,
    give_up: bool,
    error: &str,
    retry_in: TimeDelta,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE cron.deliveries SET status = CASE WHEN $3 THEN 'failed' ELSE 'pending' END, \
         attempts = $2, last_error = $4, next_attempt_at = now() + $5 WHERE id = $1",
        id,
        attempts,
        give_up,
        error,
        retry_in as _,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// An email auth could not send (`auth.outbox`).
#[derive(Debug)]
pub struct OutboxEmail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

/// Locks up to `limit` of auth's emails due for another try, until `tx` ends: those auth tried
/// and failed to send, fewer than `max_attempts` times in all, whose backoff (1 min ×
/// 2^(attempts−1) after creation) has passed. Rows auth never tried (no SMTP there: the outbox
/// is the channel) are left alone.
pub async fn claim_outbox_retries(
    tx: &mut Transaction<'_, Postgres>,
    max_attempts: i32,
    limit: i64,
) -> sqlx::Result<Vec<OutboxEmail>> {
    sqlx::query_as!(
        OutboxEmail,
        "SELECT id, recipient, subject, body FROM auth.outbox \
         WHERE sent_at IS NULL AND attempts BETWEEN 1 AND $1 - 1 \
           AND created_at + interval '1 minute' * power(2, attempts - 1) <= now() \
         ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
        max_attempts,
        limit,
    )
    .fetch_all(&mut **tx)
    .await
}

/// Records one more try of an auth email: sent when `error` is `None`.
pub async fn record_outbox_retry(
    tx: &mut Transaction<'_, Postgres>,
    id: i64,
    error: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE auth.outbox SET attempts = attempts + 1, last_error = $2::text, \
         sent_at = CASE WHEN $2 IS NULL THEN now() END WHERE id = $1",
        id,
        error,
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A notification's delivery on one channel, as the person's export shows it (not its target:
/// an address or a subscription's id).
#[derive(Debug)]
pub struct Delivery {
    pub notification_id: Uuid,
    /// "email" or "web_push".
    pub channel: String,
    /// "pending", "delivered" or "failed".
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The deliveries of a person's notifications, in the order they were queued.
pub async fn of_user(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Vec<Delivery>> {
    sqlx::query_as!(
        Delivery,
        "SELECT d.notification_id, d.channel, d.status, d.attempts, d.last_error, \
                d.delivered_at, d.created_at \
         FROM cron.deliveries d JOIN cron.notifications n ON n.id = d.notification_id \
         WHERE n.user_id = $1 ORDER BY d.id",
        user_id,
    )
    .fetch_all(db)
    .await
}
