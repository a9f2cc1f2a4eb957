//! The service's one state, shared by every handler.

use std::sync::Arc;

use axum::extract::FromRef;
use posey_http::auth::JwksVerifier;
use posey_http::backing::Backing;
use tokio_util::task::TaskTracker;

use crate::Config;
use crate::db::conversations::TurnLeases;
use crate::knowledge::Knowledge;
use crate::runtime::Runtime;

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

pub struct App {
    pub config: Config,
    pub backing: Backing,
    /// Checks callers' access tokens (auth's JWKS, revoked sessions refused).
    pub verifier: Arc<JwksVerifier>,
    /// The agents, their plugins and models.
    pub runtime: Arc<Runtime>,
    /// Turns in progress (each in its own task), and the plugins' work after them (memory
    /// extraction): waited for at shutdown so they get stored.
    pub turns: TaskTracker,
    /// Where turns wait for their conversation's lease, and are woken when it is released.
    pub leases: TurnLeases,
    /// The embedding model and vector store of memory and documents.
    pub knowledge: Arc<Knowledge>,
}

impl AppState {
    pub fn new(
        config: Config,
        backing: Backing,
        verifier: Arc<JwksVerifier>,
        runtime: Arc<Runtime>,
        turns: TaskTracker,
        leases: TurnLeases,
        knowledge: Arc<Knowledge>,
    ) -> Self {
        Self(Arc::new(App { config, backing, verifier, runtime, turns, leases, knowledge }))
    }

    pub fn db(&self) -> &sqlx::PgPool {
        &self.backing.db
    }
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

/// Lets `posey_http::auth::Authenticated` find the verifier.
impl FromRef<AppState> for Arc<JwksVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}
