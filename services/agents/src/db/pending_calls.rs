//! `agents.pending_tool_calls`: the agent's own tool calls, with their results, that the
//! OpenAI-compatible API ran in the same message as calls of the client's tools, kept (a day
//! after their last use) for the requests that re-send that message.

use std::borrow::Cow;

use anyhow::Context;
use sqlx::PgExecutor;
use sqlx::types::Json;
use uuid::Uuid;

use super::{storable, storable_json};
use crate::db::messages::ToolCallRecord;
use crate::runtime::ServerCall;

/// One message's calls: the client's, which a history is matched on, and the agent's own.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingCalls {
    pub client_calls: Vec<ToolCallRecord>,
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
    let ids: Vec<Cow<'_, str>> = client_calls.iter().map(|call| storable(&call.id)).collect();
    sqlx::query!(
        "WITH expired AS (DELETE FROM agents.pending_tool_calls WHERE expires_at <= now())
         INSERT INTO agents.pending_tool_calls
             (id, user_id, client_call_ids, client_calls, server_calls, expires_at)
         VALUES ($1, $2, $3, $4::text::jsonb, $5::text::jsonb, now() + interval '1 day')",
        Uuid::now_v7(),
        person,
        // Arrays of borrowed text are cast: the macros' check knows arrays of `String` only.
        &ids as &[Cow<'_, str>],
        storable_json(&client_calls)?,
        storable_json(&server_calls)?,
    )
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
    sqlx::query!(
        r#"WITH renewed AS (
               UPDATE agents.pending_tool_calls SET expires_at = now() + interval '1 day'
               WHERE user_id = $1 AND client_call_ids && $2 AND expires_at > now()
               RETURNING id, client_calls, server_calls
           )
           SELECT client_calls AS "client_calls!: Json<Vec<ToolCallRecord>>",
                  server_calls AS "server_calls!: Json<Vec<ServerCall>>"
           FROM renewed ORDER BY id DESC"#,
        person,
        call_ids,
    )
    .map(|row| PendingCalls { client_calls: row.client_calls.0, server_calls: row.server_calls.0 })
    .fetch_all(db)
    .await
    .context("reading the kept server tool calls")
}
