//! `agents.conversations`: a person's conversations. Someone else's is never found.

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::usage::Today;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Conversation {
    pub id: Uuid,
    pub title: String,
    pub agent: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, title, agent, created_at, updated_at";

pub async fn create(
    db: impl PgExecutor<'_>,
    person: Uuid,
    title: &str,
    agent: &str,
) -> anyhow::Result<Conversation> {
    sqlx::query_as(&format!(
        "INSERT INTO agents.conversations (id, user_id, title, agent) VALUES ($1, $2, $3, $4)
         RETURNING {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(person)
    .bind(title)
    .bind(agent)
    .fetch_one(db)
    .await
    .context("creating a conversation")
}

/// The newest first.
pub async fn list(
    db: impl PgExecutor<'_>,
    person: Uuid,
    limit: i64,
    offset: i64,
) -> anyhow::Result<Vec<Conversation>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM agents.conversations WHERE user_id = $1
         ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(person)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
    .context("listing conversations")
}

pub async fn get(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> anyhow::Result<Option<Conversation>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM agents.conversations WHERE id = $1 AND user_id = $2"
    ))
    .bind(id)
    .bind(person)
    .fetch_optional(db)
    .await
    .context("reading a conversation")
}

/// The person's conversation and what they used today, in one round trip: what a turn reads
/// before it starts. `None`: no such conversation of theirs.
pub async fn get_for_turn(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> anyhow::Result<Option<(Conversation, Today)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        conversation: Conversation,
        #[sqlx(flatten)]
        today: Today,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT c.id, c.title, c.agent, c.created_at, c.updated_at,
                coalesce(u.requests, 0) AS requests, coalesce(u.tokens, 0) AS tokens
         FROM agents.conversations c
         LEFT JOIN agents.usage_daily u
                ON u.user_id = c.user_id AND u.day = (now() AT TIME ZONE 'UTC')::date
         WHERE c.id = $1 AND c.user_id = $2",
    )
    .bind(id)
    .bind(person)
    .fetch_optional(db)
    .await
    .context("reading a conversation and today's usage")?;
    Ok(row.map(|row| (row.conversation, row.today)))
}

pub async fn update(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
    title: Option<&str>,
    agent: Option<&str>,
) -> anyhow::Result<Option<Conversation>> {
    sqlx::query_as(&format!(
        "UPDATE agents.conversations
         SET title = coalesce($3, title), agent = coalesce($4, agent), updated_at = now()
         WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(person)
    .bind(title)
    .bind(agent)
    .fetch_optional(db)
    .await
    .context("updating a conversation")
}

/// Whether there was such a conversation to delete (its messages go with it).
pub async fn delete(db: impl PgExecutor<'_>, person: Uuid, id: Uuid) -> anyhow::Result<bool> {
    let deleted = sqlx::query("DELETE FROM agents.conversations WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(person)
        .execute(db)
        .await
        .context("deleting a conversation")?;
    Ok(deleted.rows_affected() > 0)
}

/// Waits for, then holds until the transaction ends, the conversation's turn lock: a
/// transaction-level advisory lock keyed by the conversation (class 0x6167 'ag', so it meets no
/// other service's advisory locks; two conversations sharing a hash only wait for each other).
pub async fn lock_for_turn(db: impl PgExecutor<'_>, id: Uuid) -> anyhow::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(x'6167'::int, hashtext($1::text))")
        .bind(id)
        .execute(db)
        .await
        .context("waiting for the conversation's turn lock")?;
    Ok(())
}
