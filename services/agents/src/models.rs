//! Where agents get their models, and which models people may choose.
//!
//! A [`ModelSource`] turns a model spec (`POSEY_MODEL`'s value, an agent's `model` in the agents
//! file, a person's choice: `local`, `local:<file>.gguf`, `test` or `provider:model`) into a rig
//! completion model. The service loads the specs its agents use through posey-models'
//! configuration at start, and any other (a GGUF someone chose) on first use; tests inject their
//! own source of test models.
//!
//! The [`ModelCatalog`] lists the models people may choose (the configured ones, then every GGUF
//! in `<data dir>/models`, looked up afresh each time so a file dropped there is choosable at
//! once) and gives each its profile: derived from the model, corrected by the operator.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use futures::future::BoxFuture;
use posey_config::Env;
use posey_models::config::{ModelConfig, local_file, local_spec};
use posey_models::{LocalModelConfig, ModelProfile, ProfileOverride};
use rig_core::DynModel;
use rig_core::operation::Completion;
use serde::Serialize;

use crate::catalog::AgentsFile;
use crate::config::{ModelSettings, RuntimeSettings};
use crate::sync::lock;

pub trait ModelSource: Send + Sync + 'static {
    /// The model for `spec`, or why there is none.
    fn model<'a>(&'a self, spec: &'a str) -> BoxFuture<'a, anyhow::Result<DynModel<Completion>>>;
}

pub type SharedModels = Arc<dyn ModelSource>;

/// Any function from spec to model is a source (what tests pass).
impl<F> ModelSource for F
where
    F: Fn(&str) -> anyhow::Result<DynModel<Completion>> + Send + Sync + 'static,
{
    fn model<'a>(&'a self, spec: &'a str) -> BoxFuture<'a, anyhow::Result<DynModel<Completion>>> {
        Box::pin(std::future::ready(self(spec)))
    }
}

/// The models posey-models configures. The specs named at start are loaded then: one that
/// could not be (the local GGUF not installed yet, say) is logged, and every turn on it fails
/// with the reason, instead of the whole service refusing to start. Any other spec is loaded on
/// first use and kept, up to `AGENTS_MAX_EXTRA_MODELS` of them: past that the one used least
/// recently is let go (a GGUF's memory is freed when the last turn using it ends). A failure on
/// first use is not kept, so a file put right is found next time.
pub struct ConfiguredModels {
    /// How `local:<file>` GGUFs run, and where they are.
    local: Option<LocalModelConfig>,
    models_dir: Option<PathBuf>,
    /// The specs loaded at start, kept for the life of the service.
    loaded: Mutex<BTreeMap<String, Result<DynModel<Completion>, String>>>,
    /// The specs loaded on first use, the one used most recently first.
    extra: Mutex<Vec<(String, DynModel<Completion>)>>,
    max_extra: usize,
    /// Held while a model is loaded on first use, so two turns do not load one GGUF twice.
    loading: tokio::sync::Mutex<()>,
}

impl ConfiguredModels {
    /// Loads each of `specs`, reading the rest of a provider's settings (keys, base URL) from
    /// the process environment; `settings` say how and where local GGUFs run.
    pub async fn load(specs: impl IntoIterator<Item = String>, settings: &ModelSettings) -> Self {
        let this = Self {
            local: settings.local.clone(),
            models_dir: settings.models_dir.clone(),
            loaded: Mutex::default(),
            extra: Mutex::default(),
            max_extra: settings.max_extra_models,
            loading: tokio::sync::Mutex::new(()),
        };
        for spec in specs {
            if lock(&this.loaded).contains_key(&spec) {
                continue;
            }
            let loaded = this.load_one(&spec).await;
            match &loaded {
                Ok(_) => tracing::info!(model = %spec, "model ready"),
                Err(error) => tracing::error!(model = %spec, error = %error, "model not available"),
            }
            lock(&this.loaded).insert(spec, loaded);
        }
        this
    }

    async fn load_one(&self, spec: &str) -> Result<DynModel<Completion>, String> {
        let config = self.config(spec)?;
        tracing::info!(model = %spec, using = %config.describe(), "loading a model");
        config.load().await.map_err(|error| error.to_string())
    }

    /// posey-models' configuration for `spec`: a `local:<file>` GGUF runs like `local`; the
    /// rest is read from the process environment.
    fn config(&self, spec: &str) -> Result<ModelConfig, String> {
        if let Some(file) = local_file(spec) {
            let (Some(local), Some(dir)) = (&self.local, &self.models_dir) else {
                return Err("no data directory is known for local models".into());
            };
            return Ok(ModelConfig::Local(local.with_path(dir.join(file))));
        }
        read_config(spec)
    }

    /// The model for `spec` if it is loaded, marking an extra one as used just now.
    fn known(&self, spec: &str) -> Option<Result<DynModel<Completion>, String>> {
        if let Some(loaded) = lock(&self.loaded).get(spec) {
            return Some(loaded.clone());
        }
        let mut extra = lock(&self.extra);
        let at = extra.iter().position(|(loaded, _)| loaded == spec)?;
        let entry = extra.remove(at);
        let model = entry.1.clone();
        extra.insert(0, entry);
        Some(Ok(model))
    }

    /// Keeps `model`, loaded on first use, letting go of the least recently used past the limit.
    fn keep_extra(&self, spec: &str, model: DynModel<Completion>) {
        let mut extra = lock(&self.extra);
        extra.insert(0, (spec.to_owned(), model));
        let keep = self.max_extra.min(extra.len());
        for (spec, _) in extra.drain(keep..) {
            tracing::info!(model = %spec, "model let go: AGENTS_MAX_EXTRA_MODELS others were used since");
        }
    }

    /// The specs loaded on first use and still kept, the most recently used first.
    pub fn extra_models(&self) -> Vec<String> {
        lock(&self.extra).iter().map(|(spec, _)| spec.clone()).collect()
    }
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
    fn model<'a>(&'a self, spec: &'a str) -> BoxFuture<'a, anyhow::Result<DynModel<Completion>>> {
        Box::pin(async move {
            if let Some(loaded) = self.known(spec) {
                return loaded.map_err(|reason| {
                    anyhow::anyhow!("model {spec:?} is not available: {reason}")
                });
            }
            let _loading = self.loading.lock().await;
            if let Some(loaded) = self.known(spec) {
                return loaded.map_err(|reason| {
                    anyhow::anyhow!("model {spec:?} is not available: {reason}")
                });
            }
            match self.load_one(spec).await {
                Ok(model) => {
                    tracing::info!(model = %spec, "model ready (loaded on first use)");
                    self.keep_extra(spec, model.clone());
                    Ok(model)
                }
                Err(reason) => anyhow::bail!("model {spec:?} is not available: {reason}"),
            }
        })
    }
}

/// One model people may choose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    /// What to choose it by (`PUT /v1/me/model`, the OpenAI API's `model`).
    pub id: String,
    pub description: String,
    /// Whether it is `POSEY_MODEL`, what turns use unless the person chose another.
    pub default: bool,
    /// `configured` (`POSEY_MODEL`, an agent's model, the agents file's `models:`) or
    /// `data_dir` (a GGUF found in `<data dir>/models`).
    pub source: &'static str,
    pub profile: ModelProfile,
}

/// The models people may choose, and every model's profile.
pub struct ModelCatalog {
    default: String,
    /// The configured models, the default first, with their descriptions.
    configured: Vec<(String, String)>,
    /// The operator's corrections, by spec.
    overrides: BTreeMap<String, ProfileOverride>,
    local: Option<LocalModelConfig>,
    models_dir: Option<PathBuf>,
    /// Profiles derived from GGUF headers, by file and its size and time (a replaced file is
    /// read again).
    headers: Mutex<BTreeMap<FileVersion, ModelProfile>>,
}

/// A file as it is now: its path, size and modification time.
type FileVersion = (PathBuf, u64, Option<SystemTime>);

impl ModelCatalog {
    pub fn new(agents: &AgentsFile, runtime: &RuntimeSettings, settings: &ModelSettings) -> Self {
        let default = runtime.default_model.clone();
        let mut configured: Vec<(String, String)> = Vec::new();
        let mut add = |id: &str, description: &str| {
            if let Some(known) = configured.iter_mut().find(|(known, _)| known == id) {
                if known.1.is_empty() {
                    known.1 = description.to_owned();
                }
            } else {
                configured.push((id.to_owned(), description.to_owned()));
            }
        };
        add(&default, "");
        for agent in &agents.agents {
            if let Some(model) = &agent.model {
                add(model, "");
            }
        }
        for model in &agents.models {
            add(&model.id, &model.description);
        }
        let mut overrides: BTreeMap<String, ProfileOverride> = BTreeMap::new();
        if !settings.default_profile.is_empty() {
            overrides.insert(default.clone(), settings.default_profile);
        }
        for model in &agents.models {
            let earlier = overrides.get(&model.id).copied().unwrap_or_default();
            overrides.insert(model.id.clone(), earlier.then(&model.profile));
        }
        Self {
            default,
            configured,
            overrides,
            local: settings.local.clone(),
            models_dir: settings.models_dir.clone(),
            headers: Mutex::default(),
        }
    }

    /// `POSEY_MODEL`.
    pub fn default_model(&self) -> &str {
        &self.default
    }

    /// Every model people may choose: the configured ones (the default first), then the GGUFs in
    /// `<data dir>/models` that are not configured already.
    pub fn list(&self) -> Vec<ModelInfo> {
        let mut models: Vec<ModelInfo> = self
            .configured
            .iter()
            .map(|(id, description)| ModelInfo {
                id: id.clone(),
                description: if description.is_empty() {
                    self.describe(id)
                } else {
                    description.clone()
                },
                default: *id == self.default,
                source: "configured",
                profile: self.profile(id),
            })
            .collect();
        for file in self.found_files() {
            let Some(name) = file.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                continue;
            };
            let id = local_spec(&name);
            // The configured `local` GGUF is listed once, as `local`.
            if self.is_configured_local(&file) || models.iter().any(|m| m.id == id) {
                continue;
            }
            models.push(ModelInfo {
                description: format!("{name} (in process, found in the models folder)"),
                default: false,
                source: "data_dir",
                profile: self.profile(&id),
                id,
            });
        }
        models
    }

    /// Whether `id` may be chosen (is in [`Self::list`]).
    pub fn choosable(&self, id: &str) -> bool {
        if self.configured.iter().any(|(known, _)| known == id) {
            return true;
        }
        match (local_file(id), &self.models_dir) {
            (Some(file), Some(dir)) => {
                let path = dir.join(file);
                id == local_spec(file) && path.is_file() && !self.is_configured_local(&path)
            }
            _ => false,
        }
    }

    /// What `spec` can be trusted with: derived from the model, with the operator's corrections.
    pub fn profile(&self, spec: &str) -> ModelProfile {
        let derived = match (spec, &self.local) {
            ("local", Some(local)) => self.gguf_profile(local),
            (spec, Some(local)) if local_file(spec).is_some() => match &self.models_dir {
                Some(dir) => {
                    let file = local_file(spec).unwrap_or_default();
                    self.gguf_profile(&local.with_path(dir.join(file)))
                }
                None => ModelProfile::UNKNOWN,
            },
            (spec, local) => {
                let fallback = LocalModelConfig::new(PathBuf::new());
                posey_models::profile::derived(spec, local.as_ref().unwrap_or(&fallback), None)
            }
        };
        match self.overrides.get(spec) {
            Some(corrections) => corrections.apply(derived),
            None => derived,
        }
    }

    fn gguf_profile(&self, config: &LocalModelConfig) -> ModelProfile {
        let meta = std::fs::metadata(&config.path).ok();
        let key = (
            config.path.clone(),
            meta.as_ref().map_or(0, std::fs::Metadata::len),
            meta.and_then(|m| m.modified().ok()),
        );
        if let Some(profile) = lock(&self.headers).get(&key) {
            return *profile;
        }
        let profile = ModelProfile::local(config);
        lock(&self.headers).insert(key, profile);
        profile
    }

    /// A model's description when the operator gave none: what it is, never where it is.
    fn describe(&self, id: &str) -> String {
        match (id, &self.local) {
            ("local", Some(local)) => {
                let file = local.path.file_name().map(|n| n.to_string_lossy().into_owned());
                format!("{} (in process)", file.unwrap_or_else(|| "the local GGUF".into()))
            }
            ("test", _) => "the test model (calls every tool, then summarises)".to_owned(),
            (id, _) => match local_file(id) {
                Some(file) => format!("{file} (in process)"),
                None => id.to_owned(),
            },
        }
    }

    fn found_files(&self) -> Vec<PathBuf> {
        let Some(dir) = &self.models_dir else { return Vec::new() };
        posey_models::gguf::gguf_files(dir).unwrap_or_else(|error| {
            tracing::warn!(dir = %dir.display(), %error, "cannot list the models folder");
            Vec::new()
        })
    }

    /// Whether `path` is the GGUF `local` runs, and `local` is configured.
    fn is_configured_local(&self, path: &Path) -> bool {
        let Some(local) = &self.local else { return false };
        self.configured.iter().any(|(id, _)| id == "local") && same_file(&local.path, path)
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: Option<&Path>) -> ModelSettings {
        ModelSettings {
            local: dir.map(|d| LocalModelConfig::new(d.join("Default.gguf"))),
            models_dir: dir.map(Path::to_path_buf),
            default_profile: ProfileOverride::default(),
            tool_min_similarity: ModelSettings::DEFAULT_TOOL_MIN_SIMILARITY,
            tools_per_message: ModelSettings::DEFAULT_TOOLS_PER_MESSAGE,
            max_extra_models: 2,
        }
    }

    #[tokio::test]
    async fn models_loaded_on_first_use_beyond_the_limit_let_go_of_the_least_recently_used() {
        // Ollama models need no key and no server to be made, so the test needs neither.
        let models = ConfiguredModels::load(["ollama:start".to_owned()], &settings(None)).await;
        for spec in ["ollama:a", "ollama:b"] {
            models.model(spec).await.unwrap();
        }
        assert_eq!(models.extra_models(), ["ollama:b", "ollama:a"]);

        // Using `a` again makes `b` the least recently used, so `c` pushes `b` out.
        models.model("ollama:a").await.unwrap();
        models.model("ollama:c").await.unwrap();
        assert_eq!(models.extra_models(), ["ollama:c", "ollama:a"]);

        // The model loaded at start is never let go, however many others are used.
        models.model("ollama:start").await.unwrap();
        models.model("ollama:d").await.unwrap();
        assert_eq!(models.extra_models(), ["ollama:d", "ollama:c"]);
        assert!(super::lock(&models.loaded).contains_key("ollama:start"));

        // One let go is loaded again when someone uses it.
        models.model("ollama:b").await.unwrap();
        assert_eq!(models.extra_models(), ["ollama:b", "ollama:d"]);
    }

    fn runtime(default: &str) -> RuntimeSettings {
        RuntimeSettings {
            default_model: default.to_owned(),
            max_turns: 8,
            max_delegation_depth: 2,
            daily_requests: 0,
            daily_tokens: 0,
            memory_model: default.to_owned(),
            shutdown_grace: std::time::Duration::from_secs(5),
            explicit_commands: true,
        }
    }

    #[test]
    fn the_default_is_listed_first_and_ggufs_in_the_folder_are_choosable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Default.gguf"), b"not really").unwrap();
        std::fs::write(dir.path().join("Other.gguf"), b"not really").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"").unwrap();
        let agents = AgentsFile::parse(
            "agents: [{name: posey, prompt: p}]\nmodels: [{id: 'openai:gpt-4o', description: Hosted}]",
        )
        .unwrap();
        let catalog = ModelCatalog::new(&agents, &runtime("local"), &settings(Some(dir.path())));
        let ids: Vec<String> = catalog.list().into_iter().map(|m| m.id).collect();
        assert_eq!(ids, ["local", "openai:gpt-4o", "local:Other.gguf"]);
        assert!(catalog.list()[0].default);
        assert!(catalog.choosable("local:Other.gguf"));
        assert!(!catalog.choosable("local:Default.gguf"), "listed once, as `local`");
        assert!(!catalog.choosable("local:Missing.gguf"));
        assert!(!catalog.choosable("openai:gpt-4o-mini"));
        // Not a GGUF: the cautious profile of a local model, with the configured window.
        assert_eq!(catalog.profile("local:Other.gguf").tools, posey_models::ToolCalling::Weak);
        assert_eq!(catalog.profile("openai:gpt-4o").context_tokens, 128_000);
    }

    #[test]
    fn the_operators_corrections_apply_env_first_then_the_agents_file() {
        let agents = AgentsFile::parse(
            "agents: [{name: posey, prompt: p}]\nmodels: [{id: test, profile: {tools: weak}}]",
        )
        .unwrap();
        let mut settings = settings(None);
        settings.default_profile.tools = Some(posey_models::ToolCalling::None);
        settings.default_profile.context_tokens = Some(1000);
        let catalog = ModelCatalog::new(&agents, &runtime("test"), &settings);
        let profile = catalog.profile("test");
        assert_eq!(profile.tools, posey_models::ToolCalling::Weak);
        assert_eq!(profile.context_tokens, 1000);
        assert!(profile.delegation);
    }
}
