//! A GraphQL request to the gateway before it reaches the database: the query text through the
//! guard (size and nesting scanned without recursion), the parser and the measure of the parsed
//! document with its fragments and variables expanded. The bytes up to the first newline are
//! the variables' JSON (as a request's `variables`), the rest the query.
//!
//! The compiler behind it (`compile`, `fast::plan`) is private to the gateway and needs a
//! catalog introspected from Postgres, so it is not reached here.
#![no_main]

use async_graphql::Variables;
use libfuzzer_sys::fuzz_target;
use posey_gateway::config::Limits;
use posey_gateway::guard::parse_bounded;

fuzz_target!(|data: &[u8]| {
    let (variables, query) = posey_fuzz::split_line(data);
    let Ok(query) = std::str::from_utf8(query) else { return };
    let variables = serde_json::from_slice::<serde_json::Value>(variables)
        .map(Variables::from_json)
        .unwrap_or_default();
    let limits = Limits::default();
    let _ = parse_bounded(query, &variables, &limits);
});
