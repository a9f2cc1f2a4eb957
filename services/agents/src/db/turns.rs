//! A turn stored in one statement: its messages (in order), the conversation's `updated_at`,
//! and its usage record with the person's daily totals. Every way a turn is run with a
//! conversation stores it like this; one round trip instead of four. What a model or a tool
//! wrote is made storable first (U+0000 replaced), so a model's NUL cannot fail the store.

use std::borrow::Cow;

use anyhow::Context;
use sqlx::PgExecutor;
use uuid::Uuid;

use super::messages::NewMessage;
use super::usage::UsageRecord;
use super::{storable, storable_json};

/// Stores `messages` of `turn` in `conversation` (the ids follow the slice's order), touches
/// the conversation and records `usage` (its `conversation` is taken to be `conversation`).
pub async fn write(
    db: impl PgExecutor<'_>,
    conversation: Uuid,
    turn: Uuid,
    messages: &[NewMessage],
    usage: &UsageRecord,
) -> anyhow::Result<()> {
    let count = messages.len();
    let mut roles = Vec::with_capacity(count);
    let mut agents = Vec::with_capacity(count);
    let mut depths = Vec::with_capacity(count);
    let mut contents = Vec::with_capacity(count);
    let mut calls = Vec::with_capacity(count);
    let mut call_ids = Vec::with_capacity(count);
    let mut tool_names = Vec::with_capacity(count);
    let mut errors = Vec::with_capacity(count);
    for message in messages {
        roles.push(message.role.as_str());
        agents.push(message.agent.as_str());
        depths.push(message.depth);
        contents.push(storable(&message.content));
        calls.push(storable_json(&message.tool_calls).context("encoding tool calls")?);
        call_ids.push(message.tool.as_ref().map(|(id, _)| storable(id)));
        tool_names.push(message.tool.as_ref().map(|(_, name)| storable(name)));
        errors.push(message.is_error);
    }
    // Data-modifying CTEs all run to completion whether or not the main query reads them.
    // `ORDER BY n` makes the ids (bigserial, drawn as rows are inserted) follow the slice.
    sqlx::query!(
        "WITH stored AS (
             INSERT INTO agents.messages (conversation_id, turn_id, role, agent, depth, content,
                                          tool_calls, tool_call_id, tool_name, is_error)
             SELECT $1, $2, m.role, m.agent, m.depth, m.content, m.tool_calls::jsonb,
                    m.tool_call_id, m.tool_name, m.is_error
             FROM unnest($3::text[], $4::text[], $5::int4[], $6::text[], $7::text[], $8::text[],
                         $9::text[], $10::bool[])
                  WITH ORDINALITY AS m(role, agent, depth, content, tool_calls, tool_call_id,
                                       tool_name, is_error, n)
             ORDER BY m.n
         ),
         touched AS (
             UPDATE agents.conversations SET updated_at = now() WHERE id = $1
         ),
         recorded AS (
             INSERT INTO agents.usage (user_id, conversation_id, agent, model, input_tokens,
                                       output_tokens)
             VALUES ($11, $1, $12, $13, $14, $15)
         )
         INSERT INTO agents.usage_daily AS d (user_id, day, requests, tokens)
         VALUES ($11, (now() AT TIME ZONE 'UTC')::date, 1, $14 + $15)
         ON CONFLICT (user_id, day)
         DO UPDATE SET requests = d.requests + 1, tokens = d.tokens + excluded.tokens",
        conversation,
        turn,
        // Arrays of borrowed or nullable text are cast: the macros' check knows arrays of
        // `String` only.
        &roles as &[&str],
        &agents as &[&str],
        &depths,
        &contents as &[Cow<'_, str>],
        &calls,
        &call_ids as &[Option<Cow<'_, str>>],
        &tool_names as &[Option<Cow<'_, str>>],
        &errors,
        usage.person,
        usage.agent,
        usage.model,
        i64::try_from(usage.input_tokens).unwrap_or(i64::MAX),
        i64::try_from(usage.output_tokens).unwrap_or(i64::MAX),
    )
    .execute(db)
    .await
    .context("storing a turn")?;
    Ok(())
}

/// Serialises the storing of turn `turn` (two deliveries of one idempotency key): a lock held
/// until the caller's transaction ends.
pub async fn lock(tx: &mut sqlx::PgConnection, turn: Uuid) -> anyhow::Result<()> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", turn.to_string())
        .execute(&mut *tx)
        .await
        .context("locking a turn's id")?;
    Ok(())
}

/// Whether any message of turn `turn` is stored.
pub async fn exists(db: impl PgExecutor<'_>, turn: Uuid) -> anyhow::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM agents.messages WHERE turn_id = $1) AS "exists!""#,
        turn
    )
    .fetch_one(db)
    .await
    .context("looking for a stored turn")
}

/// A stored turn's answer: the conversation agent's last message of it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub conversation: Uuid,
    pub message: i64,
    pub text: String,
}

/// The answer of `person`'s turn `turn`, if it is stored.
pub async fn answer(
    db: impl PgExecutor<'_>,
    person: Uuid,
    turn: Uuid,
) -> anyhow::Result<Option<Answer>> {
    sqlx::query_as!(
        Answer,
        r#"SELECT m.conversation_id AS conversation, m.id AS message, m.content AS text
           FROM agents.messages m
           JOIN agents.conversations c ON c.id = m.conversation_id
           WHERE m.turn_id = $1 AND c.user_id = $2 AND m.role = 'assistant' AND m.depth = 0
           ORDER BY m.id DESC LIMIT 1"#,
        turn,
        person,
    )
    .fetch_optional(db)
    .await
    .context("reading a stored turn's answer")
}
