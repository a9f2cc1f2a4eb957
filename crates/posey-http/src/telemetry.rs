//! Logging: `tracing` with an `EnvFilter` (`RUST_LOG`, default [`DEFAULT_FILTER`]), as JSON
//! lines when `LOG_FORMAT=json`.

use posey_config::{ConfigError, Env};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// llama.cpp logs its model's whole metadata at info when it loads one (through llama-cpp-2's
/// tracing target): detail for whoever debugs it, not the person's console.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,llama-cpp-2=warn";

/// The variables `init` reads.
pub const VARIABLES: [&str; 2] = ["RUST_LOG", "LOG_FORMAT"];

/// Installs the global subscriber once; later calls (tests, the launcher) are no-ops.
/// A bad `RUST_LOG` or `LOG_FORMAT` is a configuration error naming the variable.
pub fn init() -> Result<(), ConfigError> {
    init_with(&[])
}

/// [`init`], with `directives` added to the default filter (a library's own, such as the
/// embedded MQTT broker's); a `RUST_LOG` that is set is taken as it is.
pub fn init_with(directives: &[&str]) -> Result<(), ConfigError> {
    let mut env = Env::process();
    let filter = match env.raw("RUST_LOG") {
        None => Some(EnvFilter::new(default_filter(directives))),
        Some(raw) => match EnvFilter::try_new(&raw) {
            Ok(f) => Some(f),
            Err(e) => {
                env.problem("RUST_LOG", format!("not a valid log filter: {e}"));
                None
            }
        },
    };
    let json = match env.raw("LOG_FORMAT").map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => {
            env.problem("LOG_FORMAT", format!("{other:?} is not `text` or `json`"));
            false
        }
    };
    let filter = env.finish(filter)?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::NONE)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = if json { builder.json().flatten_event(true).try_init() } else { builder.try_init() };
    Ok(())
}

/// [`DEFAULT_FILTER`] with `directives` after it (a later directive for a target wins).
fn default_filter(directives: &[&str]) -> String {
    std::iter::once(DEFAULT_FILTER).chain(directives.iter().copied()).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Log lines written through the default filter.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_default_filter_keeps_llama_cpp_chatter_out_of_the_console() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new(DEFAULT_FILTER))
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "llama-cpp-2", "llama_model_loader: - kv 0: general.name");
            tracing::warn!(target: "llama-cpp-2", "a warning from llama.cpp");
            tracing::info!(target: "posey_agents", "serving");
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert!(!text.contains("llama_model_loader"), "{text}");
        assert!(text.contains("a warning from llama.cpp") && text.contains("serving"), "{text}");
    }

    #[test]
    fn added_directives_quiet_their_target_and_keep_the_defaults() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new(default_filter(&["rumqttd=warn"])))
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "rumqttd::router", "client connected");
            tracing::warn!(target: "rumqttd::router", "a warning from the broker");
            tracing::info!(target: "llama-cpp-2", "llama_model_loader: - kv 0: general.name");
            tracing::info!(target: "posey", "serving");
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert!(!text.contains("client connected") && !text.contains("llama_model"), "{text}");
        assert!(text.contains("a warning from the broker") && text.contains("serving"), "{text}");
    }
}
