//! The codes a failed turn reports (`TurnError::code`, the `error` event's `code`), as the
//! OpenAPI document lists them.

// Never built: it only describes.
#![allow(dead_code)]

use serde::Serialize;
use utoipa::ToSchema;

/// Why a turn failed.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TurnErrorCode {
    ModelError,
    UnknownAgent,
    Internal,
    Interrupted,
}
