//! The agents service's routes. Each resource gets its own module exposing `router()`.

mod actions;
mod agents;
mod conversations;
mod mcp;
mod messages;
mod models;
mod openai;
pub mod openapi;
mod person;
mod service;
mod usage_limit;

use axum::Router;
use posey_http::auth::bearer_token;
use posey_http::params::Page;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub use person::PersonWithToken;
/// The person a verified access token speaks for (shared by the services, in posey-http).
pub use posey_http::auth::Person;

/// Every route but `/mcp` (a service built with the state, described in the document's fixed
/// part), each with its OpenAPI description, and `plugins`' routes with theirs.
pub fn api(plugins: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(conversations::router())
        .merge(messages::router())
        .merge(agents::router())
        .merge(models::router())
        .merge(openai::router())
        .merge(service::router())
        .merge(actions::router())
        .merge(crate::export::router())
        .merge(plugins)
}

/// The routes `api` describes, `/mcp`, and the finished document at `GET /openapi.json`.
pub fn router(state: AppState, plugins: OpenApiRouter<AppState>) -> Router<AppState> {
    let (router, document) = api(plugins).split_for_parts();
    router.merge(mcp::router(state)).merge(posey_http::openapi::serve(&openapi::finish(document)))
}

/// The document of a service with the built-in plugins, without running one (what
/// `GET /openapi.json` serves when no other plugin serves routes).
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = api(OpenApiRouter::new()).into_openapi();
    for plugin in openapi::builtin_plugin_documents() {
        document.merge(plugin);
    }
    openapi::finish(document)
}
