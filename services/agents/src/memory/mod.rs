//! Long-term memory (the Mem0 design): what the companion remembers about a person. Postgres
//! (`agents.memories`) is the truth, with history (what each memory superseded); the
//! `memories` vector collection holds the current memories for hybrid search and is derived
//! data. After each turn the `memory` plugin extracts and reconciles memories off the response
//! path ([`extract`]); before each turn it puts the relevant ones in the agent's context; the
//! person manages theirs over REST ([`routes`]).

pub mod db;
pub mod extract;
mod fields;
pub mod plugin;
pub(crate) mod routes;
mod schemas;
mod store;

pub use db::Memory;
pub use fields::{Kind, MAX_TEXT, Origin, check_text};
pub use plugin::MemoryPlugin;
pub use store::{COLLECTION, Found, Memories, source, spec};
