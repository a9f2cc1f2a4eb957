//! `cron.push_subscriptions`: the browsers a person subscribed to Web Push (one row per
//! endpoint), which notification delivery sends to.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// A browser's subscription as stored: the endpoint and its base64url keys.
#[derive(Debug)]
pub struct Subscription {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// Saves `user_id`'s subscription under `id`; an endpoint is one browser, so subscribing it
/// again (maybe as someone else) takes the existing row over. Returns the row's id.
pub async fn upsert(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user_id: Uuid,
    subscription: &Subscription,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO cron.push_subscriptions (id, user_id, endpoint, p256dh, auth) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (endpoint) DO UPDATE SET user_id = $2, p256dh = $4, auth = $5 RETURNING id",
        id,
        user_id,
        subscription.endpoint,
        subscription.p256dh,
        subscription.auth,
    )
    .fetch_one(db)
    .await
}

/// Deletes a person's subscription; whether it existed.
pub async fn delete_for_user(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> sqlx::Result<bool> {
    let deleted = sqlx::query!(
        "DELETE FROM cron.push_subscriptions WHERE id = $1 AND user_id = $2",
        id,
        user_id,
    )
    .execute(db)
    .await?;
    Ok(deleted.rows_affected() == 1)
}

/// A subscription by id.
pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Subscription>> {
    sqlx::query_as!(
        Subscription,
        "SELECT endpoint, p256dh, auth FROM cron.push_subscriptions WHERE id = $1",
        id,
    )
    .fetch_optional(db)
    .await
}

/// Forgets a subscription (the browser unsubscribed).
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM cron.push_subscriptions WHERE id = $1", id).execute(db).await?;
    Ok(())
}

/// A person's subscription as their export shows it: never its keys.
#[derive(Debug)]
pub struct Subscribed {
    pub id: Uuid,
    pub endpoint: String,
    pub created_at: DateTime<Utc>,
}

/// A person's subscriptions, oldest first, without their keys.
pub async fn of_user(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Vec<Subscribed>> {
    sqlx::query_as!(
        Subscribed,
        "SELECT id, endpoint, created_at FROM cron.push_subscriptions WHERE user_id = $1 \
         ORDER BY created_at, id",
        user_id,
    )
    .fetch_all(db)
    .await
}
