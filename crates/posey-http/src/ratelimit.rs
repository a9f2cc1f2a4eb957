//! Fixed-window rate limits per key (an IP, an account, a person's task writes): in Redis when
//! configured, so every replica shares the counts, else in this process. Each service words the
//! refusal in its own error shape: `check` gives `ApiError::RateLimited`, `count` the bare
//! `Retry-After` (auth turns it into GoTrue's error).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::ApiError;

/// Keys counted in process before the ones whose window has passed are dropped.
const MAX_IN_PROCESS_KEYS: usize = 100_000;

#[derive(Clone)]
pub struct RateLimiter {
    counts: Counts,
    /// Prefixes every Redis key (`posey:auth:rl:`), so services never share a count.
    namespace: &'static str,
}

#[derive(Clone)]
enum Counts {
    InProcess(Arc<Mutex<HashMap<String, (Instant, u32)>>>),
    Redis(redis::aio::ConnectionManager),
}

impl RateLimiter {
    /// Counts in `redis` under keys `<namespace><key>` when given, else in this process.
    pub fn new(redis: Option<redis::aio::ConnectionManager>, namespace: &'static str) -> Self {
        let counts = match redis {
            Some(conn) => Counts::Redis(conn),
            None => Counts::InProcess(Arc::default()),
        };
        Self { counts, namespace }
    }

    /// Counts one request for `key`; a 429 with `Retry-After` once `limit` is exceeded within
    /// `window` (the first request of a window starts it).
    pub async fn check(&self, key: &str, limit: u32, window: Duration) -> Result<(), ApiError> {
        match self.count(key, limit, window).await? {
            Some(retry_after) => Err(ApiError::RateLimited { retry_after }),
            None => Ok(()),
        }
    }

    /// Counts one request for `key`: `Some(retry_after)` once `limit` is exceeded within
    /// `window`, `None` while it is not. `Err`: Redis failed.
    pub async fn count(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> anyhow::Result<Option<Duration>> {
        let (count, retry_after) = match &self.counts {
            Counts::InProcess(counts) => {
                let mut counts = counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let now = Instant::now();
                if counts.len() > MAX_IN_PROCESS_KEYS {
                    counts.retain(|_, (start, _)| now.duration_since(*start) < window);
                }
                let entry = counts.entry(key.to_owned()).or_insert((now, 0));
                if now.duration_since(entry.0) >= window {
                    *entry = (now, 0);
                }
                entry.1 = entry.1.saturating_add(1);
                (entry.1, window.saturating_sub(now.duration_since(entry.0)))
            }
            Counts::Redis(conn) => {
                let mut conn = conn.clone();
                let redis_key = format!("{}{key}", self.namespace);
                let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
                // PEXPIRE NX (Redis 7) starts the window on the first count only, in the same
                // round trip, so no key is ever left without its expiry.
                let (count, ttl): (u32, i64) = redis::pipe()
                    .atomic()
                    .cmd("INCR")
                    .arg(&redis_key)
                    .cmd("PEXPIRE")
                    .arg(&redis_key)
                    .arg(window_ms)
                    .arg("NX")
                    .ignore()
                    .cmd("PTTL")
                    .arg(&redis_key)
                    .query_async(&mut conn)
                    .await
                    .context("counting a rate-limited request in Redis")?;
                let left = u64::try_from(ttl).map_or(window, Duration::from_millis);
                (count, left)
            }
        };
        Ok((count > limit).then_some(retry_after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn allows_the_limit_then_refuses_until_the_window_ends() {
        let limiter = RateLimiter::new(None, "posey:test:rl:");
        let window = Duration::from_millis(200);
        for _ in 0..3 {
            limiter.check("a", 3, window).await.unwrap();
        }
        let err = limiter.check("a", 3, window).await.unwrap_err();
        assert!(matches!(err, ApiError::RateLimited { .. }), "{err:?}");
        limiter.check("b", 3, window).await.unwrap();
        tokio::time::sleep(window).await;
        limiter.check("a", 3, window).await.unwrap();
    }
}
