//! The service's one state, shared by every handler.

use std::sync::Arc;

use posey_http::backing::Backing;

use crate::Config;

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

pub struct App {
    pub config: Config,
    pub backing: Backing,
}

impl AppState {
    pub fn new(config: Config, backing: Backing) -> Self {
        Self(Arc::new(App { config, backing }))
    }
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}
