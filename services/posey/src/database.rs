//! Choosing the relational store: the PostgreSQL server of `DATABASE_URL`, or the embedded
//! cluster under the data dir.

use posey_config::{DbConfig, ExposeSecret, redact_url};

use crate::LauncherConfig;
pub use crate::embedded::postgres::Sharing;
use crate::embedded::postgres::{EmbeddedPostgres, RunningPostgres};

/// The database in use, and the embedded cluster to stop afterwards, if any.
pub struct Database {
    pub config: DbConfig,
    embedded: Option<RunningPostgres>,
}

impl Database {
    /// Uses `DATABASE_URL` or starts the embedded cluster, logging which.
    pub async fn open(config: &LauncherConfig, sharing: Sharing) -> anyhow::Result<Self> {
        match &config.database_url {
            Some(url) => {
                tracing::info!(
                    part = "relational store",
                    at = %redact_url(url.expose_secret()),
                    "using the PostgreSQL server of DATABASE_URL"
                );
                Ok(Self {
                    config: DbConfig { url: url.clone(), pool: config.pool.clone() },
                    embedded: None,
                })
            }
            None => {
                let cluster =
                    EmbeddedPostgres::locate(&config.data_dir, config.pg_bin_dir.as_deref())?;
                let running = cluster.start(sharing).await?;
                let db = DbConfig { url: running.url.clone(), pool: config.pool.clone() };
                Ok(Self { config: db, embedded: Some(running) })
            }
        }
    }

    /// Stops the embedded cluster, if this process runs one.
    pub async fn close(self) -> anyhow::Result<()> {
        match self.embedded {
            Some(running) => running.stop().await,
            None => Ok(()),
        }
    }
}
