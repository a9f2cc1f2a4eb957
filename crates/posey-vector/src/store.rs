//! The interface both stores implement, and the query types shared by them.

use async_trait::async_trait;
use uuid::Uuid;

use crate::collection::CollectionSpec;
use crate::error::{Result, VectorError};
use crate::filter::{PointScope, UserFilter};
use crate::point::{Hit, Point, ScrollPage, check_dense};
use crate::sparse::{SparseEncoder, SparseVector};

/// The `k` of reciprocal rank fusion, `score = Σ 1 / (k + rank)`: the customary 60, set
/// explicitly in both stores (Qdrant's own default differs).
pub const RRF_K: usize = 60;
/// Largest page a search or scroll may ask for.
pub const MAX_LIMIT: usize = 1_000;

/// Nearest neighbours of an embedding among one person's points.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseQuery {
    pub vector: Vec<f32>,
    pub filter: UserFilter,
    pub limit: usize,
}

/// Dense and keyword search among one person's points, fused by reciprocal rank.
#[derive(Debug, Clone, PartialEq)]
pub struct HybridQuery {
    pub vector: Vec<f32>,
    /// From [`SparseEncoder::encode_query`]; when empty (only stopwords) the search is dense.
    pub sparse: SparseVector,
    pub filter: UserFilter,
    pub limit: usize,
}

impl HybridQuery {
    /// Encode `text` with the crate's sparse encoder.
    pub fn from_text(vector: Vec<f32>, text: &str, filter: UserFilter, limit: usize) -> Self {
        Self { vector, sparse: SparseEncoder::new().encode_query(text), filter, limit }
    }

    /// How many candidates each half contributes to the fusion.
    pub(crate) fn prefetch_limit(&self) -> usize {
        (self.limit * 4).max(40)
    }
}

/// A vector store. Both implementations have the same semantics, checked by the conformance
/// suite in `tests/store/conformance.rs`:
///
/// - a collection must be opened with [`ensure_collection`](Self::ensure_collection) before
///   use, and is refused with [`VectorError::ModelMismatch`] if it was built with another
///   embedding model, dimension or sparse encoder;
/// - upserting an existing id replaces the point;
/// - searches only ever return points of the filter's user;
/// - writes are visible to the next read once the call returns.
#[async_trait]
pub trait VectorStore: Send + Sync {
    /// Create the collection if it does not exist, open it if it matches `spec`.
    async fn ensure_collection(&self, spec: &CollectionSpec) -> Result<()>;

    /// Delete a collection and all its points (before rebuilding it with another model).
    /// Deleting a missing collection is not an error.
    async fn drop_collection(&self, name: &str) -> Result<()>;

    /// Insert or replace points.
    async fn upsert(&self, collection: &str, points: Vec<Point>) -> Result<()>;

    /// Delete points by id; missing ids are ignored.
    async fn delete_ids(&self, collection: &str, ids: &[Uuid]) -> Result<()>;

    /// Delete every point of the filter's user that matches it.
    async fn delete_by_filter(&self, collection: &str, filter: &UserFilter) -> Result<()>;

    /// Dense (cosine) search, best first.
    async fn search(&self, collection: &str, query: &DenseQuery) -> Result<Vec<Hit>>;

    /// Dense + sparse search fused with reciprocal rank fusion ([`RRF_K`]), best first.
    async fn hybrid_search(&self, collection: &str, query: &HybridQuery) -> Result<Vec<Hit>>;

    /// Exact number of points in `scope`.
    async fn count(&self, collection: &str, scope: &PointScope) -> Result<u64>;

    /// Points in `scope` in id order, `limit` at a time, from `offset` (a previous page's
    /// `next`).
    async fn scroll(
        &self,
        collection: &str,
        scope: &PointScope,
        offset: Option<Uuid>,
        limit: usize,
    ) -> Result<ScrollPage>;

    /// Build search indexes now. Qdrant Edge has no background optimizer, so a bulk load
    /// (reindex) should end with this; the server optimizes in the background, so there it
    /// only waits for nothing.
    async fn optimize(&self, collection: &str) -> Result<()>;
}

pub(crate) fn check_limit(limit: usize) -> Result<()> {
    if limit == 0 || limit > MAX_LIMIT {
        return Err(VectorError::invalid("limit", format!("{limit} is outside 1..={MAX_LIMIT}")));
    }
    Ok(())
}

pub(crate) fn check_dense_query(vector: &[f32], limit: usize, dimension: usize) -> Result<()> {
    check_limit(limit)?;
    check_dense(vector, dimension)
}
