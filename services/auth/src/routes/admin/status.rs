//! `GET /admin/status` (Posey): how this install's auth is set up, for the owner's settings page:
//! whether email goes out (SMTP) or stays in the outbox, and who may sign up. Each service
//! reports its own part (cron: Web Push and notification email at its `/v1/status`).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::db::{install, invites};
use crate::error::AuthResult;
use crate::extract::Admin;
use crate::policy;
use crate::routes::openapi::{NeedsAdmin, schemas};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(status))
}

/// How the install's auth is set up: email, sign-up, invites
#[utoipa::path(get, path = "/admin/status", tag = "admin", operation_id = "admin_status", security(("bearer" = [])),
    responses((status = 200, description = "The status", body = schemas::Status), NeedsAdmin))]
async fn status(State(state): State<AppState>, _: Admin) -> AuthResult<Json<Value>> {
    let settings = state.settings();
    let smtp = state.mailer.uses_smtp();
    let mode = policy::signup_mode(&state).await?;
    Ok(Json(json!({
        "email": {
            "configured": smtp,
            "transport": if smtp { "smtp" } else { "outbox" },
            "from": settings.smtp_from,
        },
        "signup": {
            "mode": mode.as_str(),
            "open_signup": settings.open_signup,
            "disable_signup": settings.disable_signup,
            "mailer_autoconfirm": settings.mailer_autoconfirm,
            "has_accounts": install::has_accounts(state.db()).await?,
        },
        "invites": {
            "pending": invites::count(state.db()).await?,
            "ttl": settings.invite_ttl.as_secs(),
            "url": settings.invite_url.as_str(),
        },
        "site_url": settings.site_url.as_str(),
    })))
}
