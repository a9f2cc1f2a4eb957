//! The service's one state, shared by every handler.

use std::sync::Arc;

use posey_http::auth::JwksVerifier;
use posey_http::backing::Backing;

use crate::Config;
use crate::gateway::Gateway;

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

pub struct App {
    pub config: Config,
    pub backing: Backing,
    /// Checks callers' access tokens (auth's JWKS, revoked sessions refused).
    pub verifier: Arc<JwksVerifier>,
    /// The GraphQL engine: catalog, role schemas, live queries.
    pub gateway: Arc<Gateway>,
}

impl AppState {
    pub fn new(
        config: Config,
        backing: Backing,
        verifier: Arc<JwksVerifier>,
        gateway: Arc<Gateway>,
    ) -> Self {
        Self(Arc::new(App { config, backing, verifier, gateway }))
    }
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}
