//! The agents service's document extraction and chunking (`services/agents/src/documents`).

#[path = "../../../services/agents/src/documents/extract.rs"]
pub mod extract;

#[path = "../../../services/agents/src/documents/chunk.rs"]
pub mod chunk;
