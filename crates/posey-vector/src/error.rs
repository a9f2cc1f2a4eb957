//! The typed errors of the vector layer: callers act on a mismatch (reindex) differently from
//! bad input (a bug) or a backend failure (retry, alert).

use thiserror::Error;

#[derive(Debug, Error)]
pub enum VectorError {
    /// The collection exists but was built with another embedding model, dimension or sparse
    /// encoder: its vectors cannot be compared with new ones, so it must be rebuilt from
    /// Postgres.
    #[error("{0}")]
    ModelMismatch(Box<ModelMismatch>),
    /// An operation named a collection that `ensure_collection` has not opened or created.
    #[error("collection `{0}` is not open: call ensure_collection first")]
    UnknownCollection(String),
    /// Input the store refuses before touching the backend (wrong vector length, reserved or
    /// empty payload key, bad collection name, ...).
    #[error("invalid {field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// Another process has the embedded store's directory open (a running service, when
    /// `posey admin reindex` is started beside it, say).
    #[error(
        "the vector store at {0} is in use by another process; stop it first (one process \
         at a time may open an embedded store)"
    )]
    Locked(String),
    /// The embedded store's filesystem has less room than a write may need. Qdrant Edge
    /// writes through memory maps of sparse files, and a write into a hole the full disk
    /// cannot fill kills the process (SIGBUS), so the store refuses the write instead. The
    /// source is a [`std::io::ErrorKind::StorageFull`] error, so callers that map a full disk
    /// to an answer (507) see it as one.
    #[error(
        "the vector store at {path} is out of disk space: {} MiB free, {} MiB needed to write \
         safely",
        free >> 20,
        needed.div_ceil(1 << 20)
    )]
    OutOfSpace {
        path: String,
        free: u64,
        needed: u64,
        #[source]
        source: std::io::Error,
    },
    /// The backend failed (I/O, Qdrant error, unreachable server).
    #[error(transparent)]
    Backend(#[from] anyhow::Error),
}

impl VectorError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { field, message: message.into() }
    }
}

/// What a collection was built with, against what was asked for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "collection `{collection}` was built with embedding model `{found_model}` (dimension \
     {found_dimension}, sparse encoder `{found_sparse}`) but `{expected_model}` (dimension \
     {expected_dimension}, sparse encoder `{expected_sparse}`) was requested; reindex it \
     (`posey admin reindex`) to switch models"
)]
pub struct ModelMismatch {
    pub collection: String,
    pub expected_model: String,
    pub expected_dimension: usize,
    pub expected_sparse: String,
    pub found_model: String,
    pub found_dimension: usize,
    pub found_sparse: String,
}

pub type Result<T, E = VectorError> = std::result::Result<T, E>;
