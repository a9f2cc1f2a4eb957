//! Building and running the service: connect and migrate, bind first (port 0 works), then serve
//! until the shutdown future completes, and close the pool.

use posey_http::backing::Backing;
use posey_http::server;
use tokio::net::TcpListener;

use crate::state::AppState;
use crate::{Config, SERVICE, routes};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    backing: Backing,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let backing = Backing::connect(SERVICE, &config.service).await?;
        let readiness = backing.readiness();
        let listener = server::bind(&config.service.http).await?;
        let state = AppState::new(config, backing.clone());
        let router = routes::router().with_state(state).merge(readiness.router());
        Ok(Self { listener, router: server::with_common_layers(router, SERVICE), backing })
    }

    /// The port actually bound (useful when the configuration asked for 0).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.listener.local_addr()?;
        tracing::info!(service = SERVICE, %addr, "listening");
        let served = server::serve(self.listener, self.router, shutdown).await;
        self.backing.close().await;
        tracing::info!(service = SERVICE, "stopped");
        served
    }
}
