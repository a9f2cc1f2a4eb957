//! The person a task or run route works for, which the agents service may name for a person.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use posey_http::ApiError;
use posey_http::auth::{Authenticated, acting_person, scopes};
use uuid::Uuid;

use crate::state::AppState;

/// The person a task route works for: a person's own token, or a service client's token (the
/// agents service running a turn cron started) granted `cron:act-for-person` naming the person
/// in `X-Posey-Person`. A person's token naming someone else is a 403, and so is a service
/// token without that scope.
pub struct ActingPerson(pub Uuid);

impl FromRequestParts<AppState> for ActingPerson {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Authenticated(claims) = Authenticated::from_request_parts(parts, state).await?;
        Ok(Self(acting_person(&claims, &parts.headers, scopes::CRON_ACT_FOR_PERSON)?))
    }
}
