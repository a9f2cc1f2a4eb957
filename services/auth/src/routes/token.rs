//! `POST /token?grant_type=...`: `password`, `refresh_token`, `pkce` (the exchange that ends
//! an email flow) and `client_credentials` (service tokens for service-to-service calls).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use posey_config::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::db::audit::{self, Event};
use crate::db::users;
use crate::error::{AuthError, AuthResult};
use crate::extract::{AuthJson, Client};
use crate::password::Verified;
use crate::routes::openapi::{RateLimited, schemas};
use crate::state::AppState;
use crate::{pkce, policy, session};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(token))
}

#[derive(Debug, Deserialize)]
struct GrantQuery {
    grant_type: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
struct GrantBody {
    email: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
    auth_code: Option<String>,
    code_verifier: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    /// `client_credentials`: the scopes wanted, space-separated (RFC 6749 3.3); unset: every
    /// scope the client is granted.
    scope: Option<String>,
}

/// Get a session or a service token
///
/// By `grant_type`: `password` (`email`, `password`), `refresh_token` (`refresh_token`: single
/// use; a racing second use within `AUTH_REFRESH_REUSE_INTERVAL` gets the same successor),
/// `pkce` (`auth_code`, `code_verifier`: the end of an email flow started with a code
/// challenge), `client_credentials` (`client_id`, `client_secret`, optional `scope`: a service
/// token with the client's scopes, or those asked for) or
/// `app_password` (`email`, `password`: one of the person's app passwords; an access token in
/// its session, without a refresh token).
#[utoipa::path(post, path = "/token", tag = "accounts",
    params(("grant_type" = String, Query, description = "`password`, `refresh_token`, `pkce`, `client_credentials` or `app_password`")),
    request_body = GrantBody,
    responses(
        (status = 200, description = "A session (a service token for `client_credentials`, an access token without a refresh token for `app_password`)", body = schemas::TokenAnswer),
        (status = 400, description = "Wrong credentials (`invalid_credentials`), an unconfirmed address (`email_not_confirmed`), a banned user (`user_banned`), a used or unknown refresh token (`refresh_token_not_found`, `refresh_token_already_used`), an unknown grant (`validation_failed`), a scope beyond the service client's (`invalid_scope`)", body = schemas::GoTrueError),
        (status = 401, description = "Unknown service client or wrong secret (`invalid_credentials`)", body = schemas::GoTrueError),
        (status = 404, description = "The PKCE flow is unknown or expired (`flow_state_not_found`), or the account is gone (`user_not_found`)", body = schemas::GoTrueError),
        RateLimited,
    ))]
async fn token(
    State(state): State<AppState>,
    client: Client,
    Query(query): Query<GrantQuery>,
    AuthJson(body): AuthJson<GrantBody>,
) -> AuthResult<Json<Value>> {
    match query.grant_type.as_deref() {
        Some("password") => password(&state, &client, body).await,
        Some("refresh_token") => {
            policy::limit_refresh(&state, &client).await?;
            let token = body.refresh_token.unwrap_or_default();
            Ok(Json(session::refresh(&state, token.trim(), &client).await?.to_json()))
        }
        Some("pkce") => pkce_grant(&state, &client, body).await,
        Some("client_credentials") => client_credentials(&state, &client, body).await,
        Some("app_password") => {
            super::app_passwords::grant(
                &state,
                &client,
                body.email.as_deref(),
                body.password.as_deref(),
            )
            .await
        }
        Some(other) => Err(AuthError::validation(format!("unsupported grant_type {other:?}"))),
        None => Err(AuthError::validation("grant_type is required")),
    }
}

async fn password(state: &AppState, client: &Client, body: GrantBody) -> AuthResult<Json<Value>> {
    policy::limit_ip(state, client).await?;
    let email = policy::email(body.email.as_deref())?;
    policy::limit_account(state, &email).await?;
    let password = body.password.unwrap_or_default();
    if password.len() > crate::password::MAX_PASSWORD_BYTES {
        return Err(AuthError::invalid_credentials());
    }
    let user = users::find_by_email(state.db(), email.as_str()).await?;
    // Unknown addresses are checked against a dummy hash: same answer, same time.
    let verified = state
        .hasher
        .verify(&password, user.as_ref().and_then(|u| u.encrypted_password.as_deref()))
        .await?;
    let user = match (user, verified) {
        (Some(user), Verified::Yes | Verified::YesRehashed(_)) if user.is_banned() => {
            return Err(AuthError::new(StatusCode::BAD_REQUEST, "user_banned", "User is banned"));
        }
        (Some(user), Verified::YesRehashed(new_hash)) => {
            users::set_password(state.db(), user.id, &new_hash).await?;
            user
        }
        (Some(user), Verified::Yes) => user,
        (user, _) => {
            audit::record(
                state.db(),
                Event {
                    action: "login_failed",
                    actor_id: None,
                    target_id: user.map(|u| u.id.to_string()),
                    ip: client.ip,
                    payload: json!({ "email": email.as_str() }),
                },
            )
            .await?;
            return Err(AuthError::invalid_credentials());
        }
    };
    if user.email_confirmed_at.is_none() {
        return Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "email_not_confirmed",
            "Email not confirmed",
        ));
    }
    let mut tx = state.db().begin().await?;
    let issued = session::start(state, &mut tx, &user, "password", client).await?;
    tx.commit().await?;
    Ok(Json(issued.to_json()))
}

async fn pkce_grant(state: &AppState, client: &Client, body: GrantBody) -> AuthResult<Json<Value>> {
    policy::limit_ip(state, client).await?;
    let (Some(code), Some(verifier)) = (body.auth_code, body.code_verifier) else {
        return Err(AuthError::validation(
            "invalid request: both auth code and code verifier should be non-empty",
        ));
    };
    let mut tx = state.db().begin().await?;
    let (user_id, method) = pkce::exchange(&mut *tx, &code, &verifier).await?;
    let user = users::find(&mut *tx, user_id)
        .await?
        .ok_or_else(|| AuthError::not_found("user_not_found", "User not found"))?;
    let issued = session::start(state, &mut tx, &user, &method, client).await?;
    tx.commit().await?;
    Ok(Json(issued.to_json()))
}

/// A service token (role `service_role`) for a configured client, without a refresh token.
async fn client_credentials(
    state: &AppState,
    client: &Client,
    body: GrantBody,
) -> AuthResult<Json<Value>> {
    policy::limit_ip(state, client).await?;
    let invalid = || {
        AuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "Invalid client credentials",
        )
    };
    let (Some(id), Some(secret)) = (body.client_id, body.client_secret) else {
        return Err(invalid());
    };
    let known = state.settings().service_clients.iter().find(|known| known.id == id);
    let matched = known.filter(|known| {
        bool::from(known.secret.expose_secret().as_bytes().ct_eq(secret.as_bytes()))
    });
    let Some(known) = matched else {
        audit::record(
            state.db(),
            Event {
                action: "client_login_failed",
                actor_id: Some(format!("service:{id}")),
                target_id: None,
                ip: client.ip,
                payload: json!({}),
            },
        )
        .await?;
        return Err(invalid());
    };
    let scopes = granted_scopes(&known.scopes, body.scope.as_deref())?;
    let ttl = state.settings().access_token_ttl.as_secs() as i64;
    let now = chrono::Utc::now().timestamp();
    let claims =
        crate::tokens::service_claims(&id, &scopes, &state.settings().issuer, now, now + ttl);
    let access_token = state.keys.sign(&claims)?;
    Ok(Json(json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": ttl,
        "expires_at": now + ttl,
        "scope": scopes.join(" "),
    })))
}

/// The scopes a service token gets: those asked for (space-separated), each of which the
/// client must be granted, else `invalid_scope` (RFC 6749 5.2); every granted one when none
/// are asked for.
fn granted_scopes(granted: &[String], wanted: Option<&str>) -> AuthResult<Vec<String>> {
    let wanted: Vec<&str> =
        wanted.map(|w| w.split_ascii_whitespace().collect()).unwrap_or_default();
    if wanted.is_empty() {
        return Ok(granted.to_vec());
    }
    if let Some(beyond) = wanted.iter().find(|w| !granted.iter().any(|g| g == *w)) {
        return Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            format!("The scope {beyond:?} is not granted to this client"),
        ));
    }
    let mut scopes: Vec<String> = Vec::new();
    for w in wanted {
        if !scopes.iter().any(|s| s == w) {
            scopes.push(w.to_owned());
        }
    }
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_what_it_is_granted_and_nothing_beyond() {
        let granted = vec!["agents:turns".to_owned(), "cron:act-for-person".to_owned()];
        assert_eq!(granted_scopes(&granted, None).unwrap(), granted);
        assert_eq!(granted_scopes(&granted, Some("  ")).unwrap(), granted);
        assert_eq!(
            granted_scopes(&granted, Some("cron:act-for-person cron:act-for-person")).unwrap(),
            ["cron:act-for-person"]
        );
        let AuthError::Client { status, code, message } =
            granted_scopes(&granted, Some("agents:turns admin")).unwrap_err()
        else {
            panic!("not a client error")
        };
        assert_eq!((status, code), (StatusCode::BAD_REQUEST, "invalid_scope"));
        assert!(message.contains("admin"), "{message}");
        assert!(granted_scopes(&[], Some("agents:turns")).is_err());
        assert!(granted_scopes(&[], None).unwrap().is_empty());
    }
}
