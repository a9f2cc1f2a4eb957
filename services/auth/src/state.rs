//! The service's one state, shared by every handler.

use std::sync::Arc;

use posey_domain::clock::SharedClock;
use posey_http::auth::JwksVerifier;
use posey_http::backing::Backing;

use crate::Config;
use crate::keys::Keys;
use crate::mailer::Mailer;
use crate::password::Hasher;
use posey_http::ratelimit::RateLimiter;

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

pub struct App {
    pub config: Config,
    pub backing: Backing,
    pub hasher: Hasher,
    pub keys: Keys,
    /// Verifies this service's own access tokens (keys straight from `keys`, revocations too).
    pub verifier: Arc<JwksVerifier>,
    pub limiter: RateLimiter,
    pub mailer: Mailer,
    /// Derives a refresh token's successor from it (see `tokens`).
    pub refresh_secret: Vec<u8>,
    /// Seals TOTP secrets at rest (see `mfa::seal`).
    pub mfa_key: Vec<u8>,
    /// "Now" for sessions and their tokens (sign-in, refresh, the reuse interval) and for
    /// verifying tokens; tests move it instead of sleeping.
    pub clock: SharedClock,
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

impl AppState {
    pub fn db(&self) -> &sqlx::PgPool {
        &self.backing.db
    }

    pub fn settings(&self) -> &crate::config::AuthSettings {
        &self.config.auth
    }
}
