//! How urgent a request is to the local model. Work nobody waits for (memory extraction after a
//! turn) is marked background and steps aside while a person's request runs on the same loaded
//! model, instead of splitting its cores with it.
//!
//! The mark is the local model's entry in rig's per-provider request options, so it goes
//! through any agent and the erased [`crate::ChatModel`], and every other model (hosted,
//! OpenAI-compatible, test) ignores it: a wire reads only its own provider's entry.
//!
//! ```
//! use posey_models::LocalOptions;
//! use posey_models::testing::TestModel;
//! use rig_agent::AgentBuilder;
//!
//! let agent = AgentBuilder::new(TestModel::new().final_text("{}"))
//!     .provider_option(LocalOptions::background())
//!     .build();
//! # let _ = agent;
//! ```

use rig_core::completion::{
    CompletionRequest, ExtensionOptions, ProviderExtension, ReplyExtras, SHARED,
};
use rig_core::message::Api;
use serde::Serialize;
use serde_json::Value;

/// The provider name of the local model's wire, and the key of its request options.
pub const LOCAL_PROVIDER: &str = "local";

/// How urgent a request is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Someone waits for it: it runs at once.
    #[default]
    Interactive,
    /// Nobody waits for it: it does not start, or pauses between steps, while interactive work
    /// is queued or running on the same loaded model.
    Background,
}

impl Priority {
    fn is_interactive(&self) -> bool {
        *self == Self::Interactive
    }

    /// The priority `request` asks of the local model (interactive unless marked).
    pub fn of(request: &CompletionRequest) -> Self {
        let background = request
            .provider_options
            .get::<LocalExt>()
            .and_then(|sections| sections.get(SHARED))
            .and_then(|shared| shared.get("priority"))
            .and_then(Value::as_str)
            == Some("background");
        if background { Self::Background } else { Self::Interactive }
    }
}

/// The local model's request options: `AgentBuilder::provider_option(LocalOptions::background())`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LocalOptions {
    #[serde(rename = "*")]
    shared: Shared,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
struct Shared {
    #[serde(skip_serializing_if = "Priority::is_interactive")]
    priority: Priority,
}

impl LocalOptions {
    /// Requests that yield to interactive ones.
    pub fn background() -> Self {
        Self::default().priority(Priority::Background)
    }

    pub fn priority(mut self, priority: Priority) -> Self {
        self.shared.priority = priority;
        self
    }
}

/// The local model as a rig provider extension: the key its options are stored under.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalExt;

impl ProviderExtension for LocalExt {
    const PROVIDER: &'static str = LOCAL_PROVIDER;
    type Options = LocalOptions;
    type Extras = LocalExtras;
}

impl ExtensionOptions for LocalOptions {
    type Ext = LocalExt;
}

/// The local model's replies carry nothing beyond rig's own fields.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalExtras;

impl ReplyExtras for LocalExtras {
    fn from_reply(_api: &Api, _raw: &Value) -> Result<Self, serde_json::Error> {
        Ok(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_interactive_unless_marked_background() {
        let plain = CompletionRequest::new("hi");
        assert_eq!(Priority::of(&plain), Priority::Interactive);
        let marked = CompletionRequest::new("hi").provider_option(LocalOptions::background());
        assert_eq!(Priority::of(&marked), Priority::Background);
        // Interactive writes nothing: no entry at all.
        let interactive = CompletionRequest::new("hi")
            .provider_option(LocalOptions::default().priority(Priority::Interactive));
        assert!(interactive.provider_options.is_empty(), "{:?}", interactive.provider_options);
    }
}
