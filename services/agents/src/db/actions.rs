//! `agents.pending_actions`: what tools asked the person to confirm, and what became of it.
//! Every query is scoped by the person's id; someone else's action is never found.

use anyhow::Context;
use chrono::{DateTime, Utc};
use posey_plugin::PendingAction;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::{storable, storable_json};

/// An action as the person sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Action {
    pub id: Uuid,
    #[schema(required = true)]
    pub conversation_id: Option<Uuid>,
    pub plugin: String,
    pub summary: String,
    pub reason: String,
    /// `pending`, `denied`, `running`, `done` or `failed` (an expired one stays `pending` past
    /// `expires_at`).
    #[schema(inline, value_type = ActionStatus)]
    pub status: String,
    /// What the plugin said when it ran it.
    #[schema(required = true)]
    pub result: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    #[schema(required = true)]
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    #[schema(ignore)]
    pub payload: Value,
}

/// Where an action is.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)] // Only describes `Action::status`.
pub enum ActionStatus {
    Pending,
    Denied,
    Running,
    Done,
    Failed,
}

/// Stores what a turn asked (inside the caller's transaction, with the turn).
pub async fn insert(
    tx: &mut sqlx::PgConnection,
    person: Uuid,
    conversation: Option<Uuid>,
    turn: Option<Uuid>,
    asks: &[PendingAction],
) -> anyhow::Result<()> {
    for action in asks {
        let summary = storable(&action.summary);
        let reason = storable(&action.reason);
        // The payload goes in as JSON text, U+0000 replaced (see `storable_json`).
        sqlx::query!(
            "INSERT INTO agents.pending_actions
                 (id, user_id, conversation_id, turn_id, plugin, summary, reason, payload, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9)",
            action.id,
            person,
            conversation,
            turn,
            action.plugin,
            &*summary,
            &*reason,
            storable_json(&action.payload)?,
            action.expires_at,
        )
        .execute(&mut *tx)
        .await
        .context("storing an action to confirm")?;
    }
    Ok(())
}

/// The person's actions still waiting for an answer, newest first.
pub async fn pending(db: impl PgExecutor<'_>, person: Uuid) -> anyhow::Result<Vec<Action>> {
    select(db, person, true).await.context("listing actions to confirm")
}

/// Every action of the person, answered or not, newest first (their export).
pub async fn all(db: impl PgExecutor<'_>, person: Uuid) -> anyhow::Result<Vec<Action>> {
    select(db, person, false).await.context("listing actions")
}

async fn select(
    db: impl PgExecutor<'_>,
    person: Uuid,
    pending_only: bool,
) -> sqlx::Result<Vec<Action>> {
    sqlx::query_as!(
        Action,
        "SELECT id, conversation_id, plugin, summary, reason, status, result, created_at,
                expires_at, decided_at, payload
         FROM agents.pending_actions
         WHERE user_id = $1 AND (NOT $2 OR (status = 'pending' AND expires_at > now()))
         ORDER BY created_at DESC LIMIT CASE WHEN $2 THEN 100 END",
        person,
        pending_only,
    )
    .fetch_all(db)
    .await
}

pub async fn get(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
) -> anyhow::Result<Option<Action>> {
    sqlx::query_as!(
        Action,
        "SELECT id, conversation_id, plugin, summary, reason, status, result, created_at,
                expires_at, decided_at, payload
         FROM agents.pending_actions WHERE id = $1 AND user_id = $2",
        id,
        person,
    )
    .fetch_optional(db)
    .await
    .context("reading an action")
}

/// Answers a pending, unexpired action (`running` when confirmed, `denied`), in one statement so
/// two answers never both win. `None`: it is not pending (or expired, or not the person's).
pub async fn decide(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
    status: &str,
) -> anyhow::Result<Option<Action>> {
    sqlx::query_as!(
        Action,
        "UPDATE agents.pending_actions SET status = $3, decided_at = now()
         WHERE id = $1 AND user_id = $2 AND status = 'pending' AND expires_at > now()
         RETURNING id, conversation_id, plugin, summary, reason, status, result, created_at,
                   expires_at, decided_at, payload",
        id,
        person,
        status,
    )
    .fetch_optional(db)
    .await
    .context("answering an action")
}

/// Records what running a confirmed action came to (`done` or `failed`).
pub async fn finish(
    db: impl PgExecutor<'_>,
    id: Uuid,
    status: &str,
    result: &str,
) -> anyhow::Result<Action> {
    let result = storable(result);
    sqlx::query_as!(
        Action,
        "UPDATE agents.pending_actions SET status = $2, result = $3 WHERE id = $1
         RETURNING id, conversation_id, plugin, summary, reason, status, result, created_at,
                   expires_at, decided_at, payload",
        id,
        status,
        &*result,
    )
    .fetch_one(db)
    .await
    .context("recording an action's result")
}
