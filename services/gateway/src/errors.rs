//! Errors in GraphQL's shape with Hasura's `extensions.code` (`validation-failed`,
//! `permission-error`, `constraint-violation`, `invalid-jwt`, ...). Database detail is logged
//! here and never sent.

use async_graphql::ErrorExtensions;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone)]
pub struct GatewayError {
    pub code: &'static str,
    pub message: String,
}

impl GatewayError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("validation-failed", message)
    }

    pub fn permission(message: impl Into<String>) -> Self {
        Self::new("permission-error", message)
    }

    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new("access-denied", message)
    }

    pub fn invalid_jwt(message: impl Into<String>) -> Self {
        Self::new("invalid-jwt", message)
    }

    /// A database error as the client may see it: the database out of reach as
    /// `database-unavailable` (to try again), constraint violations and bad values by kind,
    /// anything else as `unexpected` (logged with its detail).
    pub fn from_db(error: &sqlx::Error) -> Self {
        if posey_http::error::sqlx_database_away(error) {
            tracing::warn!(error = %error, "the database is out of reach");
            return Self::new("database-unavailable", posey_http::error::DATABASE_AWAY);
        }
        if let Some(db) = error.as_database_error() {
            let constraint = db.constraint().map(|c| format!(" ({c})")).unwrap_or_default();
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            match code.as_str() {
                "23505" => {
                    return Self::new(
                        "constraint-violation",
                        format!("uniqueness violation{constraint}"),
                    );
                }
                "23503" => {
                    return Self::new(
                        "constraint-violation",
                        format!("foreign key violation{constraint}"),
                    );
                }
                "23502" => {
                    return Self::new(
                        "constraint-violation",
                        "a required value is missing (not-null violation)",
                    );
                }
                "23514" => {
                    return Self::new(
                        "constraint-violation",
                        format!("check constraint violation{constraint}"),
                    );
                }
                // A NUL or an unconvertible character in text or jsonb (values are checked
                // for NUL before they are bound; this catches what slips past).
                "22021" | "22P05" => {
                    return Self::new(
                        "data-exception",
                        "a value holds a character the database cannot store (such as NUL, U+0000)",
                    );
                }
                "22P02" | "22007" | "22008" | "22003" | "22001" | "22023" | "2202E" => {
                    return Self::new(
                        "data-exception",
                        "a value is not valid for its column's type",
                    );
                }
                "57014" => {
                    return Self::new(
                        "statement-timeout",
                        "the query took too long and was cancelled",
                    );
                }
                "42501" => return Self::permission("the database refused the operation"),
                _ => {}
            }
        }
        tracing::error!(error = %error, "gateway statement failed");
        Self::new("unexpected", "database query error")
    }

    pub fn into_graphql(self) -> async_graphql::Error {
        let code = self.code;
        async_graphql::Error::new(self.message).extend_with(|_, e| e.set("code", code))
    }

    /// A GraphQL response body carrying this one error.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({
            "errors": [{ "message": self.message, "extensions": { "code": self.code } }]
        })
    }

    fn status(&self) -> StatusCode {
        match self.code {
            "access-denied" | "invalid-jwt" => StatusCode::UNAUTHORIZED,
            "payload-too-large" => StatusCode::PAYLOAD_TOO_LARGE,
            "method-not-allowed" => StatusCode::METHOD_NOT_ALLOWED,
            "unexpected" => StatusCode::INTERNAL_SERVER_ERROR,
            "database-unavailable" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<GatewayError> for async_graphql::Error {
    fn from(error: GatewayError) -> Self {
        error.into_graphql()
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        (self.status(), axum::Json(self.body())).into_response()
    }
}

pub type GResult<T> = Result<T, GatewayError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_out_of_reach_is_said_so_to_try_again() {
        let away = GatewayError::from_db(&sqlx::Error::PoolTimedOut);
        assert_eq!(away.code, "database-unavailable");
        assert_eq!(away.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(away.body()["errors"][0]["extensions"]["code"], "database-unavailable");
        assert_eq!(GatewayError::from_db(&sqlx::Error::RowNotFound).code, "unexpected");
    }
}
