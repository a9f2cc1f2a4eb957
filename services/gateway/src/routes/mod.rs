//! The gateway service's routes. Each resource gets its own module exposing `router()`.

mod graphql;
mod metadata;
mod ws;

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().merge(graphql::router()).merge(metadata::router())
}
