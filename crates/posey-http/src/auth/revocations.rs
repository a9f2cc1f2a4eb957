//! Revoked sessions: when a session ends (sign-out, refresh-token reuse, password change) its
//! access tokens would otherwise work until they expire. Auth records it in
//! `auth.revoked_sessions`; every service polls it through `auth.revoked_sessions_since()`
//! (only rows newer than the last poll; the function is auth's, so its table may change) and
//! refuses those sessions' tokens, so a revocation takes effect everywhere within a poll
//! interval, with no call to auth on the hot path.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use posey_domain::SessionId;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Default)]
pub struct RevocationList {
    /// Revoked session -> when its last access token expires (then it can be forgotten).
    revoked: RwLock<HashMap<SessionId, DateTime<Utc>>>,
}

impl RevocationList {
    pub fn is_revoked(&self, session_id: SessionId) -> bool {
        self.revoked
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains_key(&session_id)
    }

    /// Loads every live revocation, then polls for new ones every `interval` until `stop`.
    pub async fn start(
        pool: PgPool,
        interval: Duration,
        stop: CancellationToken,
    ) -> anyhow::Result<Arc<Self>> {
        let list = Arc::new(Self::default());
        let mut since = list.poll(&pool, DateTime::UNIX_EPOCH).await?;
        let polling = list.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    _ = ticker.tick() => {}
                }
                match polling.poll(&pool, since).await {
                    Ok(newest) => since = newest,
                    Err(e) => tracing::warn!(error = %format!("{e:#}"), "polling revoked sessions"),
                }
            }
        });
        Ok(list)
    }

    /// Adds revocations newer than `since` (with a second of overlap for clock and commit
    /// order) and forgets expired ones; returns the newest revocation time seen.
    async fn poll(&self, pool: &PgPool, since: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
        let after = since - chrono::Duration::seconds(1);
        // A function's columns look nullable to the macro; the table's are NOT NULL.
        let rows = sqlx::query!(
            r#"SELECT session_id AS "session_id!", revoked_at AS "revoked_at!",
                      expires_at AS "expires_at!"
               FROM auth.revoked_sessions_since($1)"#,
            after,
        )
        .fetch_all(pool)
        .await?;
        let now = Utc::now();
        let mut newest = since;
        let mut revoked = self.revoked.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        revoked.retain(|_, expires| *expires > now);
        for row in rows {
            newest = newest.max(row.revoked_at);
            revoked.insert(SessionId::from(row.session_id), row.expires_at);
        }
        Ok(newest)
    }
}
