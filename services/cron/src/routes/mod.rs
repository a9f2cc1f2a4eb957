//! The cron service's routes. Each resource gets its own module exposing `router()`; the
//! parts they share (`acting_person`, `invalid`, `openapi`) sit below them, not in this module.

mod acting_person;
mod export;
mod invalid;
mod notifications;
pub mod openapi;
mod push;
mod runs;
mod status;
mod tasks;

use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every route, each with its OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(tasks::router())
        .merge(runs::router())
        .merge(notifications::router())
        .merge(push::router())
        .merge(status::router())
        .merge(export::router())
}

/// The routes, and their finished document at `GET /openapi.json`.
pub fn router() -> Router<AppState> {
    let (router, document) = api().split_for_parts();
    router.merge(posey_http::openapi::serve(&openapi::finish(document)))
}

/// The whole document: the routers' paths, then what every operation shares.
pub fn document() -> utoipa::openapi::OpenApi {
    openapi::finish(api().into_openapi())
}
