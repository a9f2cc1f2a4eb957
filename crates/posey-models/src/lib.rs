//! Chat models for Posey's agents, all plugged into rig-agent the same way: each is a rig
//! completion model (a wire plus a transport), erased to [`rig_core::DynModel`], so
//! `rig_agent::AgentBuilder::new(model)` takes any of them and streams, calls tools and counts
//! usage through one code path.
//!
//! - [`ModelConfig`]: the model chosen by `POSEY_MODEL` (`local`, the default: a GGUF run in
//!   process; `provider:model` for a hosted or served model; `test`), loaded with
//!   [`ModelConfig::load`].
//! - [`LocalModel`]: the GGUF in process through llama.cpp (feature `local`, on by default).
//! - [`Priority`]: a request to the local model marked background ([`LocalOptions`]) yields to
//!   interactive ones on the same loaded model; other models ignore the mark.
//! - [`ModelProfile`]: what a model can be trusted with (context size, tool calling,
//!   delegation), derived from a GGUF's header ([`gguf`]) or known provider models, see
//!   [`profile`].
//! - [`Embedder`]: text embeddings chosen by `POSEY_EMBEDDING_MODEL` (`local`, the default:
//!   all-MiniLM-L6-v2 in process through candle; `provider:model`), see [`embeddings`].
//! - [`testing::TestModel`] and [`testing::FunctionModel`]: deterministic models for tests (as
//!   pydantic-ai's `TestModel` and `FunctionModel`).
//!
//! Building an agent on the configured model, as the agents service does at start (load once,
//! then clone the model into every agent; clones share the loaded weights):
//!
//! ```no_run
//! use posey_config::Env;
//! use posey_models::ModelConfig;
//! use rig_agent::AgentBuilder;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let mut env = Env::process();
//! let config = ModelConfig::from_env(&mut env);
//! let config = env.finish(config)?; // every problem, each naming its variable
//! tracing::info!(model = %config.describe(), "chat model");
//! let model = config.load().await?;
//! let agent = AgentBuilder::new(model.clone()).preamble("You are Posey.").build();
//! # let _ = agent;
//! # Ok(())
//! # }
//! ```
//!
//! Building an agent on a test model, as the agents runtime's tests do:
//!
//! ```
//! use posey_models::testing::TestModel;
//! use rig_agent::AgentBuilder;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let model = TestModel::new().final_text("Hello!");
//! let agent = AgentBuilder::new(model.clone()).preamble("You are Posey.").build();
//! let reply = agent.prompt("Hi").await?;
//! assert_eq!(reply.output(), "Hello!");
//! assert_eq!(model.requests().len(), 1);
//! # Ok(())
//! # }
//! ```

pub mod config;
pub mod embeddings;
pub mod gguf;
mod load;
#[cfg(feature = "local")]
pub mod local;
pub mod priority;
pub mod profile;
mod provider;
pub mod testing;
pub mod wire;

pub use config::{LocalModelConfig, ModelConfig, ModelError, RemoteModelConfig};
pub use embeddings::{Embedder, EmbeddingConfig, EmbeddingError};
#[cfg(feature = "local")]
pub use local::{LocalModel, LocalStats};
pub use priority::{LocalOptions, Priority};
pub use profile::{ModelProfile, ProfileOverride, ToolCalling};
/// The model type every constructor here returns, and `rig_agent::AgentBuilder::new` takes.
pub type ChatModel = rig_core::DynModel<rig_core::operation::Completion>;
