//! The hooks that stop a run on rig-agent before it would ask its model again: when a tool
//! asked the person to confirm, and when the model called a client's tool.

use std::sync::atomic::{AtomicBool, Ordering};

use posey_plugin::Asks;
use rig_agent::agent::{AgentHook, DispatchAction, DispatchEvent, HookContext};
use rig_core::effect::EffectKind;

/// Stops a run before it would ask its model again once a tool asked the person to confirm
/// an action: the model never gets to act on, or talk past, the question.
pub struct StopWhenAsking(Asks);

impl StopWhenAsking {
    pub fn new(asks: Asks) -> Self {
        Self(asks)
    }
}

impl AgentHook for StopWhenAsking {
    async fn on_dispatch(&self, _ctx: &HookContext, event: DispatchEvent<'_>) -> DispatchAction {
        match event.kind {
            EffectKind::Completion { .. } if !self.0.is_empty() => {
                DispatchAction::stop("a tool asked the person to confirm")
            }
            _ => DispatchAction::Proceed,
        }
    }
}

/// Stops a run when the model calls a client-supplied tool (the OpenAI-compatible API), so
/// the calls go back to the client instead of running here.
///
/// A client call is skipped rather than cancelled: rig-agent runs a message's calls as one
/// batch and a cancelling denial fails the whole batch, dropping the results of the agent's
/// own tools that already ran and never starting those after it. Skipping lets the batch
/// finish (the agent's tools run, their results arrive); the run is then cancelled before
/// it would ask the model again.
pub struct StopOnClientTools {
    names: Vec<String>,
    /// A client call was held back: the model is not asked again.
    held: AtomicBool,
}

impl StopOnClientTools {
    pub fn new(names: Vec<String>) -> Self {
        Self { names, held: AtomicBool::new(false) }
    }
}

impl AgentHook for StopOnClientTools {
    async fn on_dispatch(&self, _ctx: &HookContext, event: DispatchEvent<'_>) -> DispatchAction {
        match event.kind {
            EffectKind::ToolCall { name, .. } if self.names.contains(name) => {
                self.held.store(true, Ordering::SeqCst);
                DispatchAction::skip("the client runs this tool")
            }
            EffectKind::Completion { .. } if self.held.load(Ordering::SeqCst) => {
                DispatchAction::stop("the client runs its tools")
            }
            _ => DispatchAction::Proceed,
        }
    }
}
