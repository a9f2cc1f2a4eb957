//! The shapes of the documents plugin's answers built as JSON, and the string values some stored
//! fields take, for the OpenAPI document only; the API test checks real answers against them.

// Never built: they only describe.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::ToSchema;

use super::db::{Document, StoredChunk};

/// A document's type, sniffed from its content.
#[derive(Serialize, ToSchema)]
pub enum DocumentMediaType {
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    Docx,
    #[serde(rename = "text/html")]
    Html,
    #[serde(rename = "text/markdown")]
    Markdown,
    #[serde(rename = "text/plain")]
    Text,
}

/// Where a document's ingestion is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Queued,
    Extracting,
    Embedding,
    Ready,
    Failed,
}

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
