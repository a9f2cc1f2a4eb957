//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): `end_session_endpoint`, GET
//! with a query or POST with a form. Ends the provider's browser session; sends the person to
//! `post_logout_redirect_uri` only when it is one the client registered, exactly (the client
//! from `id_token_hint`'s audience or `client_id`); otherwise shows a page.
//!
//! Without an `id_token_hint` nothing shows that an app asked: any site could link a signed-in
//! person here and sign them out. So a browser that is signed in is asked first (the spec's
//! "SHOULD ask the End-User"), on a page whose form comes back with a CSRF token bound to its
//! session; only that answer, posted from the provider's own page, signs it out.
//!
//! A client whose id tokens are encrypted sends the signed id token inside (OpenID Connect Core
//! 3.1.2.1 says the RP decrypts it; openid-client hands it out as `getDecryptedResponses`).
//! Posey publishes no encryption key, so an encrypted hint could not be meant for it: refused.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::db::oauth;
use crate::error::AuthResult;
use crate::oidc::request::Form;
use crate::oidc::{browser, html, tokens};
use crate::routes::oauth::authorize::redirect;
use crate::routes::oauth::schemas;
use crate::state::AppState;

/// What the sign-out question's CSRF token is bound to, beside the browser's session.
const LOGOUT_CSRF: &str = "logout";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(logout_get, logout_post))
}

async fn end_session(
    state: &AppState,
    headers: &HeaderMap,
    form: &Form,
    status: StatusCode,
) -> AuthResult<Response> {
    let refuse = |message: &str| Ok(html::refusal(StatusCode::BAD_REQUEST, message));
    if form.repeated().is_some() {
        return refuse("A parameter is given more than once.");
    }
    let hinted = match form.get("id_token_hint") {
        Some(hint) if hint.split('.').count() == 5 => {
            return refuse(
                "The id_token_hint is encrypted; send the signed id token inside it instead.",
            );
        }
        Some(hint) => {
            // An expired id token still says who and for which client.
            let Some(claims) = tokens::verify(state, hint, true).await else {
                return refuse("The id_token_hint is not a token Posey issued.");
            };
            let aud = match claims.get("aud") {
                Some(Value::String(aud)) => Some(aud.clone()),
                Some(Value::Array(auds)) => auds.first().and_then(Value::as_str).map(str::to_owned),
                _ => None,
            };
            match aud.and_then(|a| a.parse::<Uuid>().ok()) {
                Some(id) => Some(id),
                None => return refuse("The id_token_hint names no client."),
            }
        }
        None => None,
    };
    let named = match form.get("client_id") {
        Some(id) => match id.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => return refuse("This app is not registered with Posey."),
        },
        None => None,
    };
    if let (Some(hinted), Some(named)) = (hinted, named)
        && hinted != named
    {
        return refuse("client_id is not the id_token_hint's client.");
    }
    let client = match hinted.or(named) {
        Some(id) => match oauth::find_client(state.db(), id).await? {
            Some(client) => Some(client),
            None => return refuse("This app is not registered with Posey."),
        },
        None => None,
    };
    let target = match form.get("post_logout_redirect_uri") {
        Some(uri) => {
            let registered = client
                .as_ref()
                .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
            if !registered {
                return refuse(
                    "The post_logout_redirect_uri is not one the app registered; Posey will not \
                     send you there.",
                );
            }
            Some(uri)
        }
        None => None,
    };
    if hinted.is_none()
        && let Some(browser) = browser::signed_in(state, headers).await?
    {
        let confirmed = form.get("confirm") == Some("yes")
            && browser::from_own_page(state, headers)
            && form.get("csrf").is_some_and(|csrf| {
                browser::csrf_matches(state, &browser.token, LOGOUT_CSRF, csrf)
            });
        if !confirmed {
            let csrf = browser::csrf_token(state, &browser.token, LOGOUT_CSRF);
            let asked = html::LogoutQuestion {
                client: client.as_ref().map(|c| c.client_name.as_str()),
                email: &browser.user.email,
                client_id: form.get("client_id"),
                post_logout_redirect_uri: target,
                state: form.get("state"),
                csrf: &csrf,
            };
            return Ok(html::confirm_logout(&asked));
        }
    }
    let cookie = browser::end(state, headers).await?;
    let mut response = match target {
        Some(uri) => {
            let mut url = url::Url::parse(uri).map_err(|e| anyhow::anyhow!(e))?;
            if let Some(s) = form.get("state") {
                url.query_pairs_mut().append_pair("state", s);
            }
            redirect(status, url.as_str())
        }
        None => html::signed_out(),
    };
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Sign out of Posey's sign-in (OpenID Connect)
///
/// RP-initiated logout: ends the provider's browser session, then redirects to
/// `post_logout_redirect_uri` (with `state`) if the client (from `id_token_hint` or
/// `client_id`) registered it exactly, or shows a signed-out page. Without an `id_token_hint`,
/// a signed-in browser is first shown a page asking the person to confirm; its form posts back
/// here with `confirm=yes` and a CSRF token.
#[utoipa::path(get, operation_id = "oauth_logout_get", path = "/oauth/logout", tag = "oauth",
    params(
        ("id_token_hint" = Option<String>, Query, description = "An id token this provider issued (expired ones too); for a client whose id tokens are encrypted, the signed id token inside"),
        ("client_id" = Option<String>, Query, description = "The client, when there is no id_token_hint"),
        ("post_logout_redirect_uri" = Option<String>, Query, description = "One of the client's post-logout redirect URIs, exactly"),
        ("state" = Option<String>, Query, description = "Returned with the redirect"),
    ),
    responses(
        (status = 200, description = "Signed out: a page; or, for a signed-in browser without an id_token_hint, a page asking to confirm", content_type = "text/html", body = String),
        (status = 400, description = "A page refusing a bad hint or a redirect URI the client did not register (shown, never redirected)", content_type = "text/html", body = String),
        (status = 302, description = "Signed out: to the post-logout redirect URI"),
    ))]
async fn logout_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> AuthResult<Response> {
    let form = Form::parse(raw.unwrap_or_default().as_bytes());
    end_session(&state, &headers, &form, StatusCode::FOUND).await
}

/// Sign out of Posey's sign-in (OpenID Connect, POST)
///
/// As `GET /oauth/logout`, with the parameters in a form; also the answer of the page that asks
/// a signed-in browser to confirm (`confirm=yes` with its `csrf`, from that page only).
#[utoipa::path(post, operation_id = "oauth_logout_post", path = "/oauth/logout", tag = "oauth",
    request_body(content = schemas::LogoutForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Signed out: a page; or a page asking to confirm (a signed-in browser without an id_token_hint, unless this is that page's answer)", content_type = "text/html", body = String),
        (status = 400, description = "A page refusing a bad hint or a redirect URI the client did not register (shown, never redirected)", content_type = "text/html", body = String),
        (status = 303, description = "Signed out: to the post-logout redirect URI"),
    ))]
async fn logout_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> AuthResult<Response> {
    end_session(&state, &headers, &Form::parse(&body), StatusCode::SEE_OTHER).await
}
