//! Social login, as GoTrue's: `GET /authorize?provider=` sends the person to the upstream
//! provider (302) with a `state` kept here (single use, ten minutes), a `nonce` and a PKCE
//! challenge; the upstream sends them back to `/callback` (`GET`, or Apple's form `POST`) with
//! a code, exchanged and checked (`crate::external`). The upstream identity then signs in the
//! person it belongs to; or it is linked to the account with the same address, only when the
//! upstream says the address is verified; or a new account is made, when sign-up is open. The
//! person lands on `redirect_to` with `?code=` for a PKCE flow (auth-js exchanges it at
//! `POST /token?grant_type=pkce`) or the session in the fragment; errors land there as
//! `error`/`error_code`/`error_description`, or on a plain page when there is nowhere to go.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use posey_domain::Email;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use url::Url;
use url::form_urlencoded::Serializer;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::db::audit::{self, Event};
use crate::db::identities::{self, NewIdentity, NewState};
use crate::db::users::{self, NewUser, User};
use crate::db::{install, roles};
use crate::error::{AuthError, AuthResult};
use crate::external::{Begun, Failure, Person, Protocol, Provider};
use crate::extract::{ADMIN_ROLE, Client};
use crate::policy::{self, SignupMode};
use crate::routes::openapi::RateLimited;
use crate::state::AppState;
use crate::{pkce, session, tokens};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(authorize)).routes(routes!(callback, callback_form))
}

/// How long a person has to come back from the upstream.
const STATE_TTL: Duration = Duration::minutes(10);
/// How long a PKCE flow started at `/authorize` lasts (the upstream's sign-in, then the code's
/// exchange).
const FLOW_TTL: std::time::Duration = std::time::Duration::from_secs(15 * 60);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuthorizeQuery {
    /// `google`, `apple`, `azure` (Microsoft), `github` or `oidc`: one the operator enabled.
    provider: Option<String>,
    /// Where the person lands afterwards: `AUTH_SITE_URL` or one of `AUTH_REDIRECT_URLS`
    /// (anything else means the site URL).
    redirect_to: Option<String>,
    /// Scopes to ask the upstream for besides the provider's, space-separated.
    scopes: Option<String>,
    /// PKCE: the landing gets `?code=` to exchange at `POST /token?grant_type=pkce`.
    code_challenge: Option<String>,
    /// `s256` or `plain`.
    code_challenge_method: Option<String>,
    /// `true`: answer the provider's URL as JSON (200) instead of redirecting (auth-js's
    /// `skipBrowserRedirect`).
    skip_http_redirect: Option<bool>,
}

/// The provider's URL, for a client that goes there itself.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct AuthorizeUrl {
    url: String,
}

/// Sign in with an upstream provider
///
/// Redirects (302) to the provider's sign-in page (or answers its URL, with
/// `skip_http_redirect=true`); the provider sends the person back to `/callback`.
/// The providers on offer are `GET /settings`'s `external`.
#[utoipa::path(get, path = "/authorize", tag = "accounts",
    params(AuthorizeQuery),
    responses(
        (status = 302, description = "To the provider's sign-in", headers(("location" = String, description = "The provider's authorization URL"))),
        (status = 200, description = "With `skip_http_redirect=true`: the provider's sign-in URL", body = AuthorizeUrl),
        (status = 400, description = "No such provider enabled, or bad scopes or code challenge (`validation_failed`)", body = crate::routes::openapi::schemas::GoTrueError),
        (status = 502, description = "The provider could not be reached (`provider_unavailable`)", body = crate::routes::openapi::schemas::GoTrueError),
        RateLimited,
    ))]
async fn authorize(
    State(state): State<AppState>,
    client: Client,
    Query(query): Query<AuthorizeQuery>,
) -> AuthResult<Response> {
    policy::limit_ip(&state, &client).await?;
    let settings = state.settings();
    let name = query.provider.as_deref().map(str::trim).unwrap_or_default().to_ascii_lowercase();
    let provider = settings
        .external
        .find(&name)
        .ok_or_else(|| AuthError::validation("Unsupported provider: provider is not enabled"))?;
    let extra = extra_scopes(query.scopes.as_deref())?;
    let flow = pkce::Challenge::parse(
        query.code_challenge.as_deref(),
        query.code_challenge_method.as_deref(),
    )?;
    let redirect_to = policy::redirect(settings, query.redirect_to.as_deref());
    let begun = Begun::generate();
    let url =
        settings.external.authorize_url(provider, &begun, &extra).await.map_err(|failure| {
            tracing::warn!(provider = provider.name, error = ?failure, "upstream discovery failed");
            unavailable()
        })?;

    let now = state.clock.now();
    let mut tx = state.db().begin().await?;
    if let Some(challenge) = &flow {
        pkce::save(&mut *tx, challenge, None, "oauth", FLOW_TTL).await?;
    }
    identities::purge_states(&mut *tx, now).await?;
    identities::insert_state(
        &mut *tx,
        &NewState {
            state_hash: &tokens::hash(&begun.state),
            provider: provider.name,
            nonce: &begun.nonce,
            code_verifier: &begun.code_verifier,
            redirect_to: &redirect_to,
            flow_state_id: flow.as_ref().map(|c| c.id),
            expires_at: now + STATE_TTL,
        },
    )
    .await?;
    tx.commit().await?;
    let mut response = if query.skip_http_redirect == Some(true) {
        axum::Json(AuthorizeUrl { url: url.into() }).into_response()
    } else {
        found(url.as_str())
    };
    // Without PKCE nothing ties the answer to this browser (the app's verifier does for PKCE):
    // the state goes in a cookie too, and the callback wants both (RFC 9700 4.7; else anyone
    // could send a person a callback link signing them in as someone else).
    if flow.is_none() {
        let cookie = state_cookie(settings, &begun.state, STATE_TTL.num_seconds());
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The cookie that binds an implicit sign-in's `state` to the browser that began it.
const STATE_COOKIE: &str = "posey-external-state";

/// `value` in the state cookie for `max_age` seconds (0 clears it). Apple posts its answer
/// from its own site, so over HTTPS the cookie goes with cross-site requests (`SameSite=None`);
/// a plain-HTTP install (development) keeps `Lax`, which browsers allow without `Secure`.
fn state_cookie(settings: &crate::config::AuthSettings, value: &str, max_age: i64) -> HeaderValue {
    let same_site = if settings.external_url.scheme() == "https" {
        "SameSite=None; Secure"
    } else {
        "SameSite=Lax"
    };
    let cookie =
        format!("{STATE_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; {same_site}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Whether the browser holds the state cookie for `raw_state`.
fn began_here(headers: &HeaderMap, raw_state: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| {
            name == STATE_COOKIE && bool::from(value.as_bytes().ct_eq(raw_state.as_bytes()))
        })
}

fn unavailable() -> AuthError {
    AuthError::new(
        StatusCode::BAD_GATEWAY,
        "provider_unavailable",
        "The provider could not be reached; try again later",
    )
}

/// `scopes`: space-separated scope tokens (RFC 6749 3.3), a handful at most.
fn extra_scopes(raw: Option<&str>) -> AuthResult<Vec<&str>> {
    let scopes: Vec<&str> = raw.map(|r| r.split_ascii_whitespace().collect()).unwrap_or_default();
    let bad = |s: &&str| {
        s.len() > 256
            || !s
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
    };
    if scopes.len() > 20 || scopes.iter().any(bad) {
        return Err(AuthError::validation("scopes must be at most 20 scope tokens"));
    }
    Ok(scopes)
}

/// What an upstream sends back (RFC 6749 4.1.2, RFC 9207's `iss`).
#[derive(Debug, Default, Deserialize, IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
struct CallbackParams {
    /// The sign-in this answers, as `/authorize` sent it.
    state: Option<String>,
    /// The authorization code.
    code: Option<String>,
    /// The upstream's refusal (`access_denied`, ...) instead of a code.
    error: Option<String>,
    error_description: Option<String>,
    /// The upstream's issuer (RFC 9207), checked when given.
    iss: Option<String>,
}

/// Back from the upstream provider
///
/// Checks the sign-in's `state`, exchanges the code and checks the person the upstream vouches
/// for, then redirects (302) to the sign-in's `redirect_to` with `?code=` (PKCE) or the session
/// in the fragment, or with the error (`error`, `error_code`, `error_description`) in the
/// fragment and, for PKCE, the query. An unknown, used or missing `state` (nowhere known to
/// send the person) gets a 400 error.
#[utoipa::path(get, path = "/callback", tag = "accounts",
    params(CallbackParams),
    responses(
        (status = 302, description = "To the app, with the PKCE code, the session or the error", headers(("location" = String, description = "Where to go"))),
        (status = 400, description = "An unknown, used or missing `state`, where there is no app to send the person to (`bad_oauth_state`)", body = crate::routes::openapi::schemas::GoTrueError),
        RateLimited,
    ))]
async fn callback(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> AuthResult<Response> {
    back_from_upstream(&state, &client, &headers, params).await
}

/// Back from the upstream provider, as a form post
///
/// `GET /callback`'s, for providers that post their answer (Apple's `response_mode=form_post`).
#[utoipa::path(post, path = "/callback", tag = "accounts",
    request_body(content = CallbackParams, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 302, description = "To the app, with the PKCE code, the session or the error", headers(("location" = String, description = "Where to go"))),
        (status = 400, description = "An unknown, used or missing `state`, where there is no app to send the person to (`bad_oauth_state`)", body = crate::routes::openapi::schemas::GoTrueError),
        (status = 415, description = "Not a form: the body must be `application/x-www-form-urlencoded` (`bad_json`)", body = crate::routes::openapi::schemas::GoTrueError),
        RateLimited,
    ))]
async fn callback_form(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(params): Form<CallbackParams>,
) -> AuthResult<Response> {
    back_from_upstream(&state, &client, &headers, params).await
}

async fn back_from_upstream(
    state: &AppState,
    client: &Client,
    headers: &HeaderMap,
    params: CallbackParams,
) -> AuthResult<Response> {
    policy::limit_ip(state, client).await?;
    let Some(raw_state) = params.state.as_deref().filter(|s| !s.is_empty() && s.len() <= 128)
    else {
        return Err(bad_state("The sign-in has no state: start it again from the app"));
    };
    let now = state.clock.now();
    let Some(taken) = identities::take_state(state.db(), &tokens::hash(raw_state), now).await?
    else {
        return Err(bad_state(
            "This sign-in is unknown or was used already: start it again from the app",
        ));
    };
    // Where the person goes, error or not; an unparseable stored URL means the site URL.
    let landing: Url =
        taken.redirect_to.parse().unwrap_or_else(|_| state.settings().site_url.clone());
    let pkce = taken.flow_state_id.is_some();
    let outcome = if pkce || began_here(headers, raw_state) {
        sign_in(state, client, &taken, &params).await
    } else {
        Err(bad_state("This sign-in was begun in another browser: start it again from the app"))
    };
    let mut response = match outcome {
        Ok(Landing::Code(code)) => {
            let mut url = landing;
            url.query_pairs_mut().append_pair("code", &code);
            found(url.as_str())
        }
        Ok(Landing::Session(issued)) => {
            let mut url = landing;
            let fragment = Serializer::new(String::new())
                .append_pair("access_token", &issued.access_token)
                .append_pair("expires_at", &issued.expires_at.to_string())
                .append_pair("expires_in", &issued.expires_in.to_string())
                .append_pair("provider_type", &taken.provider)
                .append_pair("refresh_token", &issued.refresh_token)
                .append_pair("token_type", "bearer")
                .finish();
            url.set_fragment(Some(&fragment));
            found(url.as_str())
        }
        Err(error) => found(error_url(landing, &error, pkce).as_str()),
    };
    if !pkce {
        let cleared = state_cookie(state.settings(), "", 0);
        response.headers_mut().append(header::SET_COOKIE, cleared);
    }
    Ok(response)
}

enum Landing {
    Code(String),
    Session(Box<session::Issued>),
}

/// Checks the answer and signs the person in, in one transaction.
async fn sign_in(
    state: &AppState,
    client: &Client,
    taken: &identities::TakenState,
    params: &CallbackParams,
) -> AuthResult<Landing> {
    if !taken.live {
        return Err(bad_state("OAuth state has expired: start the sign-in again"));
    }
    if let Some(error) = params.error.as_deref() {
        let detail = params.error_description.as_deref().unwrap_or(error);
        tracing::info!(provider = taken.provider, error, "the provider refused the sign-in");
        return Err(AuthError::new(
            StatusCode::FORBIDDEN,
            "bad_oauth_callback",
            format!("The provider refused the sign-in: {}", truncate(detail, 200)),
        ));
    }
    let upstreams = &state.settings().external;
    let provider = upstreams
        .find(&taken.provider)
        .ok_or_else(|| AuthError::validation("Unsupported provider: provider is not enabled"))?;
    if let (Some(iss), Protocol::Oidc { issuer }) = (params.iss.as_deref(), &provider.protocol)
        && !issuer.contains("{tenantid}")
        && iss.trim_end_matches('/') != issuer.trim_end_matches('/')
    {
        return Err(bad_callback(format!("the answer names issuer {:?}", truncate(iss, 200))));
    }
    let code = params
        .code
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() <= 2048)
        .ok_or_else(|| bad_callback("the provider sent no code".into()))?;
    let person = upstreams
        .finish(provider, code, &taken.code_verifier, &taken.nonce)
        .await
        .map_err(|failure| match failure {
            Failure::Refused { code, message } => {
                tracing::warn!(provider = provider.name, error_code = code, %message, "upstream answer refused");
                AuthError::new(StatusCode::BAD_REQUEST, code, "The provider's answer could not be verified")
            }
            Failure::Unavailable(detail) => {
                tracing::warn!(provider = provider.name, %detail, "upstream unavailable");
                unavailable()
            }
        })?;

    let mut tx = state.db().begin().await?;
    let user = account_for(state, &mut tx, client, provider, &person).await?;
    if user.is_banned() {
        return Err(AuthError::new(StatusCode::FORBIDDEN, "user_banned", "User is banned"));
    }
    let landing = match taken.flow_state_id {
        Some(flow) => {
            let code = pkce::issue_code(&mut *tx, flow, user.id).await?.ok_or_else(|| {
                AuthError::new(
                    StatusCode::BAD_REQUEST,
                    "flow_state_not_found",
                    "invalid flow state, no valid flow state found",
                )
            })?;
            Landing::Code(code)
        }
        None => Landing::Session(Box::new(
            session::start(state, &mut tx, &user, "oauth", client).await?,
        )),
    };
    tx.commit().await?;
    Ok(landing)
}

/// The account the upstream identity belongs to: its own, the one with its verified address
/// (linked now), or a new one.
async fn account_for(
    state: &AppState,
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    client: &Client,
    provider: &Provider,
    person: &Person,
) -> AuthResult<User> {
    let not_found = || AuthError::not_found("user_not_found", "User not found");
    let data = Value::Object(person.claims.clone());
    let email = person.email.as_deref().and_then(|e| Email::parse(e).ok());
    let address = email.as_ref().map(|e| e.as_str().to_owned());
    let identity = |user_id| NewIdentity {
        user_id,
        provider: provider.name,
        provider_id: &person.subject,
        identity_data: &data,
        email: address.as_deref(),
    };
    if let Some(user_id) = identities::find_user(&mut **tx, provider.name, &person.subject).await? {
        identities::upsert(&mut **tx, &identity(user_id)).await?;
        return users::find(&mut **tx, user_id).await?.ok_or_else(not_found);
    }
    let Some(email) = email else {
        return Err(AuthError::new(
            StatusCode::BAD_REQUEST,
            "email_address_not_provided",
            "The provider gave no email address; an account needs one",
        ));
    };
    let unverified = || {
        AuthError::new(
            StatusCode::FORBIDDEN,
            "provider_email_needs_verification",
            format!(
                "Unverified email with {}: verify the address there, then sign in again",
                provider.name
            ),
        )
    };
    if !person.email_verified {
        // Neither linked to the account with that address nor used for a new one: whoever
        // holds the upstream account has not proved the address is theirs.
        return Err(unverified());
    }
    let event = |action, user_id: uuid::Uuid, payload| Event {
        action,
        actor_id: Some(user_id.to_string()),
        target_id: Some(user_id.to_string()),
        ip: client.ip,
        payload,
    };
    if let Some(existing) = users::find_by_email(&mut **tx, email.as_str()).await? {
        if !identities::upsert(&mut **tx, &identity(existing.id)).await? {
            return Err(identity_taken());
        }
        identities::confirm_by_upstream(&mut **tx, existing.id).await?;
        identities::add_provider(&mut **tx, existing.id, provider.name).await?;
        let payload = json!({ "provider": provider.name, "identity_linked": true });
        audit::record(&mut **tx, event("user_modified", existing.id, payload)).await?;
        return users::find(&mut **tx, existing.id).await?.ok_or_else(not_found);
    }

    let owner = match policy::signup_mode(state).await? {
        SignupMode::Invite => return Err(policy::invite_only()),
        SignupMode::Owner => install::claim_first_account(tx).await?,
        SignupMode::Open => false,
    };
    if !owner && !state.settings().open_signup {
        // Another sign-up made the owner meanwhile.
        return Err(policy::invite_only());
    }
    let user = users::insert(
        &mut **tx,
        &NewUser {
            email: email.as_str(),
            password_hash: None,
            user_metadata: &user_metadata(&person.claims, provider.name),
            app_metadata: &json!({ "provider": provider.name, "providers": [provider.name] }),
            role: "authenticated",
            confirmed: true,
        },
    )
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.constraint() == Some("users_email_key") => AuthError::new(
            StatusCode::CONFLICT,
            "conflict",
            "Another sign-in made this account meanwhile: try again",
        ),
        other => other.into(),
    })?;
    if !identities::upsert(&mut **tx, &identity(user.id)).await? {
        return Err(identity_taken());
    }
    let payload = json!({ "provider": provider.name, "owner": owner });
    audit::record(&mut **tx, event("user_signedup", user.id, payload)).await?;
    if owner {
        roles::grant(&mut **tx, user.id, ADMIN_ROLE).await?;
        let payload = json!({ "user_id": user.id, "role": ADMIN_ROLE, "owner": true });
        audit::record(&mut **tx, event("role_granted", user.id, payload)).await?;
    }
    Ok(user)
}

/// GoTrue's `user_metadata` of an account made by an upstream: what it says of the person.
fn user_metadata(claims: &Map<String, Value>, provider: &str) -> Value {
    let mut meta = Map::new();
    for key in [
        "name",
        "full_name",
        "picture",
        "avatar_url",
        "preferred_username",
        "user_name",
        "email",
        "email_verified",
        "sub",
        "iss",
    ] {
        if let Some(value) = claims.get(key) {
            meta.insert(key.to_owned(), value.clone());
        }
    }
    if let Some(sub) = claims.get("sub") {
        meta.insert("provider_id".into(), sub.clone());
    }
    meta.insert("provider".into(), json!(provider));
    Value::Object(meta)
}

/// The identity was linked to another account between the look-up and the write (a race).
fn identity_taken() -> AuthError {
    AuthError::new(
        StatusCode::CONFLICT,
        "identity_already_exists",
        "This identity is already linked to another account",
    )
}

fn bad_state(message: &str) -> AuthError {
    AuthError::new(StatusCode::BAD_REQUEST, "bad_oauth_state", message)
}

fn bad_callback(detail: String) -> AuthError {
    tracing::warn!(%detail, "upstream answer refused");
    AuthError::new(
        StatusCode::BAD_REQUEST,
        "bad_oauth_callback",
        "The provider's answer could not be verified",
    )
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// 302 to `url`; never cached, as it may carry a session.
fn found(url: &str) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, url.to_owned()), (header::CACHE_CONTROL, "no-store".to_owned())],
    )
        .into_response()
}

/// The error in the fragment (and, for PKCE, the query too), as GoTrue's redirects carry it.
fn error_url(mut url: Url, error: &AuthError, pkce: bool) -> Url {
    let (status, code, message) = match error {
        AuthError::Client { status, code, message } => (*status, *code, message.clone()),
        AuthError::RateLimited { code, .. } => {
            (StatusCode::TOO_MANY_REQUESTS, *code, "Too many requests".to_owned())
        }
        AuthError::Internal(cause) => {
            tracing::error!(error = %format!("{cause:#}"), "social sign-in failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "unexpected_failure",
                "Unexpected failure, please check server logs for more information".to_owned(),
            )
        }
    };
    let oauth = match status {
        StatusCode::FORBIDDEN => "access_denied",
        StatusCode::INTERNAL_SERVER_ERROR => "server_error",
        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE => "temporarily_unavailable",
        _ => "invalid_request",
    };
    let pairs = [("error", oauth), ("error_code", code), ("error_description", message.as_str())];
    if pkce {
        url.query_pairs_mut().extend_pairs(pairs);
    }
    let mut fragment = Serializer::new(String::new());
    fragment.extend_pairs(pairs);
    fragment.append_pair("sb", "");
    url.set_fragment(Some(&fragment.finish()));
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_scope_tokens_and_few() {
        assert_eq!(extra_scopes(Some(" a  b:c ")).unwrap(), ["a", "b:c"]);
        assert!(extra_scopes(Some("a\"b")).is_err());
        let many = vec!["s"; 21].join(" ");
        assert!(extra_scopes(Some(&many)).is_err());
    }

    #[test]
    fn errors_reach_the_app_in_the_fragment_and_for_pkce_the_query() {
        let url = error_url("http://app.test/cb".parse().unwrap(), &bad_state("expired"), true);
        assert_eq!(
            url.as_str(),
            "http://app.test/cb?error=invalid_request&error_code=bad_oauth_state&error_description=expired\
             #error=invalid_request&error_code=bad_oauth_state&error_description=expired&sb="
        );
    }
}
