//! `POST /logout?scope=global|local|others`: ends every session of the person (`global`, the
//! default, as in Supabase), this one (`local`), or every other one (`others`).

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;

use crate::db::audit::{self, Event};
use crate::db::sessions::{self, Revoke};
use crate::error::{AuthError, AuthResult};
use crate::extract::{BearerClaims, Client};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/logout", post(logout))
}

#[derive(Debug, Deserialize)]
struct LogoutQuery {
    scope: Option<String>,
}

async fn logout(
    State(state): State<AppState>,
    BearerClaims(claims): BearerClaims,
    client: Client,
    Query(query): Query<LogoutQuery>,
) -> AuthResult<StatusCode> {
    let user: uuid::Uuid =
        claims.sub.parse().map_err(|_| AuthError::bad_jwt("invalid JWT: sub is not a user id"))?;
    let session = claims.session_id.as_deref().and_then(|s| s.parse().ok());
    let scope = query.scope.as_deref().unwrap_or("global");
    let revoke = match (scope, session) {
        ("global", _) => Revoke::AllOfUser(user),
        ("local", Some(session)) => Revoke::One(session),
        ("others", Some(session)) => Revoke::OthersOfUser { user, keep: session },
        ("local" | "others", None) => return Err(AuthError::bad_jwt("invalid JWT: no session_id")),
        (other, _) => {
            return Err(AuthError::validation(format!("unsupported logout scope {other:?}")));
        }
    };
    let mut tx = state.db().begin().await?;
    let ended = sessions::revoke(&mut tx, revoke, state.settings().access_token_ttl).await?;
    audit::record(
        &mut *tx,
        Event {
            action: "logout",
            actor_id: Some(user.to_string()),
            target_id: Some(user.to_string()),
            ip: client.ip,
            payload: json!({ "scope": scope, "sessions": ended }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
