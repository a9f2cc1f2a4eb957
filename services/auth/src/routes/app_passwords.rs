//! Posey's addition: app passwords. A person makes one per app that cannot do a browser
//! sign-in (a phone's or Thunderbird's CalDAV sync), sees its secret once, and revokes it when
//! the device goes. An app signs in with the person's email and it at
//! `POST /token?grant_type=app_password` (the agents service does so for HTTP Basic): an access
//! token in the app password's own session, without a refresh token.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use posey_domain::AppPasswordId;
use posey_http::PathId;
use rand::RngCore as _;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::db::app_passwords;
use crate::db::audit::{self, Event};
use crate::db::sessions::{self, NewSession, Revoke};
use crate::db::users;
use crate::error::{AuthError, AuthResult};
use crate::extract::{AuthJson, Client, CurrentUser};
use crate::routes::openapi::{NeedsAal2, NeedsToken, schemas};
use crate::state::AppState;
use crate::{policy, session};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The most app passwords one person may have.
const MAX_PER_PERSON: usize = 50;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_app_passwords, create_app_password))
        .routes(routes!(delete_app_password))
}

/// A secret's stored form.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.trim().as_bytes()).to_vec()
}

/// A new secret: 18 random bytes, in groups of four characters a person can type.
fn new_secret() -> String {
    let mut bytes = [0u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(4).map(|chunk| chunk.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// The person's app passwords (never their secrets)
#[utoipa::path(get, path = "/app-passwords", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, description = "The app passwords, without their secrets", body = schemas::AppPasswordList), NeedsToken))]
async fn list_app_passwords(
    State(state): State<AppState>,
    me: CurrentUser,
) -> AuthResult<Json<Value>> {
    let list = app_passwords::list(state.db(), me.user_id).await?;
    Ok(Json(json!({ "app_passwords": list })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct NewAppPassword {
    /// What it is for ("Thunderbird on the laptop"), 1 to 100 characters.
    name: Option<String>,
}

/// Make an app password; its secret is in this answer only
#[utoipa::path(post, path = "/app-passwords", tag = "accounts", security(("bearer" = [])),
    request_body = NewAppPassword,
    responses(
        (status = 201, description = "The app password with its `password`, shown this once", body = schemas::NewAppPasswordAnswer),
        (status = 400, description = "No name, or too long, or too many app passwords (`validation_failed`)", body = schemas::GoTrueError),
        NeedsAal2,
    ))]
async fn create_app_password(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
    AuthJson(body): AuthJson<NewAppPassword>,
) -> AuthResult<(StatusCode, Json<Value>)> {
    // A lasting credential that skips the second factor: made only from an `aal2` session.
    let message = "AAL2 required to make an app password";
    crate::mfa::require_aal2(&state, &me, StatusCode::FORBIDDEN, message).await?;
    let name = body.name.as_deref().map(str::trim).unwrap_or_default().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AuthError::validation("name must be 1 to 100 characters"));
    }
    if app_passwords::list(state.db(), me.user_id).await?.len() >= MAX_PER_PERSON {
        return Err(AuthError::validation(format!(
            "a person may have at most {MAX_PER_PERSON} app passwords; revoke one first"
        )));
    }
    let timebox = chrono::Duration::from_std(state.settings().session_timebox)
        .map_err(|e| AuthError::Internal(e.into()))?;
    let now = state.clock.now();
    let amr = json!([{ "method": "app_password", "timestamp": now.timestamp() }]);
    let agent = format!("app password: {name}");
    let secret = new_secret();
    let mut tx = state.db().begin().await?;
    let session = sessions::insert(
        &mut *tx,
        &NewSession {
            user_id: me.user_id,
            now,
            not_after: now + timebox,
            amr: &amr,
            user_agent: Some(&agent),
            ip: client.ip,
        },
    )
    .await?;
    let made =
        app_passwords::insert(&mut *tx, me.user_id, &name, &secret_hash(&secret), session.id)
            .await?;
    audit::record(
        &mut *tx,
        Event {
            action: "app_password_created",
            actor_id: Some(me.user_id.to_string()),
            target_id: Some(me.user_id.to_string()),
            ip: client.ip,
            payload: json!({ "app_password": made.id, "name": name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": made.id,
            "name": made.name,
            "password": secret,
            "created_at": made.created_at,
            "last_used_at": made.last_used_at,
        })),
    ))
}

/// Revoke an app password: the app is signed out everywhere within seconds
#[utoipa::path(delete, path = "/app-passwords/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, description = "The app password's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such app password of the person's (`app_password_not_found`)", body = schemas::GoTrueError),
        NeedsToken,
    ))]
async fn delete_app_password(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
    PathId(id, ..): PathId<AppPasswordId, AuthError>,
) -> AuthResult<StatusCode> {
    let mut tx = state.db().begin().await?;
    let session = app_passwords::delete(&mut *tx, me.user_id, id.as_uuid())
        .await?
        .ok_or_else(|| AuthError::not_found("app_password_not_found", "App password not found"))?;
    sessions::revoke(&mut tx, Revoke::One(session), state.settings().access_token_ttl).await?;
    audit::record(
        &mut *tx,
        Event {
            action: "app_password_revoked",
            actor_id: Some(me.user_id.to_string()),
            target_id: Some(me.user_id.to_string()),
            ip: client.ip,
            payload: json!({ "app_password": id.as_uuid(), "session_id": session }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `grant_type=app_password`: the person's email and one of their app passwords.
pub async fn grant(
    state: &AppState,
    client: &Client,
    email: Option<&str>,
    password: Option<&str>,
) -> AuthResult<Json<Value>> {
    policy::limit_ip(state, client).await?;
    let email = policy::email(email)?;
    policy::limit_account(state, &email).await?;
    let secret = password.unwrap_or_default();
    let user = users::find_by_email(state.db(), email.as_str()).await?;
    let found = match (&user, secret.len()) {
        (Some(user), 1..=200) if !user.is_banned() => {
            app_passwords::use_secret(state.db(), user.id, &secret_hash(secret)).await?
        }
        _ => None,
    };
    let (Some(user), Some((_, session_id))) = (user.clone(), found) else {
        audit::record(
            state.db(),
            Event {
                action: "login_failed",
                actor_id: None,
                target_id: user.map(|u| u.id.to_string()),
                ip: client.ip,
                payload: json!({ "email": email.as_str(), "method": "app_password" }),
            },
        )
        .await?;
        return Err(AuthError::invalid_credentials());
    };
    let mut tx = state.db().begin().await?;
    let issued = session::app_password_access(state, &mut tx, &user, session_id).await?;
    tx.commit().await?;
    Ok(Json(json!({
        "access_token": issued.access_token,
        "token_type": "bearer",
        "expires_in": issued.expires_in,
        "expires_at": issued.expires_at,
        "user": issued.user.to_json(),
    })))
}
