//! Request parameters every REST API reads the same way: `Query` and `Path` extractors whose
//! rejections are the one error shape (a bad query value is a 422 naming the parameter), typed
//! ids in the path ([`PathId`]) and paged lists. A NUL (`%00`) anywhere in the URI is refused
//! before any extractor runs, by the shared layers in `server`.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::extract::rejection::PathRejection;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use posey_domain::TypedId;
use serde::Deserialize;
use serde::de::DeserializeOwned;

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

/// The id in a route's one path parameter, as its type `T` (`PathId(task, ..): PathId<TaskId>`).
///
/// **An id that does not parse is a 404, never a 400 or 422**, in every service: it names
/// nothing, so it gets the answer a well-formed id that nobody has gets (`no such task`), and a
/// client cannot tell the two apart. (Auth, cron and agents all answered so before this
/// extractor; it makes it one rule.) Surrounding spaces are not trimmed: ` <uuid>` is no id.
///
/// The rejection is `E`: [`ApiError`] by default, or a service's own error shape (auth's GoTrue
/// errors) through `From<PathIdRejection>`. A route with several parameters reads them with
/// [`Path`] as strings and parses its ids with [`path_id`], to the same effect.
#[derive(Debug, Clone, Copy)]
pub struct PathId<T, E = ApiError>(pub T, pub PhantomData<fn() -> E>);

impl<T, E> PathId<T, E> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Why a [`PathId`] could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathIdRejection {
    /// The parameter is not an id of its kind: nothing has it (`noun` is `T::NOUN`).
    #[error("no such {noun}")]
    NoSuch { noun: &'static str },
    /// The route does not have exactly one path parameter: a mistake in the routes.
    #[error("a PathId on a route with path parameters {0}")]
    Misrouted(String),
}

impl From<PathIdRejection> for ApiError {
    fn from(rejection: PathIdRejection) -> Self {
        match rejection {
            PathIdRejection::NoSuch { .. } => ApiError::NotFound(rejection.to_string()),
            PathIdRejection::Misrouted(_) => ApiError::Internal(anyhow::anyhow!(rejection)),
        }
    }
}

impl<S, T, E> FromRequestParts<S> for PathId<T, E>
where
    S: Send + Sync,
    T: TypedId,
    E: From<PathIdRejection> + IntoResponse,
{
    type Rejection = E;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, E> {
        let params = axum::extract::RawPathParams::from_request_parts(parts, state).await;
        let no_such = || E::from(PathIdRejection::NoSuch { noun: T::NOUN });
        // A parameter that is not UTF-8 once decoded is no id either.
        let params = params.map_err(|_| no_such())?;
        let mut values = params.iter();
        match (values.next(), values.next()) {
            (Some((_, raw)), None) => Ok(Self(path_id::<T>(raw)?, PhantomData)),
            _ => {
                let names: Vec<&str> = params.iter().map(|(name, _)| name).collect();
                Err(E::from(PathIdRejection::Misrouted(format!("{names:?}"))))
            }
        }
    }
}

/// An id from a path parameter, as [`PathId`] reads it: one that does not parse names nothing.
pub fn path_id<T: TypedId>(raw: &str) -> Result<T, PathIdRejection> {
    raw.parse().map_err(|_| PathIdRejection::NoSuch { noun: T::NOUN })
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
    fn pages_are_clamped() {
        let page = |limit, offset| Page { limit, offset };
        assert_eq!((page(None, None).limit(), page(None, None).offset()), (50, 0));
        assert_eq!(page(Some(0), Some(-3)).limit(), 1);
        assert_eq!(page(Some(0), Some(-3)).offset(), 0);
        assert_eq!(page(Some(10_000), Some(7)).limit(), 200);
    }

    #[tokio::test]
    async fn a_path_id_that_does_not_parse_is_not_found_like_a_missing_one() {
        use axum::Router;
        use axum::body::{Body, to_bytes};
        use axum::http::{Request, StatusCode};
        use axum::routing::get;
        use posey_domain::{PushSubscriptionId, TaskId};
        use tower::ServiceExt;

        let app = Router::new()
            .route(
                "/tasks/{id}",
                get(|PathId(id, ..): PathId<TaskId>| async move { id.to_string() }),
            )
            .route(
                "/push/{id}",
                get(|PathId(id, ..): PathId<PushSubscriptionId>| async move { id.to_string() }),
            )
            .route(
                "/two/{a}/{b}",
                get(|PathId(id, ..): PathId<TaskId>| async move { id.to_string() }),
            );
        let call = |uri: String| {
            let app = app.clone();
            async move {
                let response =
                    app.oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
                let status = response.status();
                let body = to_bytes(response.into_body(), 1 << 16).await.unwrap();
                (status, String::from_utf8(body.to_vec()).unwrap())
            }
        };
        let id = TaskId::new();
        assert_eq!(call(format!("/tasks/{id}")).await, (StatusCode::OK, id.to_string()));
        for bad in ["nope", "42", "%20{id}", "%FF"] {
            let (status, body) =
                call(format!("/tasks/{}", bad.replace("{id}", &id.to_string()))).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{bad}: {body}");
            assert!(body.contains(r#""message":"no such task""#), "{body}");
        }
        let (status, body) = call("/push/nope".into()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("no such push subscription"), "{body}");
        let (status, _) = call(format!("/two/{id}/{id}")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "a PathId needs one parameter");
    }
}
