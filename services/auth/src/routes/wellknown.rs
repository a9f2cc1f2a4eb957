//! `/.well-known/jwks.json`: the public keys every service verifies access tokens with (the
//! OpenID discovery document is the provider's, in `routes::oauth::discovery`).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AuthResult;
use crate::routes::openapi::schemas;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(jwks))
}

/// The public keys of access tokens
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "keys",
    responses((status = 200, description = "The JWKS (cacheable for 10 minutes)", body = schemas::Jwks)))]
async fn jwks(State(state): State<AppState>) -> AuthResult<impl IntoResponse> {
    let keys = state.keys.jwks().await?;
    // Verifiers cache it; a new key is picked up on first sight of its kid anyway.
    Ok(([(header::CACHE_CONTROL, "public, max-age=600")], Json(keys)))
}
