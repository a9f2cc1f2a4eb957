//! `agents.messages`: every message of a conversation, tool calls and results included, in
//! the order they happened (the id).

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgExecutor;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Message)]
pub struct StoredMessage {
    pub id: i64,
    pub turn_id: Uuid,
    #[schema(inline, value_type = Role)]
    pub role: String,
    pub agent: String,
    /// 0: the conversation's agent; more: a specialist it delegated to
    pub depth: i32,
    pub content: String,
    pub tool_calls: Vec<ToolCallRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_name: Option<String>,
    pub is_error: bool,
    pub created_at: DateTime<Utc>,
}

/// One tool call of an assistant message.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = ToolCall)]
pub struct ToolCallRecord {
    pub id: String,
    pub name: String,
    #[schema(value_type = Object)]
    pub arguments: Value,
}

/// A message to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub role: Role,
    pub agent: String,
    pub depth: i32,
    pub content: String,
    pub tool_calls: Vec<ToolCallRecord>,
    /// A tool message's call id and tool.
    pub tool: Option<(String, String)>,
    pub is_error: bool,
}

/// A message's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = MessageRole, rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
    Tool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
            Self::Tool => "tool",
        }
    }
}

/// The conversation's messages, oldest first (the caller checked the conversation is theirs).
pub async fn list(
    db: impl PgExecutor<'_>,
    conversation: Uuid,
) -> anyhow::Result<Vec<StoredMessage>> {
    sqlx::query!(
        r#"SELECT id, turn_id, role, agent, depth, content,
                  tool_calls AS "tool_calls: Json<Vec<ToolCallRecord>>", tool_call_id, tool_name,
                  is_error, created_at
           FROM agents.messages WHERE conversation_id = $1 ORDER BY id"#,
        conversation,
    )
    .map(|row| StoredMessage {
        id: row.id,
        turn_id: row.turn_id,
        role: row.role,
        agent: row.agent,
        depth: row.depth,
        content: row.content,
        tool_calls: row.tool_calls.0,
        tool_call_id: row.tool_call_id,
        tool_name: row.tool_name,
        is_error: row.is_error,
        created_at: row.created_at,
    })
    .fetch_all(db)
    .await
    .context("reading messages")
}

/// Adds one message to a conversation outside a turn (what became of an action the person
/// answered), touching the conversation.
pub async fn append(
    db: impl PgExecutor<'_>,
    conversation: Uuid,
    turn: Uuid,
    message: &NewMessage,
) -> anyhow::Result<()> {
    let content = super::storable(&message.content);
    sqlx::query!(
        "WITH stored AS (
             INSERT INTO agents.messages (conversation_id, turn_id, role, agent, depth, content,
                                          tool_calls, is_error)
             VALUES ($1, $2, $3, $4, $5, $6, '[]'::jsonb, $7)
         )
         UPDATE agents.conversations SET updated_at = now() WHERE id = $1",
        conversation,
        turn,
        message.role.as_str(),
        message.agent,
        message.depth,
        &*content,
        message.is_error,
    )
    .execute(db)
    .await
    .context("adding a message")?;
    Ok(())
}
