//! Building and running the service: connect and migrate, start token verification (with the
//! revoked-sessions poll) and the scheduler, bind first (port 0 works), then serve until the
//! shutdown future completes; the background work stops with it.

use std::sync::Arc;
use std::time::Duration;

use posey_http::auth::{JwksVerifier, RevocationList, VerifierConfig};
use posey_http::backing::Backing;
use posey_http::server::Server;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;
use crate::{Config, SERVICE, routes};

pub struct Application {
    server: Server,
    background: CancellationToken,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let backing = Backing::connect(SERVICE, &config.service).await?;
        let background = CancellationToken::new();
        let revocations =
            RevocationList::start(backing.db.clone(), Duration::from_secs(1), background.clone())
                .await?;
        let verifier = JwksVerifier::new(VerifierConfig::new(
            config.tokens.jwks_url.clone(),
            config.tokens.issuer.clone(),
        ))
        .with_revocations(revocations);
        let readiness = backing.readiness();
        let http = config.service.http.clone();
        let state = AppState::new(config, backing.clone(), Arc::new(verifier));
        let router = routes::router().with_state(state).merge(readiness.router());
        let server = Server::bind(SERVICE, &http, router, backing).await?;
        Ok(Self { server, background })
    }

    /// The port actually bound (useful when the configuration asked for 0).
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let served = self.server.run_until_stopped(shutdown).await;
        self.background.cancel();
        served
    }
}
