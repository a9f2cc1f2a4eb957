//! Test fixtures shared by every crate's tests: a fresh migrated database per test, the URLs of
//! the real Redis, MQTT and SMTP servers the test harness started (and the mail the SMTP server
//! received), and a real signing key pair served as a JWKS so tests can mint access tokens that
//! the shared verifier accepts; and the checks of a service's generated OpenAPI document.
//!
//! Servers come from `TEST_DATABASE_URL`, `TEST_REDIS_URL`, `TEST_MQTT_URL` and `TEST_SMTP_URL`
//! (with `TEST_SMTP_MAILDIR`), which `./scripts/test` sets (starting throwaway servers when none
//! are given). A test that needs a
//! server that is not configured fails with a message saying how to run it; it never skips.

pub mod app;
pub mod db;
pub mod devices;
pub mod env;
pub mod errors;
pub mod home_assistant;
pub mod hostile;
pub mod keys;
pub mod mail;
pub mod openapi;
pub mod otp;
pub mod unzip;

pub use app::{TestApp, spawn_service, spawn_service_on};
pub use db::TestDatabase;
pub use env::{mqtt_url, redis_url, required_url};
pub use keys::{JwksServer, TEST_AUDIENCE, TEST_ISSUER, TestIssuer, TestKeys};

/// A TCP port free on 127.0.0.1 right now (for processes that need a port number up front).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("finding a free port")
}

/// A fresh directory for a service's data (`POSEY_DATA_DIR`: its embedded vector store, say)
/// that outlives the test's service task. It is kept on purpose; scripts/test points TMPDIR
/// into its own temporary directory, which it removes at exit.
pub fn data_dir() -> std::path::PathBuf {
    tempfile::Builder::new()
        .prefix("posey-test-data-")
        .tempdir()
        .expect("creating a test data directory")
        .keep()
}
