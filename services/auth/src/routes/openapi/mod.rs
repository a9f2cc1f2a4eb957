//! The OpenAPI 3.1 description of auth's API, generated from the code (utoipa): every route is
//! registered through `utoipa_axum::routes!` with its `#[utoipa::path]`, so the router and the
//! document come from the same calls. Served at `GET /openapi.json`; the API test checks that it
//! names every route the router has, is valid OpenAPI 3.1, and matches real answers.

use posey_http::openapi::{Alive, CommonErrors, Readiness, add_bearer_scheme};
use utoipa::OpenApi;

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
    paths(posey_http::openapi::openapi_json, healthz, readyz),
    components(schemas(schemas::GoTrueError)),
    tags(
        (name = "accounts", description = "Sign-up, sign-in, the signed-in person's account and devices"),
        (name = "mfa", description = "Second factors (TOTP) and recovery codes: sessions at `aal2`"),
        (name = "email", description = "The email flows: confirmation, recovery, magic links and codes"),
        (name = "admin", description = "User administration, invites, roles, the audit log and the install's status"),
        (name = "keys", description = "What other services verify access tokens with"),
        (name = "meta", description = "Health and this document"),
    )
)]
pub struct ApiDoc;

/// The routers' document (`routes::api`), with what every operation shares.
pub fn finish(mut document: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    add_bearer_scheme(&mut document);
    CommonErrors {
        schema: "GoTrueError",
        with_body: &[
            (
                "400",
                "Malformed JSON (`bad_json`) or a field of the wrong type (`validation_failed`)",
            ),
            ("413", "The body is larger than 64 KiB (`request_too_large`)"),
            ("415", "The body is not `application/json` (`bad_json`)"),
            ("422", "A NUL character (U+0000) in the body (`validation_failed`, naming where)"),
        ],
        with_params: &[(
            "422",
            "A NUL character (`%00`) in the path or query (`validation_failed`, naming where)",
        )],
        always: &[(
            "500",
            "An unexpected failure (`unexpected_failure`); the detail is logged, not sent",
        )],
        except: &[],
    }
    .add_to(&mut document);
    document
}

/// The process is alive
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    responses((status = 200, description = "Alive: `{\"status\": \"ok\"}`", body = Alive))
)]
#[allow(dead_code)] // Served by posey-http's readiness router; documented here.
fn healthz() {}

/// The database answers (Redis, when configured, is reported: without it the rate limits count
/// in process and the service is `degraded`, still ready)
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "meta",
    responses(
        (status = 200, description = "Ready: every check answered, or only Redis did not (`degraded`)", body = Readiness),
        (status = 503, description = "A check failed; `checks` names it", body = Readiness),
    )
)]
#[allow(dead_code)] // Served by posey-http's readiness router; documented here.
fn readyz() {}

posey_http::error_responses! { schema = "GoTrueError";
    /// A route that takes a person's access token.
    NeedsToken {
        "401" => "No bearer token (`no_authorization`)",
        "403" => "The token is invalid or expired (`bad_jwt`), or its session has ended (`session_not_found`)",
    }
    /// A route that takes a person's access token, at `aal2` when the person has a verified
    /// MFA factor.
    NeedsAal2 {
        "401" => "No bearer token (`no_authorization`)",
        "403" => "The token is invalid or expired (`bad_jwt`), its session has ended (`session_not_found`), or the person has a verified MFA factor and the session is not `aal2` (`insufficient_aal`)",
    }
    /// [`NeedsAal2`] where GoTrue answers a session below `aal2` with 401 (`PUT /user`).
    NeedsAal2For401 {
        "401" => "No bearer token (`no_authorization`), or a password or address change by a person with a verified MFA factor from a session not at `aal2` (`insufficient_aal`)",
        "403" => "The token is invalid or expired (`bad_jwt`), or its session has ended (`session_not_found`)",
    }
    /// An admin route: a service token granted the `admin` scope, or a signed-in user holding
    /// the `admin` role.
    NeedsAdmin {
        "401" => "No bearer token (`no_authorization`)",
        "403" => "The token is invalid or expired (`bad_jwt`), its session has ended (`session_not_found`), or it is neither a service token granted the `admin` scope nor the token of a user holding the `admin` role (`not_admin`)",
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
