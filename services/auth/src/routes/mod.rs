//! The auth service's routes: Supabase Auth's API, plus Posey's session and role management.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

mod account_export;
mod admin;
mod app_passwords;
mod email_flow;
mod external;
mod factors;
mod health;
mod logout;
mod oauth;
mod openapi;
mod otp;
mod passkeys;
mod recover;
mod resend;
mod sessions;
mod signup;
mod token;
mod user;
mod verify;
mod wellknown;

/// Request bodies larger than this get 413: nothing the auth API takes comes close.
const BODY_LIMIT: usize = 64 * 1024;

/// Every route, each with its OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(health::router())
        .merge(wellknown::router())
        .merge(signup::router())
        .merge(token::router())
        .merge(user::router())
        .merge(account_export::router())
        .merge(recover::router())
        .merge(otp::router())
        .merge(resend::router())
        .merge(verify::router())
        .merge(external::router())
        .merge(logout::router())
        .merge(sessions::router())
        .merge(app_passwords::router())
        .merge(factors::router())
        .merge(passkeys::router())
        .merge(admin::router())
        .merge(oauth::router())
}

/// The whole document: the routers' paths, then what every operation shares.
pub fn document() -> utoipa::openapi::OpenApi {
    openapi::finish(api().into_openapi())
}

/// The routes, and their finished document at `GET /openapi.json`.
pub fn router() -> Router<AppState> {
    let (router, document) = api().split_for_parts();
    router
        .merge(posey_http::openapi::serve(&openapi::finish(document)))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(crate::error::api_version))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use posey_testkit::openapi::{assert_operations_are_complete, served_paths};

    #[test]
    fn the_document_names_every_route_the_router_serves() {
        // What the service serves: its routes and posey-http's health checks.
        let router = super::router().merge(posey_http::health::Readiness::new().router());
        let served = served_paths(&router);
        assert!(served.contains("/openapi.json") && served.contains("/healthz"), "{served:?}");
        let documented: BTreeSet<String> = super::document().paths.paths.keys().cloned().collect();
        assert_eq!(served, documented, "served (left) and documented (right) differ");
    }

    #[test]
    fn every_operation_has_a_unique_id_a_summary_and_responses() {
        let document = serde_json::from_str(&crate::openapi_json()).unwrap();
        assert_operations_are_complete(&document);
    }
}
