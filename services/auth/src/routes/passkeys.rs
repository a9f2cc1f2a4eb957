//! Passkeys for passwordless sign-in, at GoTrue's paths (what auth-js's `passkey` API and
//! `signInWithPasskey` call): registration by a signed-in person, then usernameless sign-in
//! with a discoverable credential, and the person's list of them. A passkey sign-in's session is
//! `aal2`: every ceremony requires user verification (see `crate::webauthn`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential,
};

use super::factors::audit_event;
use crate::db::audit::{self, Event};
use crate::db::passkeys::{self, Ceremony, NewCredential};
use crate::db::users;
use crate::error::{AuthError, AuthResult};
use crate::extract::{AuthJson, Client, CurrentUser};
use crate::routes::openapi::{BadInput, NeedsAal2, NeedsToken, RateLimited, schemas};
use crate::state::AppState;
use crate::{mfa, policy, session, tokens, webauthn};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(registration_options))
        .routes(routes!(registration_verify))
        .routes(routes!(authentication_options))
        .routes(routes!(authentication_verify))
        .routes(routes!(list_passkeys))
        .routes(routes!(delete_passkey, update_passkey))
}

/// A person's passkeys at most (GoTrue's factor limit, likewise).
const MAX_PASSKEYS: usize = 10;

const CODES: webauthn::ChallengeCodes = webauthn::ChallengeCodes {
    not_found: "webauthn_challenge_not_found",
    expired: "webauthn_challenge_expired",
};

/// A ceremony's options and the challenge to answer.
#[derive(Serialize, utoipa::ToSchema)]
struct CeremonyOptions {
    /// Send it back with the credential.
    challenge_id: Uuid,
    /// The `publicKey` options for `navigator.credentials.create()` / `.get()`, as JSON
    /// (base64url binary fields).
    #[schema(value_type = Object)]
    options: Value,
    /// UNIX seconds after which the challenge is refused.
    expires_at: i64,
}

/// An answer to a ceremony.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct CeremonyAnswer {
    challenge_id: String,
    /// The authenticator's answer: `PublicKeyCredential.toJSON()` (base64url fields).
    #[schema(value_type = Object)]
    credential: Value,
}

/// A passkey as listed.
#[derive(Serialize, utoipa::ToSchema)]
struct PasskeyItem {
    id: Uuid,
    friendly_name: String,
    created_at: chrono::DateTime<chrono::Utc>,
    /// Its last sign-in; null before the first.
    last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<&passkeys::Credential> for PasskeyItem {
    fn from(c: &passkeys::Credential) -> Self {
        Self {
            id: c.id,
            friendly_name: c.friendly_name.clone(),
            created_at: c.created_at,
            last_used_at: c.last_used_at,
        }
    }
}

/// What auth-js's `passkey.startAuthentication` sends (its captcha token is not used here).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[allow(dead_code)] // Documents the body; nothing of it is read.
struct StartBody {
    #[schema(value_type = Option<Object>)]
    gotrue_meta_security: Option<Value>,
}

fn no_passkey() -> AuthError {
    AuthError::not_found("passkey_not_found", "Passkey not found")
}

/// Start registering a passkey
///
/// For the signed-in person; a person with a verified MFA factor must be at `aal2`. The options
/// ask for a discoverable credential with user verification; answer them within five minutes at
/// `/passkeys/registration/verify`.
#[utoipa::path(post, path = "/passkeys/registration/options", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 200, description = "The options for `navigator.credentials.create()`", body = CeremonyOptions),
        (status = 422, description = "Ten passkeys already (`too_many_passkeys`), or passkeys are unavailable on this install (`webauthn_not_configured`)", body = schemas::GoTrueError),
        NeedsAal2, RateLimited,
    ))]
async fn registration_options(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
) -> AuthResult<Json<Value>> {
    me.session_id.ok_or_else(AuthError::session_not_found)?;
    policy::limit_ip(&state, &client).await?;
    let rp = webauthn::rp(&state)?;
    mfa::require_aal2(&state, &me, StatusCode::FORBIDDEN, "AAL2 required to register a passkey")
        .await?;
    if passkeys::list_passkeys(state.db(), me.user_id).await?.len() >= MAX_PASSKEYS {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_passkeys",
            "Maximum number of passkeys reached, delete one to continue",
        ));
    }
    let (options, ceremony) = webauthn::start_registration(&state, &rp, me.user_id).await?;
    let mut options = json!(options.public_key);
    // A passkey for usernameless sign-in must be discoverable (a resident key).
    options["authenticatorSelection"]["residentKey"] = json!("required");
    options["authenticatorSelection"]["requireResidentKey"] = json!(true);
    let (challenge_id, expires_at) =
        webauthn::save_challenge(&state, Ceremony::Registration, Some(me.user_id), None, &ceremony)
            .await?;
    Ok(Json(json!(CeremonyOptions { challenge_id, options, expires_at })))
}

/// Finish registering a passkey
#[utoipa::path(post, path = "/passkeys/registration/verify", tag = "accounts", security(("bearer" = [])),
    request_body = CeremonyAnswer,
    responses(
        (status = 200, description = "The new passkey", body = PasskeyItem),
        (status = 404, description = "No such registration challenge of the person's (`webauthn_challenge_not_found`)", body = schemas::GoTrueError),
        (status = 422, description = "The credential did not verify: wrong origin, RP id, challenge or signature, no user verification (`webauthn_verification_failed`); an answered or expired challenge (`webauthn_challenge_expired`); an authenticator already registered (`webauthn_credential_exists`)", body = schemas::GoTrueError),
        BadInput, NeedsToken, RateLimited,
    ))]
async fn registration_verify(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
    AuthJson(body): AuthJson<CeremonyAnswer>,
) -> AuthResult<Json<Value>> {
    me.session_id.ok_or_else(AuthError::session_not_found)?;
    policy::limit_ip(&state, &client).await?;
    let rp = webauthn::rp(&state)?;
    let saved: PasskeyRegistration = webauthn::take_challenge(
        &state,
        &body.challenge_id,
        Ceremony::Registration,
        Some(me.user_id),
        None,
        &CODES,
    )
    .await?;
    let credential: RegisterPublicKeyCredential = webauthn::parse_credential(body.credential)?;
    let passkey = match rp.finish_passkey_registration(&credential, &saved) {
        Ok(passkey) => passkey,
        Err(e) => {
            let (error, reason) = webauthn::refused("webauthn_verification_failed", &e);
            audit_failure(&state, &client, me.user_id, "passkey_registration_failed", reason)
                .await?;
            return Err(error);
        }
    };
    let stored = serde_json::to_value(&passkey).map_err(|e| AuthError::Internal(e.into()))?;
    let mut tx = state.db().begin().await?;
    let new = NewCredential {
        id: Uuid::now_v7(),
        user_id: me.user_id,
        factor_id: None,
        credential_id: passkey.cred_id().as_slice(),
        passkey: &stored,
        sign_count: 0,
        friendly_name: "Passkey",
        now: state.clock.now(),
    };
    let created = match passkeys::insert_credential(&mut *tx, &new).await {
        Err(sqlx::Error::Database(e)) if e.constraint() == Some(passkeys::CREDENTIAL_ID_KEY) => {
            return Err(AuthError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "webauthn_credential_exists",
                "This authenticator's credential is already registered",
            ));
        }
        other => other?,
    };
    let event =
        audit_event(&me, &client, "passkey_registered", json!({ "passkey_id": created.id }));
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(Json(json!(PasskeyItem::from(&created))))
}

/// Start a passkey sign-in
///
/// Usernameless: the options name no credential, the authenticator offers the person's
/// discoverable passkeys for this site. Answer within five minutes at
/// `/passkeys/authentication/verify`.
#[utoipa::path(post, path = "/passkeys/authentication/options", tag = "accounts",
    request_body(content = Option<StartBody>, description = "auth-js's (its captcha token is not used)"),
    responses(
        (status = 200, description = "The options for `navigator.credentials.get()`", body = CeremonyOptions),
        (status = 422, description = "Passkeys are unavailable on this install (`webauthn_not_configured`)", body = schemas::GoTrueError),
        BadInput, RateLimited,
    ))]
async fn authentication_options(
    State(state): State<AppState>,
    client: Client,
) -> AuthResult<Json<Value>> {
    policy::limit_ip(&state, &client).await?;
    let rp = webauthn::rp(&state)?;
    let (options, ceremony) =
        rp.start_discoverable_authentication().map_err(|e| AuthError::Internal(e.into()))?;
    let (challenge_id, expires_at) =
        webauthn::save_challenge(&state, Ceremony::Discoverable, None, None, &ceremony).await?;
    let options = json!(options.public_key);
    Ok(Json(json!(CeremonyOptions { challenge_id, options, expires_at })))
}

/// Sign in with a passkey
///
/// The session is like the password grant's, at `aal2` (`amr`: `passkey`, then `webauthn`): a
/// passkey is a possession and, with the user verification every ceremony here requires, a PIN
/// or biometric, so it is two factors by itself.
#[utoipa::path(post, path = "/passkeys/authentication/verify", tag = "accounts",
    request_body = CeremonyAnswer,
    responses(
        (status = 200, description = "The session, `aal2`", body = schemas::Session),
        (status = 400, description = "The credential is no passkey of any account's (`invalid_credentials`), or the account is banned (`user_banned`)", body = schemas::GoTrueError),
        (status = 404, description = "No such sign-in challenge (`webauthn_challenge_not_found`)", body = schemas::GoTrueError),
        (status = 422, description = "The credential did not verify: wrong origin, RP id, challenge or signature, no user verification, or a signature counter that went back (a cloned authenticator) (`webauthn_verification_failed`); an answered or expired challenge (`webauthn_challenge_expired`)", body = schemas::GoTrueError),
        BadInput, RateLimited,
    ))]
async fn authentication_verify(
    State(state): State<AppState>,
    client: Client,
    AuthJson(body): AuthJson<CeremonyAnswer>,
) -> AuthResult<Json<Value>> {
    policy::limit_ip(&state, &client).await?;
    let rp = webauthn::rp(&state)?;
    let saved: DiscoverableAuthentication = webauthn::take_challenge(
        &state,
        &body.challenge_id,
        Ceremony::Discoverable,
        None,
        None,
        &CODES,
    )
    .await?;
    let credential: PublicKeyCredential = webauthn::parse_credential(body.credential)?;
    let (user_id, credential_id) = rp
        .identify_discoverable_authentication(&credential)
        .map_err(|_| AuthError::invalid_credentials())?;
    let stored = passkeys::passkey_by_credential_id(state.db(), credential_id)
        .await?
        .filter(|stored| stored.user_id == user_id)
        .ok_or_else(AuthError::invalid_credentials)?;
    let mut passkey: Passkey = serde_json::from_value(stored.passkey.clone())
        .map_err(|e| AuthError::Internal(e.into()))?;
    let refuse = |e: &webauthn_rs::prelude::WebauthnError| {
        webauthn::refused("webauthn_verification_failed", e)
    };
    let result = match rp.finish_discoverable_authentication_v2(&credential, saved, &passkey) {
        Ok(result) => result,
        Err(e) => {
            let (error, reason) = refuse(&e);
            audit_failure(&state, &client, user_id, "passkey_sign_in_failed", reason).await?;
            return Err(error);
        }
    };
    passkey.update_credential(&result);
    let updated = serde_json::to_value(&passkey).map_err(|e| AuthError::Internal(e.into()))?;
    let now = state.clock.now();
    let counter = i64::from(result.counter());
    let mut tx = state.db().begin().await?;
    if !passkeys::record_use(&mut *tx, stored.id, &updated, stored.sign_count, counter, now).await?
    {
        tx.rollback().await?;
        let (error, reason) =
            refuse(&webauthn_rs::prelude::WebauthnError::CredentialPossibleCompromise);
        audit_failure(&state, &client, user_id, "passkey_sign_in_failed", reason).await?;
        return Err(error);
    }
    let user = users::find(&mut *tx, user_id).await?.ok_or_else(AuthError::invalid_credentials)?;
    if user.is_banned() {
        return Err(AuthError::new(StatusCode::BAD_REQUEST, "user_banned", "User is banned"));
    }
    let started = session::start(&state, &mut tx, &user, "passkey", &client).await?;
    // The session just started, found by its refresh token, is raised to aal2 at once.
    let session_id =
        passkeys::session_of_refresh_token(&mut *tx, &tokens::hash(&started.refresh_token))
            .await?
            .ok_or_else(|| {
                AuthError::Internal(anyhow::anyhow!("the new session has no refresh token"))
            })?;
    let issued = session::elevate(&state, &mut tx, user.id, session_id, "webauthn").await?;
    tx.commit().await?;
    Ok(Json(issued.to_json()))
}

/// The person's passkeys
#[utoipa::path(get, path = "/passkeys", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 200, description = "Their passkeys for sign-in, oldest first", body = Vec<PasskeyItem>),
        NeedsToken,
    ))]
async fn list_passkeys(State(state): State<AppState>, me: CurrentUser) -> AuthResult<Json<Value>> {
    let list = passkeys::list_passkeys(state.db(), me.user_id).await?;
    Ok(Json(Value::Array(list.iter().map(|c| json!(PasskeyItem::from(c))).collect())))
}

/// Delete a passkey
///
/// A person with a verified MFA factor must be at `aal2`.
#[utoipa::path(delete, path = "/passkeys/{passkey_id}", tag = "accounts", security(("bearer" = [])),
    params(("passkey_id" = String, Path, description = "The passkey's id")),
    responses(
        (status = 200, description = "Deleted", body = schemas::FactorId),
        (status = 404, description = "No such passkey of the person's (`passkey_not_found`)", body = schemas::GoTrueError),
        (status = 422, description = "The person has a verified factor and the session is not `aal2` (`insufficient_aal`)", body = schemas::GoTrueError),
        NeedsToken,
    ))]
async fn delete_passkey(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
    Path(passkey_id): Path<String>,
) -> AuthResult<Json<Value>> {
    me.session_id.ok_or_else(AuthError::session_not_found)?;
    let id: Uuid = passkey_id.parse().map_err(|_| no_passkey())?;
    mfa::require_aal2(
        &state,
        &me,
        StatusCode::UNPROCESSABLE_ENTITY,
        "AAL2 required to delete a passkey",
    )
    .await?;
    let mut tx = state.db().begin().await?;
    if !passkeys::delete_passkey(&mut *tx, id, me.user_id).await? {
        return Err(no_passkey());
    }
    audit::record(
        &mut *tx,
        audit_event(&me, &client, "passkey_deleted", json!({ "passkey_id": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({ "id": id })))
}

/// What auth-js's `passkey.update` sends.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct RenameBody {
    /// At most 120 characters.
    friendly_name: String,
}

/// Rename a passkey
#[utoipa::path(patch, path = "/passkeys/{passkey_id}", tag = "accounts", security(("bearer" = [])),
    params(("passkey_id" = String, Path, description = "The passkey's id")),
    request_body = RenameBody,
    responses(
        (status = 200, description = "The passkey, renamed", body = PasskeyItem),
        (status = 404, description = "No such passkey of the person's (`passkey_not_found`)", body = schemas::GoTrueError),
        BadInput, NeedsToken,
    ))]
async fn update_passkey(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(passkey_id): Path<String>,
    AuthJson(body): AuthJson<RenameBody>,
) -> AuthResult<Json<Value>> {
    let id: Uuid = passkey_id.parse().map_err(|_| no_passkey())?;
    let name = body.friendly_name.trim();
    if name.chars().count() > 120 {
        return Err(AuthError::validation("friendly_name is at most 120 characters"));
    }
    let renamed =
        passkeys::rename_passkey(state.db(), id, me.user_id, name).await?.ok_or_else(no_passkey)?;
    Ok(Json(json!(PasskeyItem::from(&renamed))))
}

async fn audit_failure(
    state: &AppState,
    client: &Client,
    user_id: Uuid,
    action: &'static str,
    reason: &str,
) -> AuthResult<()> {
    let event = Event {
        action,
        actor_id: Some(user_id.to_string()),
        target_id: Some(user_id.to_string()),
        ip: client.ip,
        payload: json!({ "reason": reason }),
    };
    audit::record(state.db(), event).await?;
    Ok(())
}
