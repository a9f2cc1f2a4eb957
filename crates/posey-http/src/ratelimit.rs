//! Fixed-window rate limits per key (an IP, an account, a person's task writes): in Redis when
//! configured, so every replica shares the counts, else in this process. Each service words the
//! refusal in its own error shape: `check` gives `ApiError::RateLimited`, `count` the bare
//! `Retry-After` (auth turns it into GoTrue's error).
//!
//! Redis going away does not take sign-in or task writes with it: while it does not answer
//! (within `REDIS_WAIT`), counts are kept in this process, so each replica still holds the
//! limit on its own; it is asked again every `REDIS_RETRY` and used again once it answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::ApiError;

/// Keys counted in process before the ones whose window has passed are dropped.
const MAX_IN_PROCESS_KEYS: usize = 100_000;
/// How long a request waits for Redis before counting in process instead.
const REDIS_WAIT: Duration = Duration::from_millis(500);
/// How often Redis is asked again while it does not answer.
const REDIS_RETRY: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct RateLimiter {
    counts: Counts,
    /// Prefixes every Redis key (`posey:auth:rl:`), so services never share a count.
    namespace: &'static str,
}

#[derive(Clone)]
enum Counts {
    InProcess(Local),
    Redis {
        conn: redis::aio::ConnectionManager,
        /// The counts while Redis does not answer.
        fallback: Local,
        /// Since when Redis has not answered (last asked), while it does not.
        away: Arc<Mutex<Option<Instant>>>,
    },
}

/// Counts in this process: key -> (window start, count).
type Local = Arc<Mutex<HashMap<String, (Instant, u32)>>>;

impl RateLimiter {
    /// Counts in `redis` under keys `<namespace><key>` when given, else in this process.
    pub fn new(redis: Option<redis::aio::ConnectionManager>, namespace: &'static str) -> Self {
        let counts = match redis {
            Some(conn) => Counts::Redis { conn, fallback: Local::default(), away: Arc::default() },
            None => Counts::InProcess(Local::default()),
        };
        Self { counts, namespace }
    }

    /// Counts one request for `key`; a 429 with `Retry-After` once `limit` is exceeded within
    /// `window` (the first request of a window starts it).
    pub async fn check(&self, key: &str, limit: u32, window: Duration) -> Result<(), ApiError> {
        match self.count(key, limit, window).await {
            Some(retry_after) => Err(ApiError::RateLimited { retry_after }),
            None => Ok(()),
        }
    }

    /// Counts one request for `key`: `Some(retry_after)` once `limit` is exceeded within
    /// `window`, `None` while it is not.
    pub async fn count(&self, key: &str, limit: u32, window: Duration) -> Option<Duration> {
        let (count, retry_after) = match &self.counts {
            Counts::InProcess(counts) => count_locally(counts, key, window),
            Counts::Redis { conn, fallback, away } => {
                match self.count_in_redis(conn, away, key, window).await {
                    Some(counted) => counted,
                    None => count_locally(fallback, key, window),
                }
            }
        };
        (count > limit).then_some(retry_after)
    }

    /// The count in Redis, or `None` when it does not answer (now, or lately: then it is
    /// not asked until `REDIS_RETRY` has passed, so requests do not each wait for it).
    async fn count_in_redis(
        &self,
        conn: &redis::aio::ConnectionManager,
        away: &Mutex<Option<Instant>>,
        key: &str,
        window: Duration,
    ) -> Option<(u32, Duration)> {
        let was_away = {
            let mut away = away.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match *away {
                Some(since) if since.elapsed() < REDIS_RETRY => return None,
                // This request asks; the others keep counting here meanwhile.
                Some(_) => {
                    *away = Some(Instant::now());
                    true
                }
                None => false,
            }
        };
        let mut conn = conn.clone();
        let redis_key = format!("{}{key}", self.namespace);
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        // PEXPIRE NX (Redis 7) starts the window on the first count only, in the same round
        // trip, so no key is ever left without its expiry.
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("INCR")
            .arg(&redis_key)
            .cmd("PEXPIRE")
            .arg(&redis_key)
            .arg(window_ms)
            .arg("NX")
            .ignore()
            .cmd("PTTL")
            .arg(&redis_key);
        let counted = pipe.query_async::<(u32, i64)>(&mut conn);
        let answer = match tokio::time::timeout(REDIS_WAIT, counted).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {REDIS_WAIT:?}")),
        };
        let mut away = away.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match answer {
            Ok((count, ttl)) => {
                if was_away || away.is_some() {
                    tracing::info!(part = "cache", "Redis answers again: rate limits count there");
                }
                *away = None;
                Some((count, u64::try_from(ttl).map_or(window, Duration::from_millis)))
            }
            Err(error) => {
                // Said once per outage, by the first request that found Redis away.
                if !was_away && away.is_none() {
                    tracing::warn!(
                        part = "cache",
                        error,
                        "Redis does not answer: rate limits count in this process until it does"
                    );
                }
                *away = Some(Instant::now());
                None
            }
        }
    }
}

fn count_locally(counts: &Local, key: &str, window: Duration) -> (u32, Duration) {
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

    #[tokio::test]
    async fn counts_in_process_while_redis_does_not_answer_without_waiting_on_it() {
        // Nothing listens on the port: Redis is configured but gone.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
        let config = redis::aio::ConnectionManagerConfig::new();
        let conn = redis::aio::ConnectionManager::new_lazy_with_config(client, config).unwrap();
        let limiter = RateLimiter::new(Some(conn), "posey:test:rl:");
        let started = Instant::now();
        for _ in 0..3 {
            limiter.check("a", 3, Duration::from_secs(60)).await.unwrap();
        }
        let err = limiter.check("a", 3, Duration::from_secs(60)).await.unwrap_err();
        assert!(matches!(err, ApiError::RateLimited { .. }), "{err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "waited {:?} on Redis",
            started.elapsed()
        );
    }
}
