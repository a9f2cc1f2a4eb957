//! The `webauthn` factor behind GoTrue's factor routes: its enrolment, its challenge (a
//! registration ceremony while unverified, an authentication one after) and the answer, which
//! verifies the factor and raises the session to `aal2` like a TOTP code.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential,
};

use super::common::{audit_event, factor_not_found};
use crate::db::audit;
use crate::db::factors::{self, Factor};
use crate::db::passkeys::{self, Ceremony, NewCredential};
use crate::error::{AuthError, AuthResult};
use crate::extract::{Client, CurrentUser};
use crate::state::AppState;
use crate::{mfa, session, webauthn};

/// What auth-js's `mfa.challenge` sends for a webauthn factor (`webauthn: {rpId, rpOrigins}`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ChallengeBody {
    /// Only for a `webauthn` factor: the relying party the client expects; one other than this
    /// service's configured one is refused (422 `webauthn_rp_mismatch`).
    pub webauthn: Option<RpParams>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RpParams {
    #[serde(rename = "rpId")]
    pub rp_id: Option<String>,
    #[serde(rename = "rpOrigins")]
    pub rp_origins: Option<Vec<String>>,
}

/// What auth-js's `mfa.verify` sends for a webauthn factor.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct VerifyParams {
    /// `create` (the unverified factor's registration) or `request` (an authentication).
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "rpId")]
    pub rp_id: Option<String>,
    #[serde(rename = "rpOrigins")]
    pub rp_origins: Option<Vec<String>>,
    /// The authenticator's answer: `PublicKeyCredential.toJSON()` (base64url fields).
    #[schema(value_type = Object)]
    pub credential_response: Value,
}

const CODES: webauthn::ChallengeCodes = webauthn::ChallengeCodes {
    not_found: "mfa_factor_not_found",
    expired: "mfa_challenge_expired",
};

/// A new, unverified `webauthn` factor: its credential comes with its first verification.
pub async fn enroll(
    state: &AppState,
    me: &CurrentUser,
    client: &Client,
    friendly_name: &str,
) -> AuthResult<Value> {
    webauthn::rp(state)?;
    let id = Uuid::now_v7();
    let now = state.clock.now();
    let mut tx = state.db().begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO auth.mfa_factors (id, user_id, friendly_name, factor_type, secret_sealed, created_at, updated_at) \
         VALUES ($1, $2, $3, 'webauthn', ''::bytea, $4, $4)",
    )
    .bind(id)
    .bind(me.user_id)
    .bind(friendly_name)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match inserted {
        Err(sqlx::Error::Database(e)) if e.constraint() == Some(factors::NAME_KEY) => {
            return Err(AuthError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "mfa_factor_name_conflict",
                format!("A factor with the friendly name {friendly_name:?} already exists"),
            ));
        }
        other => other?,
    };
    audit::record(
        &mut *tx,
        audit_event(me, client, "factor_in_progress", json!({ "factor_id": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(json!({ "id": id, "type": "webauthn", "friendly_name": friendly_name }))
}

/// The options of the factor's next ceremony, and its challenge.
pub async fn challenge(
    state: &AppState,
    me: &CurrentUser,
    client: &Client,
    factor: &Factor,
    body: ChallengeBody,
) -> AuthResult<Value> {
    let rp = webauthn::rp(state)?;
    let params = body.webauthn.unwrap_or_default();
    webauthn::check_client_rp(state, params.rp_id.as_deref(), params.rp_origins.as_deref())?;
    let (kind, options, id, expires_at) = if factor.is_verified() {
        let credential = passkeys::for_factor(state.db(), factor.id).await?.ok_or_else(|| {
            AuthError::Internal(anyhow::anyhow!("verified webauthn factor without a credential"))
        })?;
        let passkey: Passkey = serde_json::from_value(credential.passkey)
            .map_err(|e| AuthError::Internal(e.into()))?;
        let (options, ceremony) = rp
            .start_passkey_authentication(&[passkey])
            .map_err(|e| AuthError::Internal(e.into()))?;
        let (id, expires_at) = webauthn::save_challenge(
            state,
            Ceremony::Authentication,
            Some(me.user_id),
            Some(factor.id),
            &ceremony,
        )
        .await?;
        ("request", json!(options), id, expires_at)
    } else {
        let (options, ceremony) = webauthn::start_registration(state, &rp, me.user_id).await?;
        let (id, expires_at) = webauthn::save_challenge(
            state,
            Ceremony::Registration,
            Some(me.user_id),
            Some(factor.id),
            &ceremony,
        )
        .await?;
        ("create", json!(options), id, expires_at)
    };
    // The same id in GoTrue's challenge table: `last_challenged_at`, and a recovery code may
    // answer this challenge too.
    let now = state.clock.now();
    let mut tx = state.db().begin().await?;
    let expired_before = now - chrono::Duration::seconds(webauthn::CHALLENGE_TTL_SECS);
    factors::insert_challenge(&mut *tx, id, factor.id, now, expired_before).await?;
    let payload = json!({ "factor_id": factor.id, "factor_status": factor.status });
    audit::record(&mut *tx, audit_event(me, client, "challenge_created", payload)).await?;
    tx.commit().await?;
    Ok(json!({
        "id": id,
        "type": "webauthn",
        "expires_at": expires_at,
        "webauthn": { "type": kind, "credential_options": options },
    }))
}

/// Checks the answer to challenge `challenge_id`; on success the factor is verified (its
/// credential stored, the first time) and the session is `aal2`.
pub async fn verify(
    state: &AppState,
    me: &CurrentUser,
    client: &Client,
    session_id: Uuid,
    factor: &Factor,
    challenge_id: &str,
    params: Option<VerifyParams>,
) -> AuthResult<Value> {
    let rp = webauthn::rp(state)?;
    let params = params
        .ok_or_else(|| AuthError::validation("webauthn is required to verify a webauthn factor"))?;
    let registering = !factor.is_verified();
    let expected = if registering { "create" } else { "request" };
    if params.kind != expected {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!("webauthn.type must be {expected:?} for this factor"),
        ));
    }
    webauthn::check_client_rp(state, params.rp_id.as_deref(), params.rp_origins.as_deref())?;
    let ceremony = if registering { Ceremony::Registration } else { Ceremony::Authentication };
    // Known before the challenge is spent: a malformed id is simply not found.
    let challenge_uuid: Uuid = challenge_id.parse().map_err(|_| factor_not_found())?;
    let wrong =
        |e: &webauthn_rs::prelude::WebauthnError| webauthn::refused("mfa_verification_failed", e);
    let now = state.clock.now();

    let mut tx;
    if registering {
        let saved: PasskeyRegistration = webauthn::take_challenge(
            state,
            challenge_id,
            ceremony,
            Some(me.user_id),
            Some(factor.id),
            &CODES,
        )
        .await?;
        let credential: RegisterPublicKeyCredential =
            webauthn::parse_credential(params.credential_response)?;
        let passkey = match rp.finish_passkey_registration(&credential, &saved) {
            Ok(passkey) => passkey,
            Err(e) => {
                let (error, reason) = wrong(&e);
                mfa::record_failure(state, client, me.user_id, factor.id, reason).await?;
                return Err(error);
            }
        };
        let stored = serde_json::to_value(&passkey).map_err(|e| AuthError::Internal(e.into()))?;
        tx = state.db().begin().await?;
        let new = NewCredential {
            id: Uuid::now_v7(),
            user_id: me.user_id,
            factor_id: Some(factor.id),
            credential_id: passkey.cred_id().as_slice(),
            passkey: &stored,
            sign_count: 0,
            friendly_name: &factor.friendly_name,
            now,
        };
        match passkeys::insert_credential(&mut *tx, &new).await {
            Err(sqlx::Error::Database(e))
                if e.constraint() == Some(passkeys::CREDENTIAL_ID_KEY) =>
            {
                return Err(already_registered());
            }
            other => other?,
        };
    } else {
        let saved: PasskeyAuthentication = webauthn::take_challenge(
            state,
            challenge_id,
            ceremony,
            Some(me.user_id),
            Some(factor.id),
            &CODES,
        )
        .await?;
        let credential: PublicKeyCredential =
            webauthn::parse_credential(params.credential_response)?;
        let stored =
            passkeys::for_factor(state.db(), factor.id).await?.ok_or_else(factor_not_found)?;
        let mut passkey: Passkey = serde_json::from_value(stored.passkey.clone())
            .map_err(|e| AuthError::Internal(e.into()))?;
        let result = match rp.finish_passkey_authentication(&credential, &saved) {
            Ok(result) => result,
            Err(e) => {
                let (error, reason) = wrong(&e);
                mfa::record_failure(state, client, me.user_id, factor.id, reason).await?;
                return Err(error);
            }
        };
        passkey.update_credential(&result);
        let updated = serde_json::to_value(&passkey).map_err(|e| AuthError::Internal(e.into()))?;
        tx = state.db().begin().await?;
        let counter = i64::from(result.counter());
        if !passkeys::record_use(&mut *tx, stored.id, &updated, stored.sign_count, counter, now)
            .await?
        {
            tx.rollback().await?;
            let e = webauthn_rs::prelude::WebauthnError::CredentialPossibleCompromise;
            let (error, reason) = wrong(&e);
            mfa::record_failure(state, client, me.user_id, factor.id, reason).await?;
            return Err(error);
        }
    }
    if !factors::accept_step(&mut tx, factor.id, challenge_uuid, None, now).await? {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "mfa_challenge_expired",
            format!("MFA challenge {challenge_uuid} was already answered"),
        ));
    }
    factors::delete_unverified(&mut *tx, me.user_id).await?;
    factors::clear_failures(&mut *tx, me.user_id).await?;
    let payload =
        json!({ "factor_id": factor.id, "challenge_id": challenge_uuid, "method": "webauthn" });
    audit::record(&mut *tx, audit_event(me, client, "verification_attempted", payload)).await?;
    let issued = session::elevate(state, &mut tx, me.user_id, session_id, "webauthn").await?;
    tx.commit().await?;
    Ok(issued.to_json())
}

pub fn already_registered() -> AuthError {
    AuthError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "webauthn_credential_exists",
        "This authenticator's credential is already registered",
    )
}
