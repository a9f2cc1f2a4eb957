//! The authorization endpoint and the pages behind it: `GET /oauth/authorize` checks the
//! request and answers with the sign-in page, the consent page, or a redirect with a code;
//! `POST /oauth/login` signs in with email and password (the password grant's checks and rate
//! limits) and continues; `POST /oauth/consent` takes the person's answer.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::db::audit::{self, Event};
use crate::db::users::{self, User};
use crate::db::{factors, oauth};
use crate::error::{AuthError, AuthResult};
use crate::extract::Client;
use crate::oidc::request::{self, AuthorizeRequest, Form, Refusal};
use crate::oidc::{browser, grants, html};
use crate::password::Verified;
use crate::policy;
use crate::routes::oauth::schemas;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(authorize)).routes(routes!(login)).routes(routes!(consent))
}

/// A redirect with `status` (302 from a GET, 303 from a form's POST).
pub fn redirect(status: StatusCode, to: &str) -> Response {
    let mut response = status.into_response();
    if let Ok(location) = HeaderValue::from_str(to) {
        response.headers_mut().insert(LOCATION, location);
    }
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// What a form posted from another site is told.
const OTHER_SITE: &str =
    "This form was sent from another site; start signing in again from the app.";

fn refused(refusal: Refusal, status: StatusCode) -> Response {
    match refusal {
        Refusal::Page(message) => html::refusal(StatusCode::BAD_REQUEST, &message),
        Refusal::Redirect(to) => redirect(status, &to),
    }
}

/// Start signing in with Posey (OpenID Connect)
///
/// The authorization endpoint (`response_type=code`, `client_id`, `redirect_uri` registered
/// exactly, `scope` of `openid profile email offline_access`, `state`, `nonce`, PKCE
/// `code_challenge` with `code_challenge_method=S256` (required of public clients; `plain` is
/// refused), `prompt` (`none`, `login`, `consent`), `max_age`). Answers an HTML page (sign-in or
/// consent), or redirects to the client with `code` (or `error`), `state` and `iss`. A bad
/// client or redirect URI is shown on a page, never redirected to.
#[utoipa::path(get, operation_id = "oauth_authorize", path = "/oauth/authorize", tag = "oauth",
    params(
        ("client_id" = String, Query, description = "The registered client's id"),
        ("redirect_uri" = String, Query, description = "One of the client's redirect URIs, exactly"),
        ("response_type" = String, Query, description = "`code`"),
        ("scope" = Option<String>, Query, description = "Space-separated: `openid profile email offline_access`"),
        ("state" = Option<String>, Query, description = "Returned with the answer"),
        ("nonce" = Option<String>, Query, description = "Put in the id token"),
        ("code_challenge" = Option<String>, Query, description = "PKCE: base64url SHA-256 of the verifier"),
        ("code_challenge_method" = Option<String>, Query, description = "`S256`"),
        ("prompt" = Option<String>, Query, description = "`none`, `login` or `consent`"),
        ("max_age" = Option<i64>, Query, description = "Seconds since sign-in beyond which the person signs in again"),
    ),
    responses(
        (status = 200, description = "The sign-in or consent page", content_type = "text/html", body = String),
        (status = 302, description = "To the client's redirect URI with `code` or `error`, `state` and `iss`"),
        (status = 400, description = "An unknown client or a redirect URI it did not register: a page saying so (shown, never redirected)", content_type = "text/html", body = String),
    ))]
async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> AuthResult<Response> {
    let request = match request::parse(&state, raw.as_deref().unwrap_or_default()).await {
        Ok(request) => request,
        Err(refusal) => return Ok(refused(refusal, StatusCode::FOUND)),
    };
    let issuer = &state.settings().issuer;
    let now = state.clock.now();
    let browser = browser::signed_in(&state, &headers).await?;
    let recent = |at: DateTime<Utc>| {
        request.max_age.is_none_or(|age| at + chrono::Duration::seconds(age) >= now)
    };
    match browser {
        Some(b) if !request.prompts("login") && recent(b.session.auth_time) => {
            let signed_in =
                SignedIn { user: &b.user, auth_time: b.session.auth_time, token: &b.token };
            continue_flow(&state, &request, signed_in, StatusCode::FOUND).await
        }
        _ if request.prompts("none") => Ok(refused(
            request.error(issuer, "login_required", "The person is not signed in"),
            StatusCode::FOUND,
        )),
        _ => Ok(html::login(StatusCode::OK, &request, None)),
    }
}

/// Who is signed in, since when, and the browser session's token.
struct SignedIn<'a> {
    user: &'a User,
    auth_time: DateTime<Utc>,
    token: &'a str,
}

/// After sign-in: the consent page when the person has not allowed these scopes to this client
/// yet (or `prompt=consent`), else a code for the client.
async fn continue_flow(
    state: &AppState,
    request: &AuthorizeRequest,
    signed_in: SignedIn<'_>,
    status: StatusCode,
) -> AuthResult<Response> {
    let consented =
        oauth::consented_scopes(state.db(), signed_in.user.id, request.client.client_id).await?;
    let covered = request.scopes.iter().all(|s| consented.contains(s));
    if request.prompts("consent") || !covered {
        if request.prompts("none") {
            let issuer = &state.settings().issuer;
            let refusal = request.error(issuer, "consent_required", "The person has not consented");
            return Ok(refused(refusal, status));
        }
        let csrf = browser::csrf_token(state, signed_in.token, &request.raw);
        return Ok(html::consent(request, &signed_in.user.email, &csrf));
    }
    let to = grants::issue_code(state, request, signed_in.user.id, signed_in.auth_time).await?;
    Ok(redirect(status, &to))
}

/// Sign in (the provider's page)
///
/// The sign-in form of `/oauth/authorize`'s page: email and password, checked as the password
/// grant checks them (rate limits per address and per account). Answers the consent page, a
/// redirect to the client, or the sign-in page again with what was wrong. Starts the provider's
/// browser session (a cookie).
#[utoipa::path(post, operation_id = "oauth_login", path = "/oauth/login", tag = "oauth",
    request_body(content = schemas::LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The consent page", content_type = "text/html", body = String),
        (status = 303, description = "To the client's redirect URI with `code`, `state` and `iss`"),
        (status = 400, description = "The sign-in page again saying what was wrong (wrong credentials), or a page refusing a bad request", content_type = "text/html", body = String),
        (status = 403, description = "A page refusing a form posted from another site (`Origin`, `Sec-Fetch-Site`)", content_type = "text/html", body = String),
        (status = 429, description = "The sign-in page again: too many attempts", content_type = "text/html", body = String),
    ))]
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Client,
    body: Bytes,
) -> AuthResult<Response> {
    if !browser::from_own_page(&state, &headers) {
        return Ok(html::refusal(StatusCode::FORBIDDEN, OTHER_SITE));
    }
    let form = Form::parse(&body);
    let raw = form.get("request").unwrap_or_default();
    let request = match request::parse(&state, raw).await {
        Ok(request) => request,
        Err(refusal) => return Ok(refused(refusal, StatusCode::SEE_OTHER)),
    };
    let user = match check_password(&state, &client, form.get("email"), form.get("password")).await
    {
        Ok(user) => user,
        Err(AuthError::RateLimited { .. }) => {
            let message = "Too many attempts; wait a minute and try again.";
            return Ok(html::login(StatusCode::TOO_MANY_REQUESTS, &request, Some(message)));
        }
        Err(AuthError::Client { message, .. }) => {
            return Ok(html::login(StatusCode::BAD_REQUEST, &request, Some(&message)));
        }
        Err(other) => return Err(other),
    };
    let started = browser::start(&state, &user).await?;
    users::touch_sign_in(state.db(), user.id).await?;
    audit::record(
        state.db(),
        Event {
            action: "login",
            actor_id: Some(user.id.to_string()),
            target_id: Some(user.id.to_string()),
            ip: client.ip,
            payload: json!({ "method": "password", "oauth_client_id": request.client.client_id }),
        },
    )
    .await?;
    let signed_in =
        SignedIn { user: &user, auth_time: started.session.auth_time, token: &started.token };
    let mut response = continue_flow(&state, &request, signed_in, StatusCode::SEE_OTHER).await?;
    if let Ok(cookie) = HeaderValue::from_str(&started.cookie) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The password grant's checks, with its messages.
async fn check_password(
    state: &AppState,
    client: &Client,
    email: Option<&str>,
    password: Option<&str>,
) -> AuthResult<User> {
    policy::limit_ip(state, client).await?;
    let email = policy::email(email)?;
    policy::limit_account(state, &email).await?;
    let password = password.unwrap_or_default();
    if password.len() > crate::password::MAX_PASSWORD_BYTES {
        return Err(AuthError::invalid_credentials());
    }
    let user = users::find_by_email(state.db(), email.as_str()).await?;
    // Unknown addresses are checked against a dummy hash: same answer, same time.
    let verified = state
        .hasher
        .verify(password, user.as_ref().and_then(|u| u.encrypted_password.as_deref()))
        .await?;
    let user = match (user, verified) {
        (Some(user), Verified::Yes | Verified::YesRehashed(_)) if user.is_banned() => {
            return Err(AuthError::new(
                StatusCode::BAD_REQUEST,
                "user_banned",
                "This account is banned.",
            ));
        }
        (Some(user), Verified::YesRehashed(new_hash)) => {
            users::set_password(state.db(), user.id, &new_hash).await?;
            user
        }
        (Some(user), Verified::Yes) => user,
        (user, _) => {
            audit::record(
                state.db(),
                Event {
                    action: "login_failed",
                    actor_id: None,
                    target_id: user.map(|u| u.id.to_string()),
                    ip: client.ip,
                    payload: json!({ "email": email.as_str(), "via": "oauth" }),
                },
            )
            .await?;
            return Err(AuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_credentials",
                "Wrong email or password.",
            ));
        }
    };
    if user.is_deleted() {
        return Err(AuthError::invalid_credentials());
    }
    if user.email_confirmed_at.is_none() {
        return Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "email_not_confirmed",
            "Confirm your email address first.",
        ));
    }
    // This page has no second-factor step yet: an account protected by one is not let in with
    // its password alone.
    if factors::has_verified(state.db(), user.id).await? {
        return Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "mfa_required",
            "This account uses a second factor, which signing in with Posey does not offer yet.",
        ));
    }
    Ok(user)
}

/// Answer the consent page
///
/// The consent form: `allow` gives the client a code (and remembers the consent for this
/// client and these scopes), `deny` sends `error=access_denied`. The form's CSRF token is
/// bound to the browser session and to the request.
#[utoipa::path(post, operation_id = "oauth_consent", path = "/oauth/consent", tag = "oauth",
    request_body(content = schemas::ConsentForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Not signed in (any more): the sign-in page", content_type = "text/html", body = String),
        (status = 303, description = "To the client's redirect URI with `code`, or `error=access_denied`"),
        (status = 400, description = "A page refusing a bad request (no decision)", content_type = "text/html", body = String),
        (status = 403, description = "A page refusing a CSRF token that does not match, or a form posted from another site", content_type = "text/html", body = String),
    ))]
async fn consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Client,
    body: Bytes,
) -> AuthResult<Response> {
    if !browser::from_own_page(&state, &headers) {
        return Ok(html::refusal(StatusCode::FORBIDDEN, OTHER_SITE));
    }
    let form = Form::parse(&body);
    let raw = form.get("request").unwrap_or_default();
    let request = match request::parse(&state, raw).await {
        Ok(request) => request,
        Err(refusal) => return Ok(refused(refusal, StatusCode::SEE_OTHER)),
    };
    let Some(b) = browser::signed_in(&state, &headers).await? else {
        return Ok(html::login(StatusCode::OK, &request, Some("Sign in to continue.")));
    };
    let presented = form.get("csrf").unwrap_or_default();
    if !browser::csrf_matches(&state, &b.token, &request.raw, presented) {
        let message = "This form has expired or was not Posey's; start signing in again.";
        return Ok(html::refusal(StatusCode::FORBIDDEN, message));
    }
    let issuer = &state.settings().issuer;
    match form.get("decision") {
        Some("allow") => {}
        Some("deny") => {
            let refusal = request.error(issuer, "access_denied", "The person denied the request");
            return Ok(refused(refusal, StatusCode::SEE_OTHER));
        }
        _ => return Ok(html::refusal(StatusCode::BAD_REQUEST, "Choose Allow or Deny.")),
    }
    oauth::add_consent(state.db(), b.user.id, request.client.client_id, &request.scopes).await?;
    audit::record(
        state.db(),
        Event {
            action: "oauth_consent",
            actor_id: Some(b.user.id.to_string()),
            target_id: Some(b.user.id.to_string()),
            ip: client.ip,
            payload: json!({ "oauth_client_id": request.client.client_id, "scope": request.scope() }),
        },
    )
    .await?;
    let to = grants::issue_code(&state, &request, b.user.id, b.session.auth_time).await?;
    Ok(redirect(StatusCode::SEE_OTHER, &to))
}
