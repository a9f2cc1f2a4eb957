//! `/.well-known/jwks.json` (the public keys every service verifies access tokens with) and the
//! OpenID discovery document.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AuthResult;
use crate::routes::openapi::schemas;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(jwks)).routes(routes!(openid_configuration))
}

/// The public keys of access tokens
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "keys",
    responses((status = 200, description = "The JWKS (cacheable for 10 minutes)", body = schemas::Jwks)))]
async fn jwks(State(state): State<AppState>) -> AuthResult<impl IntoResponse> {
    let keys = state.keys.jwks().await?;
    // Verifiers cache it; a new key is picked up on first sight of its kid anyway.
    Ok(([(header::CACHE_CONTROL, "public, max-age=600")], Json(keys)))
}

/// OpenID discovery
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "keys",
    responses((status = 200, description = "Where the keys and endpoints are", body = schemas::OpenIdConfiguration)))]
async fn openid_configuration(State(state): State<AppState>) -> impl IntoResponse {
    let issuer = &state.settings().issuer;
    Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/user"),
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "grant_types_supported": ["password", "refresh_token", "pkce", "client_credentials", "app_password"],
        "claims_supported": ["iss", "aud", "sub", "exp", "iat", "email", "role", "aal", "amr", "session_id"],
    }))
}
