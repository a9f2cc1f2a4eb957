//! A person's documents: uploaded (PDF, DOCX, HTML, Markdown, text), stored in Postgres,
//! ingested in the background (text extracted, chunked by structure, embedded into the
//! `documents` collection), and searched with citations by the `documents` plugin. Files are
//! read in a child process under resource limits (`sandbox`).

pub mod chunk;
pub mod db;
pub mod extract;
mod ingest;
mod plugin;
pub(crate) mod routes;
pub mod sandbox;
mod schemas;
mod store;

pub use plugin::DocumentsPlugin;
pub use sandbox::{Sandbox, run_child_if_requested};
pub use store::{COLLECTION, Documents, source, spec};
