//! `Authenticated`: the claims of a verified bearer token, or a 401 in the standard error shape;
//! `Person`: the person such a token speaks for.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::{Claims, JwksVerifier};
use crate::ApiError;

/// The token of an `Authorization` value `Bearer <token>` (the scheme in either case the
/// clients send), or `None` when it is not one.
pub fn bearer(value: &str) -> Option<&str> {
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?.trim();
    (!token.is_empty()).then_some(token)
}

/// The bearer token of a request's `Authorization` header, if it has one.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(AUTHORIZATION)?.to_str().ok().and_then(bearer)
}

#[derive(Debug, Clone)]
pub struct Authenticated(pub Claims);

impl<S> FromRequestParts<S> for Authenticated
where
    S: Send + Sync,
    Arc<JwksVerifier>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::Unauthorized("missing bearer token".into()))?;
        let token = header.to_str().ok().and_then(bearer).ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header is not `Bearer <token>`".into())
        })?;
        let verifier = Arc::<JwksVerifier>::from_ref(state);
        match verifier.verify(token).await {
            Ok(claims) => Ok(Self(claims)),
            Err(e) if e.is_client_error() => Err(ApiError::Unauthorized(e.to_string())),
            // The JWKS could not be fetched and no key is cached: our fault, not the client's.
            Err(e) => Err(ApiError::Unavailable(e.to_string())),
        }
    }
}

/// The person a verified access token speaks for; a service token has no person and gets a
/// 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person(pub uuid::Uuid);

impl<S> FromRequestParts<S> for Person
where
    S: Send + Sync,
    Arc<JwksVerifier>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Authenticated(claims) = Authenticated::from_request_parts(parts, state).await?;
        let user = claims
            .user_id()
            .ok_or_else(|| ApiError::Forbidden("this API needs a person's access token".into()))?;
        Ok(Self(user.as_uuid()))
    }
}
