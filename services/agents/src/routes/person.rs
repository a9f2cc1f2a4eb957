//! Who a route runs for, with the token they came with.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use posey_http::ApiError;
use posey_http::auth::{Person, bearer_token};
use uuid::Uuid;

use crate::plugins::Credential;
use crate::state::AppState;

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
