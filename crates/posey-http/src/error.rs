//! `ApiError`: the one error type at the HTTP edge, and the one JSON body every error has:
//! `{"error": {"code": "...", "message": "...", "fields": {...}?}}`.
//! `into_response` has no side effects; 5xx are logged once by the trace layer in `server`.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// A conditional request's condition (`If-Match`) does not hold: what the client read has
    /// changed since.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("validation failed")]
    Validation(BTreeMap<String, Vec<String>>),
    #[error("rate limited")]
    RateLimited { retry_after: Duration },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The body of every error response.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, Vec<String>>>,
}

/// Marker put into the response extensions of an internal error, so the trace layer can log
/// the cause (which the client never sees).
#[derive(Debug, Clone)]
pub struct InternalCause(pub std::sync::Arc<String>);

impl ApiError {
    /// One validation failure on one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(BTreeMap::from([(field.into(), vec![message.into()])]))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(cause) if out_of_space(cause) => StatusCode::INSUFFICIENT_STORAGE,
            Self::Internal(cause) if database_away(cause) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable, machine-readable code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::PreconditionFailed(_) => "precondition_failed",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Validation(_) => "validation_failed",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(cause) if out_of_space(cause) => "insufficient_storage",
            Self::Internal(cause) if database_away(cause) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn body(&self) -> ErrorBody {
        let (message, fields) = match self {
            Self::BadRequest(m)
            | Self::Unauthorized(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::PreconditionFailed(m)
            | Self::PayloadTooLarge(m)
            | Self::UnsupportedMediaType(m)
            | Self::Unavailable(m) => (m.clone(), None),
            Self::Validation(fields) => {
                ("the request has invalid fields".to_owned(), Some(fields.clone()))
            }
            Self::RateLimited { retry_after } => {
                (format!("too many requests; retry after {}s", retry_after.as_secs().max(1)), None)
            }
            // Internal detail is logged, never sent; a full disk is named, as the operator
            // (and the person, who can retry later) must know it.
            Self::Internal(cause) if out_of_space(cause) => {
                ("the server is out of disk space; try again once space is freed".to_owned(), None)
            }
            Self::Internal(cause) if database_away(cause) => (DATABASE_AWAY.to_owned(), None),
            Self::Internal(_) => ("an internal error occurred".to_owned(), None),
        };
        ErrorBody { error: ErrorDetail { code: self.code(), message, fields } }
    }
}

/// Whether `cause` is a full disk (or quota): an I/O error saying so anywhere in its chain
/// (the vector store's refusal of a write on a full disk is one), PostgreSQL's `disk_full`
/// (SQLSTATE 53100), or, for stores whose errors arrive as text, the system's message for it.
/// Such a failure passes once space is freed, so work that meets it waits rather than fails.
pub fn out_of_space(cause: &anyhow::Error) -> bool {
    cause.chain().any(|error| {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            );
        }
        if let Some(sqlx::Error::Database(db)) = error.downcast_ref::<sqlx::Error>() {
            return db.code().as_deref() == Some("53100");
        }
        error.to_string().contains("No space left on device")
    })
}

/// What a person is told while the database cannot be reached.
pub const DATABASE_AWAY: &str = "the database cannot be reached just now; try again in a moment";

/// Seconds a client is asked to wait (`Retry-After`) while the database cannot be reached: a
/// restart takes a few.
pub const DATABASE_RETRY_AFTER_SECS: u32 = 2;

/// Whether `cause` is the database being out of reach rather than a fault in the request or
/// the server: no connection to be had (refused, reset, the pool timed out waiting for one), or
/// PostgreSQL shutting down, starting up or out of connection slots (SQLSTATE classes 08 and
/// 57P, and 53300). Such a request succeeds once the database is back: a 503 with
/// `Retry-After`, not a 500.
pub fn database_away(cause: &anyhow::Error) -> bool {
    cause.chain().any(|error| error.downcast_ref::<sqlx::Error>().is_some_and(sqlx_database_away))
}

/// [`database_away`] for one sqlx error.
pub fn sqlx_database_away(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57P") || code == "53300"
        }),
        _ => false,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        match &self {
            Self::Unauthorized(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            Self::RateLimited { retry_after } => {
                headers.insert(header::RETRY_AFTER, retry_after.as_secs().max(1).into());
            }
            Self::Internal(cause) => {
                if database_away(cause) {
                    headers.insert(header::RETRY_AFTER, DATABASE_RETRY_AFTER_SECS.into());
                }
                response
                    .extensions_mut()
                    .insert(InternalCause(std::sync::Arc::new(format!("{cause:#}"))));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn body_of(err: ApiError) -> (StatusCode, serde_json::Value, Response) {
        let response = err.into_response();
        let status = response.status();
        let (parts, body) = response.into_parts();
        let bytes = to_bytes(body, 1 << 16).await.expect("body");
        let json = serde_json::from_slice(&bytes).expect("json");
        (status, json, Response::from_parts(parts, axum::body::Body::empty()))
    }

    #[tokio::test]
    async fn a_full_disk_is_a_507_that_says_so() {
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        let err = ApiError::Internal(anyhow::Error::new(full).context("writing a file"));
        let (status, json, _) = body_of(err).await;
        assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE);
        assert_eq!(json["error"]["code"], "insufficient_storage");
        assert!(json["error"]["message"].as_str().unwrap().contains("out of disk space"));
        let text = anyhow::anyhow!("Service internal error: No space left on device (os error 28)");
        let (status, ..) = body_of(ApiError::Internal(text.context("upserting"))).await;
        assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE);
        let other = ApiError::Internal(anyhow::anyhow!("connection refused"));
        assert_eq!(body_of(other).await.0, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[tokio::test]
    async fn a_database_out_of_reach_is_a_503_to_retry() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for cause in [sqlx::Error::PoolTimedOut, sqlx::Error::Io(refused)] {
            let err = ApiError::Internal(anyhow::Error::new(cause).context("listing memories"));
            let (status, json, response) = body_of(err).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(json["error"]["code"], "unavailable");
            assert_eq!(json["error"]["message"], DATABASE_AWAY);
            assert_eq!(response.headers()[header::RETRY_AFTER], "2");
            let cause = response.extensions().get::<InternalCause>().expect("cause kept for logs");
            assert!(cause.0.contains("listing memories"), "{}", cause.0);
        }
        // A query that is wrong is still the server's fault.
        let wrong = ApiError::Internal(sqlx::Error::RowNotFound.into());
        assert_eq!(wrong.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[tokio::test]
    async fn internal_errors_hide_their_cause() {
        let err = ApiError::Internal(anyhow::anyhow!("password=hunter2 in a query"));
        let (status, json, response) = body_of(err).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "internal", "message": "an internal error occurred"}})
        );
        let cause = response.extensions().get::<InternalCause>().expect("cause kept for logs");
        assert!(cause.0.contains("hunter2"));
    }

    #[tokio::test]
    async fn validation_names_fields() {
        let (status, json, _) = body_of(ApiError::invalid("email", "is not an address")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(json["error"]["code"], "validation_failed");
        assert_eq!(json["error"]["fields"]["email"][0], "is not an address");
    }

    #[tokio::test]
    async fn rate_limited_sets_retry_after() {
        let err = ApiError::RateLimited { retry_after: Duration::from_secs(7) };
        let (status, json, response) = body_of(err).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(json["error"]["code"], "rate_limited");
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    }

    #[tokio::test]
    async fn unauthorized_challenges_for_a_bearer_token() {
        let (status, _, response) = body_of(ApiError::Unauthorized("expired".into())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            response.headers()[header::WWW_AUTHENTICATE].to_str().unwrap().starts_with("Bearer")
        );
    }
}
