//! The OpenAPI 3.1 description of cron's API, generated from the code (utoipa): every route is
//! registered through `utoipa_axum::routes!` with its `#[utoipa::path]`, so the router and the
//! document come from the same calls. Served at `GET /openapi.json`; the API test checks that it
//! names every route the router has, is valid OpenAPI 3.1, and matches real answers.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The document's fixed parts; the paths come from the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Posey cron API",
        description = "Reminders and recurring agent tasks (schedules in the person's IANA time \
                       zone), their runs, notifications (with a live SSE stream) and Web Push \
                       subscriptions. Every route but the health checks and this document takes \
                       an access token from the auth service (the bearer scheme); the task and \
                       run routes also take a service token acting for the person named in \
                       X-Posey-Person. Errors have one shape (Error)."
    ),
    paths(healthz, readyz),
    components(schemas(Error, ErrorBody)),
    tags(
        (name = "tasks", description = "Reminders, agent tasks and webhooks, and their runs"),
        (name = "notifications", description = "What tasks told the person, and Web Push"),
        (name = "meta", description = "Health, the install's status and this document"),
    )
)]
pub struct ApiDoc;

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
    status: String,
    checks: HashMap<String, String>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// The whole document: the routers' paths, then what every operation shares.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = super::api().into_openapi();
    Security.modify(&mut document);
    CommonErrors.modify(&mut document);
    document
}

/// The document, built once.
static DOCUMENT: LazyLock<String> =
    LazyLock::new(|| document().to_json().expect("the OpenAPI document serialises"));

/// This document
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT.as_str())
}

/// The process is alive
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, description = "Alive", body = Alive)))]
#[allow(dead_code)] // Served by posey-http's readiness router; documented here.
fn healthz() {}

/// The database (and Redis, when configured) answer
#[utoipa::path(get, path = "/readyz", tag = "meta",
    responses(
        (status = 200, description = "Every check answered", body = Readiness),
        (status = 503, description = "A check failed; `checks` names it", body = Readiness),
    ))]
#[allow(dead_code)] // Served by posey-http's readiness router; documented here.
fn readyz() {}

/// The bearer scheme: an access token (ES256 JWT) from the auth service.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build(),
            ),
        );
    }
}

/// A JSON error response in the one error shape.
fn error(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name("Error"))).build(),
        )
        .build()
        .into()
}

/// What every operation may answer: 500; and, with a JSON body, what the body extractor
/// refuses (malformed, too large, not JSON).
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations =
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                add_common_errors(operation);
            }
        }
    }
}

fn add_common_errors(operation: &mut Operation) {
    let mut add = |status: &str, description: &str| {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| error(description));
    };
    if operation.request_body.is_some() {
        add("400", "Malformed JSON (`bad_request`)");
        add("413", "The body is too large (`payload_too_large`)");
        add("415", "The body is not `application/json` (`unsupported_media_type`)");
        add(
            "422",
            "A field is missing, unknown or invalid (`validation_failed`, naming each in `fields`)",
        );
    }
    add("500", "An unexpected failure (`internal`); the detail is logged, not sent");
}

/// Errors several operations share.
macro_rules! error_responses {
    ($($(#[$doc:meta])* $name:ident { $($status:literal => $description:literal),+ $(,)? })+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    BTreeMap::from([$(($status.to_owned(), error($description))),+])
                }
            }
        )+
    };
}

error_responses! {
    /// A route for a person's access token.
    NeedsPerson {
        "401" => "No valid access token (`unauthorized`)",
        "403" => "Not a person's token (`forbidden`)",
    }
    /// A task route: a person's token, or a service token with `X-Posey-Person`.
    NeedsActingPerson {
        "401" => "No valid access token (`unauthorized`)",
        "403" => "A service token without `X-Posey-Person`, or a person's token naming someone else (`forbidden`)",
    }
    /// A route with an id in the path.
    NotFound {
        "404" => "No such thing of the person's (`not_found`)",
    }
    /// A route that takes query parameters.
    BadQuery {
        "422" => "A bad query parameter or id (`validation_failed`, naming it)",
    }
    /// Task writes are rate-limited per person.
    RateLimited {
        "429" => "Too many task writes this minute (`rate_limited`); `Retry-After` says when to try again",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The paths axum's router serves, read from its `Debug` form: axum has no API that lists
    /// them, and this way the list comes from the code rather than from a copy kept by hand.
    fn served_paths(router: &axum::Router<AppState>) -> BTreeSet<String> {
        let text = format!("{router:?}");
        // The fallback router (a catch-all axum adds) is not a route.
        let routes = text.split("fallback_router").next().unwrap_or_default();
        let mut paths = BTreeSet::new();
        for part in routes.split("RouteId(").skip(1) {
            if let Some((_, rest)) = part.split_once("): \"")
                && let Some((path, _)) = rest.split_once('"')
            {
                paths.insert(path.to_owned());
            }
        }
        paths
    }

    #[test]
    fn the_document_names_every_route_the_router_serves() {
        // What the service serves: its routes and posey-http's health checks.
        let router = crate::routes::router().merge(posey_http::health::Readiness::new().router());
        let served = served_paths(&router);
        assert!(served.contains("/openapi.json") && served.contains("/healthz"), "{served:?}");
        let documented: BTreeSet<String> = document().paths.paths.keys().cloned().collect();
        assert_eq!(served, documented, "served (left) and documented (right) differ");
    }

    #[test]
    fn every_operation_has_a_unique_id_a_summary_and_responses() {
        let document = document();
        let mut ids = BTreeSet::new();
        for (path, item) in &document.paths.paths {
            let operations = [&item.get, &item.put, &item.post, &item.delete, &item.patch];
            for operation in operations.into_iter().flatten() {
                let id = operation.operation_id.clone().unwrap_or_default();
                assert!(!id.is_empty() && ids.insert(id.clone()), "{path}: operationId {id:?}");
                assert!(operation.summary.is_some(), "{path} {id}: no summary");
                assert!(operation.responses.responses.contains_key("500"), "{path} {id}");
            }
        }
    }
}
