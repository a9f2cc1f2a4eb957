//! Fixed-window rate limits per key (a person's task writes): in Redis when configured, so
//! every replica shares the counts, else in this process.
//!
//! The same shape as auth's limiter (`services/auth/src/ratelimit.rs`), answering with
//! `ApiError::RateLimited` (429 and `Retry-After`) instead of auth's GoTrue error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use posey_http::ApiError;

#[derive(Clone)]
pub enum RateLimiter {
    InProcess(Arc<Mutex<HashMap<String, (Instant, u32)>>>),
    Redis(redis::aio::ConnectionManager),
}

impl RateLimiter {
    pub fn new(redis: Option<redis::aio::ConnectionManager>) -> Self {
        match redis {
            Some(conn) => Self::Redis(conn),
            None => Self::InProcess(Arc::default()),
        }
    }

    /// Counts one request for `key`; a 429 with `Retry-After` once `limit` is exceeded within
    /// `window` (the first request of a window starts it).
    pub async fn check(&self, key: &str, limit: u32, window: Duration) -> Result<(), ApiError> {
        let (count, retry_after) = match self {
            Self::InProcess(counts) => {
                let mut counts = counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let now = Instant::now();
                if counts.len() > 100_000 {
                    counts.retain(|_, (start, _)| now.duration_since(*start) < window);
                }
                let entry = counts.entry(key.to_owned()).or_insert((now, 0));
                if now.duration_since(entry.0) >= window {
                    *entry = (now, 0);
                }
                entry.1 = entry.1.saturating_add(1);
                (entry.1, window.saturating_sub(now.duration_since(entry.0)))
            }
            Self::Redis(conn) => {
                let mut conn = conn.clone();
                let redis_key = format!("posey:cron:rl:{key}");
                let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
                // PEXPIRE NX (Redis 7) starts the window on the first count only, in the same round
                // trip, so no key is ever left without its expiry.
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
        if count > limit {
            return Err(ApiError::RateLimited { retry_after });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn allows_the_limit_then_refuses_until_the_window_ends() {
        let limiter = RateLimiter::new(None);
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
