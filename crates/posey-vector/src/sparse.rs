//! Keyword vectors for hybrid search: a small tokenizer and a hashing BM25 encoder.
//!
//! A document becomes a sparse vector whose indices are 32-bit FNV-1a hashes of its terms and
//! whose values are BM25's saturated term frequency. A query becomes its hashed terms with
//! weight 1. The IDF half of BM25 is applied by Qdrant at query time (the sparse vector is
//! configured with the `idf` modifier in both stores), from the collection's own statistics,
//! so the score of a query term in a document is `idf(term) * tf_part(term, document)`.
//!
//! The tokenizer and hash are part of the stored data: changing either needs a reindex, so
//! their version, [`SPARSE_ENCODER`], is recorded with each collection and checked on open.

use std::collections::BTreeMap;

use crate::error::{Result, VectorError};

/// Version of the tokenizer + hash + weighting, recorded with every collection.
pub const SPARSE_ENCODER: &str = "posey-bm25-fnv1a-v1";

/// BM25 term-frequency saturation.
const K1: f32 = 1.2;
/// BM25 document length normalisation.
const B: f32 = 0.75;
/// Expected document length in terms (memories are short; chunks are a few hundred words).
const AVG_DOC_LEN: f32 = 64.0;

/// Words too common to tell documents apart.
const STOPWORDS: &[&str] = &[
    "a", "about", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "did", "do",
    "does", "for", "from", "had", "has", "have", "he", "her", "his", "i", "if", "in", "into", "is",
    "it", "its", "me", "my", "of", "on", "or", "our", "she", "so", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "to", "was", "we", "were", "what", "when", "where",
    "which", "who", "will", "with", "would", "you", "your",
];

/// A sparse vector: strictly increasing indices and finite values of the same length.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SparseVector {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

impl SparseVector {
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.indices.len() != self.values.len() {
            return Err(VectorError::invalid(
                "sparse vector",
                format!("{} indices but {} values", self.indices.len(), self.values.len()),
            ));
        }
        if self.indices.windows(2).any(|w| w[0] >= w[1]) {
            return Err(VectorError::invalid(
                "sparse vector",
                "indices must be strictly increasing",
            ));
        }
        if self.values.iter().any(|v| !v.is_finite()) {
            return Err(VectorError::invalid("sparse vector", "contains NaN or infinity"));
        }
        Ok(())
    }
}

/// Turns text into keyword vectors; stateless, so one may be shared freely.
#[derive(Debug, Clone, Copy, Default)]
pub struct SparseEncoder;

impl SparseEncoder {
    pub fn new() -> Self {
        Self
    }

    /// Lowercased alphanumeric runs of at least two characters, minus English stopwords.
    pub fn tokenize(text: &str) -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|t| t.chars().count() >= 2)
            .map(str::to_lowercase)
            .filter(|t| !STOPWORDS.contains(&t.as_str()))
            .collect()
    }

    /// The vector stored with a document: BM25 term-frequency part per hashed term.
    pub fn encode_document(&self, text: &str) -> SparseVector {
        let tokens = Self::tokenize(text);
        let doc_len = tokens.len() as f32;
        let mut counts: BTreeMap<u32, f32> = BTreeMap::new();
        for token in &tokens {
            *counts.entry(term_index(token)).or_default() += 1.0;
        }
        let norm = K1 * (1.0 - B + B * doc_len / AVG_DOC_LEN);
        let (indices, values) =
            counts.into_iter().map(|(index, tf)| (index, tf * (K1 + 1.0) / (tf + norm))).unzip();
        SparseVector { indices, values }
    }

    /// The vector searched with: each distinct query term once, weight 1 (IDF comes from
    /// Qdrant).
    pub fn encode_query(&self, text: &str) -> SparseVector {
        let indices: std::collections::BTreeSet<u32> =
            Self::tokenize(text).iter().map(|t| term_index(t)).collect();
        let values = vec![1.0; indices.len()];
        SparseVector { indices: indices.into_iter().collect(), values }
    }
}

/// 32-bit FNV-1a: tiny, stable across releases and platforms (the index is stored data).
fn term_index(term: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in term.as_bytes() {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_lowercases_splits_and_drops_stopwords_and_single_letters() {
        assert_eq!(
            SparseEncoder::tokenize("The Café's menu: Espresso, x-ray & a 42!"),
            vec!["café", "menu", "espresso", "ray", "42"]
        );
    }

    #[test]
    fn hash_is_stable() {
        // FNV-1a test vectors: changing the hash would silently break stored collections.
        assert_eq!(term_index(""), 0x811c_9dc5);
        assert_eq!(term_index("a"), 0xe40c_292c);
        assert_eq!(term_index("foobar"), 0xbf9c_f968);
    }

    #[test]
    fn repeated_terms_saturate_and_vectors_are_valid() {
        let v = SparseEncoder::new().encode_document("kayak kayak kayak trip");
        v.validate().expect("valid");
        let kayak =
            v.values[v.indices.iter().position(|i| *i == term_index("kayak")).expect("kayak")];
        let trip = v.values[v.indices.iter().position(|i| *i == term_index("trip")).expect("trip")];
        assert!(kayak > trip, "three mentions weigh more than one");
        assert!(kayak < 3.0 * trip, "but saturate: {kayak} vs {trip}");
        assert!(kayak < K1 + 1.0);
    }

    #[test]
    fn longer_documents_weigh_a_term_less() {
        let e = SparseEncoder::new();
        let short = e.encode_document("kayak");
        let long = e.encode_document(&format!("kayak {}", "river ".repeat(200)));
        let idx = term_index("kayak");
        let at =
            |v: &SparseVector| v.values[v.indices.iter().position(|i| *i == idx).expect("term")];
        assert!(at(&short) > at(&long));
    }

    #[test]
    fn query_terms_are_distinct_with_unit_weight() {
        let q = SparseEncoder::new().encode_query("Kayak kayak the river");
        assert_eq!(q.indices.len(), 2);
        assert!(q.values.iter().all(|v| *v == 1.0));
        q.validate().expect("valid");
        assert!(SparseEncoder::new().encode_query("the a of").is_empty());
    }

    #[test]
    fn invalid_vectors_are_refused() {
        let unsorted = SparseVector { indices: vec![3, 1], values: vec![1.0, 1.0] };
        assert!(unsorted.validate().is_err());
        let ragged = SparseVector { indices: vec![1], values: vec![] };
        assert!(ragged.validate().is_err());
    }
}
