//! Posey's addition: `GET /user/export`, what auth keeps of the signed-in person beside their
//! account (`GET /user`), for their export: linked identities, passkeys, app passwords, the apps
//! they let in, their sessions and their sign-in history. Secrets never leave: no hash, key or
//! token is read. The agents service's `GET /v1/me/export` puts it in the zip.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::db::account_export::{
    self, ExportAppPassword, ExportAuditEntry, ExportConsent, ExportGrant, ExportIdentity,
    ExportPasskey, ExportSession,
};
use crate::error::AuthResult;
use crate::extract::CurrentUser;
use crate::routes::openapi::NeedsAal2;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_current_user))
}

/// What auth keeps of the person beside their account.
#[derive(Debug, Serialize, ToSchema)]
struct AccountExport {
    user_id: Uuid,
    exported_at: DateTime<Utc>,
    /// Accounts at upstream providers that sign them in.
    identities: Vec<ExportIdentity>,
    /// WebAuthn credentials, as passkeys or second factors.
    passkeys: Vec<ExportPasskey>,
    app_passwords: Vec<ExportAppPassword>,
    /// Apps they let act for them through Posey's OpenID provider.
    oauth_consents: Vec<ExportConsent>,
    /// Each time such an app signed in as them.
    oauth_grants: Vec<ExportGrant>,
    /// Their signed-in devices.
    sessions: Vec<ExportSession>,
    /// The audit log's entries about them (sign-ins, failed attempts, changes), oldest first.
    audit_log: Vec<ExportAuditEntry>,
}

/// Everything auth keeps of the signed-in person beside their account, for their export
///
/// Linked upstream identities, passkeys (names and dates), app passwords (names and dates), the
/// apps granted through the OpenID provider (consents and grants), sessions, and the audit
/// log's entries about them. No secret is in it: no hash, key or token. Like the session list,
/// it takes an `aal2` session when the person has a verified MFA factor.
#[utoipa::path(get, path = "/user/export", tag = "accounts", operation_id = "export_current_user",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What auth keeps of the person", body = AccountExport),
        NeedsAal2,
    ))]
async fn export_current_user(
    State(state): State<AppState>,
    me: CurrentUser,
) -> AuthResult<Json<AccountExport>> {
    // Sessions and sign-in history name places and devices: the rule of `GET /sessions`.
    let message = "AAL2 required to export the account";
    crate::mfa::require_aal2(&state, &me, StatusCode::FORBIDDEN, message).await?;
    let mut tx = state.db().begin().await?;
    let held = account_export::held(&mut tx, me.user_id).await?;
    tx.commit().await?;
    Ok(Json(AccountExport {
        user_id: me.user_id,
        exported_at: state.clock.now(),
        identities: held.identities,
        passkeys: held.passkeys,
        app_passwords: held.app_passwords,
        oauth_consents: held.consents,
        oauth_grants: held.grants,
        sessions: held.sessions,
        audit_log: held.audit,
    }))
}
