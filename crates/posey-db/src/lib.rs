//! Postgres for every service: the pool, the one migration set (`migrations/`), and, as the
//! services grow, one module per aggregate with its SQL.

pub mod erasure;

use std::time::Duration;

use posey_config::{DbConfig, ExposeSecret};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub use sqlx::PgPool;

/// Every migration of the system, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a pooled connection may sit idle before it is checked again on its way out.
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(1);

/// The pool could not be opened; the message names `DATABASE_URL` (password redacted).
#[derive(Debug, thiserror::Error)]
#[error("DATABASE_URL ({url}): cannot connect to Postgres: {source}")]
pub struct ConnectError {
    url: String,
    #[source]
    source: sqlx::Error,
}

#[derive(Debug, thiserror::Error)]
#[error("running database migrations: {0}")]
pub struct MigrateError(#[from] sqlx::migrate::MigrateError);

/// Opens a pool and checks that Postgres answers within the configured timeout.
pub async fn connect(config: &DbConfig) -> Result<PgPool, ConnectError> {
    let fail = |source| ConnectError { url: config.redacted_url(), source };
    let options: PgConnectOptions = config.url.expose_secret().parse().map_err(fail)?;
    PgPoolOptions::new()
        .max_connections(config.pool.max_connections)
        .acquire_timeout(config.pool.connect_timeout)
        .idle_timeout(Some(Duration::from_secs(600)))
        // sqlx pings a connection both before handing it out and when it comes back; the first
        // doubles the round trips of every short statement on the request path, while the ping
        // on release (off that path) already catches a connection broken while in use.
        .test_before_acquire(false)
        // A connection that sat idle is another matter: the server may have restarted meanwhile
        // (a restart ends every session), and the request handed that connection would fail
        // however long ago the restart was. It is pinged first, and replaced if it is gone.
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= CHECK_IDLE_AFTER {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(options.application_name("posey"))
        .await
        .map_err(fail)
}

/// Applies pending migrations. Safe with many replicas starting at once: sqlx holds a Postgres
/// advisory lock while it migrates, so the others wait and then find nothing to do.
pub async fn migrate(pool: &PgPool) -> Result<(), MigrateError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}
