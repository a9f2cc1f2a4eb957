//! The harness's servers, each from its `TEST_*` variable (which `./scripts/test` sets): a test
//! that needs one that is not configured fails saying how to run it.

/// A server URL the harness must provide, or a failure that says how to provide it.
pub fn required_url(var: &str) -> String {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{var} is not set: run the tests with ./scripts/test, which starts throwaway \
             PostgreSQL, Redis, Mosquitto and SMTP servers, or set {var} to a server you provide"
        ),
    }
}

/// The harness's Python (`TEST_AGENTS_PYTHON`, the venv `./scripts/test` installs the tests'
/// PyPI clients into), or a failure that names what it must have (`has`: "authlib and
/// requests", say) and how to get it.
pub fn test_python(has: &str) -> String {
    match std::env::var("TEST_AGENTS_PYTHON") {
        Ok(python) if !python.trim().is_empty() => python,
        _ => panic!(
            "TEST_AGENTS_PYTHON is not set: run the tests with ./scripts/test, which installs \
             {has} (PyPI) into its venv, or point it at a python that has them"
        ),
    }
}

/// The harness's Redis server.
pub fn redis_url() -> String {
    required_url("TEST_REDIS_URL")
}

/// The harness's MQTT broker.
pub fn mqtt_url() -> String {
    required_url("TEST_MQTT_URL")
}
