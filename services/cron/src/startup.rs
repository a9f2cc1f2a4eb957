//! Building and running the service: connect and migrate, bind first (port 0 works), then serve
//! until the shutdown future completes, and close the pool.

use posey_http::backing::Backing;
use posey_http::server::Server;

use crate::state::AppState;
use crate::{Config, SERVICE, routes};

pub struct Application(Server);

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let backing = Backing::connect(SERVICE, &config.service).await?;
        let readiness = backing.readiness();
        let http = config.service.http.clone();
        let state = AppState::new(config, backing.clone());
        let router = routes::router().with_state(state).merge(readiness.router());
        Ok(Self(Server::bind(SERVICE, &http, router, backing).await?))
    }

    /// The port actually bound (useful when the configuration asked for 0).
    pub fn port(&self) -> u16 {
        self.0.port()
    }

    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.0.run_until_stopped(shutdown).await
    }
}
