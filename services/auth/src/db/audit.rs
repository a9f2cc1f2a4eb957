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
