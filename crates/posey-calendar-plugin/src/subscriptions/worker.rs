//! The background refresher: every few seconds it claims the subscriptions that are due (a
//! lease per row, so replicas running it at once never refresh one twice together) and
//! refreshes them a few at a time; it ends as soon as `stop` is cancelled, cutting short the
//! refreshes under way (they change nothing unless they finished) and freeing them for the next
//! claim.

use std::time::Duration;

use futures::StreamExt as _;
use posey_plugin::CancellationToken;
use sqlx::PgPool;

use super::db as subscriptions;
use super::fetch::Fetcher;
use super::refresh::{self, LEASE};

/// Subscriptions claimed at once, and refreshed at once.
const BATCH: i64 = 16;
const AT_ONCE: usize = 4;

/// Refreshes due subscriptions until `stop`, looking every `poll`.
pub async fn run(db: PgPool, fetcher: Fetcher, poll: Duration, stop: CancellationToken) {
    loop {
        // A full batch may mean more are waiting: look again at once.
        let claimed = match tick(&db, &fetcher, &stop).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(error = %error, "claiming due calendar subscriptions failed");
                0
            }
        };
        if stop.is_cancelled() {
            return;
        }
        if claimed < BATCH as usize {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(poll) => {}
            }
        }
    }
}

/// One claim and its refreshes: how many were claimed.
async fn tick(db: &PgPool, fetcher: &Fetcher, stop: &CancellationToken) -> sqlx::Result<usize> {
    let due = subscriptions::claim_due(db, LEASE, BATCH).await?;
    let claimed = due.len();
    let refreshes = futures::stream::iter(due)
        .map(|held| async move {
            if stop.is_cancelled() {
                // Not started: the lease lapses and another claim takes it.
                let _ = subscriptions::release(db, held.calendar_id).await;
                return;
            }
            let done = tokio::select! {
                done = refresh::refresh(db, fetcher, &held) => done,
                () = stop.cancelled() => {
                    // Cut short (a commit under way is rolled back): free it for the next claim.
                    let _ = subscriptions::release(db, held.calendar_id).await;
                    return;
                }
            };
            match done {
                Ok(done) => match done.outcome {
                    Ok(report) => tracing::debug!(
                        calendar = %held.calendar_id,
                        not_modified = report.not_modified,
                        added = report.added.len(),
                        updated = report.updated.len(),
                        removed = report.removed.len(),
                        "calendar subscription refreshed"
                    ),
                    Err(refresh::RefreshError::Internal(error)) => tracing::error!(
                        calendar = %held.calendar_id, error = ?error,
                        "calendar subscription refresh failed"
                    ),
                    // The feed's problem, recorded for its owner to see.
                    Err(error) => tracing::info!(
                        calendar = %held.calendar_id, error = %error,
                        "calendar subscription refresh failed"
                    ),
                },
                Err(error) => tracing::error!(
                    calendar = %held.calendar_id, error = %error,
                    "recording a calendar subscription refresh failed"
                ),
            }
        })
        .buffer_unordered(AT_ONCE);
    refreshes.collect::<()>().await;
    Ok(claimed)
}
