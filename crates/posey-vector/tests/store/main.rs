//! The vector stores against the same conformance suite: Qdrant Edge always, a Qdrant server
//! when one is given (`QDRANT_URL`, an ignored test here since none can run in this sandbox).
#![allow(clippy::unwrap_used)]

mod conformance;
mod edge;
mod server;
