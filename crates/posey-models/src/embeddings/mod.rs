//! Text embeddings for Posey's memory and documents: one [`Embedder`] whatever the source, either
//! the local all-MiniLM-L6-v2 run in process through candle (the embedded default: BERT, mean
//! pooling over the attention mask, L2 normalisation, 384 dimensions) or a provider's embedding
//! model through rig-core (OpenAI, Ollama, Gemini, any OpenAI-compatible server).
//!
//! Every vector an [`Embedder`] returns has unit length, so cosine similarity is a dot product.
//! Work is batched, and the local model runs on tokio's blocking threads, never on the async ones.
//!
//! ```no_run
//! use posey_config::Env;
//! use posey_models::embeddings::EmbeddingConfig;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let mut env = Env::process();
//! let config = EmbeddingConfig::from_env(&mut env);
//! let config = env.finish(config)?; // every problem, each naming its variable
//! let embedder = config.load().await?; // load once; clones share the model
//! let vectors = embedder.embed(&["The cat sits on the mat".to_owned()]).await?;
//! assert_eq!(vectors[0].len(), embedder.dimension());
//! # Ok(())
//! # }
//! ```

mod config;
mod error;
#[cfg(feature = "local-embeddings")]
mod local;
mod remote;
mod vector;

use std::sync::Arc;

pub use config::{
    API_KEY_VAR, BASE_URL_VAR, BATCH_SIZE_VAR, DEFAULT_BATCH_SIZE,
    DEFAULT_LOCAL_EMBEDDING_MODEL_DIR, DIMENSIONS_VAR, EMBEDDING_MODEL_VAR, EmbeddingConfig,
    LOCAL_EMBEDDING_MODEL_VAR, LOCAL_MODEL_FILES, LocalEmbeddingConfig, RemoteEmbeddingConfig,
};
pub use error::EmbeddingError;
#[cfg(feature = "local-embeddings")]
pub use local::LocalEmbedder;
pub use remote::RemoteEmbedder;
pub use vector::cosine_similarity;

/// An embedding model, loaded and ready. Cheap to clone: clones share the model.
#[derive(Clone)]
pub struct Embedder {
    inner: Arc<Backend>,
}

// Held once behind the Embedder's Arc, so the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Backend {
    #[cfg(feature = "local-embeddings")]
    Local(LocalEmbedder),
    Remote(RemoteEmbedder),
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model", &self.model_name())
            .field("dimension", &self.dimension())
            .finish()
    }
}

impl Embedder {
    /// One unit vector per text, in order; an empty slice gives an empty result. Texts longer
    /// than the model's window are truncated, not refused.
    pub async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        match &*self.inner {
            #[cfg(feature = "local-embeddings")]
            Backend::Local(_) => {
                // The forward pass is CPU-bound for milliseconds to seconds: keep it off the
                // async threads. The texts are copied once so the task owns what it reads.
                let inner = Arc::clone(&self.inner);
                let texts = texts.to_vec();
                tokio::task::spawn_blocking(move || match &*inner {
                    Backend::Local(local) => local.embed_blocking(&texts),
                    Backend::Remote(_) => unreachable!("matched as local above"),
                })
                .await
                .map_err(|e| EmbeddingError::Worker(e.to_string()))?
            }
            Backend::Remote(remote) => remote.embed(texts).await,
        }
    }

    /// One text's unit vector.
    pub async fn embed_one(&self, text: &str) -> Result<Vec<f32>, EmbeddingError> {
        let mut vectors = self.embed(&[text.to_owned()]).await?;
        vectors.pop().ok_or_else(|| EmbeddingError::Inference("no vector returned".into()))
    }

    /// The length of every vector (384 for all-MiniLM-L6-v2).
    pub fn dimension(&self) -> usize {
        match &*self.inner {
            #[cfg(feature = "local-embeddings")]
            Backend::Local(local) => local.dimension(),
            Backend::Remote(remote) => remote.dimension(),
        }
    }

    /// The model's name as vector collections record it (`all-MiniLM-L6-v2`,
    /// `openai:text-embedding-3-small`): vectors from different models never mix.
    pub fn model_name(&self) -> &str {
        match &*self.inner {
            #[cfg(feature = "local-embeddings")]
            Backend::Local(local) => local.model_name(),
            Backend::Remote(remote) => remote.model_name(),
        }
    }

    /// The most texts sent through the model at once.
    pub fn max_batch(&self) -> usize {
        match &*self.inner {
            #[cfg(feature = "local-embeddings")]
            Backend::Local(local) => local.max_batch(),
            Backend::Remote(remote) => remote.max_batch(),
        }
    }
}

#[cfg(feature = "local-embeddings")]
impl From<LocalEmbedder> for Embedder {
    fn from(local: LocalEmbedder) -> Self {
        Self { inner: Arc::new(Backend::Local(local)) }
    }
}

impl From<RemoteEmbedder> for Embedder {
    fn from(remote: RemoteEmbedder) -> Self {
        Self { inner: Arc::new(Backend::Remote(remote)) }
    }
}

impl EmbeddingConfig {
    /// The embedder. The local model is loaded here, off the async threads; a provider without
    /// `POSEY_EMBEDDING_DIMENSIONS` is asked to embed one text, to learn the dimension (and to
    /// fail now rather than at the first memory). Load once and clone the result.
    pub async fn load(&self) -> Result<Embedder, EmbeddingError> {
        match self {
            #[cfg(feature = "local-embeddings")]
            Self::Local(local) => {
                let local = local.clone();
                let dir = local.dir.clone();
                let embedder = tokio::task::spawn_blocking(move || LocalEmbedder::load(&local))
                    .await
                    .map_err(|e| EmbeddingError::LocalModelLoad {
                        dir,
                        message: format!("the loading thread failed: {e}"),
                    })??;
                Ok(embedder.into())
            }
            #[cfg(not(feature = "local-embeddings"))]
            Self::Local(_) => Err(EmbeddingError::LocalUnsupported),
            Self::Remote(remote) => Ok(RemoteEmbedder::connect(remote).await?.into()),
        }
    }
}
