//! `POST /logout?scope=global|local|others`: ends every session of the person (`global`, the
//! default, as in Supabase), this one (`local`), or every other one (`others`).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::db::audit::{self, Event};
use crate::db::oauth;
use crate::db::sessions::{self, Revoke};
use crate::error::{AuthError, AuthResult};
use crate::extract::{BearerClaims, Client};
use crate::routes::openapi::{BadInput, NeedsToken};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(logout))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct LogoutQuery {
    /// `global`, `local` or `others`.
    scope: Option<String>,
}

/// Sign out
///
/// `scope`: `global` (every session of the person, the default), `local` (this one) or
/// `others`. The sessions' access tokens stop working everywhere within seconds.
#[utoipa::path(post, path = "/logout", tag = "accounts",
    security(("bearer" = [])),
    params(LogoutQuery),
    responses((status = 204, description = "Signed out"), BadInput, NeedsToken))]
async fn logout(
    State(state): State<AppState>,
    BearerClaims(claims): BearerClaims,
    client: Client,
    Query(query): Query<LogoutQuery>,
) -> AuthResult<StatusCode> {
    let user: uuid::Uuid =
        claims.sub.parse().map_err(|_| AuthError::bad_jwt("invalid JWT: sub is not a user id"))?;
    let session = claims.session_id.map(|s| s.as_uuid());
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
    let everywhere = matches!(revoke, Revoke::AllOfUser(_));
    let ended = sessions::revoke(&mut tx, revoke, state.settings().access_token_ttl).await?;
    if everywhere {
        // Signed out everywhere: of the OpenID provider's sign-in too (the apps it let in keep
        // their access, as after signing out of any provider; a new password ends that).
        oauth::end_browser_sessions_of(&mut *tx, user).await?;
    }
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
