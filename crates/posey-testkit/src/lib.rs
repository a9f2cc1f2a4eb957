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
///
/// It is drawn below the kernel's ephemeral range (as `scripts/lib.sh`'s `free_port` does) and
/// never handed out twice by one process. A port the kernel picked for `bind(0)` could be
/// picked again for another `bind(0)` or be the local end of an outgoing connection before the
/// service it was meant for binds it; that race once made `posey up` exit early in CI.
pub fn free_port() -> u16 {
    use rand::Rng;
    static ISSUED: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    let below = ephemeral_low().max(10_001);
    let mut issued = ISSUED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    for _ in 0..10_000 {
        let port = rand::thread_rng().gen_range(10_000..below);
        if !issued.contains(&port) && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            issued.insert(port);
            return port;
        }
    }
    panic!("no free port on 127.0.0.1 between 10000 and {below}");
}

/// The first port of the kernel's ephemeral range (`bind(0)` and outgoing connections).
fn ephemeral_low() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
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

#[cfg(test)]
mod tests {
    #[test]
    fn free_ports_are_below_the_ephemeral_range_and_never_handed_out_twice() {
        let low = super::ephemeral_low();
        let ports: Vec<u16> = (0..500).map(|_| super::free_port()).collect();
        assert!(ports.iter().all(|&port| (10_000..low).contains(&port)), "{ports:?}");
        let distinct: std::collections::BTreeSet<u16> = ports.iter().copied().collect();
        assert_eq!(distinct.len(), ports.len());
    }
}
