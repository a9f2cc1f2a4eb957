//! `GET /health` and `GET /settings`, as Supabase Auth answers them.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health)).route("/settings", get(settings))
}

async fn health() -> Json<Value> {
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "name": "posey-auth",
        "description": "Posey's auth service, speaking Supabase Auth's API",
    }))
}

async fn settings(State(state): State<AppState>) -> Json<Value> {
    let s = state.settings();
    Json(json!({
        "external": { "email": true, "phone": false, "anonymous_users": false },
        "disable_signup": s.disable_signup,
        "mailer_autoconfirm": s.mailer_autoconfirm,
        "phone_autoconfirm": false,
        "sms_provider": "",
        "saml_enabled": false,
    }))
}
