//! The OpenAPI 3.1 description of the agents API, generated from the code (utoipa): every route
//! is registered through `utoipa_axum::routes!` with its `#[utoipa::path]` (the plugins' routes
//! too, through `Plugin::routes`), so the router and the document come from the same calls.
//! Finished and serialised once when the service starts, served at `GET /openapi.json`; the
//! tests check that it names every route the router has, is valid OpenAPI 3.1, and matches
//! real answers.

use posey_http::openapi::{Alive, CommonErrors, Error, ErrorBody, Readiness, add_bearer_scheme};
use utoipa::OpenApi;
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::{RefOr, Required};

pub use posey_plugin::responses::{BadFields, BadPage, NeedsPerson};

pub mod schemas;

/// The document's fixed parts; the paths come from the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Posey agents API",
        description = "The companion's agents: conversations with streamed turns, the agents and \
                       plugins, the chat models and the person's choice of one, the person's \
                       profile and long-term memories, their documents, their calendar and \
                       to-dos, their money, an OpenAI-compatible chat completions API and MCP. Every endpoint \
                       but the health checks, this document and a calendar's private feed (its \
                       token is its key) needs an access token from the auth service \
                       (Authorization: Bearer; the bearer scheme): a person's, but for the \
                       turns other services run for a person (/v1/service/...), which take a \
                       service token. Errors have one shape (Error)."
    ),
    paths(posey_http::openapi::openapi_json, healthz, readyz, super::mcp::mcp),
    components(schemas(Error, ErrorBody)),
    tags(
        (name = "conversations", description = "Conversations and their messages: the turns, streamed"),
        (name = "companion", description = "The agents, their plugins, and the chat models a person may choose"),
        (name = "profile", description = "The person's name, time zone and preferences"),
        (name = "memories", description = "What the companion remembers about the person"),
        (name = "documents", description = "The person's documents, extracted and indexed for search"),
        (name = "openai", description = "The OpenAI-compatible API"),
        (name = "mcp", description = "Posey's tools over MCP"),
        (name = "service", description = "What other Posey services do for a person"),
        (name = "export", description = "Everything Posey keeps of the person, as one zip in open formats"),
        (name = "actions", description = "What the companion's tools asked the person to confirm: it runs only when they do"),
        (name = "calendar", description = "The person's calendars, events (recurring ones expanded, edited per occurrence, following or all, with ETags) and to-dos; ICS import, export and private feeds"),
        (name = "finance", description = "The person's money: accounts with balances, categories, double-entry transactions, bank file imports, rules, budgets, bills, reports and exports"),
        (name = "meta", description = "Health and this document"),
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
                "A field is missing, unknown, invalid or holds the NUL character (U+0000) \
                 (`validation_failed`, naming each in `fields`)",
            ),
        ],
        with_params: &[(
            "422",
            "A path or query parameter is invalid or holds the NUL character (`%00`) \
             (`validation_failed`, naming it in `fields`)",
        )],
        always: &[("500", "An unexpected failure (`internal`); the detail is logged, not sent")],
        // The MCP server answers in JSON-RPC's own terms (its errors before it are described
        // with it).
        except: &["/mcp"],
    }
    .add_to(&mut document);
    // A body that may be left out (`OptionalJson`, described as an `Option`) is read whatever
    // its type, so never a 415; and it is left out rather than `null`.
    for item in document.paths.paths.values_mut() {
        for operation in [&mut item.post, &mut item.put, &mut item.patch].into_iter().flatten() {
            let Some(body) = operation.request_body.as_mut() else { continue };
            if matches!(body.required, Some(Required::True)) {
                continue;
            }
            operation.responses.responses.remove("415");
            for content in body.content.values_mut() {
                if let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema {
                    let not_null = one_of.items.iter().filter(|item| !is_null(item));
                    if let [schema] = not_null.collect::<Vec<_>>().as_slice() {
                        content.schema = Some((*schema).clone());
                    }
                }
            }
        }
    }
    document
}

fn is_null(schema: &RefOr<Schema>) -> bool {
    matches!(schema, RefOr::T(Schema::Object(object)) if object.schema_type == SchemaType::Type(Type::Null))
}

/// The documents of the built-in plugins' routes (each router has a state of its own).
pub(super) fn builtin_plugin_documents() -> [utoipa::openapi::OpenApi; 6] {
    [
        crate::plugins::profile::router().into_openapi(),
        crate::memory::routes::router().into_openapi(),
        crate::documents::routes::api().into_openapi(),
        posey_calendar_plugin::openapi(),
        posey_finance_plugin::openapi(),
        posey_home_plugin::openapi(),
    ]
}

/// Alive
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, description = "Alive", body = Alive)))]
#[allow(dead_code)] // Served by posey-http's readiness router; documented here.
fn healthz() {}

/// Dependencies answer
#[utoipa::path(get, path = "/readyz", tag = "meta",
    responses(
        (status = 200, description = "Ready (`degraded` when Redis is away: nothing here needs it)", body = Readiness),
        (status = 503, description = "A dependency is down", body = Readiness),
    ))]
#[allow(dead_code)] // Served by posey-http's readiness router; documented here.
fn readyz() {}

posey_http::error_responses! { schema = "Error";
    /// A route for a service's token (auth's client-credentials grant).
    NeedsService {
        "401" => "No valid access token",
        "403" => "A person's token, or a service token without the scope `agents:turns` (`forbidden`, naming it)",
    }
    /// A route taking a conversation's id.
    NoSuchConversation {
        "404" => "No such conversation (or it is someone else's)",
    }
    /// A route that runs a turn.
    UsageLimit {
        "429" => "A daily usage limit is reached; the message says which, and Retry-After when it resets",
    }
}

#[cfg(test)]
mod tests {
    use posey_testkit::openapi::{assert_operations_are_complete, served_paths};
    use utoipa_axum::router::OpenApiRouter;

    #[test]
    fn the_document_names_every_route_the_router_serves() {
        // What a service with the built-in plugins serves: its routes, the document and
        // posey-http's health checks; `/mcp` is a service built with the state, so it is
        // named here (the API test sees it served).
        let (router, described) = super::super::api(OpenApiRouter::new()).split_for_parts();
        let router = router
            .merge(posey_http::openapi::serve(&described))
            .merge(posey_http::health::Readiness::new().router());
        let mut served = served_paths(&router);
        // The built-in plugins' routers, each with a state of its own.
        served.extend(served_paths(&crate::plugins::profile::router().split_for_parts().0));
        served.extend(served_paths(&crate::memory::routes::router().split_for_parts().0));
        served.extend(served_paths(&crate::documents::routes::api().split_for_parts().0));
        served.extend(served_paths(&posey_calendar_plugin::rest_router()));
        served.extend(served_paths(&posey_finance_plugin::rest_router()));
        served.extend(served_paths(&posey_home_plugin::rest_router()));
        served.insert("/mcp".to_owned());
        assert!(served.contains("/openapi.json") && served.contains("/v1/profile"), "{served:?}");
        let documented: std::collections::BTreeSet<String> =
            super::super::document().paths.paths.keys().cloned().collect();
        assert_eq!(served, documented, "served (left) and documented (right) differ");
    }

    #[test]
    fn every_operation_has_a_unique_id_a_summary_and_responses() {
        let document: serde_json::Value =
            serde_json::from_str(&super::super::document().to_json().unwrap()).unwrap();
        assert_operations_are_complete(&document);
    }
}
