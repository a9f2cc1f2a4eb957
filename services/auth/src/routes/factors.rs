//! GoTrue's MFA factor API, TOTP only: enrol (`POST /factors`), challenge, verify (the session
//! steps up to `aal2`) and unenrol; plus Posey's recovery codes (`POST /mfa/recovery-codes`,
//! away from GoTrue's `/factors/...` paths), each accepted once in place of a TOTP code.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::factors::{self, Factor};
use crate::db::users;
use crate::error::{AuthError, AuthResult};
use crate::extract::{AuthJson, Client, CurrentUser};
use crate::mfa::{self, seal, totp};
use crate::routes::openapi::{BadInput, NeedsAal2, NeedsToken, schemas};
use crate::session;
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// GoTrue's limit on a person's factors, verified or not.
const MAX_FACTORS: i64 = 10;

/// How long a challenge may be answered (GoTrue's default).
const CHALLENGE_TTL_SECS: i64 = 300;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(enroll_factor))
        .routes(routes!(unenroll_factor))
        .routes(routes!(challenge_factor))
        .routes(routes!(verify_factor))
        .routes(routes!(create_recovery_codes))
}

fn factor_not_found() -> AuthError {
    AuthError::not_found("mfa_factor_not_found", "Factor not found")
}

/// The bearer's factor `raw_id`; anyone else's (or a malformed id) is not found.
async fn my_factor(state: &AppState, me: &CurrentUser, raw_id: &str) -> AuthResult<Factor> {
    let id: Uuid = raw_id.parse().map_err(|_| factor_not_found())?;
    factors::find_for_user(state.db(), id, me.user_id).await?.ok_or_else(factor_not_found)
}

/// The bearer's session: the factor API needs one (a service token has none).
fn session_of(me: &CurrentUser) -> AuthResult<Uuid> {
    me.session_id.ok_or_else(AuthError::session_not_found)
}

fn audit_event(
    me: &CurrentUser,
    client: &Client,
    action: &'static str,
    payload: Value,
) -> Event<'static> {
    Event {
        action,
        actor_id: Some(me.user_id.to_string()),
        target_id: Some(me.user_id.to_string()),
        ip: client.ip,
        payload,
    }
}

/// What auth-js's `mfa.enroll` sends.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct EnrollBody {
    /// Only `totp`.
    factor_type: String,
    friendly_name: Option<String>,
    /// The name apps show beside the code (default: the site URL's host).
    issuer: Option<String>,
}

/// Enrol a TOTP factor
///
/// The factor starts `unverified`; its first successful verification verifies it. The secret is
/// shown here only. A person who already has a verified factor must be at `aal2`.
#[utoipa::path(post, path = "/factors", tag = "mfa", security(("bearer" = [])),
    request_body = EnrollBody,
    responses(
        (status = 200, description = "The new factor, with its secret, `otpauth://` URI and QR code (an SVG document)", body = schemas::EnrolledFactor),
        (status = 422, description = "Not `totp` (`validation_failed`), the name is taken (`mfa_factor_name_conflict`), or too many factors (`too_many_enrolled_mfa_factors`)", body = schemas::GoTrueError),
        BadInput, NeedsAal2,
    ))]
async fn enroll_factor(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
    AuthJson(body): AuthJson<EnrollBody>,
) -> AuthResult<Json<Value>> {
    session_of(&me)?;
    if body.factor_type != "totp" {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "factor_type must be totp: the only kind of factor this service enrols",
        ));
    }
    let friendly_name = body.friendly_name.unwrap_or_default().trim().to_owned();
    if friendly_name.chars().count() > 100 {
        return Err(AuthError::validation("friendly_name is at most 100 characters"));
    }
    let issuer = match body.issuer.map(|i| i.trim().to_owned()).filter(|i| !i.is_empty()) {
        Some(issuer) if issuer.chars().count() > 100 => {
            return Err(AuthError::validation("issuer is at most 100 characters"));
        }
        Some(issuer) => issuer,
        None => state.settings().site_url.host_str().unwrap_or("Posey").to_owned(),
    };
    mfa::require_aal2(&state, &me, StatusCode::FORBIDDEN, "AAL2 required to enroll a new factor")
        .await?;
    if factors::count_for_user(state.db(), me.user_id).await? >= MAX_FACTORS {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_enrolled_mfa_factors",
            "Maximum number of enrolled factors reached, unenroll to continue",
        ));
    }
    let user = users::find(state.db(), me.user_id)
        .await?
        .ok_or_else(|| AuthError::not_found("user_not_found", "User not found"))?;
    let secret = totp::new_secret();
    let uri = totp::uri(&issuer, &user.email, &secret);
    let qr_code = totp::qr_svg(&uri)?;
    let id = Uuid::now_v7();
    let sealed = seal::seal(&state.mfa_key, id, &secret)?;

    let mut tx = state.db().begin().await?;
    let factor =
        match factors::insert(&mut *tx, id, me.user_id, &friendly_name, &sealed, state.clock.now())
            .await
        {
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
        audit_event(&me, &client, "factor_in_progress", json!({ "factor_id": factor.id })),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({
        "id": factor.id,
        "type": "totp",
        "friendly_name": factor.friendly_name,
        "totp": { "qr_code": qr_code, "secret": secret, "uri": uri },
    })))
}

/// Unenrol a factor
///
/// A person with a verified factor must be at `aal2`. Once no verified factor is left, their
/// sessions are `aal1` again.
#[utoipa::path(delete, path = "/factors/{factor_id}", tag = "mfa", security(("bearer" = [])),
    params(("factor_id" = String, Path, description = "The factor's id")),
    responses(
        (status = 200, description = "Unenrolled", body = schemas::FactorId),
        (status = 404, description = "No such factor of the person's (`mfa_factor_not_found`)", body = schemas::GoTrueError),
        (status = 422, description = "The person has a verified factor and the session is not `aal2` (`insufficient_aal`)", body = schemas::GoTrueError),
        NeedsToken,
    ))]
async fn unenroll_factor(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
    Path(factor_id): Path<String>,
) -> AuthResult<Json<Value>> {
    let session_id = session_of(&me)?;
    let factor = my_factor(&state, &me, &factor_id).await?;
    mfa::require_aal2(
        &state,
        &me,
        StatusCode::UNPROCESSABLE_ENTITY,
        "AAL2 required to unenroll a factor",
    )
    .await?;
    let mut tx = state.db().begin().await?;
    if !factors::delete(&mut tx, factor.id, me.user_id).await? {
        return Err(factor_not_found());
    }
    let payload =
        json!({ "factor_id": factor.id, "factor_status": factor.status, "session_id": session_id });
    audit::record(&mut *tx, audit_event(&me, &client, "factor_unenrolled", payload)).await?;
    tx.commit().await?;
    Ok(Json(json!({ "id": factor.id })))
}

/// Start a challenge
///
/// Answer it within five minutes at `/factors/{factor_id}/verify`.
#[utoipa::path(post, path = "/factors/{factor_id}/challenge", tag = "mfa", security(("bearer" = [])),
    params(("factor_id" = String, Path, description = "The factor's id")),
    responses(
        (status = 200, description = "The challenge", body = schemas::MfaChallenge),
        (status = 404, description = "No such factor of the person's (`mfa_factor_not_found`)", body = schemas::GoTrueError),
        NeedsToken,
    ))]
async fn challenge_factor(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
    Path(factor_id): Path<String>,
) -> AuthResult<Json<Value>> {
    session_of(&me)?;
    let factor = my_factor(&state, &me, &factor_id).await?;
    let id = Uuid::now_v7();
    let now = state.clock.now();
    let mut tx = state.db().begin().await?;
    factors::insert_challenge(&mut *tx, id, factor.id, now).await?;
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
struct VerifyBody {
    challenge_id: String,
    /// The six-digit code, or one of the person's recovery codes (`xxxxx-xxxxx`).
    code: String,
}

/// Answer a challenge
///
/// A code is good within one 30-second step either way of now, once. A recovery code is
/// accepted in place of it (once) for a verified factor. Success raises the session to `aal2`
/// (`amr` gains `totp` or `recovery_code`) and answers its new tokens; the first success
/// verifies the factor. Too many wrong codes for the factor or the account lock further
/// attempts out for a while.
#[utoipa::path(post, path = "/factors/{factor_id}/verify", tag = "mfa", security(("bearer" = [])),
    params(("factor_id" = String, Path, description = "The factor's id")),
    request_body = VerifyBody,
    responses(
        (status = 200, description = "The session, now `aal2`", body = schemas::Session),
        (status = 404, description = "No such factor or challenge of the person's (`mfa_factor_not_found`)", body = schemas::GoTrueError),
        (status = 422, description = "A wrong or used code (`mfa_verification_failed`), or an answered or expired challenge (`mfa_challenge_expired`)", body = schemas::GoTrueError),
        (status = 429, description = "Too many wrong codes lately (`over_request_rate_limit`); `Retry-After` says when to try again", body = schemas::GoTrueError),
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
    let factor = my_factor(&state, &me, &factor_id).await?;
    mfa::check_lockout(&state, me.user_id, factor.id).await?;
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
    let code = body.code.trim();
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

/// New recovery codes (Posey's; GoTrue has none)
///
/// Ten codes, shown only in this answer; they replace any the person had. Each is accepted
/// once in place of a TOTP code at `/factors/{factor_id}/verify`. Needs a verified factor and
/// an `aal2` session.
#[utoipa::path(post, path = "/mfa/recovery-codes", tag = "mfa", security(("bearer" = [])),
    responses(
        (status = 200, description = "The codes (stored only as hashes)", body = schemas::RecoveryCodes),
        (status = 422, description = "No verified factor yet (`mfa_verified_factor_required`)", body = schemas::GoTrueError),
        NeedsAal2,
    ))]
async fn create_recovery_codes(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
) -> AuthResult<Json<Value>> {
    session_of(&me)?;
    if !factors::has_verified(state.db(), me.user_id).await? {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "mfa_verified_factor_required",
            "Verify a factor before making recovery codes",
        ));
    }
    if !mfa::is_aal2(&me) {
        return Err(AuthError::new(
            StatusCode::FORBIDDEN,
            "insufficient_aal",
            "AAL2 required to generate recovery codes",
        ));
    }
    let codes: Vec<String> = (0..mfa::RECOVERY_CODES).map(|_| mfa::new_recovery_code()).collect();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| mfa::recovery_code_hash(c)).collect();
    let mut tx = state.db().begin().await?;
    factors::replace_recovery_codes(&mut tx, me.user_id, &hashes).await?;
    let payload = json!({ "count": codes.len() });
    audit::record(&mut *tx, audit_event(&me, &client, "recovery_codes_generated", payload)).await?;
    tx.commit().await?;
    Ok(Json(json!({ "codes": codes })))
}
