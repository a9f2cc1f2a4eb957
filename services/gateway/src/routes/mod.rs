//! The gateway service's routes. Each resource gets its own module exposing `router()`.

mod graphql;
mod metadata;
mod ws;

use axum::Router;
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};

use crate::errors::GatewayError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(graphql::router())
        .merge(metadata::router())
        .method_not_allowed_fallback(method_not_allowed)
}

/// A known path with the wrong method answers in the gateway's error shape, not axum's empty 405.
async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    GatewayError::new("method-not-allowed", format!("{} does not answer {method}", uri.path()))
        .into_response()
}
