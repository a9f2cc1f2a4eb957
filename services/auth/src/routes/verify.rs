//! `/verify`, where the email flows end. `POST` (`verifyOtp`) takes the six-digit code with the
//! address it was sent to (`token` + `email`), or a link's token (`token_hash`), and answers a
//! session. `GET` is the link in the email: it redirects (303) to the app with the session in
//! the fragment, with `?code=` for a PKCE flow, or with the error in the fragment, as GoTrue
//! does. Either way the token is used up, the address confirmed (or the email change made), and
//! the person signed in.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use posey_domain::Email;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::{Postgres, Transaction};
use url::Url;
use url::form_urlencoded::Serializer;

use crate::config::AuthSettings;
use crate::db::audit::{self, Event};
use crate::db::email_flows;
use crate::db::users::{self, User};
use crate::error::{AuthError, AuthResult};
use crate::extract::{AuthJson, Client};
use crate::onetime::{self, Consumed, Kind, Presented};
use crate::routes::email_flow;
use crate::routes::openapi::{BadInput, RateLimited, schemas};
use crate::session::{self, Issued};
use crate::state::AppState;
use crate::{pkce, policy, tokens};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(verify_link, verify_otp))
}

fn expired_code() -> AuthError {
    AuthError::new(StatusCode::FORBIDDEN, "otp_expired", "Token has expired or is invalid")
}

fn expired_link() -> AuthError {
    AuthError::new(StatusCode::FORBIDDEN, "otp_expired", "Email link is invalid or has expired")
}

fn nonempty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn kinds(raw_type: Option<&str>) -> AuthResult<Vec<Kind>> {
    let raw =
        raw_type.ok_or_else(|| AuthError::validation("Verify requires a verification type"))?;
    Kind::parse(raw).ok_or_else(|| AuthError::validation("Unsupported verification type"))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct VerifyBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    token: Option<String>,
    token_hash: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    redirect_to: Option<String>,
}

/// Verify a code or a link's token, and sign in
///
/// The six-digit code with the address it was sent to (`token` + `email`), or a link's token
/// (`token_hash`), of `type` `signup`, `recovery`, `magiclink`, `email_change`, `invite` or
/// `email` (a sign-up or magic-link code). An invite's token works only as `token_hash`.
#[utoipa::path(post, path = "/verify", tag = "email",
    request_body = VerifyBody,
    responses(
        (status = 200, description = "Verified: a session", body = schemas::Session),
        (status = 403, description = "The code or link is wrong, used or expired (`otp_expired`), or the user is banned (`user_banned`)", body = schemas::GoTrueError),
        (status = 422, description = "The address is taken by now (`email_exists`), or a malformed address (`validation_failed`)", body = schemas::GoTrueError),
        BadInput, RateLimited,
    ))]
async fn verify_otp(
    State(state): State<AppState>,
    client: Client,
    AuthJson(body): AuthJson<VerifyBody>,
) -> AuthResult<Json<Value>> {
    policy::limit_ip(&state, &client).await?;
    let kinds = kinds(nonempty(&body.kind))?;
    let address: Email;
    let (presented, expired): (Presented<'_>, fn() -> AuthError) =
        match (nonempty(&body.token), nonempty(&body.token_hash)) {
            (Some(code), None) => {
                let raw = match (nonempty(&body.email), nonempty(&body.phone)) {
                    (Some(raw), None) => raw,
                    (None, Some(_)) => return Err(email_flow::no_phone()),
                    _ => {
                        return Err(AuthError::validation(
                            "Only an email address or phone number should be provided on verify",
                        ));
                    }
                };
                address = Email::parse(raw).map_err(|_| {
                    AuthError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "validation_failed",
                        "Invalid email format",
                    )
                })?;
                // Six digits can be guessed: the account's limit bounds the guesses.
                policy::limit_account(&state, &address).await?;
                (Presented::Code { address: address.as_str(), code }, expired_code)
            }
            (None, Some(token_hash)) => {
                let extra = [&body.email, &body.phone, &body.redirect_to];
                if extra.into_iter().any(|v| nonempty(v).is_some()) {
                    return Err(AuthError::validation(
                        "Only the token_hash and type should be provided",
                    ));
                }
                (Presented::Link(token_hash), expired_link)
            }
            _ => {
                return Err(AuthError::validation(
                    "Verify requires either a token or a token hash",
                ));
            }
        };
    let by_code = matches!(presented, Presented::Code { .. });

    let mut tx = state.db().begin().await?;
    let consumed = onetime::consume(&mut *tx, presented, &kinds).await?.ok_or_else(expired)?;
    let (user, kind) = apply(&mut tx, &consumed, &client, expired).await?;
    let method = if by_code { "otp" } else { link_method(kind) };
    let issued = session::start(&state, &mut tx, &user, method, &client).await?;
    tx.commit().await?;
    Ok(Json(issued.to_json()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct LinkQuery {
    token: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    redirect_to: Option<String>,
}

/// Where a followed link lands.
enum Landing {
    /// Implicit flow: the session goes in the fragment.
    Session { issued: Box<Issued>, kind: Kind },
    /// PKCE flow: an auth code for the client to exchange with its verifier.
    Code(String),
}

/// Follow an email's link
///
/// Uses the token up and redirects (303) to `redirect_to` (or the site URL) with the session in
/// the fragment, with `?code=` for a PKCE flow, or with the error in the fragment (and, for
/// PKCE, the query), as GoTrue does.
#[utoipa::path(get, path = "/verify", tag = "email",
    params(LinkQuery),
    responses(
        (status = 303, description = "To the app, with the session, the PKCE code or the error", headers(("location" = String, description = "Where to go"))),
        BadInput, RateLimited,
    ))]
async fn verify_link(
    State(state): State<AppState>,
    client: Client,
    Query(query): Query<LinkQuery>,
) -> AuthResult<Response> {
    if nonempty(&query.kind).is_none() {
        return Err(AuthError::validation("Verify requires a verification type"));
    }
    let token = nonempty(&query.token)
        .ok_or_else(|| AuthError::validation("Verify requires a token or a token hash"))?;
    policy::limit_ip(&state, &client).await?;
    let settings = state.settings();
    let requested = query.redirect_to.as_deref();

    match follow_link(&state, &client, nonempty(&query.kind), token).await {
        Ok((stored, landing)) => {
            // The address the email was sent for wins; the link's query cannot change it.
            let mut url = landing_url(settings, stored.as_deref().or(requested));
            match landing {
                Landing::Session { issued, kind } => {
                    url.set_fragment(Some(&session_fragment(&issued, kind)));
                }
                Landing::Code(code) => set_query_pair(&mut url, "code", &code),
            }
            Ok(see_other(&url))
        }
        Err(error) => {
            // A used or expired token's row still says where it led and whether it was PKCE.
            let spent = email_flows::find_spent_token(state.db(), &tokens::hash(token)).await?;
            let (stored, pkce) =
                spent.map_or((None, false), |s| (s.redirect_to, s.flow_state_id.is_some()));
            let url = landing_url(settings, stored.as_deref().or(requested));
            Ok(see_other(&error_url(url, &error, pkce)))
        }
    }
}

/// Uses the link's token and signs the person in (or, for PKCE, issues the auth code), in one
/// transaction: a failure leaves the token unused. Returns the token's stored `redirect_to`.
async fn follow_link(
    state: &AppState,
    client: &Client,
    raw_type: Option<&str>,
    token: &str,
) -> AuthResult<(Option<String>, Landing)> {
    let kinds = kinds(raw_type)?;
    let mut tx = state.db().begin().await?;
    let consumed = onetime::consume(&mut *tx, Presented::Link(token), &kinds)
        .await?
        .ok_or_else(expired_link)?;
    let (user, kind) = apply(&mut tx, &consumed, client, expired_link).await?;
    let landing = match consumed.flow_state_id {
        Some(flow) => {
            let code = pkce::issue_code(&mut *tx, flow, user.id).await?.ok_or_else(|| {
                AuthError::new(
                    StatusCode::BAD_REQUEST,
                    "flow_state_not_found",
                    "No associated flow state found. invalid flow state, no valid flow state found",
                )
            })?;
            Landing::Code(code)
        }
        None => {
            let issued = session::start(state, &mut tx, &user, link_method(kind), client).await?;
            Landing::Session { issued: Box::new(issued), kind }
        }
    };
    tx.commit().await?;
    Ok((consumed.redirect_to, landing))
}

/// What a used token proves: the address it was sent to belongs to the person. Confirms the
/// address, or completes the email change; returns the user as it is now.
async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    consumed: &Consumed,
    client: &Client,
    expired: fn() -> AuthError,
) -> AuthResult<(User, Kind)> {
    let kind =
        Kind::parse(&consumed.kind).and_then(|kinds| kinds.first().copied()).ok_or_else(|| {
            AuthError::Internal(anyhow::anyhow!("token of unknown kind {:?}", consumed.kind))
        })?;
    let user = users::find(&mut **tx, consumed.user_id).await?.ok_or_else(expired)?;
    if user.is_banned() {
        return Err(AuthError::new(StatusCode::FORBIDDEN, "user_banned", "User is banned"));
    }
    let event = |action, payload| Event {
        action,
        actor_id: Some(user.id.to_string()),
        target_id: Some(user.id.to_string()),
        ip: client.ip,
        payload,
    };
    if kind == Kind::EmailChange {
        let new_email = consumed.relates_to.as_str();
        // A newer change (or none) since this email was sent: this link is stale.
        if user.email_change.as_deref() != Some(new_email) {
            return Err(expired());
        }
        let taken =
            users::find_by_email(&mut **tx, new_email).await?.is_some_and(|u| u.id != user.id);
        if taken {
            return Err(email_exists());
        }
        match email_flows::complete_email_change(&mut **tx, user.id, new_email).await {
            Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_email_key") => {
                return Err(email_exists());
            }
            other => other?,
        }
        let payload =
            json!({ "email_changed": true, "old_email": user.email, "new_email": new_email });
        audit::record(&mut **tx, event("user_modified", payload)).await?;
    } else {
        // Sent to an address the account no longer has: it proves nothing about the account.
        if consumed.relates_to != user.email {
            return Err(expired());
        }
        if users::confirm_email(&mut **tx, user.id).await? {
            let payload = json!({ "provider": "email", "confirmed_by": kind.as_str() });
            audit::record(&mut **tx, event("user_signedup", payload)).await?;
        }
    }
    let user = users::find(&mut **tx, user.id).await?.ok_or_else(expired)?;
    Ok((user, kind))
}

fn email_exists() -> AuthError {
    AuthError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "email_exists",
        "A user with this email address has already been registered",
    )
}

/// The `amr` method of a session started by following a link of `kind`.
fn link_method(kind: Kind) -> &'static str {
    match kind {
        Kind::Signup => "otp",
        Kind::Invite => "invite",
        Kind::MagicLink => "magiclink",
        Kind::Recovery => "recovery",
        Kind::EmailChange => "email_change",
    }
}

/// `redirect_to` if allowed (exactly listed), else the site URL.
fn landing_url(settings: &AuthSettings, requested: Option<&str>) -> Url {
    policy::redirect(settings, requested).parse().unwrap_or_else(|_| settings.site_url.clone())
}

/// GoTrue's implicit-flow fragment (its keys in its order).
fn session_fragment(issued: &Issued, kind: Kind) -> String {
    Serializer::new(String::new())
        .append_pair("access_token", &issued.access_token)
        .append_pair("expires_at", &issued.expires_at.to_string())
        .append_pair("expires_in", &issued.expires_in.to_string())
        .append_pair("refresh_token", &issued.refresh_token)
        .append_pair("token_type", "bearer")
        .append_pair("type", kind.as_str())
        .finish()
}

/// The error in the fragment (and, for PKCE, the query too), as GoTrue's `prepErrorRedirectURL`.
fn error_url(mut url: Url, error: &AuthError, pkce: bool) -> Url {
    let (status, code, message) = match error {
        AuthError::Client { status, code, message } => {
            tracing::info!(error_code = *code, "email link refused");
            (*status, *code, message.clone())
        }
        AuthError::RateLimited { code, .. } => {
            (StatusCode::TOO_MANY_REQUESTS, *code, "Too many requests".to_owned())
        }
        AuthError::Internal(cause) => {
            // Answered with a redirect, so the trace layer never sees it: log it here.
            tracing::error!(error = %format!("{cause:#}"), "following an email link failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "unexpected_failure",
                "Unexpected failure, please check server logs for more information".to_owned(),
            )
        }
    };
    let oauth = match status {
        StatusCode::BAD_REQUEST => Some("invalid_request"),
        StatusCode::UNAUTHORIZED => Some("unauthorized_client"),
        StatusCode::FORBIDDEN => Some("access_denied"),
        StatusCode::INTERNAL_SERVER_ERROR => Some("server_error"),
        StatusCode::SERVICE_UNAVAILABLE => Some("temporarily_unavailable"),
        _ => None,
    };
    let pairs = oauth
        .map(|e| ("error", e))
        .into_iter()
        .chain([("error_code", code), ("error_description", message.as_str())]);
    if pkce {
        for (key, value) in pairs.clone() {
            set_query_pair(&mut url, key, value);
        }
    }
    let mut fragment = Serializer::new(String::new());
    fragment.extend_pairs(pairs);
    // GoTrue marks its redirects so clients can tell them from other providers'.
    fragment.append_pair("sb", "");
    url.set_fragment(Some(&fragment.finish()));
    url
}

/// Sets `key` in the query, keeping the other parameters.
fn set_query_pair(url: &mut Url, key: &str, value: &str) {
    let others: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != key)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(others).append_pair(key, value);
}

/// 303 to `url`; never cached, as it may carry a session.
fn see_other(url: &Url) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, url.as_str().to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_go_in_the_fragment_and_for_pkce_in_the_query_too() {
        let base: Url = "http://app.test/welcome?keep=1".parse().unwrap();
        let url = error_url(base.clone(), &expired_link(), false);
        assert_eq!(
            url.as_str(),
            "http://app.test/welcome?keep=1#error=access_denied&error_code=otp_expired\
             &error_description=Email+link+is+invalid+or+has+expired&sb="
        );
        let url = error_url(base, &expired_link(), true);
        let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert!(query.contains(&("keep".into(), "1".into())));
        assert!(query.contains(&("error_code".into(), "otp_expired".into())));
        assert!(url.fragment().is_some_and(|f| f.starts_with("error=access_denied")));
    }

    #[test]
    fn a_code_replaces_an_earlier_one_and_keeps_other_parameters() {
        let mut url: Url = "http://app.test/cb?code=old&next=%2Fhome".parse().unwrap();
        set_query_pair(&mut url, "code", "new");
        assert_eq!(url.as_str(), "http://app.test/cb?next=%2Fhome&code=new");
    }
}
