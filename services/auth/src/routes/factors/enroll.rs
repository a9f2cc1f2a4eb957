//! `POST /factors` and `DELETE /factors/{factor_id}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::common::{audit_event, factor_not_found, my_factor, session_of};
use crate::db::{audit, factors, users};
use crate::error::{AuthError, AuthResult};
use crate::extract::{AuthJson, Client, CurrentUser};
use crate::mfa::{self, seal, totp};
use crate::policy;
use crate::routes::openapi::{BadInput, NeedsAal2, NeedsToken, RateLimited, schemas};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(enroll_factor)).routes(routes!(unenroll_factor))
}

/// GoTrue's limit on a person's factors, verified or not.
const MAX_FACTORS: i64 = 10;

/// What auth-js's `mfa.enroll` sends.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct EnrollBody {
    /// `totp`, or `webauthn` (a passkey or security key, registered at its first challenge).
    factor_type: String,
    friendly_name: Option<String>,
    /// The name apps show beside the code (default: the site URL's host).
    issuer: Option<String>,
}

/// Enrol a TOTP or WebAuthn factor
///
/// The factor starts `unverified`; its first successful verification verifies it. A TOTP
/// factor's secret is shown here only; a `webauthn` factor's credential is registered by the
/// ceremony its first challenge starts. A person who already has a verified factor must be at
/// `aal2`.
#[utoipa::path(post, path = "/factors", tag = "mfa", security(("bearer" = [])),
    request_body = EnrollBody,
    responses(
        (status = 200, description = "The new factor; a TOTP one with its secret, `otpauth://` URI and QR code (an SVG document)", body = schemas::EnrolledFactor),
        (status = 422, description = "Not `totp` or `webauthn` (`validation_failed`), passkeys unavailable on this install (`webauthn_not_configured`), the name is taken (`mfa_factor_name_conflict`), or too many factors (`too_many_enrolled_mfa_factors`)", body = schemas::GoTrueError),
        BadInput, NeedsAal2, RateLimited,
    ))]
async fn enroll_factor(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
    AuthJson(body): AuthJson<EnrollBody>,
) -> AuthResult<Json<Value>> {
    session_of(&me)?;
    policy::limit_ip(&state, &client).await?;
    if body.factor_type != "totp" && body.factor_type != "webauthn" {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "factor_type must be totp or webauthn: the kinds of factor this service enrols",
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
    if body.factor_type == "webauthn" {
        return super::webauthn::enroll(&state, &me, &client, &friendly_name).await.map(Json);
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
