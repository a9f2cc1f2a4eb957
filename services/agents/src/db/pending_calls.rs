//! `agents.pending_tool_calls`: the agent's own tool calls, with their results, that the
//! OpenAI-compatible API ran in the same message as calls of the client's tools, kept (a day
//! after their last use) for the requests that re-send that message.

use anyhow::Context;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::{storable, storable_json};
use crate::db::messages::ToolCallRecord;
use crate::runtime::ServerCall;

/// One message's calls: the client's, which a history is matched on, and the agent's own.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PendingCalls {
    #[sqlx(json)]
    pub client_calls: Vec<ToolCallRecord>,
    #[sqlx(json)]
    pub server_calls: Vec<ServerCall>,
}

/// Keeps a message's calls for a day, and deletes the rows that expired (so nothing has to
/// sweep the table).
pub async fn keep(
    db: impl PgExecutor<'_>,
    person: Uuid,
    client_calls: &[ToolCallRecord],
    server_calls: &[ServerCall],
) -> anyhow::Result<()> {
    // The model's calls and the tools' results, made storable (U+0000 replaced).
    let ids: Vec<std::borrow::Cow<'_, str>> =
        client_calls.iter().map(|call| storable(&call.id)).collect();
    sqlx::query(
        "WITH expired AS (DELETE FROM agents.pending_tool_calls WHERE expires_at <= now())
         INSERT INTO agents.pending_tool_calls
             (id, user_id, client_call_ids, client_calls, server_calls, expires_at)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, now() + interval '1 day')",
    )
    .bind(Uuid::now_v7())
    .bind(person)
    .bind(&ids)
    .bind(storable_json(&client_calls)?)
    .bind(storable_json(&server_calls)?)
    .execute(db)
    .await
    .context("keeping the server tool calls of a message")?;
    Ok(())
}

/// The person's unexpired rows with a client call among `call_ids`, newest first; each is
/// kept a day from now.
pub async fn find(
    db: impl PgExecutor<'_>,
    person: Uuid,
    call_ids: &[String],
) -> anyhow::Result<Vec<PendingCalls>> {
    sqlx::query_as(
        "WITH renewed AS (
             UPDATE agents.pending_tool_calls SET expires_at = now() + interval '1 day'
             WHERE user_id = $1 AND client_call_ids && $2 AND expires_at > now()
             RETURNING id, client_calls, server_calls
         )
         SELECT client_calls, server_calls FROM renewed ORDER BY id DESC",
    )
    .bind(person)
    .bind(call_ids)
    .fetch_all(db)
    .await
    .context("reading the kept server tool calls")
}
