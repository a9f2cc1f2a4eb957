//! The agents service: the companion's agent runtime: chat, conversations, tools and plugins,
//! multi-agent routing, an OpenAI-compatible API and MCP.
//! Built as a library so tests and the `posey` launcher start it in-process on any port.

pub mod catalog;
pub mod config;
pub mod db;
pub mod documents;
pub mod erasure;
mod export;
pub mod knowledge;
pub mod memory;
pub mod models;
pub mod plugins;
mod routes;
pub mod runtime;
mod startup;
pub mod state;
mod sync;
pub mod turns;

pub use config::Config;
pub use models::{ConfiguredModels, ModelSource};
pub use startup::{Application, Parts, SERVICE};

/// The OpenAPI 3.1 document of this service's API with the built-in plugins (what
/// `GET /openapi.json` serves), for tools that generate clients from it without starting the
/// service.
pub fn openapi_json() -> String {
    routes::document().to_pretty_json().expect("the OpenAPI document serialises")
}
