//! The agents service's routes. Each resource gets its own module exposing `router()`.

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
