//! `GET /health` and `GET /settings`, as Supabase Auth answers them.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AuthResult;
use crate::policy::{self, SignupMode};
use crate::routes::openapi::schemas;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health)).routes(routes!(settings))
}

/// The service's name and version
#[utoipa::path(get, path = "/health", tag = "meta",
    responses((status = 200, description = "Name and version", body = schemas::Health)))]
async fn health() -> Json<Value> {
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "name": "posey-auth",
        "description": "Posey's auth service, speaking Supabase Auth's API",
    }))
}

/// Public settings: who may sign up, and with which providers
///
/// GoTrue's public settings (`external`: the upstream providers enabled for `/authorize`);
/// `disable_signup` is true whenever sign-up needs an invite, and Posey's `signup` says who may
/// sign up: `owner` (the install is empty: the first account is its owner), `open` or `invite`.
#[utoipa::path(get, path = "/settings", tag = "accounts",
    responses((status = 200, description = "The settings", body = schemas::Settings)))]
async fn settings(State(state): State<AppState>) -> AuthResult<Json<Value>> {
    let s = state.settings();
    let mode = policy::signup_mode(&state).await?;
    let mut external = json!({ "email": true, "phone": false, "anonymous_users": false });
    for name in crate::external::settings::NAMES {
        external[name] = json!(s.external.find(name).is_some());
    }
    Ok(Json(json!({
        "external": external,
        "disable_signup": mode == SignupMode::Invite,
        "signup": mode.as_str(),
        "mailer_autoconfirm": s.mailer_autoconfirm,
        "phone_autoconfirm": false,
        "sms_provider": "",
        "saml_enabled": false,
    })))
}
