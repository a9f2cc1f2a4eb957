//! `agents.usage`: one record per turn; `agents.usage_daily`: each person's totals per UTC day,
//! kept in the same statement, which the daily limits are checked on.

use anyhow::Context;
use sqlx::PgExecutor;
use uuid::Uuid;

/// What a person used since the start of the current UTC day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Today {
    pub requests: i64,
    pub tokens: i64,
}

pub async fn today(db: impl PgExecutor<'_>, person: Uuid) -> anyhow::Result<Today> {
    let today: Option<Today> = sqlx::query_as(
        "SELECT requests, tokens FROM agents.usage_daily
         WHERE user_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date",
    )
    .bind(person)
    .fetch_optional(db)
    .await
    .context("reading today's usage")?;
    Ok(today.unwrap_or_default())
}

/// One turn's usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    pub person: Uuid,
    pub conversation: Option<Uuid>,
    pub agent: String,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Records a turn: its usage row, one request and its tokens toward today's totals.
pub async fn record(db: impl PgExecutor<'_>, usage: &UsageRecord) -> anyhow::Result<()> {
    insert(db, usage, 1).await
}

/// Records model work done for a person that is not a request of theirs (the memory
/// extraction after a turn): its tokens count toward today's token limit, not the request
/// limit.
pub async fn record_tokens(db: impl PgExecutor<'_>, usage: &UsageRecord) -> anyhow::Result<()> {
    insert(db, usage, 0).await
}

async fn insert(db: impl PgExecutor<'_>, usage: &UsageRecord, requests: i64) -> anyhow::Result<()> {
    sqlx::query(
        "WITH recorded AS (
             INSERT INTO agents.usage (user_id, conversation_id, agent, model, input_tokens, output_tokens)
             VALUES ($1, $2, $3, $4, $5, $6)
         )
         INSERT INTO agents.usage_daily AS d (user_id, day, requests, tokens)
         VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $7, $5 + $6)
         ON CONFLICT (user_id, day)
         DO UPDATE SET requests = d.requests + excluded.requests, tokens = d.tokens + excluded.tokens",
    )
    .bind(usage.person)
    .bind(usage.conversation)
    .bind(&usage.agent)
    .bind(&usage.model)
    .bind(i64::try_from(usage.input_tokens).unwrap_or(i64::MAX))
    .bind(i64::try_from(usage.output_tokens).unwrap_or(i64::MAX))
    .bind(requests)
    .execute(db)
    .await
    .context("recording usage")?;
    Ok(())
}
