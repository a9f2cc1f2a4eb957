//! iCalendar text (RFC 5545 section 3.1): content lines unfolded and parsed into a tree of
//! components, and written back folded at 75 octets. Values stay as their text here (still
//! escaped); `values` reads and writes the typed ones. Parsing is bounded by [`Limits`], so a
//! hostile file costs at most what the limits allow.

mod parse;
mod tree;
pub mod values;
mod write;

pub use parse::parse;
pub use write::write;

pub use tree::{Component, IcsError, Limits, Param, Property};
