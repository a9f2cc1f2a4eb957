//! Posey's vector layer: one [`VectorStore`] interface with two implementations of the same
//! semantics, Qdrant Edge in process ([`EdgeStore`], the embedded default) and a Qdrant server
//! over gRPC ([`ServerStore`], for scale).
//!
//! Vectors are derived data: Postgres holds every memory and chunk, and a point's id is the
//! UUID of its Postgres row, so any collection can be rebuilt from Postgres. Every point carries
//! the `user_id` of its owner and every search is scoped by one: [`UserFilter`] cannot be built
//! without a [`UserId`](posey_domain::UserId).

mod collection;
mod edge;
mod error;
mod filter;
mod payload;
mod point;
mod server;
pub mod sparse;
mod store;

pub use collection::{CollectionSpec, DENSE_VECTOR, SPARSE_VECTOR};
pub use edge::{EdgeStore, MIN_FREE_BYTES};
pub use error::{ModelMismatch, VectorError};
pub use filter::{FieldValue, PointScope, Range, UserFilter};
pub use payload::USER_ID_FIELD;
pub use point::{Hit, Point, Record, ScrollPage};
pub use server::{QDRANT_GRPC_PORT, QDRANT_REST_PORT, ServerStore, grpc_url};
pub use sparse::{SparseEncoder, SparseVector};
pub use store::{DenseQuery, HybridQuery, RRF_K, VectorStore};
