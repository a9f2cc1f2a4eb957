//! posey-finance's integration tests: what the crate writes, read back by real tools.

mod imports;
mod journal;
