//! The subscriptions' SQL (table `calendar.subscriptions`, one row per subscribed calendar),
//! scoped by the person's id except where the refresher claims due ones for everyone.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgExecutor, PgPool};
use uuid::Uuid;

use super::fetch::Validators;

/// A subscription as stored.
#[derive(Debug, Clone, FromRow)]
pub struct Subscription {
    pub calendar_id: Uuid,
    pub user_id: Uuid,
    pub url: String,
    pub refresh_secs: i32,
    pub next_refresh_at: DateTime<Utc>,
    pub last_refreshed_at: Option<DateTime<Utc>>,
    /// `[{uid, reason}]`: what the last good fetch left out.
    pub skipped: serde_json::Value,
    pub last_error: Option<String>,
    pub failures: i32,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub refreshing_until: Option<DateTime<Utc>>,
}

impl Subscription {
    pub fn validators(&self) -> Validators {
        Validators { etag: self.etag.clone(), last_modified: self.last_modified.clone() }
    }
}

const COLUMNS: &str = "calendar_id, user_id, url, refresh_secs, next_refresh_at, \
                       last_refreshed_at, skipped, last_error, failures, etag, last_modified, \
                       refreshing_until";

/// What a new subscription starts with: its first fetch, made before it was stored.
pub struct NewSubscription<'a> {
    pub calendar_id: Uuid,
    pub person: Uuid,
    pub url: &'a str,
    pub refresh_secs: i32,
    pub validators: &'a Validators,
    pub skipped: &'a serde_json::Value,
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    new: &NewSubscription<'_>,
) -> sqlx::Result<Subscription> {
    sqlx::query_as(&format!(
        "INSERT INTO calendar.subscriptions
             (calendar_id, user_id, url, refresh_secs, next_refresh_at, last_refreshed_at, skipped,
              etag, last_modified)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $4), now(), $5, $6, $7)
         RETURNING {COLUMNS}"
    ))
    .bind(new.calendar_id)
    .bind(new.person)
    .bind(new.url)
    .bind(new.refresh_secs)
    .bind(new.skipped)
    .bind(new.validators.etag.as_deref())
    .bind(new.validators.last_modified.as_deref())
    .fetch_one(db)
    .await
}

pub async fn get(db: &PgPool, person: Uuid, calendar: Uuid) -> sqlx::Result<Option<Subscription>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM calendar.subscriptions WHERE user_id = $1 AND calendar_id = $2"
    ))
    .bind(person)
    .bind(calendar)
    .fetch_optional(db)
    .await
}

pub async fn list(db: &PgPool, person: Uuid) -> sqlx::Result<Vec<Subscription>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM calendar.subscriptions WHERE user_id = $1 \
         ORDER BY created_at, calendar_id"
    ))
    .bind(person)
    .fetch_all(db)
    .await
}

/// How many subscriptions the person has.
pub async fn count(db: &PgPool, person: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM calendar.subscriptions WHERE user_id = $1")
        .bind(person)
        .fetch_one(db)
        .await
}

/// A new refresh interval; the next refresh moves to one interval after the last (when the
/// last did not fail: a failing one keeps its backed-off time).
pub async fn set_interval(
    db: &PgPool,
    person: Uuid,
    calendar: Uuid,
    refresh_secs: i32,
) -> sqlx::Result<Option<Subscription>> {
    sqlx::query_as(&format!(
        "UPDATE calendar.subscriptions SET refresh_secs = $3,
             next_refresh_at = CASE WHEN failures = 0
                 THEN COALESCE(last_refreshed_at, created_at) + make_interval(secs => $3)
                 ELSE next_refresh_at END
         WHERE user_id = $1 AND calendar_id = $2 RETURNING {COLUMNS}"
    ))
    .bind(person)
    .bind(calendar)
    .bind(refresh_secs)
    .fetch_optional(db)
    .await
}

/// Takes up to `limit` subscriptions that are due and that no replica is refreshing, each for
/// `lease`: the rows are locked only while they are taken (`SKIP LOCKED`: replicas taking at
/// once take different ones), never across the fetch.
pub async fn claim_due(
    db: &PgPool,
    lease: std::time::Duration,
    limit: i64,
) -> sqlx::Result<Vec<Subscription>> {
    sqlx::query_as(&format!(
        "UPDATE calendar.subscriptions SET refreshing_until = now() + make_interval(secs => $1)
         WHERE calendar_id IN (
             SELECT calendar_id FROM calendar.subscriptions
             WHERE next_refresh_at <= now()
               AND (refreshing_until IS NULL OR refreshing_until < now())
             ORDER BY next_refresh_at LIMIT $2
             FOR UPDATE SKIP LOCKED)
         RETURNING {COLUMNS}"
    ))
    .bind(lease.as_secs_f64())
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Takes one of the person's subscriptions for `lease`, due or not (a refresh asked for);
/// `None` when it is not theirs or another refresh holds it.
pub async fn claim(
    db: &PgPool,
    person: Uuid,
    calendar: Uuid,
    lease: std::time::Duration,
) -> sqlx::Result<Option<Subscription>> {
    sqlx::query_as(&format!(
        "UPDATE calendar.subscriptions SET refreshing_until = now() + make_interval(secs => $3)
         WHERE user_id = $1 AND calendar_id = $2
           AND (refreshing_until IS NULL OR refreshing_until < now())
         RETURNING {COLUMNS}"
    ))
    .bind(person)
    .bind(calendar)
    .bind(lease.as_secs_f64())
    .fetch_optional(db)
    .await
}

/// A refresh that worked: the next one interval from now. `validators` and `skipped` are those
/// of a new answer (`None` after a 304: the last ones still hold).
pub async fn succeeded(
    db: &PgPool,
    calendar: Uuid,
    validators: Option<&Validators>,
    skipped: Option<&serde_json::Value>,
) -> sqlx::Result<Option<Subscription>> {
    sqlx::query_as(&format!(
        "UPDATE calendar.subscriptions SET last_refreshed_at = now(), last_error = NULL,
             failures = 0, next_refresh_at = now() + make_interval(secs => refresh_secs),
             refreshing_until = NULL,
             etag = CASE WHEN $2 THEN $3 ELSE etag END,
             last_modified = CASE WHEN $2 THEN $4 ELSE last_modified END,
             skipped = COALESCE($5, skipped)
         WHERE calendar_id = $1 RETURNING {COLUMNS}"
    ))
    .bind(calendar)
    .bind(validators.is_some())
    .bind(validators.and_then(|v| v.etag.as_deref()))
    .bind(validators.and_then(|v| v.last_modified.as_deref()))
    .bind(skipped)
    .fetch_optional(db)
    .await
}

/// A refresh that failed: why, and when to try again (`retry_in` from now).
pub async fn failed(
    db: &PgPool,
    calendar: Uuid,
    error: &str,
    retry_in: std::time::Duration,
) -> sqlx::Result<Option<Subscription>> {
    sqlx::query_as(&format!(
        "UPDATE calendar.subscriptions SET last_error = $2, failures = failures + 1,
             next_refresh_at = now() + make_interval(secs => $3), refreshing_until = NULL
         WHERE calendar_id = $1 RETURNING {COLUMNS}"
    ))
    .bind(calendar)
    .bind(error)
    .bind(retry_in.as_secs_f64())
    .fetch_optional(db)
    .await
}

/// Lets go of a lease without a result (the refresh could not be recorded either way).
pub async fn release(db: &PgPool, calendar: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE calendar.subscriptions SET refreshing_until = NULL WHERE calendar_id = $1")
        .bind(calendar)
        .execute(db)
        .await?;
    Ok(())
}
