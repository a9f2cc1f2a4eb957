//! Posey's addition: `GET /sessions` lists a person's signed-in devices; `DELETE /sessions/{id}`
//! signs one out (its access tokens stop working everywhere within seconds).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use posey_domain::SessionId;
use posey_http::PathId;
use serde_json::{Value, json};

use crate::db::audit::{self, Event};
use crate::db::sessions::{self, Revoke};
use crate::error::{AuthError, AuthResult};
use crate::extract::{Client, CurrentUser};
use crate::routes::openapi::{NeedsAal2, schemas};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_sessions)).routes(routes!(delete_session))
}

/// A person with a verified MFA factor manages their sessions from an `aal2` one.
async fn require_aal2(state: &AppState, me: &CurrentUser) -> AuthResult<()> {
    let message = "AAL2 required to manage sessions";
    crate::mfa::require_aal2(state, me, StatusCode::FORBIDDEN, message).await
}

/// The signed-in person's devices (sessions)
#[utoipa::path(get, path = "/sessions", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The person's live sessions", body = schemas::SessionList),
        NeedsAal2,
    ))]
async fn list_sessions(State(state): State<AppState>, me: CurrentUser) -> AuthResult<Json<Value>> {
    require_aal2(&state, &me).await?;
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

/// Sign one device out
#[utoipa::path(delete, path = "/sessions/{id}", tag = "accounts",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The session's id")),
    responses(
        (status = 204, description = "Signed out: its tokens stop working within seconds"),
        (status = 404, description = "No such session of the person's (`session_not_found`)", body = schemas::GoTrueError),
        NeedsAal2,
    ))]
async fn delete_session(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
    PathId(id, ..): PathId<SessionId, AuthError>,
) -> AuthResult<StatusCode> {
    require_aal2(&state, &me).await?;
    let not_found = || AuthError::not_found("session_not_found", "Session not found");
    // Someone else's session is as unknown as a missing one.
    let session = sessions::find(state.db(), id.as_uuid())
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
