//! Errors of the provider's machine-facing endpoints (token, revocation, introspection,
//! userinfo), in OAuth's shape (RFC 6749 5.2, RFC 6750 3): `{"error", "error_description"}`.
//! Unexpected failures keep the service's own 500 (GoTrue's shape, the cause logged).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::AuthError;

#[derive(Debug)]
pub enum OAuthError {
    Client {
        status: StatusCode,
        error: &'static str,
        description: String,
        /// The `WWW-Authenticate` challenge to send with a 401.
        challenge: Option<&'static str>,
    },
    Other(AuthError),
}

pub type OAuthResult<T> = Result<T, OAuthError>;

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self::Client {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
            challenge: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new("invalid_request", description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new("invalid_grant", description)
    }

    /// 401 `invalid_client`, with a Basic challenge (RFC 6749 5.2).
    pub fn invalid_client() -> Self {
        Self::Client {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "Client authentication failed".into(),
            challenge: Some("Basic realm=\"posey\""),
        }
    }

    /// 401 `invalid_token` for a bearer token (RFC 6750 3.1).
    pub fn invalid_token(description: impl Into<String>) -> Self {
        Self::Client {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_token",
            description: description.into(),
            challenge: Some("Bearer error=\"invalid_token\""),
        }
    }
}

impl From<AuthError> for OAuthError {
    fn from(e: AuthError) -> Self {
        Self::Other(e)
    }
}

impl From<sqlx::Error> for OAuthError {
    fn from(e: sqlx::Error) -> Self {
        Self::Other(AuthError::from(e))
    }
}

impl From<anyhow::Error> for OAuthError {
    fn from(e: anyhow::Error) -> Self {
        Self::Other(AuthError::Internal(e))
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        match self {
            Self::Client { status, error, description, challenge } => {
                let body = json!({ "error": error, "error_description": description });
                let mut response = (status, axum::Json(body)).into_response();
                let headers = response.headers_mut();
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                if let Some(challenge) = challenge {
                    headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
                }
                response
            }
            // A rate limit keeps its 429 and Retry-After, in OAuth's words.
            Self::Other(AuthError::RateLimited { retry_after, .. }) => {
                let body = json!({
                    "error": "slow_down",
                    "error_description": "Too many requests; try again later",
                });
                let mut response =
                    (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, retry_after.as_secs().max(1).into());
                response
            }
            Self::Other(AuthError::Client { status, message, .. }) => {
                let body = json!({ "error": "invalid_request", "error_description": message });
                (status, axum::Json(body)).into_response()
            }
            Self::Other(other) => other.into_response(),
        }
    }
}
