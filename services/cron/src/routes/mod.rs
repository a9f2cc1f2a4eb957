//! The cron service's routes. Each resource gets its own module exposing `router()`.

mod notifications;
mod push;
mod runs;
mod tasks;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use posey_http::ApiError;
use posey_http::auth::Authenticated;
use serde::Deserialize;
use uuid::Uuid;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(tasks::router())
        .merge(runs::router())
        .merge(notifications::router())
        .merge(push::router())
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
        Ok(Self(user.as_uuid()))
    }
}

/// An id from the path; one that is not a UUID names nothing, so it is a 404 like any other.
fn parse_id(raw: &str, what: &str) -> Result<Uuid, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound(format!("no such {what}")))
}

/// `?limit=&offset=` for the paged lists.
#[derive(Debug, Deserialize)]
struct Page {
    limit: Option<i64>,
    offset: Option<i64>,
}

impl Page {
    const DEFAULT: i64 = 50;
    const MAX: i64 = 200;

    fn limit(&self) -> i64 {
        self.limit.unwrap_or(Self::DEFAULT).clamp(1, Self::MAX)
    }

    fn offset(&self) -> i64 {
        self.offset.unwrap_or(0).max(0)
    }
}

/// Collects every bad field of a request, so one 422 names them all.
#[derive(Debug, Default)]
struct Invalid(BTreeMap<String, Vec<String>>);

impl Invalid {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_owned()).or_default().push(message.into());
    }

    fn check(self) -> Result<(), ApiError> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::Validation(self.0)) }
    }
}
