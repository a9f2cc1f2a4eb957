//! Making the configured chat model ready: the one place that knows every kind of model (the
//! GGUF run in process, the test model, a provider's), so that [`ModelConfig`] stays data.

use rig_core::DynModel;
use rig_core::operation::Completion;

use crate::config::{ModelConfig, ModelError};
use crate::testing::TestModel;

impl ModelConfig {
    /// The model, ready for `rig_agent::AgentBuilder::new`. The local model is loaded here (off
    /// the async threads); load it once and clone the result, clones share it.
    pub async fn load(&self) -> Result<DynModel<Completion>, ModelError> {
        match self {
            Self::Test => Ok(service_test_model().model()),
            Self::Remote(remote) => Ok(remote.model()),
            #[cfg(feature = "local")]
            Self::Local(local) => Ok(crate::local::LocalModel::load(local.clone()).await?.model()),
            #[cfg(not(feature = "local"))]
            Self::Local(_) => Err(ModelError::LocalUnsupported),
        }
    }
}

/// The test model a service runs on for `POSEY_MODEL=test`: not recording its requests, so a
/// long-running service (or a benchmark) does not grow with each one.
fn service_test_model() -> TestModel {
    TestModel::new().recording(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_test_model_keeps_no_requests() {
        assert!(!service_test_model().is_recording());
    }
}
