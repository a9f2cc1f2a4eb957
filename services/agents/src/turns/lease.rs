//! One turn at a time per conversation, on any replica, without holding a connection: a turn
//! takes the conversation's lease (one UPDATE), renews it in the background while the model
//! runs, and clears it in the transaction that stores the turn. A waiting turn holds nothing:
//! it is woken by the release (Postgres `NOTIFY`, heard by one listener per process, and
//! in-process for this replica's own turns) or by a poll, which also takes over the lapsed
//! lease of a replica that crashed mid-turn.

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgPoolOptions};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db::conversations::{TURN_RELEASED, TurnTake, release_turn, renew_turn, take_turn};

/// How long a lease lasts unless renewed: how long a crashed replica's conversation stays
/// blocked.
const TTL: Duration = Duration::from_secs(30);
/// How often a running turn renews its lease (a few tries before the lease would lapse).
const RENEW_EVERY: Duration = Duration::from_secs(10);
/// How often a waiting turn tries again without being woken: it takes over lapsed leases and
/// covers a wake-up lost while the listener reconnected.
const POLL: Duration = Duration::from_secs(1);

/// The process's turn leases: where waiting turns are woken. `Uuid::nil()` wakes every waiter
/// (after the listener reconnected, when releases may have been missed).
#[derive(Clone)]
pub struct TurnLeases {
    db: PgPool,
    released: broadcast::Sender<Uuid>,
}

impl TurnLeases {
    /// Listens for released leases until `stop` fires, on a connection of its own rather than
    /// one of `db`'s: the pool's connections stay for queries, however small it is.
    pub async fn start(db: PgPool, stop: CancellationToken) -> anyhow::Result<Self> {
        let own = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with((*db.connect_options()).clone());
        let mut listener =
            PgListener::connect_with(&own).await.context("connecting the turn leases' listener")?;
        listener.listen(TURN_RELEASED).await.context("listening for released turn leases")?;
        let (released, _) = broadcast::channel(1024);
        let wake = released.clone();
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    () = stop.cancelled() => break,
                    received = listener.recv() => received,
                };
                match received {
                    Ok(notification) => {
                        let conversation =
                            notification.payload().parse().unwrap_or_else(|_| Uuid::nil());
                        // No receiver is fine: no turn is waiting.
                        let _ = wake.send(conversation);
                    }
                    Err(error) => {
                        tracing::warn!(
                            error = %error,
                            "the turn leases' listener lost Postgres; reconnecting"
                        );
                        tokio::select! {
                            () = stop.cancelled() => break,
                            () = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                        let _ = wake.send(Uuid::nil());
                    }
                }
            }
        });
        Ok(Self { db, released })
    }

    /// Waits until `turn` has the conversation's lease, holding no connection meanwhile.
    /// `None`: the conversation is gone.
    pub async fn acquire(
        &self,
        conversation: Uuid,
        turn: Uuid,
    ) -> anyhow::Result<Option<TurnLease>> {
        // Subscribed before the first try, so a release right after it still wakes us.
        let mut released = self.released.subscribe();
        loop {
            match take_turn(&self.db, conversation, turn, TTL).await? {
                TurnTake::Taken { lapsed } => {
                    if let Some(lapsed) = lapsed {
                        tracing::warn!(
                            %conversation,
                            %turn,
                            %lapsed,
                            "took over a lapsed turn lease (its replica stopped renewing it)"
                        );
                    }
                    return Ok(Some(TurnLease::start(self.clone(), conversation, turn)));
                }
                TurnTake::Gone => return Ok(None),
                TurnTake::Busy => {}
            }
            let poll = tokio::time::sleep(POLL);
            tokio::pin!(poll);
            loop {
                tokio::select! {
                    () = &mut poll => break,
                    woken = released.recv() => match woken {
                        Ok(id) if id == conversation || id.is_nil() => break,
                        Ok(_) => {}
                        // Wake-ups were missed; one may have been ours.
                        Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => {
                            (&mut poll).await;
                            break;
                        }
                    },
                }
            }
        }
    }
}

/// A conversation's lease, held by a turn: renewed in the background until it is released.
/// It is a guard: released in the transaction that stores the turn ([`TurnLease::release_in`]
/// then [`TurnLease::released`]), or else on its own when dropped, whatever the exit path (a
/// turn that could not start, a replay, a failed store), so no path can forget it. Only when no
/// runtime is left to release it (the process is ending) does it lapse after [`TTL`].
pub struct TurnLease {
    leases: TurnLeases,
    conversation: Uuid,
    turn: Uuid,
    /// Stops the renewals.
    renewal: CancellationToken,
    /// Its release committed: nothing left for `drop` to do.
    done: bool,
}

impl Drop for TurnLease {
    fn drop(&mut self) {
        self.renewal.cancel();
        if self.done {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let (leases, conversation, turn) = (self.leases.clone(), self.conversation, self.turn);
        runtime.spawn(async move { release_alone(&leases, conversation, turn).await });
    }
}

impl TurnLease {
    fn start(leases: TurnLeases, conversation: Uuid, turn: Uuid) -> Self {
        let renewal = CancellationToken::new();
        let stop = renewal.clone();
        let db = leases.db.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(RENEW_EVERY) => {}
                }
                match renew_turn(&db, conversation, turn, TTL).await {
                    Ok(true) => {}
                    // Released (in the transaction storing the turn) while renewing.
                    Ok(false) if stop.is_cancelled() => return,
                    Ok(false) => {
                        lost(conversation, turn, "while the model ran");
                        return;
                    }
                    Err(error) => tracing::warn!(
                        %conversation,
                        %turn,
                        error = format!("{error:#}"),
                        "renewing a turn lease failed; trying again"
                    ),
                }
            }
        });
        Self { leases, conversation, turn, renewal, done: false }
    }

    /// Releases the lease in `tx`, the transaction storing the turn, so the next turn finds it
    /// stored; [`TurnLease::released`] follows the commit (if the commit fails, dropping the
    /// lease releases it on its own). A lease that is no longer ours is left to its holder,
    /// and said loudly: the turns overlapped.
    pub async fn release_in(&self, tx: &mut sqlx::PgConnection) -> anyhow::Result<()> {
        self.renewal.cancel();
        if !release_turn(&mut *tx, self.conversation, self.turn).await? {
            lost(self.conversation, self.turn, "before it was stored; storing it anyway");
        }
        Ok(())
    }

    /// After [`TurnLease::release_in`]'s commit: wakes this replica's waiters now (the others
    /// hear the `NOTIFY`).
    pub fn released(mut self) {
        self.done = true;
        let _ = self.leases.released.send(self.conversation);
    }
}

/// Releases a lease on its own (a dropped [`TurnLease`]): a turn that could not start, or whose
/// storing failed and so rolled back [`TurnLease::release_in`].
async fn release_alone(leases: &TurnLeases, conversation: Uuid, turn: Uuid) {
    match release_turn(&leases.db, conversation, turn).await {
        Ok(true) => {
            let _ = leases.released.send(conversation);
        }
        Ok(false) => lost(conversation, turn, "before it was released"),
        Err(error) => tracing::error!(
            %conversation,
            %turn,
            error = format!("{error:#}"),
            "releasing a turn lease failed; the conversation waits until it lapses"
        ),
    }
}

/// Said loudly: a lease lapses only when its renewals fail for [`TTL`], and then two turns of
/// one conversation may have run at once (unless the conversation was deleted meanwhile).
fn lost(conversation: Uuid, turn: Uuid, when: &str) {
    tracing::error!(
        %conversation,
        %turn,
        "a turn lost its conversation's lease {when}: it lapsed and another turn took it, \
         or the conversation was deleted"
    );
}
