//! The audit log: every security event, readable through the admin API.

use serde_json::Value;
use sqlx::PgExecutor;

pub struct Event<'a> {
    pub action: &'a str,
    pub actor_id: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<std::net::IpAddr>,
    pub payload: Value,
}

pub async fn record(db: impl PgExecutor<'_>, event: Event<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auth.audit_log (actor_id, target_id, action, ip, payload) VALUES ($1, $2, $3, $4::inet, $5)",
    )
    .bind(event.actor_id)
    .bind(event.target_id)
    .bind(event.action)
    .bind(event.ip.map(|ip| ip.to_string()))
    .bind(event.payload)
    .execute(db)
    .await
    .map(|_| ())
}

/// An audit event as the admin API lists it, with the actor's address when the actor is a user.
#[derive(Debug, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    pub target_id: Option<String>,
    pub action: String,
    pub ip: Option<String>,
    pub payload: Value,
}

/// Narrows a listing: an exact action, and/or an actor (its id, or part of its address).
#[derive(Debug, Default)]
pub struct Filter {
    pub action: Option<String>,
    pub actor: Option<String>,
}

const FROM_WHERE: &str = "FROM auth.audit_log a LEFT JOIN auth.users u ON u.id::text = a.actor_id \
    WHERE ($1::text IS NULL OR a.action = $1) \
    AND ($2::text IS NULL OR a.actor_id = $2 OR u.email ILIKE '%' || $2 || '%')";

/// A page of events, newest first.
pub async fn list(
    db: impl PgExecutor<'_>,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Entry>> {
    sqlx::query_as(&format!(
        "SELECT a.id, a.created_at, a.actor_id, u.email AS actor_email, a.target_id, a.action, \
         host(a.ip) AS ip, a.payload {FROM_WHERE} ORDER BY a.created_at DESC, a.id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(filter.action.as_deref())
    .bind(filter.actor.as_deref())
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

pub async fn count(db: impl PgExecutor<'_>, filter: &Filter) -> sqlx::Result<i64> {
    sqlx::query_scalar(&format!("SELECT count(*) {FROM_WHERE}"))
        .bind(filter.action.as_deref())
        .bind(filter.actor.as_deref())
        .fetch_one(db)
        .await
}
