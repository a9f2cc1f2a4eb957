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
#[cfg(feature = "local-embeddings")]
mod local;
mod remote;

use std::path::PathBuf;
use std::sync::Arc;

pub use config::{
    API_KEY_VAR, BASE_URL_VAR, BATCH_SIZE_VAR, DEFAULT_BATCH_SIZE,
    DEFAULT_LOCAL_EMBEDDING_MODEL_DIR, DIMENSIONS_VAR, EMBEDDING_MODEL_VAR, EmbeddingConfig,
    LOCAL_EMBEDDING_MODEL_VAR, LOCAL_MODEL_FILES, LocalEmbeddingConfig, RemoteEmbeddingConfig,
};
#[cfg(feature = "local-embeddings")]
pub use local::LocalEmbedder;
pub use remote::RemoteEmbedder;

/// Why texts could not be embedded, or an embedding model could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddingError {
    #[error(
        "the local embedding model in {dir} is missing {file}; install the default with \
         scripts/up (or point POSEY_LOCAL_EMBEDDING_MODEL at a directory holding config.json, \
         tokenizer.json and model.safetensors)"
    )]
    LocalModelMissing { dir: PathBuf, file: &'static str },
    #[error("cannot load the local embedding model {dir}: {message}")]
    LocalModelLoad { dir: PathBuf, message: String },
    #[error(
        "this build has no local embedding support (the posey-models `local-embeddings` feature \
         is off)"
    )]
    LocalUnsupported,
    #[error("the local embedding model failed: {0}")]
    Inference(String),
    #[error("the embedding provider {model} failed: {message}")]
    Provider { model: String, message: String },
    #[error("the embedding worker thread failed: {0}")]
    Worker(String),
}

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

/// Scales `vector` to unit length (a zero vector stays zero).
pub(crate) fn normalize(vector: &mut [f32]) {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Cosine similarity of two vectors (for unit vectors, their dot product).
pub fn cosine_similarity(a: &[f32], b: &[f32]) -> f32 {
    let dot = a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let norms =
        a.iter().map(|x| x * x).sum::<f32>().sqrt() * b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norms > 0.0 { dot / norms } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_gives_unit_length_and_leaves_zero_alone() {
        let mut v = vec![3.0, 4.0];
        normalize(&mut v);
        assert_eq!(v, vec![0.6, 0.8]);
        let mut zero = vec![0.0; 3];
        normalize(&mut zero);
        assert_eq!(zero, vec![0.0; 3]);
        assert!((cosine_similarity(&[1.0, 0.0], &[2.0, 0.0]) - 1.0).abs() < 1e-6);
        assert_eq!(cosine_similarity(&[1.0, 0.0], &[0.0, 1.0]), 0.0);
    }
}
