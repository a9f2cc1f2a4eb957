//! Where agents get their models: a [`ModelSource`] turns a model spec (`POSEY_MODEL`'s value,
//! or an agent's `model` in the agents file: `local`, `test` or `provider:model`) into a rig
//! completion model. The service loads every spec its agents use through posey-models'
//! configuration once at start; tests inject their own source of test models.

use std::collections::BTreeMap;
use std::sync::Arc;

use posey_config::Env;
use posey_models::config::ModelConfig;
use rig_core::DynModel;
use rig_core::operation::Completion;

pub trait ModelSource: Send + Sync + 'static {
    /// The model for `spec`, or why there is none.
    fn model(&self, spec: &str) -> anyhow::Result<DynModel<Completion>>;
}

pub type SharedModels = Arc<dyn ModelSource>;

/// Any function from spec to model is a source (what tests pass).
impl<F> ModelSource for F
where
    F: Fn(&str) -> anyhow::Result<DynModel<Completion>> + Send + Sync + 'static,
{
    fn model(&self, spec: &str) -> anyhow::Result<DynModel<Completion>> {
        self(spec)
    }
}

/// The models posey-models configures, loaded once per spec. A model that could not be loaded
/// (the local GGUF not installed yet, say) is logged at start, and every turn on it fails with
/// the reason, instead of the whole service refusing to start.
pub struct ConfiguredModels {
    models: BTreeMap<String, Result<DynModel<Completion>, String>>,
}

impl ConfiguredModels {
    /// Loads each of `specs`, reading the rest of a provider's settings (keys, base URL, the
    /// local model's path) from the process environment.
    pub async fn load(specs: impl IntoIterator<Item = String>) -> Self {
        let mut models = BTreeMap::new();
        for spec in specs {
            if models.contains_key(&spec) {
                continue;
            }
            let loaded = load_one(&spec).await;
            match &loaded {
                Ok(_) => tracing::info!(model = %spec, "model ready"),
                Err(error) => tracing::error!(model = %spec, error = %error, "model not available"),
            }
            models.insert(spec, loaded);
        }
        Self { models }
    }
}

async fn load_one(spec: &str) -> Result<DynModel<Completion>, String> {
    let config = read_config(spec)?;
    tracing::info!(model = %spec, using = %config.describe(), "loading a model");
    config.load().await.map_err(|error| error.to_string())
}

/// posey-models' configuration for `spec`, the rest from the process environment. (Not async:
/// the reader is not `Send`.)
fn read_config(spec: &str) -> Result<ModelConfig, String> {
    let owned = spec.to_owned();
    let mut env = Env::new(move |name| {
        if name == posey_models::config::MODEL_VAR {
            Some(owned.clone())
        } else {
            std::env::var(name).ok()
        }
    });
    let config = ModelConfig::from_env(&mut env);
    env.finish(config).map_err(|error| error.to_string())
}

impl ModelSource for ConfiguredModels {
    fn model(&self, spec: &str) -> anyhow::Result<DynModel<Completion>> {
        match self.models.get(spec) {
            Some(Ok(model)) => Ok(model.clone()),
            Some(Err(reason)) => anyhow::bail!("model {spec:?} is not available: {reason}"),
            None => anyhow::bail!("model {spec:?} was not loaded at start"),
        }
    }
}
