//! Which replica mirrors an MQTT connection. Every replica keeps a link to the broker, so a
//! command given on any of them is published at once and each has the live states; but an
//! MQTT message carries no time or id of its own, so were each replica to record what it saw,
//! a change would be kept, and fire its watches, once per replica. One replica at a time holds
//! the connection's mirror lease (`home.connections.mirror_holder`), renewed while it runs and
//! taken over when its holder stops renewing it (as turns lease a conversation), and only it
//! writes the states, history, status and watch notices. History and notices are written under
//! a [`Fence`] as well, so a holder that stalled past its lease writes nothing twice.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db::connections::{self, Fence};

/// How long a lease lasts unless renewed: how long a crashed replica's connection goes
/// unmirrored.
const TTL: Duration = Duration::from_secs(15);
/// How often the holder renews it, and the others try to take it.
const RENEW_EVERY: Duration = Duration::from_secs(3);
/// The holder stops writing this long before its lease ends in Postgres.
const MARGIN: Duration = Duration::from_secs(2);

/// One replica's part in a connection's mirror lease.
pub(crate) struct MirrorLease {
    db: PgPool,
    fence: Fence,
    /// Until when this replica may write, when it holds the lease.
    until: Mutex<Option<Instant>>,
    /// Counts the times this replica took the lease (from nobody or from another).
    gained: watch::Sender<u64>,
}

impl MirrorLease {
    pub fn new(db: PgPool, connection: Uuid, holder: Uuid) -> Self {
        Self {
            db,
            fence: Fence { connection, holder },
            until: Mutex::new(None),
            gained: watch::channel(0).0,
        }
    }

    /// Whether this replica holds the lease now (and may mirror).
    pub fn holds(&self) -> bool {
        self.until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|until| Instant::now() < until)
    }

    pub fn fence(&self) -> Fence {
        self.fence
    }

    /// Told each time this replica takes the lease.
    pub fn gained(&self) -> watch::Receiver<u64> {
        self.gained.subscribe()
    }

    /// Takes the lease, or renews it when it is this replica's; whether it holds it now.
    pub async fn renew(&self) -> bool {
        let asked = Instant::now();
        let taken =
            connections::take_mirror(&self.db, self.fence.connection, self.fence.holder, TTL).await;
        let held_before = self.holds();
        let holds = match taken {
            Ok(Some(before)) => {
                if let Some(before) = before {
                    tracing::info!(
                        connection = %self.fence.connection,
                        %before,
                        "took over mirroring an MQTT connection from another replica"
                    );
                }
                // Counted from before asking: Postgres's lease ends later than this.
                *self.until.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some(asked + TTL - MARGIN);
                true
            }
            Ok(None) => {
                *self.until.lock().unwrap_or_else(PoisonError::into_inner) = None;
                false
            }
            Err(error) => {
                // Held until it runs out; renewed on the next try if Postgres answers.
                tracing::warn!(connection = %self.fence.connection, %error, "renewing a home mirror lease failed");
                return self.holds();
            }
        };
        if holds && !held_before {
            self.gained.send_modify(|n| *n += 1);
        }
        holds
    }

    /// Renews the lease, or tries to take it, until `stop`; then gives it up.
    pub async fn keep(&self, stop: CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(RENEW_EVERY) => {}
            }
            self.renew().await;
        }
        self.release().await;
    }

    /// Gives the lease up at once, so another replica takes it over on its next try.
    async fn release(&self) {
        let held = self.until.lock().unwrap_or_else(PoisonError::into_inner).take().is_some();
        if held
            && let Err(error) = connections::release_mirror(
                &self.db,
                Some(self.fence.connection),
                self.fence.holder,
            )
            .await
        {
            tracing::warn!(connection = %self.fence.connection, %error, "releasing a home mirror lease failed");
        }
    }
}
