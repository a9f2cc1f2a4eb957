//! Confirmation: what a tool may do only with the person's yes. The tool asks
//! ([`crate::ToolContext::ask`]) instead of acting; the turn ends asking, stores the
//! [`PendingAction`] with its messages, and the action runs ([`crate::Plugin::run_confirmed`])
//! only when the person confirms it through the API, never on the model's word.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// The longest a person may take to answer.
pub const MAX_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

/// What a tool asks the person to confirm.
#[derive(Debug, Clone)]
pub struct ConfirmationRequest {
    /// What will happen, in the person's words ("unlock the front door").
    pub summary: String,
    /// Why it needs a yes ("a lock is security-relevant").
    pub reason: String,
    /// What the plugin needs to run it when confirmed (kept as it is, never shown to the model).
    pub payload: Value,
    /// How long the question stands (at most [`MAX_EXPIRY`]).
    pub expires_in: Duration,
}

/// An action waiting for the person's answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PendingAction {
    pub id: Uuid,
    /// The plugin that asked, and runs it.
    pub plugin: String,
    pub summary: String,
    pub reason: String,
    #[serde(skip)]
    pub payload: Value,
    pub expires_at: DateTime<Utc>,
}

/// The actions the tools of one turn asked for (shared by every agent of the turn).
#[derive(Clone, Default)]
pub struct Asks(Arc<Mutex<Vec<PendingAction>>>);

impl Asks {
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// What was asked, in order.
    pub fn all(&self) -> Vec<PendingAction> {
        self.lock().clone()
    }

    pub(crate) fn push(&self, action: PendingAction) {
        self.lock().push(action);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PendingAction>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
