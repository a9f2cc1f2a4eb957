//! Posey's auth as an OpenID Connect provider, so a household's other apps (Home Assistant,
//! Grafana, Nextcloud) can "Sign in with Posey": registered clients, the authorization code flow
//! with PKCE, consent, refresh-token rotation, client credentials, id tokens (ES256, the signing
//! keys of access tokens; then encrypted to the client's key when it registered one), userinfo,
//! RP-initiated logout, revocation and introspection. The HTTP side is `routes::oauth`.
//!
//! Access tokens issued here are JWTs whose audience is the client (never `authenticated`), so
//! Posey's own services refuse them: a third-party app gets the person's identity, not their
//! Posey. Each token names its grant (`grant_id`); revoking the grant (logout of the app,
//! revocation, a reused code or refresh token) ends every token it issued.

pub mod browser;
pub mod clients;
pub mod error;
pub mod grants;
pub mod html;
pub mod jwe;
pub mod request;
pub mod tokens;

use std::time::Duration;

/// The scopes this provider knows; others asked for are ignored (OpenID Connect Core 3.1.2.1).
pub const SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// How long an authorization code may wait for its exchange.
pub const CODE_TTL: Duration = Duration::from_secs(60);

/// How long the provider's own browser session lasts (signing in again after).
pub const BROWSER_SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// The grant types a registered client may have.
pub const GRANT_TYPES: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];

/// The methods clients authenticate with at the token, revocation and introspection endpoints.
pub const AUTH_METHODS: [&str; 3] = ["client_secret_basic", "client_secret_post", "none"];

/// `scope`'s scopes, in order, without repeats.
pub fn split_scopes(scope: &str) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for s in scope.split_ascii_whitespace() {
        if !scopes.iter().any(|known| known == s) {
            scopes.push(s.to_owned());
        }
    }
    scopes
}

pub fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split_ascii_whitespace().any(|s| s == wanted)
}
