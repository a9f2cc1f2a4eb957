//! Deterministic models for tests, in the spirit of pydantic-ai's `TestModel` and
//! `FunctionModel`. Both are real rig completion models (a [`PoseyWire`](crate::wire::PoseyWire)
//! and an in-process transport), so an agent built on them streams, calls tools and counts
//! usage through exactly the code paths a hosted provider goes through.
//!
//! - [`TestModel`] calls every offered tool once with arguments generated from the tool's JSON
//!   schema, then answers with a text summarising the tool results.
//! - [`FunctionModel`] answers with whatever the test's function (or queue of [`Reply`]s)
//!   returns for the conversation so far.

mod function_model;
mod request;
pub mod schema;
mod test_model;

pub use function_model::{FunctionModel, ModelInput, Reply};
pub use request::ToolReturn;
pub use test_model::TestModel;

/// The real local embedding model (`$POSEY_LOCAL_EMBEDDING_MODEL`, which scripts/test installs
/// and sets), loaded once per test binary and shared: each `#[tokio::test]` has its own
/// runtime, but the embedder runs on whichever runtime calls it. Panics, naming the fix, when
/// the model is missing: tests that need it never skip.
#[cfg(feature = "local-embeddings")]
pub async fn local_embedder() -> crate::Embedder {
    use crate::embeddings::{EmbeddingConfig, LocalEmbeddingConfig};
    static EMBEDDER: tokio::sync::OnceCell<crate::Embedder> = tokio::sync::OnceCell::const_new();
    const HOW: &str = "run the tests through scripts/test, which installs it (ensure_embedding_model \
                       in scripts/lib.sh)";
    EMBEDDER
        .get_or_init(|| async {
            let dir = std::env::var_os("POSEY_LOCAL_EMBEDDING_MODEL")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| panic!("POSEY_LOCAL_EMBEDDING_MODEL is not set; {HOW}"));
            EmbeddingConfig::Local(LocalEmbeddingConfig::new(&dir)).load().await.unwrap_or_else(
                |e| panic!("loading the embedding model in {}: {e}; {HOW}", dir.display()),
            )
        })
        .await
        .clone()
}
