//! Fixed-window rate limits, per key (an IP, an account, an address): in Redis when configured,
//! so all replicas share the counts, else in this process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::AuthError;

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
    /// `window`. `code` is GoTrue's error code for this kind of limit.
    pub async fn check(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        code: &'static str,
    ) -> Result<(), AuthError> {
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
                entry.1 += 1;
                (entry.1, window.saturating_sub(now.duration_since(entry.0)))
            }
            Self::Redis(conn) => {
                let mut conn = conn.clone();
                let redis_key = format!("posey:auth:rl:{key}");
                let (count, ttl): (u32, i64) = redis::pipe()
                    .atomic()
                    .cmd("INCR")
                    .arg(&redis_key)
                    .cmd("PTTL")
                    .arg(&redis_key)
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| AuthError::Internal(e.into()))?;
                if ttl < 0 {
                    let _: () = redis::cmd("PEXPIRE")
                        .arg(&redis_key)
                        .arg(window.as_millis() as u64)
                        .query_async(&mut conn)
                        .await
                        .map_err(|e| AuthError::Internal(e.into()))?;
                }
                let left = if ttl > 0 { Duration::from_millis(ttl as u64) } else { window };
                (count, left)
            }
        };
        if count > limit {
            return Err(AuthError::RateLimited { retry_after, code });
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
            limiter.check("ip:1", 3, window, "over_request_rate_limit").await.unwrap();
        }
        let err = limiter.check("ip:1", 3, window, "over_request_rate_limit").await.unwrap_err();
        assert!(matches!(err, AuthError::RateLimited { .. }));
        limiter.check("ip:2", 3, window, "over_request_rate_limit").await.unwrap();
        tokio::time::sleep(window).await;
        limiter.check("ip:1", 3, window, "over_request_rate_limit").await.unwrap();
    }
}
