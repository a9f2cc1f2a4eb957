//! The agents service's routes. Each resource gets its own module exposing `router()`.

mod agents;
mod conversations;
mod mcp;
mod messages;
mod models;
mod openai;
mod openapi;
mod service;
mod usage_limit;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use posey_http::ApiError;
use posey_http::auth::bearer_token;
use posey_http::params::{Page, parse_id};
use uuid::Uuid;

use crate::plugins::Credential;
use crate::state::AppState;

/// The person a verified access token speaks for (shared by the services, in posey-http).
pub use posey_http::auth::Person;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(mcp::router(state))
        .merge(conversations::router())
        .merge(messages::router())
        .merge(agents::router())
        .merge(models::router())
        .merge(openai::router())
        .merge(openapi::router())
        .merge(service::router())
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
