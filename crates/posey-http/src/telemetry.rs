//! Logging: `tracing` with an `EnvFilter` (`RUST_LOG`, default `info,sqlx=warn`), as JSON lines
//! when `LOG_FORMAT=json`.

use posey_config::{ConfigError, Env};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

pub const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// The variables `init` reads.
pub const VARIABLES: [&str; 2] = ["RUST_LOG", "LOG_FORMAT"];

/// Installs the global subscriber once; later calls (tests, the launcher) are no-ops.
/// A bad `RUST_LOG` or `LOG_FORMAT` is a configuration error naming the variable.
pub fn init() -> Result<(), ConfigError> {
    let mut env = Env::process();
    let filter = match env.raw("RUST_LOG") {
        None => Some(EnvFilter::new(DEFAULT_FILTER)),
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
