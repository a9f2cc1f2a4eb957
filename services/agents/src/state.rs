//! The service's one state, shared by every handler.

use std::sync::Arc;

use axum::extract::FromRef;
use posey_http::auth::JwksVerifier;
use posey_http::backing::Backing;
use posey_plugin::Host;

use crate::Config;
use crate::knowledge::Knowledge;
use crate::runtime::Runtime;
use crate::turns::Turns;

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

pub struct App {
    pub config: Config,
    pub backing: Backing,
    /// Checks callers' access tokens (auth's JWKS, revoked sessions refused).
    pub verifier: Arc<JwksVerifier>,
    /// The agents, their plugins and models.
    pub runtime: Arc<Runtime>,
    /// Where every turn runs, from its lease to the plugins' work after it.
    pub turns: Turns,
    /// The embedding model and vector store of memory and documents.
    pub knowledge: Arc<Knowledge>,
    /// What plugins are lent outside their own routes (a person's export).
    pub host: Host,
}

impl AppState {
    /// The verifier is the one lent to plugins in `host`.
    pub fn new(
        config: Config,
        backing: Backing,
        runtime: Arc<Runtime>,
        turns: Turns,
        knowledge: Arc<Knowledge>,
        host: Host,
    ) -> Self {
        let verifier = host.verifier.clone();
        Self(Arc::new(App { config, backing, verifier, runtime, turns, knowledge, host }))
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
