//! A GraphQL request compiled to SQL, as the gateway compiles it for the operator and for a
//! person (role `user`): the guard and the parser, validation against the role's schema, then
//! the compiler for each root field (queries, their fast-path plan, inserts, updates, deletes).
//! The catalog is the real schema's, read from `data/gateway_catalog.json` (see the README for
//! how to write it again) under the gateway's built-in metadata; nothing reaches a database.
//! The bytes up to the first newline are the variables' JSON, the rest the query.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use posey_gateway::fuzzing::CompileTarget;
use posey_gateway::metadata::DEFAULT_METADATA;

/// `GATEWAY_SCHEMAS`' default, as the catalog was introspected.
const SCHEMAS: [&str; 5] = ["app", "cron", "calendar", "finance", "home"];
const PERSON: &str = "a0000000-0000-4000-8000-00000000000a";

static TARGET: LazyLock<CompileTarget> = LazyLock::new(|| {
    let schemas = SCHEMAS.map(String::from);
    CompileTarget::new(
        include_str!("../data/gateway_catalog.json"),
        DEFAULT_METADATA,
        &schemas,
        PERSON,
    )
    .expect("the committed catalog and the built-in metadata build a catalog (regenerate it?)")
});

fuzz_target!(|data: &[u8]| {
    let (variables, query) = posey_fuzz::split_line(data);
    let Ok(query) = std::str::from_utf8(query) else { return };
    let variables = serde_json::from_slice(variables).unwrap_or_default();
    for compiled in TARGET.compile(query, variables).into_iter().flatten() {
        // Postgres' text cannot hold a NUL: the compiler refuses one, never binds it.
        assert!(compiled.params.iter().flatten().all(|p| !p.contains('\0')), "a NUL was bound");
        // Every placeholder the SQL names has its parameter.
        let mut at = 0;
        while let Some(i) = compiled.sql[at..].find('$') {
            at += i + 1;
            let digits: String =
                compiled.sql[at..].chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = digits.parse::<usize>() {
                assert!((1..=compiled.params.len()).contains(&n), "${n} has no parameter");
            }
        }
    }
});
