//! Provider metadata: OpenID Connect Discovery (`/.well-known/openid-configuration`) and the
//! same document at RFC 8414's `/.well-known/oauth-authorization-server`. Every endpoint named
//! exists, and every method and algorithm listed is one the code implements.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::oidc::{AUTH_METHODS, GRANT_TYPES, SCOPES, jwe};
use crate::routes::oauth::schemas;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openid_configuration))
        .routes(routes!(authorization_server_metadata))
}

pub fn metadata(issuer: &str) -> Value {
    let at = |path: &str| format!("{issuer}{path}");
    let secret_methods = ["client_secret_basic", "client_secret_post"];
    json!({
        "issuer": issuer,
        "authorization_endpoint": at("/oauth/authorize"),
        "token_endpoint": at("/oauth/token"),
        "userinfo_endpoint": at("/oauth/userinfo"),
        "jwks_uri": at("/.well-known/jwks.json"),
        "end_session_endpoint": at("/oauth/logout"),
        "revocation_endpoint": at("/oauth/revoke"),
        "introspection_endpoint": at("/oauth/introspect"),
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GRANT_TYPES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "id_token_encryption_alg_values_supported": jwe::ALGS,
        "id_token_encryption_enc_values_supported": jwe::ENCS,
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": secret_methods,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp",
            "email", "email_verified", "name", "preferred_username", "updated_at",
        ],
        "prompt_values_supported": ["none", "login", "consent"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
    })
}

/// OpenID discovery
///
/// The OpenID provider's metadata: its endpoints, scopes, grants, client authentication
/// methods and algorithms.
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "keys",
    responses((status = 200, description = "The provider's metadata", body = schemas::ProviderMetadata)))]
async fn openid_configuration(State(state): State<AppState>) -> Json<Value> {
    Json(metadata(&state.settings().issuer))
}

/// OAuth authorization server metadata (RFC 8414)
///
/// The same document as `/.well-known/openid-configuration`.
#[utoipa::path(get, operation_id = "oauth_authorization_server_metadata", path = "/.well-known/oauth-authorization-server", tag = "keys",
    responses((status = 200, description = "The provider's metadata", body = schemas::ProviderMetadata)))]
async fn authorization_server_metadata(State(state): State<AppState>) -> Json<Value> {
    Json(metadata(&state.settings().issuer))
}
