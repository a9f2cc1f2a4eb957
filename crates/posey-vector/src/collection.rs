//! What a collection is: its name, the embedding model and dimension its dense vectors come
//! from, and the sparse encoder its keyword vectors come from. Both stores record this beside
//! the data and refuse to open a collection recorded with something else.

use serde::{Deserialize, Serialize};

use crate::error::{ModelMismatch, Result, VectorError};
use crate::payload::check_key;
use crate::sparse::SPARSE_ENCODER;

/// Name of the dense (embedding) vector in every collection.
pub const DENSE_VECTOR: &str = "dense";
/// Name of the sparse (BM25-style keyword) vector in every collection.
pub const SPARSE_VECTOR: &str = "sparse";

/// A collection as the caller wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionSpec {
    name: String,
    model: String,
    dimension: usize,
    keyword_indexes: Vec<String>,
}

impl CollectionSpec {
    /// `name`: lowercase letters, digits, `_` and `-`, at most 64 characters (it is a directory
    /// name for Qdrant Edge). `model`: the embedding model's name, e.g. `all-MiniLM-L6-v2`.
    pub fn new(name: &str, model: &str, dimension: usize) -> Result<Self> {
        check_name(name)?;
        if model.trim().is_empty() {
            return Err(VectorError::invalid("embedding model", "must not be empty"));
        }
        if dimension == 0 || dimension > 65_536 {
            return Err(VectorError::invalid(
                "dimension",
                format!("{dimension} is outside 1..=65536"),
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            model: model.to_owned(),
            dimension,
            keyword_indexes: Vec::new(),
        })
    }

    /// Also index this payload field as a keyword, for fast filters on it (e.g. `document_id`).
    pub fn with_keyword_index(mut self, field: &str) -> Result<Self> {
        check_key(field)?;
        if !self.keyword_indexes.iter().any(|f| f == field) {
            self.keyword_indexes.push(field.to_owned());
        }
        Ok(self)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    pub fn keyword_indexes(&self) -> &[String] {
        &self.keyword_indexes
    }

    pub(crate) fn recorded(&self) -> Recorded {
        Recorded {
            model: self.model.clone(),
            dimension: self.dimension,
            sparse_encoder: SPARSE_ENCODER.to_owned(),
        }
    }
}

/// Collection names are directory names for Qdrant Edge: nothing that could leave the root.
pub(crate) fn check_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(VectorError::invalid(
            "collection name",
            format!("`{name}` must be 1-64 characters of a-z, 0-9, `_` or `-`"),
        ))
    }
}

/// What is stored beside a collection's data (a JSON file for Edge, collection metadata on the
/// server) so a later open can tell whether the vectors still fit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Recorded {
    pub model: String,
    pub dimension: usize,
    pub sparse_encoder: String,
}

impl Recorded {
    /// Ok when `found` (what is on disk / on the server) matches what `spec` asks for.
    pub fn check(spec: &CollectionSpec, found: &Recorded) -> Result<()> {
        let expected = spec.recorded();
        if &expected == found {
            return Ok(());
        }
        Err(VectorError::ModelMismatch(Box::new(ModelMismatch {
            collection: spec.name.clone(),
            expected_model: expected.model,
            expected_dimension: expected.dimension,
            expected_sparse: expected.sparse_encoder,
            found_model: found.model.clone(),
            found_dimension: found.dimension,
            found_sparse: found.sparse_encoder.clone(),
        })))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_are_restricted_to_safe_directory_names() {
        assert!(CollectionSpec::new("memories", "m", 3).is_ok());
        assert!(CollectionSpec::new("doc_chunks-v2", "m", 3).is_ok());
        for bad in ["", "../x", "Memories", "a b", &"x".repeat(65)] {
            let err = CollectionSpec::new(bad, "m", 3).unwrap_err();
            assert!(err.to_string().contains("collection name"), "{bad}: {err}");
        }
    }

    #[test]
    fn model_and_dimension_are_required() {
        assert!(CollectionSpec::new("c", " ", 3).is_err());
        assert!(CollectionSpec::new("c", "m", 0).is_err());
    }

    #[test]
    fn mismatch_names_both_models() {
        let spec = CollectionSpec::new("c", "new-model", 384).unwrap();
        let found =
            Recorded { model: "old".into(), dimension: 768, sparse_encoder: SPARSE_ENCODER.into() };
        let err = Recorded::check(&spec, &found).unwrap_err().to_string();
        assert!(err.contains("new-model") && err.contains("old") && err.contains("768"), "{err}");
        assert!(Recorded::check(&spec, &spec.recorded()).is_ok());
    }
}
