//! `agents.memories`: the SQL of memory. Every query is scoped by the person; someone else's
//! memory is never found. "Current" memories are those neither superseded nor retracted.

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use super::{Kind, Origin};
use crate::knowledge::Indexed;

/// One memory, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Memory {
    pub id: Uuid,
    pub text: String,
    #[schema(inline, value_type = Kind)]
    pub kind: String,
    /// Extracted after a turn, the agent's remember tool, or the person
    #[schema(inline, value_type = Origin)]
    pub origin: String,
    /// The id of the person's message it was extracted from.
    #[schema(required = true)]
    pub source_message: Option<i64>,
    #[schema(required = true)]
    pub conversation_id: Option<Uuid>,
    /// The memory this one replaced.
    #[schema(required = true)]
    pub supersedes: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set once a newer memory replaced this one.
    #[schema(required = true)]
    pub superseded_at: Option<DateTime<Utc>>,
    /// Set once the person retracted it in conversation.
    #[schema(required = true)]
    pub retracted_at: Option<DateTime<Utc>>,
}

impl Memory {
    pub fn is_current(&self) -> bool {
        self.superseded_at.is_none() && self.retracted_at.is_none()
    }
}

/// What a new memory is made of.
#[derive(Debug, Clone)]
pub struct NewMemory<'a> {
    pub text: &'a str,
    pub kind: Kind,
    pub origin: Origin,
    /// The turn whose person's message it came from (its message id is looked up).
    pub turn_id: Option<Uuid>,
    pub conversation_id: Option<Uuid>,
    pub supersedes: Option<Uuid>,
}

pub async fn insert(
    db: &mut PgConnection,
    person: Uuid,
    memory: &NewMemory<'_>,
) -> anyhow::Result<Memory> {
    sqlx::query_as!(
        Memory,
        "INSERT INTO agents.memories
             (id, user_id, text, kind, origin, source_message, conversation_id, supersedes)
         VALUES ($1, $2, $3, $4, $5,
                 (SELECT m.id FROM agents.messages m
                  JOIN agents.conversations c ON c.id = m.conversation_id
                  WHERE m.turn_id = $6 AND m.role = 'user' AND c.user_id = $2
                  ORDER BY m.id LIMIT 1),
                 (SELECT c.id FROM agents.conversations c WHERE c.id = $7 AND c.user_id = $2),
                 $8)
         RETURNING id, text, kind, origin, source_message, conversation_id, supersedes,
                   created_at, updated_at, superseded_at, retracted_at",
        Uuid::now_v7(),
        person,
        memory.text,
        memory.kind.as_str(),
        memory.origin.as_str(),
        memory.turn_id,
        memory.conversation_id,
        memory.supersedes,
    )
    .fetch_one(db)
    .await
    .context("storing a memory")
}

/// The current memory with exactly this text (case and surrounding space aside), if any.
pub async fn find_current_text(
    db: impl PgExecutor<'_>,
    person: Uuid,
    text: &str,
) -> anyhow::Result<Option<Memory>> {
    sqlx::query_as!(
        Memory,
        "SELECT id, text, kind, origin, source_message, conversation_id, supersedes,
                created_at, updated_at, superseded_at, retracted_at
         FROM agents.memories
         WHERE user_id = $1 AND superseded_at IS NULL AND retracted_at IS NULL
           AND lower(btrim(text)) = lower(btrim($2))
         LIMIT 1",
        person,
        text,
    )
    .fetch_optional(db)
    .await
    .context("looking for a memory")
}

/// Current memories, newest first, optionally of one kind.
pub async fn list_current(
    db: impl PgExecutor<'_>,
    person: Uuid,
    kind: Option<Kind>,
    limit: i64,
    offset: i64,
) -> anyhow::Result<Vec<Memory>> {
    sqlx::query_as!(
        Memory,
        "SELECT id, text, kind, origin, source_message, conversation_id, supersedes,
                created_at, updated_at, superseded_at, retracted_at
         FROM agents.memories
         WHERE user_id = $1 AND superseded_at IS NULL AND retracted_at IS NULL
           AND ($2::text IS NULL OR kind = $2)
         ORDER BY updated_at DESC, id DESC LIMIT $3 OFFSET $4",
        person,
        kind.map(Kind::as_str),
        limit,
        offset,
    )
    .fetch_all(db)
    .await
    .context("listing memories")
}

/// These current memories of the person, in the order of `ids` (others are left out).
pub async fn current_by_ids(
    db: impl PgExecutor<'_>,
    person: Uuid,
    ids: &[Uuid],
) -> anyhow::Result<Vec<Memory>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found = sqlx::query_as!(
        Memory,
        "SELECT id, text, kind, origin, source_message, conversation_id, supersedes,
                created_at, updated_at, superseded_at, retracted_at
         FROM agents.memories
         WHERE user_id = $1 AND superseded_at IS NULL AND retracted_at IS NULL AND id = ANY($2)",
        person,
        ids,
    )
    .fetch_all(db)
    .await
    .context("reading memories")?;
    Ok(ids.iter().filter_map(|id| found.iter().find(|m| m.id == *id).cloned()).collect())
}

/// Every memory of the person, history included, oldest first (the export).
pub async fn all(db: impl PgExecutor<'_>, person: Uuid) -> anyhow::Result<Vec<Memory>> {
    sqlx::query_as!(
        Memory,
        "SELECT id, text, kind, origin, source_message, conversation_id, supersedes,
                created_at, updated_at, superseded_at, retracted_at
         FROM agents.memories WHERE user_id = $1 ORDER BY created_at, id",
        person,
    )
    .fetch_all(db)
    .await
    .context("exporting memories")
}

/// One of the person's memories, current or history.
pub async fn get(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> anyhow::Result<Option<Memory>> {
    sqlx::query_as!(
        Memory,
        "SELECT id, text, kind, origin, source_message, conversation_id, supersedes,
                created_at, updated_at, superseded_at, retracted_at
         FROM agents.memories WHERE id = $1 AND user_id = $2",
        id,
        person,
    )
    .fetch_optional(db)
    .await
    .context("reading a memory")
}

/// Edits a current memory in place (the person's correction). `None`: not theirs, or not
/// current.
pub async fn edit(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
    text: Option<&str>,
    kind: Option<Kind>,
) -> anyhow::Result<Option<Memory>> {
    sqlx::query_as!(
        Memory,
        "UPDATE agents.memories
         SET text = coalesce($3, text), kind = coalesce($4, kind), updated_at = now()
         WHERE id = $1 AND user_id = $2 AND superseded_at IS NULL AND retracted_at IS NULL
         RETURNING id, text, kind, origin, source_message, conversation_id, supersedes,
                   created_at, updated_at, superseded_at, retracted_at",
        id,
        person,
        text,
        kind.map(Kind::as_str),
    )
    .fetch_optional(db)
    .await
    .context("editing a memory")
}

/// Marks a current memory superseded (by an UPDATE) or retracted (by a DELETE of the
/// extraction). False: it is not theirs or no longer current.
pub async fn retire(
    db: &mut PgConnection,
    person: Uuid,
    id: Uuid,
    superseded: bool,
) -> anyhow::Result<bool> {
    // A current memory has neither set, so the one not being set stays NULL.
    let done = sqlx::query!(
        "UPDATE agents.memories
         SET superseded_at = CASE WHEN $3 THEN now() END,
             retracted_at = CASE WHEN $3 THEN NULL ELSE now() END
         WHERE id = $1 AND user_id = $2 AND superseded_at IS NULL AND retracted_at IS NULL",
        id,
        person,
        superseded,
    )
    .execute(db)
    .await
    .context("retiring a memory")?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the memory and every memory it superseded (its history): what the person asked to
/// forget is gone. Returns the deleted ids (empty: not theirs).
pub async fn delete_with_history(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> anyhow::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "WITH RECURSIVE chain AS (
             SELECT id, supersedes FROM agents.memories WHERE id = $1 AND user_id = $2
             UNION
             SELECT m.id, m.supersedes FROM agents.memories m
             JOIN chain ON m.id = chain.supersedes
             WHERE m.user_id = $2
         )
         DELETE FROM agents.memories WHERE id IN (SELECT id FROM chain) RETURNING id",
        id,
        person,
    )
    .fetch_all(db)
    .await
    .context("deleting a memory")
}

/// How many current memories the person has.
pub async fn count_current(db: impl PgExecutor<'_>, person: Uuid) -> anyhow::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM agents.memories
           WHERE user_id = $1 AND superseded_at IS NULL AND retracted_at IS NULL"#,
        person,
    )
    .fetch_one(db)
    .await
    .context("counting memories")
}

/// How many rows the `memories` collection holds (see `knowledge::Source`): every current
/// memory, as [`indexed`] reads them.
pub fn count_indexed(db: &PgPool) -> BoxFuture<'_, anyhow::Result<i64>> {
    Box::pin(async move {
        sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM agents.memories
               WHERE superseded_at IS NULL AND retracted_at IS NULL"#
        )
        .fetch_one(db)
        .await
        .context("counting the current memories")
    })
}

/// The rows the `memories` collection holds (what `posey admin reindex` rebuilds it from):
/// every current memory, with its kind to filter on.
pub fn indexed(db: &PgPool) -> BoxStream<'_, anyhow::Result<Indexed>> {
    sqlx::query!(
        r#"SELECT id, user_id, text,
                  jsonb_build_object('kind', kind) AS "payload!: Json<Map<String, Value>>"
           FROM agents.memories WHERE superseded_at IS NULL AND retracted_at IS NULL"#
    )
    .map(|row| Indexed { id: row.id, user_id: row.user_id, text: row.text, payload: row.payload.0 })
    .fetch(db)
    .map_err(|error| anyhow::Error::new(error).context("reading the current memories"))
    .boxed()
}
