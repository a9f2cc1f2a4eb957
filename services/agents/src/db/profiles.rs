//! `agents.profiles`: a person's name, time zone and preferences. A person without a row has
//! the defaults (no name, UTC, no preferences).

use anyhow::Context;
use futures::future::BoxFuture;
use posey_domain::TimeZone;
use posey_plugin::{Profile, ProfileSource};
use serde_json::{Map, Value};
use sqlx::PgExecutor;
use sqlx::types::Json;
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
    let row = sqlx::query!(
        r#"SELECT name, time_zone, preferences AS "preferences: Json<Map<String, Value>>",
                  updated_at
           FROM agents.profiles WHERE user_id = $1"#,
        person,
    )
    .try_map(|row| {
        Ok(Profile {
            name: row.name,
            time_zone: time_zone(row.time_zone)?,
            preferences: row.preferences.0,
            updated_at: Some(row.updated_at),
        })
    })
    .fetch_optional(db)
    .await
    .context("reading a profile")?;
    Ok(row.unwrap_or_else(Profile::defaults))
}

/// The profile and what the person used today, in one round trip: what a turn reads before it
/// starts (the limits are checked on the usage; the tools read the profile).
pub async fn get_with_today(
    db: impl PgExecutor<'_>,
    person: Uuid,
) -> anyhow::Result<(Profile, Today)> {
    sqlx::query!(
        r#"SELECT p.name, coalesce(p.time_zone, 'UTC') AS "time_zone!",
                  coalesce(p.preferences, '{}') AS "preferences!: Json<Map<String, Value>>",
                  p.updated_at AS "updated_at?",
                  coalesce(u.requests, 0) AS "requests!", coalesce(u.tokens, 0) AS "tokens!"
           FROM (SELECT $1::uuid AS user_id) AS me
           LEFT JOIN agents.profiles p ON p.user_id = me.user_id
           LEFT JOIN agents.usage_daily u
                  ON u.user_id = me.user_id AND u.day = (now() AT TIME ZONE 'UTC')::date"#,
        person,
    )
    .try_map(|row| {
        let profile = Profile {
            name: row.name,
            time_zone: time_zone(row.time_zone)?,
            preferences: row.preferences.0,
            updated_at: row.updated_at,
        };
        Ok((profile, Today { requests: row.requests, tokens: row.tokens }))
    })
    .fetch_one(db)
    .await
    .context("reading a profile and today's usage")
}

/// Applies `changes` (creating the row on first use); preference keys set to null are removed.
pub async fn update(
    db: impl PgExecutor<'_>,
    person: Uuid,
    changes: &ProfileChanges,
) -> anyhow::Result<Profile> {
    let preferences = changes.preferences.clone().map(Value::Object);
    sqlx::query!(
        r#"INSERT INTO agents.profiles AS p (user_id, name, time_zone, preferences)
           VALUES ($1, $2, coalesce($3, 'UTC'), jsonb_strip_nulls(coalesce($4::jsonb, '{}')))
           ON CONFLICT (user_id) DO UPDATE SET
               name = coalesce($2, p.name),
               time_zone = coalesce($3, p.time_zone),
               preferences = CASE WHEN $4::jsonb IS NULL THEN p.preferences
                                  ELSE jsonb_strip_nulls(p.preferences || $4) END,
               updated_at = now()
           RETURNING name, time_zone, preferences AS "preferences: Json<Map<String, Value>>",
                     updated_at"#,
        person,
        changes.name,
        changes.time_zone,
        preferences,
    )
    .try_map(|row| {
        Ok(Profile {
            name: row.name,
            time_zone: time_zone(row.time_zone)?,
            preferences: row.preferences.0,
            updated_at: Some(row.updated_at),
        })
    })
    .fetch_one(db)
    .await
    .context("updating a profile")
}

/// A stored zone name as a zone: one that is no zone fails the read, never becomes UTC.
fn time_zone(name: String) -> Result<TimeZone, sqlx::Error> {
    TimeZone::try_from(name).map_err(|error| sqlx::Error::ColumnDecode {
        index: "time_zone".into(),
        source: error.into(),
    })
}
