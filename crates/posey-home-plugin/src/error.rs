//! What the plugin's routes and tools can refuse: each becomes the route's status (and the
//! tool's message) with the problem named.

use posey_http::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    #[error("{0}")]
    NotFound(String),
    /// Input that cannot be: HTTP 422, naming the field.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The home's state forbids it (the entity is unavailable, the name is taken, the home
    /// refused the call): HTTP 409.
    #[error("{0}")]
    Conflict(String),
    /// The person has not allowed it (the companion controlling what it was not given):
    /// HTTP 403.
    #[error("{0}")]
    NotAllowed(String),
    /// The connection to the home is down: HTTP 503.
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl HomeError {
    pub fn invalid(field: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self::Invalid { field: field.into(), message: message.to_string() }
    }
}

impl From<sqlx::Error> for HomeError {
    fn from(error: sqlx::Error) -> Self {
        let constraint = error.as_database_error().and_then(|e| e.constraint()).map(str::to_owned);
        match constraint.as_deref() {
            Some("connections_name") => Self::Conflict("a connection with this name exists".into()),
            _ => Self::Internal(error.into()),
        }
    }
}

impl From<HomeError> for ApiError {
    fn from(error: HomeError) -> Self {
        match error {
            HomeError::NotFound(message) => ApiError::NotFound(message),
            HomeError::Invalid { field, message } => ApiError::invalid(field, message),
            HomeError::Conflict(message) => ApiError::Conflict(message),
            HomeError::NotAllowed(message) => ApiError::Forbidden(message),
            HomeError::Unavailable(message) => ApiError::Unavailable(message),
            HomeError::Internal(error) => ApiError::Internal(error),
        }
    }
}
