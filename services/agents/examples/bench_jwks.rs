//! For bench/agents/run: serves a fresh test JWKS (posey-testkit's keys) and prints, one per
//! line, its URL, the issuer, and an access token for a new person; then serves until killed.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::io::Write;

#[tokio::main]
async fn main() {
    let keys = posey_testkit::TestKeys::new();
    let jwks = keys.serve().await;
    let token = keys.token_for(&uuid::Uuid::new_v4().to_string());
    let mut out = std::io::stdout();
    writeln!(out, "{}\n{}\n{}", jwks.url, posey_testkit::TEST_ISSUER, token).unwrap();
    out.flush().unwrap();
    std::future::pending::<()>().await;
}
