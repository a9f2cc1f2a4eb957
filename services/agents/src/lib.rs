//! The agents service: the companion's agent runtime: chat, conversations, tools and plugins, memory, documents and model providers.
//! Built as a library so tests and the `posey` launcher start it in-process on any port.

pub mod config;
mod routes;
mod startup;
pub mod state;

pub use config::Config;
pub use startup::Application;

/// The service's name in logs and spans.
pub const SERVICE: &str = "agents";
