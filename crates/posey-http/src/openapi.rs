//! What the services' OpenAPI 3.1 documents share. Each service describes its routes with
//! utoipa (`#[utoipa::path]`, registered through `utoipa_axum::routes!`); this adds the bearer
//! scheme and the errors every operation may answer, describes `ApiError`'s body and the health
//! checks' answers, and serves the finished document at `GET /openapi.json`, serialised once.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

/// Serves `document` at `GET /openapi.json` (list [`openapi_json`] in the document's paths).
pub fn serve<S>(document: &OpenApi) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let json = Bytes::from(document.to_json().expect("the OpenAPI document serialises"));
    Router::new().route(
        "/openapi.json",
        get(move || {
            let json = json.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], json) }
        }),
    )
}

/// This document
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
#[allow(dead_code)] // Served by `serve`; described here for the services' documents.
pub fn openapi_json() {}

/// Adds the `bearer` scheme operations name in their `security`: an access token (ES256 JWT).
pub fn add_bearer_scheme(document: &mut OpenApi) {
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build(),
        ),
    );
}

/// A JSON error response whose body is the component schema `schema`.
pub fn error_response(schema: &str, description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).build(),
        )
        .build()
        .into()
}

/// The errors any operation may answer, added to each that does not describe them itself.
pub struct CommonErrors<'a> {
    /// The component schema of the error body.
    pub schema: &'a str,
    /// To operations with a JSON request body: what the body extractor refuses (status,
    /// description).
    pub with_body: &'a [(&'a str, &'a str)],
    /// To operations with parameters in the path or query: what refuses them (the edge guard's
    /// 422 for a `%00`, a query extractor's rejection).
    pub with_params: &'a [(&'a str, &'a str)],
    /// To every operation.
    pub always: &'a [(&'a str, &'a str)],
    /// Paths whose operations answer in their own terms (a protocol's server), left as they are.
    pub except: &'a [&'a str],
}

impl CommonErrors<'_> {
    pub fn add_to(&self, document: &mut OpenApi) {
        let paths = document.paths.paths.iter_mut();
        for (_, item) in paths.filter(|(path, _)| !self.except.contains(&path.as_str())) {
            let shared = item.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let operations =
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                let json = operation
                    .request_body
                    .as_ref()
                    .is_some_and(|body| body.content.contains_key("application/json"));
                let body = if json { self.with_body } else { &[] };
                let parameters =
                    shared || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let params = if parameters { self.with_params } else { &[] };
                for (status, description) in body.iter().chain(params).chain(self.always) {
                    operation
                        .responses
                        .responses
                        .entry((*status).to_owned())
                        .or_insert_with(|| error_response(self.schema, description));
                }
            }
        }
    }
}

/// Declares unit structs that stand for error responses several operations share, for their
/// `responses(...)`: each status with its description and a body of the component `schema`.
///
/// ```ignore
/// posey_http::error_responses! { schema = "Error";
///     /// A route with an id in the path.
///     NotFound { "404" => "No such thing of the person's (`not_found`)" }
/// }
/// ```
#[macro_export]
macro_rules! error_responses {
    (schema = $schema:literal; $($(#[$doc:meta])* $name:ident { $($status:literal => $description:literal),+ $(,)? })+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl ::utoipa::IntoResponses for $name {
                fn responses() -> ::std::collections::BTreeMap<
                    ::std::string::String,
                    ::utoipa::openapi::RefOr<::utoipa::openapi::Response>,
                > {
                    ::std::collections::BTreeMap::from([$((
                        ::std::string::String::from($status),
                        $crate::openapi::error_response($schema, $description),
                    )),+])
                }
            }
        )+
    };
}

// `ApiError`'s body, for the documents of the services that answer with it.

/// Every error: `{"error": {"code", "message", "fields"?}}`.
#[derive(Serialize, ToSchema)]
pub struct Error {
    error: ErrorBody,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// For programs: `not_found`, `validation_failed`, `unauthorized`, `forbidden`, ...
    code: String,
    message: String,
    /// Each bad field and what is wrong with it (422).
    fields: Option<HashMap<String, Vec<String>>>,
}

/// `/healthz`.
#[derive(Serialize, ToSchema)]
pub struct Alive {
    status: String,
}

/// `/readyz`: each check and whether it answered.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`; `degraded` (200: a part the service serves without, such as Redis, is away and
    /// its fallback is in use); or `unavailable` (503: a part it needs is away).
    status: String,
    /// Each check by name: `ok` or `unavailable`.
    checks: HashMap<String, String>,
}
