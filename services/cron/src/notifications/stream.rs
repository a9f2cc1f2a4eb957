//! The server-sent event streams' wake-up: one Postgres `LISTEN` per process, fanned out to
//! every open stream through a broadcast channel. A stream reads what it has not sent yet from
//! the table, so a lost wake-up (a reconnect) only delays, never drops, a notification.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::CHANNEL;

/// Wakes the streams of the user whose notification arrived; `Uuid::nil()` wakes every stream
/// (after a reconnect, when announcements may have been missed).
#[derive(Clone)]
pub struct Hub {
    wake: broadcast::Sender<Uuid>,
}

impl Hub {
    /// Listens until `cancel` fires.
    pub async fn start(db: &PgPool, cancel: CancellationToken) -> anyhow::Result<Self> {
        let mut listener = PgListener::connect_with(db).await?;
        listener.listen(CHANNEL).await?;
        let (wake, _) = broadcast::channel(1024);
        let hub = Self { wake: wake.clone() };
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    () = cancel.cancelled() => break,
                    received = listener.recv() => received,
                };
                match received {
                    Ok(notification) => {
                        let user = notification.payload().parse().unwrap_or_else(|_| Uuid::nil());
                        // No receiver is fine: nobody is streaming right now.
                        let _ = wake.send(user);
                    }
                    Err(error) => {
                        tracing::warn!(error = %error, "the notifications listener lost Postgres; reconnecting");
                        tokio::select! {
                            () = cancel.cancelled() => break,
                            () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                        let _ = wake.send(Uuid::nil());
                    }
                }
            }
        });
        Ok(hub)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Uuid> {
        self.wake.subscribe()
    }
}
