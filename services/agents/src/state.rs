//! The service's one state, shared by every handler.

use std::sync::Arc;

use axum::extract::FromRef;
use posey_http::auth::JwksVerifier;
use posey_http::backing::Backing;

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
}

impl AppState {
    pub fn new(
        config: Config,
        backing: Backing,
        verifier: Arc<JwksVerifier>,
        runtime: Arc<Runtime>,
        turns: Turns,
        knowledge: Arc<Knowledge>,
    ) -> Self {
        Self(Arc::new(App { config, backing, verifier, runtime, turns, knowledge }))
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
