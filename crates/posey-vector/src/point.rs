//! Points going in and results coming out, in the crate's own types so callers never see
//! either backend's.

use posey_domain::UserId;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{Result, VectorError};
use crate::payload::{USER_ID_FIELD, check_key};
use crate::sparse::SparseVector;

/// One indexed item: `id` is the UUID of the Postgres row it derives from.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub id: Uuid,
    pub user_id: UserId,
    pub dense: Vec<f32>,
    /// Keyword vector (see [`SparseEncoder::encode_document`](crate::SparseEncoder)); points
    /// without one are found by dense search and the dense half of hybrid search only.
    pub sparse: Option<SparseVector>,
    /// Extra payload; top-level keys follow the filter key rules and `user_id` is reserved.
    pub payload: Map<String, Value>,
}

impl Point {
    pub fn new(id: Uuid, user_id: UserId, dense: Vec<f32>) -> Self {
        Self { id, user_id, dense, sparse: None, payload: Map::new() }
    }

    pub fn with_sparse(mut self, sparse: SparseVector) -> Self {
        self.sparse = Some(sparse);
        self
    }

    pub fn with_field(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.payload.insert(key.to_owned(), value.into());
        self
    }

    /// Refuse what a backend would store wrongly or reject later with a vaguer message.
    pub(crate) fn validate(&self, dimension: usize) -> Result<()> {
        check_dense(&self.dense, dimension)?;
        if let Some(sparse) = &self.sparse {
            sparse.validate()?;
        }
        for key in self.payload.keys() {
            check_key(key)?;
        }
        Ok(())
    }

    /// The payload as stored: the caller's fields plus `user_id`.
    pub(crate) fn stored_payload(&self) -> Map<String, Value> {
        let mut payload = self.payload.clone();
        payload.insert(USER_ID_FIELD.to_owned(), Value::String(self.user_id.to_string()));
        payload
    }
}

pub(crate) fn check_dense(vector: &[f32], dimension: usize) -> Result<()> {
    if vector.len() != dimension {
        return Err(VectorError::invalid(
            "dense vector",
            format!("has {} values, the collection's dimension is {dimension}", vector.len()),
        ));
    }
    if vector.iter().any(|v| !v.is_finite()) {
        return Err(VectorError::invalid("dense vector", "contains NaN or infinity"));
    }
    if vector.iter().all(|v| *v == 0.0) {
        // Cosine similarity with a zero vector is undefined.
        return Err(VectorError::invalid("dense vector", "is all zeros"));
    }
    Ok(())
}

/// A search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: Uuid,
    pub score: f32,
    pub user_id: UserId,
    /// The caller's payload fields (without `user_id`).
    pub payload: Map<String, Value>,
}

/// A point as returned by a scroll (no score).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: Uuid,
    pub user_id: UserId,
    pub payload: Map<String, Value>,
}

/// One page of a scroll; `next` is the offset of the following page, `None` at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrollPage {
    pub records: Vec<Record>,
    pub next: Option<Uuid>,
}

/// Split a stored payload back into owner and caller fields.
pub(crate) fn split_payload(
    mut payload: Map<String, Value>,
) -> Result<(UserId, Map<String, Value>)> {
    let user_id = payload
        .remove(USER_ID_FIELD)
        .and_then(|v| v.as_str().and_then(|s| s.parse::<UserId>().ok()))
        .ok_or_else(|| {
            VectorError::Backend(anyhow::anyhow!(
                "stored point has no valid `user_id` in its payload"
            ))
        })?;
    Ok((user_id, payload))
}
