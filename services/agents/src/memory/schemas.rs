//! The shapes of the memory plugin's answers built as JSON, for the OpenAPI document only; the
//! API test checks real answers against them.

// Never built: they only describe.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Found, Memory};

#[derive(Serialize, ToSchema)]
pub struct MemoryList {
    memories: Vec<Memory>,
}

#[derive(Serialize, ToSchema)]
pub struct FoundMemoryList {
    memories: Vec<Found>,
}

#[derive(Serialize, ToSchema)]
pub struct MemoryExport {
    exported_at: DateTime<Utc>,
    user_id: Uuid,
    memories: Vec<Memory>,
}
