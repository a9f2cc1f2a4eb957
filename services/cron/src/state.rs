//! The service's one state, shared by every handler.

use std::sync::Arc;

use axum::extract::FromRef;
use posey_http::auth::JwksVerifier;
use posey_http::backing::Backing;
use posey_http::ratelimit::RateLimiter;

use crate::Config;
use crate::notifications::stream::Hub;

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

pub struct App {
    pub config: Config,
    pub backing: Backing,
    /// Checks callers' access tokens (auth's JWKS, revoked sessions refused).
    pub verifier: Arc<JwksVerifier>,
    /// Wakes the notification streams (one Postgres listener per process).
    pub notifications: Hub,
    /// Counts each person's task writes (`TaskLimits::create_per_minute`).
    pub limiter: RateLimiter,
}

impl AppState {
    pub fn new(
        config: Config,
        backing: Backing,
        verifier: Arc<JwksVerifier>,
        notifications: Hub,
    ) -> Self {
        let limiter = RateLimiter::new(backing.redis.clone(), "posey:cron:rl:");
        Self(Arc::new(App { config, backing, verifier, notifications, limiter }))
    }

    pub fn db(&self) -> &sqlx::PgPool {
        &self.backing.db
    }
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

/// Lets `posey_http::auth::Authenticated` find the verifier.
impl FromRef<AppState> for Arc<JwksVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}
