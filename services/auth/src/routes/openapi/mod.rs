//! The OpenAPI 3.1 description of auth's API, generated from the code (utoipa): every route is
//! registered through `utoipa_axum::routes!` with its `#[utoipa::path]`, so the router and the
//! document come from the same calls. Served at `GET /openapi.json`; the API test checks that it
//! names every route the router has, is valid OpenAPI 3.1, and matches real answers.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub mod schemas;

/// The document's fixed parts; the paths come from the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Posey auth API",
        description = "Accounts, sessions, access tokens and their JWKS, RBAC, invites and the audit \
                       log, in Supabase Auth's (GoTrue's) API so that @supabase/auth-js works \
                       unchanged, plus Posey's additions. Errors are in GoTrue's shape \
                       (GoTrueError). Routes marked with the bearer scheme take an access token \
                       from this service; the admin routes take a service token (the \
                       client_credentials grant) or the token of a user holding the admin role."
    ),
    paths(healthz, readyz),
    components(schemas(schemas::GoTrueError)),
    tags(
        (name = "accounts", description = "Sign-up, sign-in, the signed-in person's account and devices"),
        (name = "email", description = "The email flows: confirmation, recovery, magic links and codes"),
        (name = "admin", description = "User administration, invites, roles, the audit log and the install's status"),
        (name = "keys", description = "What other services verify access tokens with"),
        (name = "meta", description = "Health and this document"),
    )
)]
pub struct ApiDoc;

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
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    responses((status = 200, description = "Alive: `{\"status\": \"ok\"}`", body = schemas::Alive))
)]
#[allow(dead_code)] // Served by posey-http's readiness router; documented here.
fn healthz() {}

/// The database (and Redis, when configured) answer
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "meta",
    responses(
        (status = 200, description = "Every check answered", body = schemas::Readiness),
        (status = 503, description = "A check failed; `checks` names it", body = schemas::Readiness),
    )
)]
#[allow(dead_code)] // Served by posey-http's readiness router; documented here.
fn readyz() {}

/// The bearer scheme: an access token (ES256 JWT) from this service.
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

/// A JSON error response in GoTrue's shape.
fn error(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name("GoTrueError"))).build(),
        )
        .build()
        .into()
}

/// What every operation may answer: 500; and, with a JSON body, what the body extractor
/// refuses (malformed, too large, not JSON, a NUL character).
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
        add(
            "400",
            "Malformed JSON (`bad_json`) or a field of the wrong type (`validation_failed`)",
        );
        add("413", "The body is larger than 64 KiB (`request_too_large`)");
        add("415", "The body is not `application/json` (`bad_json`)");
        add("422", "A NUL character (U+0000) in the body (`validation_failed`, naming where)");
    }
    add("500", "An unexpected failure (`unexpected_failure`); the detail is logged, not sent");
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
    /// A route that takes a person's access token.
    NeedsToken {
        "401" => "No bearer token (`no_authorization`)",
        "403" => "The token is invalid or expired (`bad_jwt`), or its session has ended (`session_not_found`)",
    }
    /// An admin route: a service token, or a user holding the `admin` role.
    NeedsAdmin {
        "401" => "No bearer token (`no_authorization`)",
        "403" => "The token is invalid (`bad_jwt`), or neither a service token nor an admin's (`not_admin`)",
    }
    /// A route counted by the rate limits.
    RateLimited {
        "429" => "Too many requests (`over_request_rate_limit`, `over_email_send_rate_limit`); `Retry-After` says when to try again",
    }
    /// A route whose input is checked field by field.
    BadInput {
        "400" => "A missing or invalid field (`validation_failed`, `email_address_invalid`, ...)",
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
