//! `home.audit`: every command given to a person's home, and what came of it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

/// One command, as the audit log keeps it (never an alarm code).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `person`, `agent` or `automation`.
    pub actor: String,
    /// The agent that gave it, when an agent did.
    #[schema(required = true)]
    pub agent: Option<String>,
    #[schema(required = true)]
    pub connection_id: Option<Uuid>,
    pub entity_id: String,
    /// `turn_on`, `unlock`, `alarm_disarm`...
    pub command: String,
    /// The command's values (brightness, target temperature), never a code.
    #[schema(value_type = Object)]
    pub parameters: Value,
    /// `done`, `failed`, `refused` (not exposed, not possible) or `awaiting_confirmation`.
    pub outcome: String,
    #[schema(required = true)]
    pub error: Option<String>,
    /// The entity's state once the command had run, as the link saw it.
    #[schema(required = true)]
    pub state_after: Option<String>,
}

const COLUMNS: &str = "id, at, actor, agent, connection_id, entity_id, command, parameters, \
                       outcome, error, state_after";

fn from_row(row: &sqlx::postgres::PgRow) -> Result<AuditEntry, sqlx::Error> {
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        agent: row.try_get("agent")?,
        connection_id: row.try_get("connection_id")?,
        entity_id: row.try_get("entity_id")?,
        command: row.try_get("command")?,
        parameters: row.try_get("parameters")?,
        outcome: row.try_get("outcome")?,
        error: row.try_get("error")?,
        state_after: row.try_get("state_after")?,
    })
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    person: Uuid,
    entry: &AuditEntry,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO home.audit (user_id, {COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(person)
    .bind(entry.id)
    .bind(entry.at)
    .bind(&entry.actor)
    .bind(&entry.agent)
    .bind(entry.connection_id)
    .bind(&entry.entity_id)
    .bind(&entry.command)
    .bind(&entry.parameters)
    .bind(&entry.outcome)
    .bind(&entry.error)
    .bind(&entry.state_after)
    .execute(db)
    .await?;
    Ok(())
}

/// The newest `limit` entries before `before`, newest first; with `before_id` (the last
/// entry's, paging through all of them) also those at that same moment with a lower id.
pub async fn list(
    db: impl PgExecutor<'_>,
    person: Uuid,
    before: Option<DateTime<Utc>>,
    before_id: Option<Uuid>,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM home.audit WHERE user_id = $1 AND ($2::timestamptz IS NULL OR \
         at < $2 OR (at = $2 AND id < $3)) ORDER BY at DESC, id DESC LIMIT $4"
    ))
    .bind(person)
    .bind(before)
    .bind(before_id)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}
