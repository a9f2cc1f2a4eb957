//! Connecting a service to its backing parts at start: Postgres (migrated) and, when
//! configured, Redis; one log line each saying what was chosen and where; and the readiness
//! checks that follow from them.

use anyhow::Context;
use posey_config::{ExposeSecret, RedisConfig, ServiceConfig};

use crate::health::Readiness;

/// The live connections of one service.
#[derive(Clone)]
pub struct Backing {
    pub db: sqlx::PgPool,
    pub redis: Option<redis::aio::ConnectionManager>,
}

impl std::fmt::Debug for Backing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backing").field("redis", &self.redis.is_some()).finish_non_exhaustive()
    }
}

impl Backing {
    /// Connects (failing with a message naming the variable at fault) and migrates.
    pub async fn connect(service: &'static str, config: &ServiceConfig) -> anyhow::Result<Self> {
        // The choices are logged once per process by `log_choices` (or the launcher), not here:
        // four services in one process would say everything four times.
        let db = posey_db::connect(&config.db).await?;
        posey_db::migrate(&db).await?;
        let redis = match &config.redis {
            Some(redis) => Some(connect_redis(redis, config.db.pool.connect_timeout).await?),
            None => None,
        };
        tracing::debug!(service, redis = redis.is_some(), "connected to backing parts");
        Ok(Self { db, redis })
    }

    /// Readiness: Postgres, and Redis when configured.
    pub fn readiness(&self) -> Readiness {
        let readiness = Readiness::new().postgres(self.db.clone());
        match &self.redis {
            Some(conn) => readiness.redis(conn.clone()),
            None => readiness,
        }
    }

    /// Closes the pool, letting queries in flight finish.
    pub async fn close(&self) {
        self.db.close().await;
    }
}

/// One line per backing part: what was chosen and where.
pub fn log_choices(config: &ServiceConfig) {
    tracing::info!(part = "relational store", at = %config.db.redacted_url(), "using PostgreSQL");
    log_cache_choice(config.redis.as_ref());
}

pub fn log_cache_choice(redis: Option<&RedisConfig>) {
    match redis {
        Some(redis) => tracing::info!(part = "cache", at = %redis.redacted_url(), "using Redis"),
        None => tracing::info!(part = "cache", "REDIS_URL unset: using the in-process cache"),
    }
}

/// Opens a Redis connection manager (it reconnects by itself later) and checks that Redis
/// answers within `timeout`.
pub async fn connect_redis(
    config: &RedisConfig,
    timeout: std::time::Duration,
) -> anyhow::Result<redis::aio::ConnectionManager> {
    let at = config.redacted_url();
    let client = redis::Client::open(config.url.expose_secret())
        .with_context(|| format!("REDIS_URL ({at}): invalid Redis URL"))?;
    let mut conn = tokio::time::timeout(timeout, redis::aio::ConnectionManager::new(client))
        .await
        .map_err(|_| anyhow::anyhow!("REDIS_URL ({at}): no answer within {timeout:?}"))?
        .with_context(|| format!("REDIS_URL ({at}): cannot connect to Redis"))?;
    let _: String = redis::cmd("PING")
        .query_async(&mut conn)
        .await
        .with_context(|| format!("REDIS_URL ({at}): Redis did not answer PING"))?;
    Ok(conn)
}
