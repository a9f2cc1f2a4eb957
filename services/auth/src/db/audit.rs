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
    // The address goes as text, as in `sessions::insert`.
    sqlx::query!(
        "INSERT INTO auth.audit_log (actor_id, target_id, action, ip, payload) \
         VALUES ($1, $2, $3, $4::text::inet, $5)",
        event.actor_id,
        event.target_id,
        event.action,
        event.ip.map(|ip| ip.to_string()),
        event.payload,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// An audit event as the admin API lists it, with the actor's address when the actor is a user.
#[derive(Debug)]
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

// The listing and its count share one filter: an exact action, and an actor by id or by part
// of its address.

/// A page of events, newest first.
pub async fn list(
    db: impl PgExecutor<'_>,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Entry>> {
    // `actor_email` comes through a LEFT JOIN, which the macro takes for NOT NULL: `?` says
    // it may be null.
    sqlx::query_as!(
        Entry,
        r#"SELECT a.id, a.created_at, a.actor_id, u.email AS "actor_email?", a.target_id, a.action,
                  host(a.ip) AS ip, a.payload
           FROM auth.audit_log a LEFT JOIN auth.users u ON u.id::text = a.actor_id
           WHERE ($1::text IS NULL OR a.action = $1)
             AND ($2::text IS NULL OR a.actor_id = $2 OR u.email ILIKE '%' || $2 || '%')
           ORDER BY a.created_at DESC, a.id DESC LIMIT $3 OFFSET $4"#,
        filter.action.as_deref(),
        filter.actor.as_deref(),
        limit,
        offset,
    )
    .fetch_all(db)
    .await
}

pub async fn count(db: impl PgExecutor<'_>, filter: &Filter) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!"
           FROM auth.audit_log a LEFT JOIN auth.users u ON u.id::text = a.actor_id
           WHERE ($1::text IS NULL OR a.action = $1)
             AND ($2::text IS NULL OR a.actor_id = $2 OR u.email ILIKE '%' || $2 || '%')"#,
        filter.action.as_deref(),
        filter.actor.as_deref(),
    )
    .fetch_one(db)
    .await
}
