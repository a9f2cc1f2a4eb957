//! Posey's addition: `GET /sessions` lists a person's signed-in devices; `DELETE /sessions/{id}`
//! signs one out (its access tokens stop working everywhere within seconds).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::sessions::{self, Revoke};
use crate::error::{AuthError, AuthResult};
use crate::extract::{Client, CurrentUser};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sessions", get(list_sessions))
        .route("/sessions/{id}", delete(delete_session))
}

async fn list_sessions(State(state): State<AppState>, me: CurrentUser) -> AuthResult<Json<Value>> {
    let sessions = sessions::list_for_user(state.db(), me.user_id).await?;
    let list: Vec<Value> = sessions
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "created_at": s.created_at,
                "refreshed_at": s.refreshed_at,
                "not_after": s.not_after,
                "aal": s.aal,
                "amr": s.amr,
                "user_agent": s.user_agent,
                "ip": s.ip,
                "current": Some(s.id) == me.session_id,
            })
        })
        .collect();
    Ok(Json(json!({ "sessions": list })))
}

async fn delete_session(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
    Path(id): Path<String>,
) -> AuthResult<StatusCode> {
    let not_found = || AuthError::not_found("session_not_found", "Session not found");
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    // Someone else's session is as unknown as a missing one.
    let session = sessions::find(state.db(), id)
        .await?
        .filter(|s| s.user_id == me.user_id)
        .ok_or_else(not_found)?;
    let mut tx = state.db().begin().await?;
    sessions::revoke(&mut tx, Revoke::One(session.id), state.settings().access_token_ttl).await?;
    audit::record(
        &mut *tx,
        Event {
            action: "logout",
            actor_id: Some(me.user_id.to_string()),
            target_id: Some(me.user_id.to_string()),
            ip: client.ip,
            payload: json!({ "scope": "session", "sessions": [session.id] }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
