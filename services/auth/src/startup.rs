//! Building and running the service: read (or make) the key that seals the signing keys, connect
//! and migrate, load (or create) the signing key and instance secrets, start the background work
//! (key rotation, revocation polling), bind first (port 0 works), then serve until the shutdown
//! future completes.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use posey_domain::clock::{SharedClock, SystemClock};
use posey_http::auth::{JwksVerifier, RevocationList, VerifierConfig};
use posey_http::backing::Backing;
use posey_http::server::Server;
use rand::RngCore;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::keys::Keys;
use crate::mailer::Mailer;
use crate::password::Hasher;
use crate::routes;
use crate::state::{App, AppState};
use posey_http::ratelimit::RateLimiter;

/// The service's name in logs and spans.
pub const SERVICE: &str = "auth";

/// What tests replace when they build the service.
#[derive(Default)]
pub struct Overrides {
    /// A password hasher (tests use cheap parameters; production uses OWASP's).
    pub hasher: Option<Hasher>,
    /// The clock sessions and tokens read (the machine's by default).
    pub clock: Option<SharedClock>,
}

pub struct Application {
    server: Server,
    background: CancellationToken,
    state: AppState,
}

impl Application {
    /// With a given password hasher (tests use cheap parameters; production uses OWASP's).
    pub async fn build_with_hasher(config: Config, hasher: Option<Hasher>) -> anyhow::Result<Self> {
        Self::build_with(config, Overrides { hasher, ..Overrides::default() }).await
    }

    /// With what tests replace.
    pub async fn build_with(config: Config, overrides: Overrides) -> anyhow::Result<Self> {
        let Overrides { hasher, clock } = overrides;
        let clock = clock.unwrap_or_else(SystemClock::shared);
        // Before anything connects: a missing or damaged key stops the start at once.
        let sealing = config.auth.key_encryption.resolve()?;
        let backing = Backing::connect(SERVICE, &config.service).await?;
        let settings = &config.auth;
        let background = CancellationToken::new();
        let keys = Keys::load(
            backing.db.clone(),
            sealing,
            settings.key_rotation_interval,
            settings.access_token_ttl,
        )
        .await?;
        keys.spawn_rotation(background.clone());
        let revocations =
            RevocationList::start(backing.db.clone(), Duration::from_secs(1), background.clone())
                .await?;
        let jwks_url = settings.external_url.join("/.well-known/jwks.json")?;
        let mut verifier_config = VerifierConfig::new(jwks_url, settings.issuer.clone());
        // Its own keys come straight from the database: a fresh rotation is seen at once.
        verifier_config.refresh_min_interval = Duration::ZERO;
        let verifier = JwksVerifier::with_source(verifier_config, keys.clone())
            .with_revocations(revocations)
            .with_clock(clock.clone());
        let hasher = match hasher {
            Some(h) => h,
            None => Hasher::owasp(settings.hash_concurrency)?,
        };
        let mailer = Mailer::new(backing.db.clone(), settings)?;
        let refresh_secret = instance_secret(&backing.db, "refresh_token_successor").await?;
        let mfa_key = instance_secret(&backing.db, "mfa_totp_seal").await?;
        let limiter = RateLimiter::new(backing.redis.clone(), "posey:auth:rl:");
        let readiness = backing.readiness();
        let http = config.service.http.clone();
        let state = AppState(Arc::new(App {
            config,
            backing: backing.clone(),
            hasher,
            keys,
            verifier: Arc::new(verifier),
            limiter,
            mailer,
            refresh_secret,
            mfa_key,
            clock,
        }));
        let router = routes::router().with_state(state.clone()).merge(readiness.router());
        // The shared layers' own errors (unknown route, wrong method, a NUL in the URI) in
        // GoTrue's shape, like every other error of auth's.
        let server =
            Server::bind_shaped(SERVICE, &http, router, backing, crate::error::edge_shape).await?;
        Ok(Self { server, background, state })
    }

    /// The signing keys, for operators' commands and tests (rotation on demand).
    pub fn keys(&self) -> Keys {
        self.state.keys.clone()
    }
}

impl posey_http::Service for Application {
    const PROGRAM: &str = "posey-auth";

    type Config = Config;

    async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_hasher(config, None).await
    }

    fn port(&self) -> u16 {
        self.server.port()
    }

    async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let served = self.server.run_until_stopped(shutdown).await;
        self.background.cancel();
        served
    }
}

/// A secret this service made for itself on first start, shared by all replicas.
async fn instance_secret(db: &sqlx::PgPool, name: &str) -> anyhow::Result<Vec<u8>> {
    let mut fresh = vec![0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut fresh);
    crate::db::secrets::insert_if_absent(db, name, &fresh)
        .await
        .context("storing an instance secret")?;
    crate::db::secrets::get(db, name).await.context("reading an instance secret")
}
