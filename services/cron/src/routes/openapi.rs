//! The OpenAPI 3.1 description of cron's API, generated from the code (utoipa): every route is
//! registered through `utoipa_axum::routes!` with its `#[utoipa::path]`, so the router and the
//! document come from the same calls. Served at `GET /openapi.json`; the API test checks that it
//! names every route the router has, is valid OpenAPI 3.1, and matches real answers.

use posey_http::openapi::{Alive, CommonErrors, ErrorBody, Readiness, add_bearer_scheme};
use utoipa::OpenApi;

/// Every error's body: `ApiError`'s, described in posey-http.
pub use posey_http::openapi::Error;

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
    paths(posey_http::openapi::openapi_json, healthz, readyz),
    components(schemas(Error, ErrorBody)),
    tags(
        (name = "tasks", description = "Reminders, agent tasks and webhooks, and their runs"),
        (name = "notifications", description = "What tasks told the person, and Web Push"),
        (name = "meta", description = "Health, the install's status and this document"),
    )
)]
pub struct ApiDoc;

/// `api`'s document, with what every operation shares.
pub fn finish(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    add_bearer_scheme(&mut document);
    CommonErrors {
        schema: "Error",
        with_body: &[
            ("400", "Malformed JSON (`bad_request`)"),
            ("413", "The body is too large (`payload_too_large`)"),
            ("415", "The body is not `application/json` (`unsupported_media_type`)"),
            (
                "422",
                "A field is missing, unknown or invalid (`validation_failed`, naming each in `fields`)",
            ),
        ],
        with_params: &[(
            "422",
            "A path or query parameter is invalid or holds the NUL character (`%00`) \
             (`validation_failed`, naming it in `fields`)",
        )],
        always: &[("500", "An unexpected failure (`internal`); the detail is logged, not sent")],
        except: &[],
    }
    .add_to(&mut document);
    document
}

/// The process is alive
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, description = "Alive", body = Alive)))]
#[allow(dead_code)] // Served by posey-http's readiness router; documented here.
fn healthz() {}

/// The database answers (Redis, when configured, is reported: without it the rate limits count
/// in process and the service is `degraded`, still ready)
#[utoipa::path(get, path = "/readyz", tag = "meta",
    responses(
        (status = 200, description = "Ready: every check answered, or only Redis did not (`degraded`)", body = Readiness),
        (status = 503, description = "A check failed; `checks` names it", body = Readiness),
    ))]
#[allow(dead_code)] // Served by posey-http's readiness router; documented here.
fn readyz() {}

posey_http::error_responses! { schema = "Error";
    /// A route for a person's access token.
    NeedsPerson {
        "401" => "No valid access token (`unauthorized`)",
        "403" => "Not a person's token (`forbidden`)",
    }
    /// A task route: a person's token, or a service token with `X-Posey-Person`.
    NeedsActingPerson {
        "401" => "No valid access token (`unauthorized`)",
        "403" => "A service token without `X-Posey-Person` or the scope `cron:act-for-person`, or a person's token naming someone else (`forbidden`)",
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

    use posey_testkit::openapi::{assert_operations_are_complete, served_paths};

    #[test]
    fn the_document_names_every_route_the_router_serves() {
        // What the service serves: its routes and posey-http's health checks.
        let router = crate::routes::router().merge(posey_http::health::Readiness::new().router());
        let served = served_paths(&router);
        assert!(served.contains("/openapi.json") && served.contains("/healthz"), "{served:?}");
        let documented: BTreeSet<String> =
            crate::routes::document().paths.paths.keys().cloned().collect();
        assert_eq!(served, documented, "served (left) and documented (right) differ");
    }

    #[test]
    fn every_operation_has_a_unique_id_a_summary_and_responses() {
        let document = serde_json::from_str(&crate::openapi_json()).unwrap();
        assert_operations_are_complete(&document);
    }
}
