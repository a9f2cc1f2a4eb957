//! The agents service's routes. Each resource gets its own module exposing `router()`.

mod actions;
mod agents;
mod conversations;
mod mcp;
mod messages;
mod models;
mod openai;
pub mod openapi;
mod service;
mod usage_limit;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use posey_http::ApiError;
use posey_http::auth::bearer_token;
use posey_http::params::{Page, parse_id};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::plugins::Credential;
use crate::state::AppState;

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
        .merge(plugins)
}

/// The routes `api` describes, `/mcp`, and the finished document at `GET /openapi.json`.
pub fn router(state: AppState, plugins: OpenApiRouter<AppState>) -> Router<AppState> {
    let (router, document) = api(plugins).split_for_parts();
    router.merge(mcp::router(state)).merge(posey_http::openapi::serve(&openapi::finish(document)))
}

/// A [`Person`] with the token they came with, for routes that run turns or tools: the turn's
/// calls to other services (the schedule plugin's to cron) speak with it.
pub struct PersonWithToken(pub Uuid, pub Credential);

impl FromRequestParts<AppState> for PersonWithToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Person(person) = Person::from_request_parts(parts, state).await?;
        // Verified just now, so the header holds a bearer token.
        let token = bearer_token(&parts.headers).unwrap_or_default();
        Ok(Self(person, Credential::Person(token.into())))
    }
}
