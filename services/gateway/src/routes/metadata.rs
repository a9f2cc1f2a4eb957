//! Operator endpoints (admin secret): `POST /v1/metadata/reload` re-reads the metadata file and
//! the database catalog now rather than at the next poll; `GET /v1/subscriptions/stats` shows how
//! subscriptions are multiplexed (pollers = query shapes, groups = parameter sets).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::catalog::Access;
use crate::errors::GatewayError;
use crate::session::Credentials;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/metadata/reload", post(reload_metadata))
        .route("/v1/subscriptions/stats", get(subscription_stats))
}

async fn require_admin(state: &AppState, headers: &HeaderMap) -> Result<(), GatewayError> {
    let credentials = Credentials::from_headers(headers);
    if credentials.admin_secret.is_none() {
        return Err(GatewayError::access_denied("the x-hasura-admin-secret header is required"));
    }
    match credentials.resolve(&state.config.engine, &state.verifier).await?.access {
        Access::Admin => Ok(()),
        Access::Role(_) => Err(GatewayError::access_denied("admin access is required")),
    }
}

async fn reload_metadata(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(error) = require_admin(&state, &headers).await {
        return error.into_response();
    }
    match state.gateway.reload().await {
        Ok(changed) => {
            Json(serde_json::json!({ "message": "success", "changed": changed })).into_response()
        }
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "metadata reload failed");
            GatewayError::new("invalid-configuration", format!("{error:#}")).into_response()
        }
    }
}

async fn subscription_stats(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match require_admin(&state, &headers).await {
        Ok(()) => Json(state.gateway.live.stats()).into_response(),
        Err(error) => error.into_response(),
    }
}
