//! `agents.conversations`: a person's conversations (someone else's is never found), and the
//! SQL of each conversation's turn lease, which lets one turn at a time run on it (the lease
//! itself, renewed and released, is `crate::turns::TurnLeases`).

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::usage::Today;

/// The channel a released turn lease is announced on; the payload is the conversation's id.
pub const TURN_RELEASED: &str = "agents_turn_released";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Conversation {
    pub id: Uuid,
    pub title: String,
    pub agent: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn create(
    db: impl PgExecutor<'_>,
    person: Uuid,
    title: &str,
    agent: &str,
) -> anyhow::Result<Conversation> {
    sqlx::query_as!(
        Conversation,
        "INSERT INTO agents.conversations (id, user_id, title, agent) VALUES ($1, $2, $3, $4)
         RETURNING id, title, agent, created_at, updated_at",
        Uuid::now_v7(),
        person,
        title,
        agent,
    )
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
    sqlx::query_as!(
        Conversation,
        "SELECT id, title, agent, created_at, updated_at FROM agents.conversations
         WHERE user_id = $1 ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3",
        person,
        limit,
        offset,
    )
    .fetch_all(db)
    .await
    .context("listing conversations")
}

pub async fn get(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> anyhow::Result<Option<Conversation>> {
    sqlx::query_as!(
        Conversation,
        "SELECT id, title, agent, created_at, updated_at FROM agents.conversations
         WHERE id = $1 AND user_id = $2",
        id,
        person,
    )
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
    sqlx::query!(
        r#"SELECT c.id, c.title, c.agent, c.created_at, c.updated_at,
                  coalesce(u.requests, 0) AS "requests!", coalesce(u.tokens, 0) AS "tokens!"
           FROM agents.conversations c
           LEFT JOIN agents.usage_daily u
                  ON u.user_id = c.user_id AND u.day = (now() AT TIME ZONE 'UTC')::date
           WHERE c.id = $1 AND c.user_id = $2"#,
        id,
        person,
    )
    .map(|row| {
        let conversation = Conversation {
            id: row.id,
            title: row.title,
            agent: row.agent,
            created_at: row.created_at,
            updated_at: row.updated_at,
        };
        (conversation, Today { requests: row.requests, tokens: row.tokens })
    })
    .fetch_optional(db)
    .await
    .context("reading a conversation and today's usage")
}

pub async fn update(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
    title: Option<&str>,
    agent: Option<&str>,
) -> anyhow::Result<Option<Conversation>> {
    sqlx::query_as!(
        Conversation,
        "UPDATE agents.conversations
         SET title = coalesce($3, title), agent = coalesce($4, agent), updated_at = now()
         WHERE id = $1 AND user_id = $2 RETURNING id, title, agent, created_at, updated_at",
        id,
        person,
        title,
        agent,
    )
    .fetch_optional(db)
    .await
    .context("updating a conversation")
}

/// Whether there was such a conversation to delete (its messages go with it).
pub async fn delete(db: impl PgExecutor<'_>, person: Uuid, id: Uuid) -> anyhow::Result<bool> {
    let deleted =
        sqlx::query!("DELETE FROM agents.conversations WHERE id = $1 AND user_id = $2", id, person)
            .execute(db)
            .await
            .context("deleting a conversation")?;
    Ok(deleted.rows_affected() > 0)
}

/// Whether a turn took the conversation's lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnTake {
    /// It is the turn's now; `lapsed` names a holder whose lease had run out (a crashed replica's).
    Taken { lapsed: Option<Uuid> },
    /// Another turn holds it.
    Busy,
    /// There is no such conversation (deleted meanwhile).
    Gone,
}

/// Gives the conversation's turn lease to `holder` for `ttl` if nobody holds it or the holder's
/// lease has run out, in one statement (so two takers never both get it).
pub async fn take_turn(
    db: impl PgExecutor<'_>,
    id: Uuid,
    holder: Uuid,
    ttl: Duration,
) -> anyhow::Result<TurnTake> {
    // The outer SELECT sees the row as it was when the statement began: whose lease, if any,
    // had run out (a holder that released meanwhile, while its lease ran, is not named).
    let row = sqlx::query!(
        r#"WITH taken AS (
               UPDATE agents.conversations
               SET turn_holder = $2, turn_lease_until = now() + make_interval(secs => $3)
               WHERE id = $1 AND (turn_holder IS NULL OR turn_lease_until < now())
               RETURNING id
           )
           SELECT EXISTS (SELECT 1 FROM taken) AS "taken!",
                  CASE WHEN turn_lease_until < now() THEN turn_holder END AS "lapsed?"
           FROM agents.conversations WHERE id = $1"#,
        id,
        holder,
        ttl.as_secs_f64(),
    )
    .fetch_optional(db)
    .await
    .context("taking a conversation's turn lease")?;
    Ok(match row {
        None => TurnTake::Gone,
        Some(row) if row.taken => TurnTake::Taken { lapsed: row.lapsed },
        Some(_) => TurnTake::Busy,
    })
}

/// Extends `holder`'s lease to `ttl` from now; false when it is no longer theirs.
pub async fn renew_turn(
    db: impl PgExecutor<'_>,
    id: Uuid,
    holder: Uuid,
    ttl: Duration,
) -> anyhow::Result<bool> {
    let renewed = sqlx::query!(
        "UPDATE agents.conversations SET turn_lease_until = now() + make_interval(secs => $3)
         WHERE id = $1 AND turn_holder = $2",
        id,
        holder,
        ttl.as_secs_f64(),
    )
    .execute(db)
    .await
    .context("renewing a conversation's turn lease")?;
    Ok(renewed.rows_affected() > 0)
}

/// Clears the lease if it is still `holder`'s and then, on commit, tells every replica's
/// waiters on [`TURN_RELEASED`]; false when it was no longer theirs (left as it is).
pub async fn release_turn(db: impl PgExecutor<'_>, id: Uuid, holder: Uuid) -> anyhow::Result<bool> {
    let released = sqlx::query!(
        "WITH released AS (
             UPDATE agents.conversations SET turn_holder = NULL, turn_lease_until = NULL
             WHERE id = $1 AND turn_holder = $2
             RETURNING id
         )
         SELECT pg_notify($3, id::text) FROM released",
        id,
        holder,
        TURN_RELEASED,
    )
    .fetch_optional(db)
    .await
    .context("releasing a conversation's turn lease")?;
    Ok(released.is_some())
}
