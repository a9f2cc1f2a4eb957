//! `GET /admin/audit?page=&per_page=&query=`: the audit log, newest first, in Supabase's shape
//! (`id`, `payload` with `action`, `actor_id`, ..., `created_at`, `ip_address`) with
//! `X-Total-Count` and `Link`. `query` narrows it as Supabase's does: `action:<action>` or
//! `author:<actor id or part of the actor's address>`.

use axum::Json;
use axum::extract::State;
use axum::http::Uri;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::paging::{Page, query_param};
use crate::db::audit::{self, Entry, Filter};
use crate::error::{AuthError, AuthResult};
use crate::extract::Admin;
use crate::routes::openapi::{BadInput, NeedsAdmin, schemas};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// The audit log, newest first
#[utoipa::path(get, path = "/admin/audit", tag = "admin", operation_id = "admin_list_audit",
    security(("bearer" = [])),
    params(("page" = Option<u64>, Query, description = "From 1"), ("per_page" = Option<u64>, Query, description = "Default 50, at most 1000"), ("query" = Option<String>, Query, description = "`action:<action>` or `author:<actor id or part of the actor's address>`")),
    responses((status = 200, description = "A page of entries", body = Vec<schemas::AuditEntry>, headers(("x-total-count" = i64, description = "How many there are in all"), ("link" = String, description = "The next (`rel=\"next\"`) and last (`rel=\"last\"`) pages"))), BadInput, NeedsAdmin))]
async fn list_audit(
    State(state): State<AppState>,
    _: Admin,
    uri: Uri,
) -> AuthResult<impl IntoResponse> {
    let page = Page::parse(uri.query())?;
    let filter = match query_param(uri.query(), "query") {
        None => Filter::default(),
        Some(q) => match q.split_once(':') {
            Some(("action", action)) => {
                Filter { action: Some(action.trim().to_owned()), actor: None }
            }
            Some(("author", actor)) => {
                Filter { action: None, actor: Some(actor.trim().to_owned()) }
            }
            _ => return Err(AuthError::validation(format!("Invalid query scope: {q}"))),
        },
    };
    let total = audit::count(state.db(), &filter).await?;
    let entries = audit::list(state.db(), &filter, page.limit(), page.offset()).await?;
    let list: Vec<Value> = entries.iter().map(to_json).collect();
    Ok((page.headers(&uri, total)?, Json(list)))
}

fn to_json(entry: &Entry) -> Value {
    json!({
        "id": entry.id,
        "payload": {
            "action": entry.action,
            "actor_id": entry.actor_id,
            "actor_username": entry.actor_email.as_deref().or(entry.actor_id.as_deref()),
            "target_id": entry.target_id,
            "log_type": log_type(&entry.action),
            "traits": entry.payload,
        },
        "created_at": entry.created_at,
        "ip_address": entry.ip.as_deref().unwrap_or_default(),
    })
}

/// Supabase's grouping of actions.
fn log_type(action: &str) -> &'static str {
    match action {
        "login" | "logout" | "login_failed" | "invite_accepted" | "client_login_failed" => {
            "account"
        }
        "user_signedup" | "user_invited" | "user_deleted" => "team",
        "token_revoked" | "token_refreshed" => "token",
        a if a.starts_with("role_") => "rbac",
        _ => "user",
    }
}
