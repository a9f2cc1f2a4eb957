//! The provider's own browser session: a first-party cookie (HttpOnly, SameSite=Lax, Secure
//! unless the issuer is plain-HTTP localhost) naming a row of `auth.oauth_browser_sessions`,
//! and the consent form's CSRF token, bound to that session and to the request it answers.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::db::oauth::{self, BrowserSession};
use crate::db::users::{self, User};
use crate::oidc::BROWSER_SESSION_TTL;
use crate::state::AppState;
use crate::tokens;

pub const COOKIE_NAME: &str = "posey_oidc";

/// A signed-in browser: the cookie's token, the session and the person.
pub struct Browser {
    pub token: String,
    pub session: BrowserSession,
    pub user: User,
}

/// The cookie's token, if the request has one.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// The browser's live session and its person (banned, deleted: none).
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> sqlx::Result<Option<Browser>> {
    let Some(token) = cookie_token(headers) else {
        return Ok(None);
    };
    let now = state.clock.now();
    let Some(session) = oauth::find_browser_session(state.db(), &tokens::hash(&token), now).await?
    else {
        return Ok(None);
    };
    let user = users::find(state.db(), session.user_id).await?;
    Ok(user.filter(|u| !u.is_banned() && !u.is_deleted()).map(|user| Browser {
        token,
        session,
        user,
    }))
}

/// A browser session just started: its token, the `Set-Cookie` value, the session.
pub struct Started {
    pub token: String,
    pub cookie: String,
    pub session: BrowserSession,
}

/// Starts a browser session for `user`.
pub async fn start(state: &AppState, user: &User) -> sqlx::Result<Started> {
    let token = tokens::random_token();
    let now = state.clock.now();
    let expires = now + chrono::Duration::from_std(BROWSER_SESSION_TTL).unwrap_or_default();
    oauth::insert_browser_session(state.db(), &tokens::hash(&token), user.id, now, expires).await?;
    let max_age = BROWSER_SESSION_TTL.as_secs();
    let cookie = format!("{COOKIE_NAME}={token}; {}; Max-Age={max_age}", attributes(state));
    Ok(Started { token, cookie, session: BrowserSession { user_id: user.id, auth_time: now } })
}

/// Ends the browser's session; returns the `Set-Cookie` value that clears the cookie.
pub async fn end(state: &AppState, headers: &HeaderMap) -> sqlx::Result<String> {
    if let Some(token) = cookie_token(headers) {
        oauth::delete_browser_session(state.db(), &tokens::hash(&token)).await?;
    }
    Ok(format!("{COOKIE_NAME}=; {}; Max-Age=0", attributes(state)))
}

fn attributes(state: &AppState) -> String {
    let secure = if plain_localhost(&state.settings().issuer) { "" } else { "; Secure" };
    format!("Path=/; HttpOnly; SameSite=Lax{secure}")
}

/// An `http://` issuer on this machine, where browsers would not send a Secure cookie back.
fn plain_localhost(issuer: &str) -> bool {
    let Ok(url) = url::Url::parse(issuer) else {
        return false;
    };
    let host = url.host_str().unwrap_or_default();
    url.scheme() == "http"
        && (host == "localhost"
            || host.ends_with(".localhost")
            || host == "127.0.0.1"
            || host == "[::1]")
}

/// The consent form's CSRF token for `request` in the session of `cookie_token`.
pub fn csrf_token(state: &AppState, cookie_token: &str, request: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&state.refresh_secret).expect("HMAC takes any key length");
    mac.update(b"posey-oidc-consent\0");
    mac.update(&tokens::hash(cookie_token));
    mac.update(request.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

pub fn csrf_matches(state: &AppState, cookie_token: &str, request: &str, presented: &str) -> bool {
    let expected = csrf_token(state, cookie_token, request);
    bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

/// Whether a form post comes from the provider's own pages: a browser says where a request
/// comes from (`Sec-Fetch-Site`, else `Origin`), and a post from another site is a login CSRF
/// (signing the person in as someone else). A client that sends neither is not a browser
/// acting for someone who did not mean it, and passes.
pub fn from_own_page(state: &AppState, headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(axum::http::header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let settings = state.settings();
    let own = |url: &str| {
        url::Url::parse(url).is_ok_and(|url| url.origin().ascii_serialization() == origin)
    };
    own(settings.external_url.as_str()) || own(&settings.issuer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_on_this_machine_goes_without_secure() {
        assert!(plain_localhost("http://localhost:9000"));
        assert!(plain_localhost("http://127.0.0.1:9000"));
        assert!(plain_localhost("http://auth.localhost"));
        assert!(!plain_localhost("https://localhost:9000"));
        assert!(!plain_localhost("http://posey.lan"));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, "a=1; posey_oidc=tok; b=2".parse().unwrap());
        assert_eq!(cookie_token(&headers).as_deref(), Some("tok"));
    }
}
