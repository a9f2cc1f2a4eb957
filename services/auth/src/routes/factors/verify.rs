//! `POST /factors/{factor_id}/challenge` and `POST /factors/{factor_id}/verify`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::common::{audit_event, my_factor, session_of};
use super::webauthn;
use crate::db::{audit, factors};
use crate::error::{AuthError, AuthResult};
use crate::extract::{AuthJson, Client, CurrentUser};
use crate::mfa::{self, seal, totp};
use crate::routes::openapi::{BadInput, NeedsToken, RateLimited, schemas};
use crate::state::AppState;
use crate::{policy, session};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(challenge_factor)).routes(routes!(verify_factor))
}

/// How long a challenge may be answered (GoTrue's default).
const CHALLENGE_TTL_SECS: i64 = 300;

/// Start a challenge
///
/// Answer it within five minutes at `/factors/{factor_id}/verify`. A `webauthn` factor's answer
/// also has `webauthn`: `{type: "create", credential_options: {publicKey}}` (the registration
/// ceremony, while the factor is unverified) or `{type: "request", ...}` (an authentication),
/// the options for `navigator.credentials.create()` / `.get()` as JSON; the ceremony's state
/// stays here, answerable once.
#[utoipa::path(post, path = "/factors/{factor_id}/challenge", tag = "mfa", security(("bearer" = [])),
    params(("factor_id" = String, Path, description = "The factor's id")),
    request_body(content = Option<webauthn::ChallengeBody>, description = "Optional; a `webauthn` factor's expected relying party"),
    responses(
        (status = 200, description = "The challenge", body = schemas::MfaChallenge),
        (status = 404, description = "No such factor of the person's (`mfa_factor_not_found`)", body = schemas::GoTrueError),
        (status = 422, description = "A `webauthn` factor's: the body names another relying party (`webauthn_rp_mismatch`), or passkeys are unavailable on this install (`webauthn_not_configured`)", body = schemas::GoTrueError),
        BadInput, NeedsToken, RateLimited,
    ))]
async fn challenge_factor(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
    Path(factor_id): Path<String>,
    body: Bytes,
) -> AuthResult<Json<Value>> {
    session_of(&me)?;
    policy::limit_ip(&state, &client).await?;
    let factor = my_factor(&state, &me, &factor_id).await?;
    if factor.factor_type == "webauthn" {
        let body = match body.is_empty() {
            true => webauthn::ChallengeBody::default(),
            false => serde_json::from_slice(&body).map_err(|e| {
                AuthError::validation(format!("the body is not a challenge's JSON: {e}"))
            })?,
        };
        return webauthn::challenge(&state, &me, &client, &factor, body).await.map(Json);
    }
    let id = Uuid::now_v7();
    let now = state.clock.now();
    let expired_before = now - chrono::Duration::seconds(CHALLENGE_TTL_SECS);
    let mut tx = state.db().begin().await?;
    factors::insert_challenge(&mut *tx, id, factor.id, now, expired_before).await?;
    let payload = json!({ "factor_id": factor.id, "factor_status": factor.status });
    audit::record(&mut *tx, audit_event(&me, &client, "challenge_created", payload)).await?;
    tx.commit().await?;
    Ok(Json(json!({
        "id": id,
        "type": "totp",
        "expires_at": now.timestamp() + CHALLENGE_TTL_SECS,
    })))
}

/// What auth-js's `mfa.verify` sends.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = FactorVerifyBody)]
struct VerifyBody {
    challenge_id: String,
    /// The six-digit code, or one of the person's recovery codes (`xxxxx-xxxxx`).
    code: Option<String>,
    /// A `webauthn` factor's answer instead of a code.
    webauthn: Option<webauthn::VerifyParams>,
}

/// Answer a challenge
///
/// A code is good within one 30-second step either way of now, once. A recovery code is
/// accepted in place of it (once) for a verified factor. Success raises the session to `aal2`
/// (`amr` gains `totp` or `recovery_code`) and answers its new tokens; the first success
/// verifies the factor. Too many wrong codes for the factor or the account lock further
/// attempts out for a while. A `webauthn` factor is answered with `webauthn` (`type`, `rpId`,
/// `rpOrigins`, `credential_response`: the authenticator's `PublicKeyCredential.toJSON()`)
/// instead of `code`; a wrong signature, origin or RP id, or a signature counter that went back
/// (a cloned authenticator) is `mfa_verification_failed` and counts towards the lockout.
#[utoipa::path(post, path = "/factors/{factor_id}/verify", tag = "mfa", security(("bearer" = [])),
    params(("factor_id" = String, Path, description = "The factor's id")),
    request_body = VerifyBody,
    responses(
        (status = 200, description = "The session, now `aal2`", body = schemas::Session),
        (status = 404, description = "No such factor or challenge of the person's (`mfa_factor_not_found`)", body = schemas::GoTrueError),
        (status = 422, description = "A wrong or used code or WebAuthn credential (`mfa_verification_failed`), an answered or expired challenge (`mfa_challenge_expired`), a credential already registered (`webauthn_credential_exists`), another relying party named (`webauthn_rp_mismatch`)", body = schemas::GoTrueError),
        (status = 429, description = "Too many wrong codes lately, or too many requests (`over_request_rate_limit`); `Retry-After` says when to try again", body = schemas::GoTrueError),
        BadInput, NeedsToken,
    ))]
async fn verify_factor(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
    Path(factor_id): Path<String>,
    AuthJson(body): AuthJson<VerifyBody>,
) -> AuthResult<Json<Value>> {
    let session_id = session_of(&me)?;
    policy::limit_ip(&state, &client).await?;
    let factor = my_factor(&state, &me, &factor_id).await?;
    mfa::check_lockout(&state, me.user_id, factor.id).await?;
    let recovery = body.code.as_deref().is_some_and(mfa::looks_like_recovery_code);
    if factor.factor_type == "webauthn" && !(recovery && factor.is_verified()) {
        let (challenge_id, params) = (&body.challenge_id, body.webauthn);
        return webauthn::verify(&state, &me, &client, session_id, &factor, challenge_id, params)
            .await
            .map(Json);
    }
    let code = body.code.ok_or_else(|| AuthError::validation("code is required"))?;
    let challenge_id: Uuid = body.challenge_id.parse().map_err(|_| {
        AuthError::not_found(
            "mfa_factor_not_found",
            "MFA factor with the provided challenge ID not found",
        )
    })?;
    let challenge =
        factors::find_challenge(state.db(), challenge_id, factor.id).await?.ok_or_else(|| {
            AuthError::not_found(
                "mfa_factor_not_found",
                "MFA factor with the provided challenge ID not found",
            )
        })?;
    let now = state.clock.now();
    if challenge.verified_at.is_some()
        || now.timestamp() - challenge.created_at.timestamp() > CHALLENGE_TTL_SECS
    {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "mfa_challenge_expired",
            format!(
                "MFA challenge {} has expired, verify against another challenge or create a new challenge.",
                challenge.id
            ),
        ));
    }
    let code = code.trim();
    let wrong = || {
        AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "mfa_verification_failed",
            "Invalid TOTP code entered",
        )
    };

    let mut tx = state.db().begin().await?;
    let method = if factor.is_verified() && mfa::looks_like_recovery_code(code) {
        let hash = mfa::recovery_code_hash(code);
        if !factors::use_recovery_code(&mut *tx, me.user_id, &hash, now).await? {
            tx.rollback().await?;
            mfa::record_failure(&state, &client, me.user_id, factor.id, "recovery_code").await?;
            return Err(wrong());
        }
        if !factors::accept_step(&mut tx, factor.id, challenge.id, None, now).await? {
            return Err(wrong());
        }
        "recovery_code"
    } else {
        let secret = seal::open(&state.mfa_key, factor.id, &factor.secret_sealed)?;
        let step = totp::matching_step(&secret, code, now.timestamp(), factor.last_step);
        // `accept_step` refuses a step already used, even by a request racing this one.
        let accepted = match step {
            Some(step) => {
                factors::accept_step(&mut tx, factor.id, challenge.id, Some(step), now).await?
            }
            None => false,
        };
        if !accepted {
            tx.rollback().await?;
            let reason = if step.is_some() { "replayed" } else { "wrong_code" };
            mfa::record_failure(&state, &client, me.user_id, factor.id, reason).await?;
            return Err(wrong());
        }
        "totp"
    };
    factors::delete_unverified(&mut *tx, me.user_id).await?;
    factors::clear_failures(&mut *tx, me.user_id).await?;
    let payload = json!({ "factor_id": factor.id, "challenge_id": challenge.id, "method": method });
    audit::record(&mut *tx, audit_event(&me, &client, "verification_attempted", payload)).await?;
    let issued = session::elevate(&state, &mut tx, me.user_id, session_id, method).await?;
    tx.commit().await?;
    Ok(Json(issued.to_json()))
}
