//! `agents.model_choices`: the chat model a person chose. No row: the default.

use anyhow::Context;
use sqlx::PgExecutor;
use uuid::Uuid;

pub async fn get(db: impl PgExecutor<'_>, person: Uuid) -> anyhow::Result<Option<String>> {
    sqlx::query_scalar!("SELECT model FROM agents.model_choices WHERE user_id = $1", person)
        .fetch_optional(db)
        .await
        .context("reading a model choice")
}

/// Records `model` as the person's choice; `None` goes back to the default.
pub async fn set(db: impl PgExecutor<'_>, person: Uuid, model: Option<&str>) -> anyhow::Result<()> {
    match model {
        Some(model) => sqlx::query!(
            "INSERT INTO agents.model_choices (user_id, model) VALUES ($1, $2)
             ON CONFLICT (user_id) DO UPDATE SET model = $2, updated_at = now()",
            person,
            model,
        )
        .execute(db)
        .await
        .context("recording a model choice")?,
        None => sqlx::query!("DELETE FROM agents.model_choices WHERE user_id = $1", person)
            .execute(db)
            .await
            .context("clearing a model choice")?,
    };
    Ok(())
}
