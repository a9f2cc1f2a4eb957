//! Posey's recovery codes: `POST /mfa/recovery-codes`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::common::{audit_event, session_of};
use crate::db::{audit, factors};
use crate::error::{AuthError, AuthResult};
use crate::extract::{Client, CurrentUser};
use crate::mfa;
use crate::routes::openapi::{NeedsAal2, schemas};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_recovery_codes))
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
