//! Request parameters every REST API reads the same way: `Query` and `Path` extractors whose
//! rejections are the one error shape (a bad query value is a 422 naming the parameter), ids
//! in the path and paged lists. A NUL (`%00`) anywhere in the URI is refused before any
//! extractor runs, by the shared layers in `server`.

use axum::extract::FromRequestParts;
use axum::extract::rejection::PathRejection;
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::ApiError;

/// The query string as `T`; a value that does not fit is a 422 naming its parameter
/// (`limit: invalid digit found in string`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parse_query(parts.uri.query().unwrap_or_default()).map(Self)
    }
}

/// Parses a query string as [`Query`] does.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let pairs = url::form_urlencoded::parse(query.as_bytes());
    serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs)).map_err(|error| {
        let field = match error.path().to_string() {
            path if path == "." => "query".to_owned(),
            path => path,
        };
        ApiError::invalid(field, error.inner().to_string())
    })
}

/// The path's parameters as `T`, with rejections in the one error shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                Err(ApiError::BadRequest(e.body_text()))
            }
            Err(other) => Err(ApiError::Internal(anyhow::anyhow!(other.body_text()))),
        }
    }
}

/// An id from the path; one that is not a UUID names nothing, so it is a 404 like any other.
pub fn parse_id(raw: &str, what: &str) -> Result<Uuid, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound(format!("no such {what}")))
}

/// `?limit=&offset=` for the paged lists: 50 by default, at most 200, offsets from 0.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    #[param(minimum = 1, maximum = 200, default = 50)]
    limit: Option<i64>,
    #[param(minimum = 0, default = 0)]
    offset: Option<i64>,
}

impl Page {
    const DEFAULT: i64 = 50;
    const MAX: i64 = 200;

    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(Self::DEFAULT).clamp(1, Self::MAX)
    }

    pub fn offset(&self) -> i64 {
        self.offset.unwrap_or(0).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_value_that_does_not_fit_names_its_parameter() {
        let fields = |error: ApiError| match error {
            ApiError::Validation(fields) => fields,
            other => panic!("{other:?}"),
        };
        let page: Page = parse_query("limit=5&offset=2").unwrap();
        assert_eq!((page.limit(), page.offset()), (5, 2));
        let problems = fields(parse_query::<Page>("limit=abc").unwrap_err());
        assert_eq!(problems["limit"], ["invalid digit found in string"]);

        #[derive(Debug, Deserialize)]
        struct Search {
            #[allow(dead_code)]
            q: String,
        }
        let problems = fields(parse_query::<Search>("").unwrap_err());
        assert_eq!(problems["query"], ["missing field `q`"]);
    }

    #[test]
    fn pages_are_clamped_and_ids_that_are_not_uuids_are_not_found() {
        let page = |limit, offset| Page { limit, offset };
        assert_eq!((page(None, None).limit(), page(None, None).offset()), (50, 0));
        assert_eq!(page(Some(0), Some(-3)).limit(), 1);
        assert_eq!(page(Some(0), Some(-3)).offset(), 0);
        assert_eq!(page(Some(10_000), Some(7)).limit(), 200);
        assert!(
            matches!(parse_id("nope", "task"), Err(ApiError::NotFound(m)) if m == "no such task")
        );
        assert!(parse_id("0190c7d2-7c4e-7a8e-9b1a-3f2a1c0d4e5f", "task").is_ok());
    }
}
