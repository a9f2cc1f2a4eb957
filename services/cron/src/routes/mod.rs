//! The cron service's routes. Each resource gets its own module exposing `router()`.

mod notifications;
pub mod openapi;
mod push;
mod runs;
mod status;
mod tasks;

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use posey_http::ApiError;
use posey_http::auth::{Authenticated, acting_person};
use posey_http::params::{Page, parse_id};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::state::AppState;

/// The person a verified access token speaks for (shared by the services, in posey-http).
pub use posey_http::auth::Person;

/// Every route, each with its OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(tasks::router())
        .merge(runs::router())
        .merge(notifications::router())
        .merge(push::router())
        .merge(status::router())
}

/// The routes, and their finished document at `GET /openapi.json`.
pub fn router() -> Router<AppState> {
    let (router, document) = api().split_for_parts();
    router.merge(posey_http::openapi::serve(&openapi::finish(document)))
}

/// The person a task route works for: a person's own token, or a service client's token (the
/// agents service running a turn cron started) naming the person in `X-Posey-Person`. A
/// person's token naming someone else is a 403.
pub struct ActingPerson(pub Uuid);

impl FromRequestParts<AppState> for ActingPerson {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Authenticated(claims) = Authenticated::from_request_parts(parts, state).await?;
        Ok(Self(acting_person(&claims, &parts.headers)?))
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
