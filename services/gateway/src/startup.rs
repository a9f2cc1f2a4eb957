//! Building and running the service: connect and migrate, open the engine's own pool (with its
//! `statement_timeout`), introspect and load the metadata, start token verification and the
//! reload loop, bind first (port 0 works), then serve until the shutdown future completes.

use std::sync::Arc;

use anyhow::Context;
use posey_config::ExposeSecret;
use posey_http::auth::start_verifier;
use posey_http::backing::Backing;
use posey_http::server::Server;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::gateway::Gateway;
use crate::routes;
use crate::state::AppState;

/// The service's name in logs and spans.
pub const SERVICE: &str = "gateway";

pub struct Application {
    server: Server,
    background: CancellationToken,
}

impl posey_http::Service for Application {
    const PROGRAM: &str = "posey-gateway";

    type Config = Config;

    async fn build(config: Config) -> anyhow::Result<Self> {
        let backing = Backing::connect(SERVICE, &config.service).await?;
        let background = CancellationToken::new();
        let verifier =
            start_verifier(backing.db.clone(), &config.tokens, background.clone()).await?;
        let pool = engine_pool(&config).await?;
        let gateway =
            Gateway::start(config.engine.clone(), config.limits, pool, backing.db.clone()).await?;
        gateway.watch(background.clone());
        let readiness = backing.readiness();
        let http = config.service.http.clone();
        let state = AppState::new(config, backing.clone(), Arc::new(verifier), gateway);
        let router = routes::router().with_state(state).merge(readiness.router());
        let server = Server::bind(SERVICE, &http, router, backing).await?;
        Ok(Self { server, background })
    }

    /// The port actually bound (useful when the configuration asked for 0).
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

/// The engine's pool: every statement it runs is bounded by `statement_timeout`, set as a
/// connection parameter so it costs no round trip.
async fn engine_pool(config: &Config) -> anyhow::Result<sqlx::PgPool> {
    let db = &config.service.db;
    let timeout = config.limits.statement_timeout.as_millis().to_string();
    let options: PgConnectOptions = db
        .url
        .expose_secret()
        .parse::<PgConnectOptions>()
        .context("DATABASE_URL is not a Postgres URL")?
        .options([("statement_timeout", timeout.as_str())]);
    PgPoolOptions::new()
        .max_connections(db.pool.max_connections)
        .acquire_timeout(db.pool.connect_timeout)
        .connect_with(options)
        .await
        .context("connecting the gateway's pool to DATABASE_URL")
}
