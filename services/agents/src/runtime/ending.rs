//! How one agent's run always ends with an answer, whatever its model does. A tool called
//! again with the same arguments does not run again: the model gets the first result back
//! and is told to answer. The last model call the run allows (`AGENTS_MAX_TURNS`), and the
//! call after such a repeat or after an empty reply, offers no tools and says to answer now.
//! An empty or cut-off reply is asked for again while calls remain. A run that still ends
//! without an answer (the limit, a reply cut off at the output budget) ends with a short
//! honest message instead of an error; real failures (a provider that cannot be reached)
//! stay errors. Every model call's output budget is what the model's context leaves after the
//! prompt ([`super::budget`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use rig_agent::agent::{
    AgentHook, CompletionCallAction, CompletionCallEvent, HookContext, InvalidToolCallAction,
    InvalidToolCallContext, InvalidToolCallReason, ModelTurnAction, ModelTurnFinished,
    RequestPatch,
};
use rig_agent::completion::PromptError;
use rig_agent::tool::{ToolExecutionError, ToolOutput};
use rig_core::completion::FinishReason;
use rig_core::error::ProviderError;
use rig_core::message::AssistantContent;
use serde_json::Value;

use posey_models::ModelProfile;

use super::budget;
use crate::sync::lock;

/// Added to the system prompt of a call that offers no tools.
const ANSWER_NOW: &str = "No tools are available for this reply. Answer the person now, \
                          briefly and in plain text, from what you already know and the tool \
                          results above.";

/// What the model hears after a reply with nothing in it.
const ASK_AGAIN: &str = "Your reply was empty. Answer my message now in one or two short \
                         sentences of plain text.";

/// A tool's result as the model got it: `Err` when the tool failed (its message).
type Outcome = Result<String, String>;

type ToolFuture = BoxFuture<'static, Result<ToolOutput, ToolExecutionError>>;

/// The state one agent's run shares between its tools and its hook.
pub struct Guard {
    max_turns: usize,
    /// The agent's system prompt, to extend on a call that offers no tools.
    preamble: String,
    /// What the model can take, and the tokens of the prompt's fixed part (system prompt and
    /// tools), for each call's output budget.
    profile: ModelProfile,
    fixed_tokens: u64,
    /// The next model call offers no tools: the model repeated a call or said nothing.
    answer_now: AtomicBool,
    /// Every tool call of the run so far (tool, arguments) and its result.
    calls: Mutex<Vec<(String, Value, Outcome)>>,
}

impl Guard {
    /// `fixed_tokens`: the estimated size of the system prompt and the tools offered.
    pub fn new(
        max_turns: usize,
        preamble: String,
        profile: ModelProfile,
        fixed_tokens: u64,
    ) -> Arc<Self> {
        Arc::new(Self {
            max_turns,
            preamble,
            profile,
            fixed_tokens,
            answer_now: AtomicBool::new(false),
            calls: Mutex::new(Vec::new()),
        })
    }

    /// The hook that steers the run's model calls.
    pub fn hook(self: &Arc<Self>) -> GuardHook {
        GuardHook(self.clone())
    }

    /// `handler`, run at most once per arguments in this run: a repeat gets the first result
    /// back with the instruction to answer, and the next model call offers no tools.
    pub fn once<F>(
        self: &Arc<Self>,
        tool: String,
        handler: F,
    ) -> impl Fn(Value) -> ToolFuture + Send + Sync + 'static
    where
        F: Fn(Value) -> ToolFuture + Send + Sync + 'static,
    {
        let guard = self.clone();
        move |arguments: Value| {
            if let Some(earlier) = guard.earlier(&tool, &arguments) {
                guard.answer_now.store(true, Ordering::SeqCst);
                tracing::info!(tool = %tool, "a repeated tool call answered from its first result");
                let result = match earlier {
                    Ok(text) => Ok(ToolOutput::text(repeat_note(&tool, "Its result was", &text))),
                    Err(text) => {
                        Err(ToolExecutionError::other(repeat_note(&tool, "It failed with", &text)))
                    }
                };
                return Box::pin(std::future::ready(result)) as ToolFuture;
            }
            let call = handler(arguments.clone());
            let guard = guard.clone();
            let tool = tool.clone();
            Box::pin(async move {
                let result = call.await;
                let outcome = match &result {
                    Ok(output) => Ok(output_text(output)),
                    Err(error) => Err(error.to_string()),
                };
                lock(&guard.calls).push((tool, arguments, outcome));
                result
            })
        }
    }

    fn earlier(&self, tool: &str, arguments: &Value) -> Option<Outcome> {
        lock(&self.calls)
            .iter()
            .find(|(name, args, _)| name == tool && args == arguments)
            .map(|(_, _, outcome)| outcome.clone())
    }
}

/// Steers the run's model calls (see the module's description).
pub struct GuardHook(Arc<Guard>);

impl AgentHook for GuardHook {
    async fn on_completion_call(
        &self,
        _ctx: &HookContext,
        event: CompletionCallEvent<'_>,
    ) -> CompletionCallAction {
        let guard = &self.0;
        let prompt = guard
            .fixed_tokens
            .saturating_add(budget::messages_tokens(event.history))
            .saturating_add(budget::message_tokens(event.prompt));
        let mut patch = RequestPatch::new();
        match guard.profile.reply_budget(prompt) {
            Some(max_tokens) => patch = patch.max_tokens(max_tokens),
            // No room left: the model (or its provider) says so with the real sizes.
            None => tracing::warn!(
                prompt,
                context = guard.profile.context_tokens,
                "the prompt fills the model's context"
            ),
        }
        if event.turn >= guard.max_turns || guard.answer_now.load(Ordering::SeqCst) {
            patch = patch
                .active_tools(Vec::<String>::new())
                .preamble(format!("{}\n\n{ANSWER_NOW}", guard.preamble));
        }
        if patch.is_empty() {
            CompletionCallAction::continue_run()
        } else {
            CompletionCallAction::patch(patch)
        }
    }

    async fn on_model_turn_finished(
        &self,
        _ctx: &HookContext,
        event: ModelTurnFinished<'_>,
    ) -> ModelTurnAction {
        let answered = event.content.iter().any(AssistantContent::is_answer);
        if answered || event.turn >= self.0.max_turns {
            return ModelTurnAction::continue_run();
        }
        // Nothing said (cut off at the output budget, or an empty reply): ask once more,
        // offering no tools, while the run allows another call.
        tracing::info!(
            finish_reason = ?event.finish_reason,
            "the model replied with nothing; asking it again for a short answer"
        );
        self.0.answer_now.store(true, Ordering::SeqCst);
        ModelTurnAction::retry_with_feedback(ASK_AGAIN)
    }

    async fn on_invalid_tool_call(
        &self,
        _ctx: &HookContext,
        event: &InvalidToolCallContext,
    ) -> Option<InvalidToolCallAction> {
        match event.reason {
            // A small model names a tool it was not offered: it hears so, and may answer.
            InvalidToolCallReason::UnknownTool | InvalidToolCallReason::DisallowedByToolChoice => {
                let offered = if event.allowed_tools.is_empty() {
                    "No tools are available now: answer in plain text.".to_owned()
                } else {
                    format!("The tools you can call are: {}.", event.allowed_tools.join(", "))
                };
                Some(InvalidToolCallAction::skip(format!(
                    "There is no tool {:?} here. {offered}",
                    event.tool_name
                )))
            }
            _ => None,
        }
    }
}

/// Why a run stopped without an answer, when that is a limit it hit rather than a failure:
/// the run then ends with [`cut_short_reply`] instead of an error.
pub fn cut_short(error: &PromptError) -> Option<Limit> {
    match error {
        PromptError::MaxTurns { max_turns, .. } => Some(Limit::ModelCalls(*max_turns)),
        PromptError::Provider(ProviderError::Response(message))
            if *message == FinishReason::Length.no_answer_message() =>
        {
            Some(Limit::OutputLength)
        }
        _ => None,
    }
}

/// A limit a run hit before its model answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// It made every model call a turn allows (`AGENTS_MAX_TURNS`).
    ModelCalls(usize),
    /// The model's reply was cut off at its output budget before it said anything.
    OutputLength,
    /// It replied with nothing.
    Empty,
}

/// The reply a run that hit `limit` ends with: honest about what it could not finish.
pub fn cut_short_reply(limit: Limit) -> String {
    let why = match limit {
        Limit::ModelCalls(max) => {
            format!("I used all {max} steps I can take for one message before I had an answer")
        }
        Limit::OutputLength => "my reply ran out of room before I could write it".to_owned(),
        Limit::Empty => "I could not come up with an answer".to_owned(),
    };
    format!("Sorry, I couldn't finish that: {why}. Could you ask again, perhaps more simply?")
}

fn repeat_note(tool: &str, what: &str, earlier: &str) -> String {
    format!(
        "You already called {tool} with these arguments in this turn. {what}: {earlier}\n\
         Do not call it again: answer the person now from this result."
    )
}

fn output_text(output: &ToolOutput) -> String {
    if let Some(text) = output.as_text() {
        text.to_owned()
    } else if let Some(value) = output.as_json() {
        value.to_string()
    } else {
        "(a result that is not text)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_cut_off_at_the_output_budget_is_a_limit_and_an_unreachable_provider_is_not() {
        let cut = PromptError::Provider(ProviderError::Response(
            FinishReason::Length.no_answer_message(),
        ));
        assert_eq!(cut_short(&cut), Some(Limit::OutputLength));
        let down = PromptError::Provider(ProviderError::Response("connection refused".into()));
        assert_eq!(cut_short(&down), None);
    }
}
