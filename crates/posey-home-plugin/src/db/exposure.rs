//! `home.exposure`: what the companion may see and control of a person's home.

use posey_home::exposure::ExposurePolicy;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

/// The person's policy; nothing visible or controllable until they chose.
pub async fn get(db: impl PgExecutor<'_>, person: Uuid) -> anyhow::Result<ExposurePolicy> {
    let row = sqlx::query("SELECT policy FROM home.exposure WHERE user_id = $1")
        .bind(person)
        .fetch_optional(db)
        .await?;
    Ok(match row {
        Some(row) => serde_json::from_value(row.try_get("policy")?)?,
        None => ExposurePolicy::none(),
    })
}

pub async fn put(
    db: impl PgExecutor<'_>,
    person: Uuid,
    policy: &ExposurePolicy,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO home.exposure (user_id, policy) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET policy = EXCLUDED.policy, updated_at = now()",
    )
    .bind(person)
    .bind(serde_json::to_value(policy)?)
    .execute(db)
    .await?;
    Ok(())
}
