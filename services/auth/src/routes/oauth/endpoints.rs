//! The provider's machine-facing endpoints: `POST /oauth/token`, `POST /oauth/revoke`
//! (RFC 7009), `POST /oauth/introspect` (RFC 7662) and `/oauth/userinfo` (GET and POST, a
//! bearer access token of this provider's). Forms in, JSON out, OAuth's error shape.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, PRAGMA};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::db::{oauth, users};
use crate::extract::Client;
use crate::oidc::error::{OAuthError, OAuthResult};
use crate::oidc::request::Form;
use crate::oidc::{clients, grants, has_scope, tokens};
use crate::policy;
use crate::routes::oauth::schemas;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token))
        .routes(routes!(revoke))
        .routes(routes!(introspect))
        .routes(routes!(userinfo_get, userinfo_post))
}

/// A form body (`application/x-www-form-urlencoded`), each parameter once.
fn form(headers: &HeaderMap, body: &[u8]) -> OAuthResult<Form> {
    let form_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form_type {
        return Err(OAuthError::invalid_request(
            "The body must be application/x-www-form-urlencoded",
        ));
    }
    let form = Form::parse(body);
    if let Some(name) = form.repeated() {
        return Err(OAuthError::invalid_request(format!("{name} is given more than once")));
    }
    Ok(form)
}

/// A JSON answer that no cache keeps (RFC 6749 5.1).
fn no_store(body: Value) -> Response {
    let mut response = Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Get tokens (OAuth 2.1 / OpenID Connect)
///
/// By `grant_type`: `authorization_code` (`code`, `redirect_uri`, `code_verifier`: the code is
/// single use, expires after a minute, and presented again revokes what it gave),
/// `refresh_token` (single use; the answer has the next one; a used one presented again revokes
/// the grant) or `client_credentials` (a confidential client's own token). The client
/// authenticates with `Authorization: Basic` or `client_id`/`client_secret` in the form; a
/// public client sends only `client_id`. Access tokens are for the client (`aud` is its id):
/// Posey's own APIs do not take them.
#[utoipa::path(post, operation_id = "oauth_token", path = "/oauth/token", tag = "oauth",
    request_body(content = schemas::TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Tokens", body = schemas::OAuthTokens),
        (status = 400, description = "`invalid_grant` (unknown, used or expired code, wrong redirect URI or PKCE verifier, used refresh token), `invalid_request`, `unsupported_grant_type`, `unauthorized_client`, `invalid_scope`", body = schemas::OAuthError),
        (status = 401, description = "`invalid_client`: unknown client or wrong secret", body = schemas::OAuthError),
        (status = 429, description = "`slow_down`: too many requests from this address", body = schemas::OAuthError),
    ))]
async fn token(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> OAuthResult<Response> {
    let form = form(&headers, &body)?;
    policy::limit_ip(&state, &client).await?;
    let grant_type = form.get("grant_type");
    let known = ["authorization_code", "refresh_token", "client_credentials"];
    if !grant_type.is_some_and(|g| known.contains(&g)) {
        return Err(OAuthError::new(
            "unsupported_grant_type",
            "grant_type must be authorization_code, refresh_token or client_credentials",
        ));
    }
    let registered = clients::authenticate(&state, &client, &headers, &form).await?;
    let answer = match grant_type {
        Some("authorization_code") => {
            grants::exchange_code(&state, &client, &registered, &form).await?
        }
        Some("refresh_token") => grants::refresh(&state, &client, &registered, &form).await?,
        _ => grants::client_credentials(&state, &registered, &form).await?,
    };
    Ok(no_store(answer))
}

/// Revoke a token (RFC 7009)
///
/// Ends the grant of the client's access or refresh token, and with it every token of that
/// grant. An unknown token, or another client's, gets the same 200.
#[utoipa::path(post, operation_id = "oauth_revoke", path = "/oauth/revoke", tag = "oauth",
    request_body(content = schemas::TokenQuestion, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked (or nothing to revoke)"),
        (status = 400, description = "`invalid_request`: no token", body = schemas::OAuthError),
        (status = 401, description = "`invalid_client`", body = schemas::OAuthError),
        (status = 429, description = "`slow_down`: too many requests from this address", body = schemas::OAuthError),
    ))]
async fn revoke(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> OAuthResult<Response> {
    let form = form(&headers, &body)?;
    policy::limit_ip(&state, &client).await?;
    let registered = clients::authenticate(&state, &client, &headers, &form).await?;
    let token = form.get("token").ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    grants::revoke(&state, &client, &registered, token).await?;
    Ok(StatusCode::OK.into_response())
}

/// Introspect a token (RFC 7662)
///
/// Whether one of the calling client's tokens is active, and what it grants. Confidential
/// clients only; another client's token is inactive to it.
#[utoipa::path(post, operation_id = "oauth_introspect", path = "/oauth/introspect", tag = "oauth",
    request_body(content = schemas::TokenQuestion, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "`{\"active\": false}`, or the token's scope, subject, client and times", body = schemas::Introspection),
        (status = 400, description = "`invalid_request`: no token", body = schemas::OAuthError),
        (status = 401, description = "`invalid_client` (a public client cannot introspect)", body = schemas::OAuthError),
        (status = 429, description = "`slow_down`: too many requests from this address", body = schemas::OAuthError),
    ))]
async fn introspect(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> OAuthResult<Response> {
    let form = form(&headers, &body)?;
    policy::limit_ip(&state, &client).await?;
    let registered = clients::authenticate(&state, &client, &headers, &form).await?;
    if !registered.is_confidential() {
        return Err(OAuthError::invalid_client());
    }
    let token = form.get("token").ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    Ok(no_store(grants::introspect(&state, &registered, token).await?))
}

/// The person behind a bearer access token, with the claims its scopes allow.
async fn userinfo(state: &AppState, headers: &HeaderMap) -> OAuthResult<Response> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(bearer) = bearer else {
        let mut response = (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_request", "error_description": "A bearer token is required" })),
        )
            .into_response();
        response.headers_mut().insert("www-authenticate", HeaderValue::from_static("Bearer"));
        return Ok(response);
    };
    let invalid = || OAuthError::invalid_token("The access token is not valid");
    let claims = tokens::verify(state, bearer, false).await.ok_or_else(invalid)?;
    let (grant_id, client_id) = tokens::grant_of(&claims).ok_or_else(invalid)?;
    let grant = oauth::find_grant(state.db(), grant_id).await?.ok_or_else(invalid)?;
    if grant.revoked_at.is_some() || grant.client_id != client_id {
        return Err(invalid());
    }
    if !has_scope(&grant.scope, "openid") {
        return Err(OAuthError::Client {
            status: StatusCode::FORBIDDEN,
            error: "insufficient_scope",
            description: "The token was not granted the openid scope".into(),
            challenge: Some("Bearer error=\"insufficient_scope\""),
        });
    }
    let user_id = grant.user_id.ok_or_else(invalid)?;
    let user = users::find(state.db(), user_id).await?;
    let user = user.filter(|u| !u.is_banned() && !u.is_deleted()).ok_or_else(invalid)?;
    let mut body = serde_json::Map::new();
    body.insert("sub".into(), user.id.to_string().into());
    body.extend(tokens::user_claims(&user, &grant.scope));
    Ok(no_store(Value::Object(body)))
}

/// Who the token's person is (OpenID Connect)
///
/// The `sub` and the claims the token's scopes allow (`email`, `email_verified` for `email`;
/// `name`, `preferred_username`, `updated_at` for `profile`), for `Authorization: Bearer` with
/// an access token from `/oauth/token`.
#[utoipa::path(get, operation_id = "oauth_userinfo_get", path = "/oauth/userinfo", tag = "oauth",
    responses(
        (status = 200, description = "The claims", body = schemas::UserInfo),
        (status = 401, description = "No token (`invalid_request`) or a token that is not valid (`invalid_token`)", body = schemas::OAuthError),
        (status = 403, description = "`insufficient_scope`: the token has no `openid` scope", body = schemas::OAuthError),
    ))]
async fn userinfo_get(State(state): State<AppState>, headers: HeaderMap) -> OAuthResult<Response> {
    userinfo(&state, &headers).await
}

/// Who the token's person is (OpenID Connect, POST)
///
/// As `GET /oauth/userinfo`.
#[utoipa::path(post, operation_id = "oauth_userinfo_post", path = "/oauth/userinfo", tag = "oauth",
    responses(
        (status = 200, description = "The claims", body = schemas::UserInfo),
        (status = 401, description = "No token (`invalid_request`) or a token that is not valid (`invalid_token`)", body = schemas::OAuthError),
        (status = 403, description = "`insufficient_scope`: the token has no `openid` scope", body = schemas::OAuthError),
    ))]
async fn userinfo_post(State(state): State<AppState>, headers: HeaderMap) -> OAuthResult<Response> {
    userinfo(&state, &headers).await
}
