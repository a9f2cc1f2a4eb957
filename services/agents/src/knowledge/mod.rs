//! What memory and documents search with, the embedding model and the vector store
//! (`vectors`), and the list of the collections they keep there (`sources`), which names memory
//! and documents and so sits above them, while `vectors` sits below.

mod vectors;

pub use vectors::{Indexed, Knowledge, KnowledgeConfig, Source, StoreConfig};

/// Every collection `posey admin reindex` rebuilds, for `knowledge`'s embedder.
pub fn sources(knowledge: &Knowledge) -> anyhow::Result<Vec<Source>> {
    Ok(vec![crate::memory::source(knowledge)?, crate::documents::source(knowledge)?])
}
