//! The shapes of the documents plugin's answers built as JSON, for the OpenAPI document only;
//! the API test checks real answers against them.

// Never built: they only describe.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::ToSchema;

use super::db::{Document, StoredChunk};

#[derive(Serialize, ToSchema)]
pub struct DocumentList {
    documents: Vec<Document>,
    /// The person's chunks in the vector index, all documents together
    vectors: u64,
}

/// A document with what is indexed of it.
#[derive(Serialize, ToSchema)]
pub struct DocumentWithVectors {
    #[serde(flatten)]
    document: Document,
    /// The document's chunks in the vector index
    vectors: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ChunkList {
    chunks: Vec<StoredChunk>,
}

/// An upload: the file as a multipart/form-data field.
#[derive(Serialize, ToSchema)]
pub struct Upload {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}
