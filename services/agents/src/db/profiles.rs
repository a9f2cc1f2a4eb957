//! `agents.profiles`: a person's name, time zone and preferences. A person without a row has
//! the defaults (no name, UTC, no preferences).

use anyhow::Context;
use futures::future::BoxFuture;
use posey_plugin::{Profile, ProfileSource};
use serde_json::{Map, Value};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::usage::Today;

/// A checked change of a profile.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    /// Merged into the stored preferences; null values remove keys.
    pub preferences: Option<Map<String, Value>>,
}

/// The profiles in this service's database, for the tools that read them.
pub struct StoredProfiles(pub sqlx::PgPool);

impl ProfileSource for StoredProfiles {
    fn profile(&self, person: Uuid) -> BoxFuture<'static, anyhow::Result<Profile>> {
        let db = self.0.clone();
        Box::pin(async move { get(&db, person).await })
    }
}

pub async fn get(db: impl PgExecutor<'_>, person: Uuid) -> anyhow::Result<Profile> {
    let row: Option<Profile> = sqlx::query_as(
        "SELECT name, time_zone, preferences, updated_at FROM agents.profiles WHERE user_id = $1",
    )
    .bind(person)
    .fetch_optional(db)
    .await
    .context("reading a profile")?;
    Ok(row.unwrap_or_else(Profile::defaults))
}

#[derive(sqlx::FromRow)]
struct WithToday {
    #[sqlx(flatten)]
    profile: Profile,
    #[sqlx(flatten)]
    today: Today,
}

/// The profile and what the person used today, in one round trip: what a turn reads before it
/// starts (the limits are checked on the usage; the tools read the profile).
pub async fn get_with_today(
    db: impl PgExecutor<'_>,
    person: Uuid,
) -> anyhow::Result<(Profile, Today)> {
    let row: WithToday = sqlx::query_as(
        "SELECT p.name, coalesce(p.time_zone, 'UTC') AS time_zone,
                coalesce(p.preferences, '{}') AS preferences, p.updated_at,
                coalesce(u.requests, 0) AS requests, coalesce(u.tokens, 0) AS tokens
         FROM (SELECT $1::uuid AS user_id) AS me
         LEFT JOIN agents.profiles p ON p.user_id = me.user_id
         LEFT JOIN agents.usage_daily u
                ON u.user_id = me.user_id AND u.day = (now() AT TIME ZONE 'UTC')::date",
    )
    .bind(person)
    .fetch_one(db)
    .await
    .context("reading a profile and today's usage")?;
    Ok((row.profile, row.today))
}

/// Applies `changes` (creating the row on first use); preference keys set to null are removed.
pub async fn update(
    db: impl PgExecutor<'_>,
    person: Uuid,
    changes: &ProfileChanges,
) -> anyhow::Result<Profile> {
    let preferences = changes.preferences.clone().map(Value::Object);
    sqlx::query_as(
        "INSERT INTO agents.profiles AS p (user_id, name, time_zone, preferences)
         VALUES ($1, $2, coalesce($3, 'UTC'), jsonb_strip_nulls(coalesce($4, '{}')))
         ON CONFLICT (user_id) DO UPDATE SET
             name = coalesce($2, p.name),
             time_zone = coalesce($3, p.time_zone),
             preferences = CASE WHEN $4::jsonb IS NULL THEN p.preferences
                                ELSE jsonb_strip_nulls(p.preferences || $4) END,
             updated_at = now()
         RETURNING name, time_zone, preferences, updated_at",
    )
    .bind(person)
    .bind(&changes.name)
    .bind(&changes.time_zone)
    .bind(preferences)
    .fetch_one(db)
    .await
    .context("updating a profile")
}
