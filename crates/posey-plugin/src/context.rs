//! What a tool call knows about whom it works for: the person, their profile as the turn
//! knows it, the message the turn answers and the credential for other Posey services.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use posey_domain::TimeZone;
use serde::Serialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::confirm::{Asks, ConfirmationRequest, MAX_EXPIRY, PendingAction};

/// A person's profile: their name, IANA time zone and preferences. A person who never set one
/// has the defaults (no name, UTC, no preferences).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Profile {
    #[schema(required = true)]
    pub name: Option<String>,
    /// The person's IANA time zone, such as Europe/Paris.
    // Stored as its name; agents' profiles db fails the read of a name that is no zone.
    #[schema(value_type = String)]
    pub time_zone: TimeZone,
    pub preferences: Map<String, Value>,
    #[schema(required = true)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Profile {
    /// The profile of a person who never set one.
    pub fn defaults() -> Self {
        Self { name: None, time_zone: TimeZone::UTC, preferences: Map::new(), updated_at: None }
    }
}

/// Where profiles are read from (the agents service's store).
pub trait ProfileSource: Send + Sync + 'static {
    fn profile(&self, person: Uuid) -> BoxFuture<'static, anyhow::Result<Profile>>;
}

/// What a tool call knows about whom it works for.
#[derive(Clone)]
pub struct ToolContext {
    pub person: Uuid,
    pub db: sqlx::PgPool,
    /// The person's message the turn answers; `None` outside a turn (an MCP client's call).
    /// Instructions that depend on what was asked (relevant memories) read it.
    pub message: Option<Arc<str>>,
    /// What the tool's calls to other Posey services (cron) authenticate with; `None` when the
    /// turn came without one.
    pub credential: Option<Credential>,
    /// The person's profile as the turn knows it (read with [`ToolContext::profile`]).
    pub profile: TurnProfile,
    /// Where the profile is read from when the turn has not read it yet.
    pub profiles: Arc<dyn ProfileSource>,
    /// What the turn's tools asked the person to confirm (see [`ToolContext::ask`]).
    pub asks: Asks,
    /// The model the context is for is a small one (it calls tools weakly or not at all): what
    /// a plugin puts next to the message should be as short as it can be (each token of it is
    /// evaluated while the person waits), and need not name what only tools use (ids).
    pub compact: bool,
}

impl ToolContext {
    /// The person's profile: read once per turn (or already read with the usage check) and
    /// shared by every tool and instruction of the turn.
    pub async fn profile(&self) -> anyhow::Result<Profile> {
        if let Some(profile) = self.profile.lock().as_ref() {
            return Ok(profile.clone());
        }
        let profile = self.profiles.profile(self.person).await?;
        self.profile.replace(profile.clone());
        Ok(profile)
    }
}

/// The person's profile within one turn. Several plugins need it (the time zone above all),
/// often more than once a turn: it is read at most once, or handed over already read, and kept
/// current when a tool of the turn changes it.
#[derive(Clone, Default)]
pub struct TurnProfile(Arc<Mutex<Option<Profile>>>);

impl TurnProfile {
    /// A profile the caller read already.
    pub fn known(profile: Profile) -> Self {
        Self(Arc::new(Mutex::new(Some(profile))))
    }

    /// The profile after a change the turn made.
    pub fn replace(&self, profile: Profile) {
        *self.lock() = Some(profile);
    }

    fn lock(&self) -> MutexGuard<'_, Option<Profile>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The bearer token a turn arrived with, for calls to other Posey services on the person's
/// behalf. Carried per turn, never kept beyond it.
#[derive(Clone)]
pub enum Credential {
    /// The person's own access token (chat, the OpenAI-compatible API, MCP).
    Person(Arc<str>),
    /// A service client's token (auth's client-credentials grant) acting for the person: the
    /// turns another service runs (cron's agent tasks).
    Service(Arc<str>),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Person(_) => "Credential::Person(..)",
            Self::Service(_) => "Credential::Service(..)",
        })
    }
}

/// A turn once it is stored: what [`crate::Plugin::after_turn`] learns.
#[derive(Debug, Clone)]
pub struct FinishedTurn {
    pub person: Uuid,
    pub conversation: Uuid,
    /// The id of the turn's messages (the person's message is the first).
    pub turn_id: Uuid,
    /// The conversation's agent.
    pub agent: String,
    /// What the person said.
    pub message: String,
    /// The agent's final answer (empty when the turn failed before one).
    pub answer: String,
    pub failed: bool,
    /// The message was an explicit command ("remember that …", "remind me to … at …") the
    /// runtime carried out with a tool, without a model: there is nothing more in it to take.
    pub explicit_command: bool,
}

impl ToolContext {
    /// Asks the person to confirm what `plugin` would do, instead of doing it: the turn ends
    /// asking once this tool returns. What this returns is the tool's answer for the model.
    pub fn ask(&self, plugin: &str, request: ConfirmationRequest) -> Value {
        let expires_in = request.expires_in.min(MAX_EXPIRY);
        let expires_at =
            Utc::now() + chrono::Duration::from_std(expires_in).unwrap_or(chrono::Duration::zero());
        let action = PendingAction {
            id: Uuid::now_v7(),
            plugin: plugin.to_owned(),
            summary: request.summary,
            reason: request.reason,
            payload: request.payload,
            expires_at,
        };
        let answer = json!({
            "status": "awaiting_confirmation",
            "action_id": action.id,
            "summary": action.summary,
            "note": "Nothing was done: the person has been asked to confirm it in the app.",
        });
        self.asks.push(action);
        answer
    }
}
