//! Why texts could not be embedded, or an embedding model could not be made ready.

use std::path::PathBuf;

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
