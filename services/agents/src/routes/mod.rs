//! The agents service's routes. Each resource gets its own module exposing `router()`.

mod agents;
mod conversations;
mod mcp;
mod messages;
mod openai;
mod openapi;
mod service;
mod usage_limit;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use posey_http::ApiError;
use posey_http::auth::Authenticated;
use posey_http::params::{Page, parse_id};
use uuid::Uuid;

use crate::state::AppState;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(mcp::router(state))
        .merge(conversations::router())
        .merge(messages::router())
        .merge(agents::router())
        .merge(openai::router())
        .merge(openapi::router())
        .merge(service::router())
}

/// The person a verified access token speaks for; service tokens have no person and get a 403.
pub struct Person(pub Uuid);

impl FromRequestParts<AppState> for Person {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Authenticated(claims) = Authenticated::from_request_parts(parts, state).await?;
        let user = claims
            .user_id()
            .ok_or_else(|| ApiError::Forbidden("this API needs a person's access token".into()))?;
        // The schedule plugin calls cron as the person, with their token.
        if state.config.cron_url.is_some()
            && let Some(token) = parts
                .headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| {
                    value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))
                })
        {
            crate::plugins::schedule::remember_token(user.as_uuid(), token.trim(), claims.exp);
        }
        Ok(Self(user.as_uuid()))
    }
}
