//! A turn's one home. Every way a turn runs (a chat message, another service's turn, the
//! OpenAI-compatible API) goes through [`Turns`], which owns its life: take the conversation's
//! lease, read the history, run, store the turn with its usage (releasing the lease in the same
//! transaction), and start the plugins' work after it. The routes only check requests and
//! shape answers.
//!
//! Turns run in tasks of their own, in the service's tracker: a turn is stored whether or not
//! its caller stays to the end, and shutdown waits for it. No connection is held while a turn
//! waits for its lease or its model runs; only the short queries around them take one.

mod lease;

use std::sync::Arc;

use anyhow::Context;
use rig_core::message::Message;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use crate::db;
use crate::db::messages::{NewMessage, Role};
use crate::db::usage::UsageRecord;
use crate::plugins::{Credential, FinishedTurn, TurnProfile};
use crate::runtime::{Runtime, TurnEvent, TurnOutcome, TurnRequest, history};
pub use lease::{TurnLease, TurnLeases};
use posey_plugin::PendingAction;

/// Where a turn sends its events (nowhere, once the client is gone: the turn goes on).
pub type Events = mpsc::UnboundedSender<TurnEvent>;

/// The turns of the service: everything a turn's life needs.
#[derive(Clone)]
pub struct Turns {
    db: sqlx::PgPool,
    runtime: Arc<Runtime>,
    leases: TurnLeases,
    /// Turns in progress and the plugins' work after them, waited for at shutdown.
    tracker: TaskTracker,
}

/// A turn of a conversation.
pub struct ConversationTurn {
    pub person: Uuid,
    pub conversation: Uuid,
    pub agent: String,
    /// What the person said (or, for another service's turn, would have said).
    pub content: String,
    /// What the turn's tools call other Posey services with.
    pub credential: Option<Credential>,
    pub profile: TurnProfile,
    /// The turn's id: it holds the conversation's lease with it, and is stored under it.
    pub id: Uuid,
    /// The turn an idempotency key stands for: when that turn is stored already, this one does
    /// not run ([`Finished::Replayed`]); when this one succeeds it is stored under the key's id
    /// unless a concurrent delivery stored it first. A failed turn keeps [`Self::id`], so a
    /// retry of the key runs it again.
    pub key: Option<Uuid>,
    /// Whether the plugins' work after the turn (memory extraction) runs: for what a person
    /// said, not for another service's tasks run on their behalf.
    pub follow_up: bool,
}

/// How a conversation's turn ended.
#[derive(Debug)]
pub enum Finished {
    /// It ran and is stored under `turn_id`, or (`fresh` false) a concurrent delivery of its
    /// key stored that turn first and this one's messages were dropped.
    Stored { outcome: Box<TurnOutcome>, turn_id: Uuid, fresh: bool },
    /// Its key's turn was stored already (seen once the lease was taken): it did not run.
    Replayed { turn_id: Uuid },
}

/// Why a conversation's turn did not end stored.
#[derive(Debug)]
pub enum TurnFailure {
    /// The conversation was deleted before the turn could take it.
    Gone,
    /// The lease or the history could not be read.
    NotStarted(anyhow::Error),
    /// It ran but could not be stored; its usage was recorded apart, so it still counts.
    NotStored { outcome: Box<TurnOutcome>, error: anyhow::Error },
}

impl Turns {
    pub fn new(
        db: sqlx::PgPool,
        runtime: Arc<Runtime>,
        leases: TurnLeases,
        tracker: TaskTracker,
    ) -> Self {
        Self { db, runtime, leases, tracker }
    }

    /// Runs `turn` in a task of its own, streaming its events to `events`: the runtime's as
    /// they happen, then `usage`, then `done` or `error` once it is stored (or failed).
    pub fn start(
        &self,
        turn: ConversationTurn,
        events: Events,
    ) -> JoinHandle<Result<Finished, TurnFailure>> {
        let turns = self.clone();
        self.tracker.spawn(async move { turns.run(turn, &events).await })
    }

    /// Runs a turn that belongs to no conversation (the OpenAI-compatible API): only its usage
    /// is recorded. Run it inside [`Turns::spawn`] so shutdown waits for it.
    pub async fn run_unstored(&self, request: TurnRequest, events: Events) -> TurnOutcome {
        let (person, agent) = (request.person, request.agent.clone());
        let outcome = self.runtime.run_turn(request, events).await;
        self.record_usage(person, &agent, &outcome).await;
        if let Err(error) = self.store_asks(person, &outcome.asks).await {
            tracing::error!(error = format!("{error:#}"), "storing the actions a turn asked for");
        }
        outcome
    }

    /// Stores actions asked for outside a conversation (the OpenAI-compatible API, MCP), so
    /// the person can still confirm them.
    pub async fn store_asks(&self, person: Uuid, asks: &[PendingAction]) -> anyhow::Result<()> {
        if asks.is_empty() {
            return Ok(());
        }
        let mut connection = self.db.acquire().await.context("storing actions to confirm")?;
        db::actions::insert(&mut connection, person, None, None, asks).await
    }

    /// Runs `work` in the service's tracker: shutdown waits for it.
    pub fn spawn<F>(&self, work: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tracker.spawn(work)
    }

    async fn run(&self, turn: ConversationTurn, events: &Events) -> Result<Finished, TurnFailure> {
        let id = turn.id;
        let finished = self.leased(turn, events).await;
        // `internal`: among the error codes the OpenAPI description lists.
        let internal = |message: &str| TurnEvent::Error {
            code: "internal".into(),
            message: message.into(),
            turn_id: id,
        };
        let last = match &finished {
            Ok(Finished::Replayed { turn_id }) => TurnEvent::Done { turn_id: *turn_id },
            Ok(Finished::Stored { outcome, turn_id, .. }) => {
                let _ = events.send(usage(outcome));
                let turn_id = *turn_id;
                match &outcome.error {
                    Some(error) => TurnEvent::Error {
                        code: error.code.into(),
                        message: error.message.clone(),
                        turn_id,
                    },
                    None if outcome.interrupted => TurnEvent::Error {
                        code: "interrupted".into(),
                        message: "Posey was stopping: the turn was cut short and what it had is \
                                  stored"
                            .into(),
                        turn_id,
                    },
                    None => TurnEvent::Done { turn_id },
                }
            }
            Err(TurnFailure::Gone) => internal("the conversation was deleted"),
            Err(TurnFailure::NotStarted(error)) => {
                tracing::error!(error = format!("{error:#}"), "starting a turn");
                internal("the turn could not be started")
            }
            Err(TurnFailure::NotStored { outcome, error }) => {
                tracing::error!(error = format!("{error:#}"), "storing a turn");
                let _ = events.send(usage(outcome));
                internal("the turn could not be stored")
            }
        };
        let _ = events.send(last);
        finished
    }

    /// The turn with the conversation to itself: it waits for the lease, reads the history,
    /// runs, and stores the turn in the transaction that releases the lease, so a turn waiting
    /// meanwhile then sees this one's messages (on any replica). The lease is a guard: every
    /// way out of here that does not store releases it.
    async fn leased(
        &self,
        turn: ConversationTurn,
        events: &Events,
    ) -> Result<Finished, TurnFailure> {
        let ConversationTurn {
            person,
            conversation,
            agent,
            content,
            credential,
            profile,
            id,
            key,
            follow_up,
        } = turn;
        let lease = self
            .leases
            .acquire(conversation, id)
            .await
            .map_err(TurnFailure::NotStarted)?
            .ok_or(TurnFailure::Gone)?;
        if let Some(key) = key
            && db::turns::exists(&self.db, key).await.map_err(TurnFailure::NotStarted)?
        {
            return Ok(Finished::Replayed { turn_id: key });
        }
        let stored =
            db::messages::list(&self.db, conversation).await.map_err(TurnFailure::NotStarted)?;
        let request = TurnRequest {
            person,
            agent: agent.clone(),
            history: history::to_rig(&stored),
            prompt: Message::user(content.clone()),
            client_tools: Vec::new(),
            credential,
            profile,
            model: None,
        };
        let outcome = self.runtime.run_turn(request, events.clone()).await;

        let turn_id = match (&outcome.error, key) {
            (None, Some(key)) => key,
            _ => id,
        };
        let mut messages = vec![NewMessage {
            role: Role::User,
            agent: agent.clone(),
            depth: 0,
            content,
            tool_calls: Vec::new(),
            tool: None,
            is_error: false,
        }];
        messages.extend(outcome.messages.iter().cloned());
        let keyed = key == Some(turn_id);
        let stored = Stored { person, conversation, turn_id, agent: &agent, messages: &messages };
        let fresh = match self.store(lease, &stored, &outcome, keyed).await {
            Ok(fresh) => fresh,
            Err(error) => {
                self.record_usage(person, &agent, &outcome).await;
                return Err(TurnFailure::NotStored { outcome: Box::new(outcome), error });
            }
        };
        // The plugins' work after the turn (memory extraction) runs off the response path; an
        // interrupted turn's is not started while the service stops.
        if follow_up && fresh && !outcome.interrupted {
            let finished = FinishedTurn {
                person,
                conversation,
                turn_id,
                agent,
                message: messages[0].content.clone(),
                answer: outcome.text.clone(),
                failed: outcome.error.is_some(),
                explicit_command: outcome.explicit_command,
            };
            let runtime = self.runtime.clone();
            self.tracker.spawn(async move { runtime.after_turn(finished).await });
        }
        Ok(Finished::Stored { outcome: Box::new(outcome), turn_id, fresh })
    }

    /// Stores the turn with its usage and releases the lease, in one short transaction. A
    /// `keyed` turn is stored only if no turn with its id is (false then), under a lock on the
    /// id, so two deliveries of one key store one turn.
    async fn store(
        &self,
        lease: TurnLease,
        turn: &Stored<'_>,
        outcome: &TurnOutcome,
        keyed: bool,
    ) -> anyhow::Result<bool> {
        let mut tx = self.db.begin().await.context("starting to store a turn")?;
        let fresh = if keyed {
            db::turns::lock(&mut tx, turn.turn_id).await?;
            !db::turns::exists(&mut *tx, turn.turn_id).await?
        } else {
            true
        };
        lease.release_in(&mut tx).await?;
        if fresh {
            let usage = UsageRecord {
                person: turn.person,
                conversation: Some(turn.conversation),
                agent: turn.agent.to_owned(),
                model: outcome.model.clone(),
                input_tokens: outcome.input_tokens,
                output_tokens: outcome.output_tokens,
            };
            db::turns::write(&mut *tx, turn.conversation, turn.turn_id, turn.messages, &usage)
                .await?;
            // What the turn asked the person to confirm, stored with the question.
            let (conversation, id) = (Some(turn.conversation), Some(turn.turn_id));
            db::actions::insert(&mut tx, turn.person, conversation, id, &outcome.asks).await?;
        }
        tx.commit().await.context("committing a turn")?;
        lease.released();
        Ok(fresh)
    }

    /// Records the usage of a turn stored nowhere (or whose storing failed), apart from any
    /// conversation, so that every turn counts toward the person's daily limits.
    async fn record_usage(&self, person: Uuid, agent: &str, outcome: &TurnOutcome) {
        let usage = UsageRecord {
            person,
            conversation: None,
            agent: agent.to_owned(),
            model: outcome.model.clone(),
            input_tokens: outcome.input_tokens,
            output_tokens: outcome.output_tokens,
        };
        if let Err(error) = self.runtime.usage.record(usage).await {
            tracing::error!(error = format!("{error:#}"), "recording a turn's usage");
        }
    }
}

/// What a turn's transaction writes.
struct Stored<'a> {
    person: Uuid,
    conversation: Uuid,
    turn_id: Uuid,
    agent: &'a str,
    messages: &'a [NewMessage],
}

fn usage(outcome: &TurnOutcome) -> TurnEvent {
    TurnEvent::Usage { input_tokens: outcome.input_tokens, output_tokens: outcome.output_tokens }
}
