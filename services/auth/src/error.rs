//! `AuthError`: the auth service's errors, in Supabase Auth's (GoTrue's) shape so that its
//! clients understand them. With `X-Supabase-Api-Version: 2024-01-01` (what `@supabase/auth-js`
//! sends) the body is `{"code": "<error_code>", "message": "..."}` and the header is echoed;
//! otherwise it is GoTrue's older `{"code": <status>, "error_code": "...", "msg": "..."}`.
//! Internal detail is logged by the trace layer, never sent.

use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use posey_http::edge::EdgeError;
use posey_http::error::{DATABASE_AWAY, DATABASE_RETRY_AFTER_SECS, InternalCause, database_away};
use posey_http::params::PathIdRejection;
use serde_json::json;

pub const API_VERSION_HEADER: &str = "x-supabase-api-version";
pub const API_VERSION: &str = "2024-01-01";

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A client error with GoTrue's `error_code`.
    #[error("{code}: {message}")]
    Client { status: StatusCode, code: &'static str, message: String },
    #[error("rate limited")]
    RateLimited { retry_after: Duration, code: &'static str },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AuthResult<T> = Result<T, AuthError>;

impl AuthError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::Client { status, code, message: message.into() }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation_failed", message)
    }

    pub fn invalid_credentials() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_credentials", "Invalid login credentials")
    }

    pub fn no_authorization() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "no_authorization",
            "This endpoint requires a Bearer token",
        )
    }

    pub fn bad_jwt(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "bad_jwt", message)
    }

    pub fn session_not_found() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "session_not_found",
            "Session from session_id claim in JWT does not exist",
        )
    }

    pub fn not_admin() -> Self {
        Self::new(StatusCode::FORBIDDEN, "not_admin", "User not allowed")
    }

    /// A service client's token without the scope `admin` at the admin API.
    pub fn service_not_admin() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "not_admin",
            "this service token lacks the scope \"admin\" (AUTH_SERVICE_CLIENT_SCOPES)",
        )
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Self::Client { status, code, message } => (*status, *code, message.clone()),
            Self::RateLimited { retry_after, code } => (
                StatusCode::TOO_MANY_REQUESTS,
                code,
                format!(
                    "For security purposes, you can only request this after {} seconds.",
                    retry_after.as_secs().max(1)
                ),
            ),
            // The database restarting: a moment's wait, not a fault (GoTrue has no code for it).
            Self::Internal(cause) if database_away(cause) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unexpected_failure", DATABASE_AWAY.into())
            }
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "unexpected_failure",
                "Unexpected failure, please check server logs for more information".into(),
            ),
        }
    }
}

/// What the version middleware needs to rewrite the body for new-style clients.
#[derive(Debug, Clone)]
struct ErrorParts {
    code: &'static str,
    message: String,
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        let body = json!({ "code": status.as_u16(), "error_code": code, "msg": message });
        let mut response = (status, axum::Json(body)).into_response();
        response.extensions_mut().insert(ErrorParts { code, message });
        match self {
            Self::RateLimited { retry_after, .. } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, retry_after.as_secs().max(1).into());
            }
            Self::Internal(cause) => {
                if database_away(&cause) {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, DATABASE_RETRY_AFTER_SECS.into());
                }
                response
                    .extensions_mut()
                    .insert(InternalCause(std::sync::Arc::new(format!("{cause:#}"))));
            }
            Self::Client { .. } => {}
        }
        response
    }
}

/// An id in the path that does not parse names nothing: GoTrue's 404 for what it names.
impl From<PathIdRejection> for AuthError {
    fn from(rejection: PathIdRejection) -> Self {
        match rejection {
            PathIdRejection::NoSuch { noun: "user" } => {
                Self::not_found("user_not_found", "User not found")
            }
            PathIdRejection::NoSuch { noun: "session" } => {
                Self::not_found("session_not_found", "Session not found")
            }
            PathIdRejection::NoSuch { noun: "invite" } => {
                Self::not_found("invite_not_found", "Invite not found")
            }
            PathIdRejection::NoSuch { noun } => {
                Self::not_found("not_found", format!("no such {noun}"))
            }
            PathIdRejection::Misrouted(_) => Self::Internal(rejection.into()),
        }
    }
}

impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

/// Whether the client asked for the newer error shape.
fn wants_new(headers: &HeaderMap) -> bool {
    headers.get(API_VERSION_HEADER).and_then(|v| v.to_str().ok()).is_some_and(|v| v >= API_VERSION)
}

/// The errors the shared layers answer themselves (an unknown route, a wrong method, a NUL in
/// the URI, a plain-text rejection), in GoTrue's shape and the client's API version.
pub fn edge_shape(headers: &HeaderMap, error: EdgeError) -> Response {
    let code = match error.code {
        "bad_request" => "validation_failed",
        "payload_too_large" => "request_too_large",
        "unsupported_media_type" => "bad_json",
        "rate_limited" => "over_request_rate_limit",
        "internal" | "unavailable" => "unexpected_failure",
        code => code,
    };
    let message = match error.fields {
        Some(fields) => fields
            .iter()
            .map(|(field, messages)| format!("{field}: {}", messages.join(", ")))
            .collect::<Vec<_>>()
            .join("; "),
        None => error.message,
    };
    let response = AuthError::new(error.status, code, message).into_response();
    if wants_new(headers) { versioned(response) } else { response }
}

/// Answers errors in the shape the client's API version asks for.
pub async fn api_version(request: Request, next: Next) -> Response {
    let wants_new = wants_new(request.headers());
    let response = next.run(request).await;
    if !wants_new {
        return response;
    }
    versioned(response)
}

/// A response for a client of the newer API version: the header echoed, an error reworded.
fn versioned(mut response: Response) -> Response {
    response.headers_mut().insert(API_VERSION_HEADER, HeaderValue::from_static(API_VERSION));
    if let Some(parts) = response.extensions_mut().remove::<ErrorParts>() {
        let (head, _) = response.into_parts();
        let body = json!({ "code": parts.code, "message": parts.message });
        let mut rewritten = (head.status, axum::Json(body)).into_response();
        for (name, value) in &head.headers {
            if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
                rewritten.headers_mut().insert(name.clone(), value.clone());
            }
        }
        *rewritten.extensions_mut() = head.extensions;
        return rewritten;
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;

    use super::*;

    #[tokio::test]
    async fn a_database_out_of_reach_is_a_503_to_retry_and_a_fault_a_500() {
        let away = AuthError::from(sqlx::Error::PoolTimedOut).into_response();
        assert_eq!(away.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(away.headers()[header::RETRY_AFTER], "2");
        let body = to_bytes(away.into_body(), 1 << 16).await.expect("body");
        let body: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(body["msg"], DATABASE_AWAY);

        let fault = AuthError::from(sqlx::Error::RowNotFound).into_response();
        assert_eq!(fault.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(fault.headers().get(header::RETRY_AFTER).is_none());
    }
}
