//! [`TestModel`]: calls the offered tools with schema-valid arguments, then answers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use rig_core::DynModel;
use rig_core::completion::{CompletionRequest, FinishReason};
use rig_core::operation::Completion;

use super::request::{count_words, last_tool_results, request_words, text_pieces};
use super::schema::example_value;
use crate::wire::{Chunk, ChunkStream, Generate, in_process, usage};

/// A model that needs no script: on a new prompt it calls every offered tool (or the ones
/// chosen with [`TestModel::call_tools`]) once, with arguments generated from each tool's JSON
/// schema; once the tool results come back it answers with a text — by default a JSON object
/// of each tool's result by tool name (`{"add":"3"}`), or `success (no tool calls)` when it
/// called none, as pydantic-ai's `TestModel` does.
///
/// Usage is reported for every reply (input: the words sent plus 50, output: the words
/// produced), so usage accounting and limits can be tested with it.
///
/// It records every request it receives for [`TestModel::requests`] (clones share the record)
/// unless built with [`TestModel::recording`]`(false)`: a long-running service on it (what
/// `POSEY_MODEL=test` loads) must not grow with every request.
#[derive(Clone)]
pub struct TestModel {
    tools: ToolChoice,
    final_text: Option<String>,
    seed: u64,
    calls: Arc<AtomicU64>,
    /// `None`: not recording.
    requests: Option<Arc<Mutex<Vec<CompletionRequest>>>>,
}

#[derive(Clone, Debug)]
enum ToolChoice {
    All,
    Only(Vec<String>),
}

impl Default for TestModel {
    fn default() -> Self {
        Self::new()
    }
}

impl TestModel {
    /// Calls every offered tool, then summarises the results.
    pub fn new() -> Self {
        Self {
            tools: ToolChoice::All,
            final_text: None,
            seed: 0,
            calls: Arc::new(AtomicU64::new(0)),
            requests: Some(Arc::default()),
        }
    }

    /// Whether to record the requests received (on by default, for tests to inspect); off,
    /// [`TestModel::requests`] stays empty and the model keeps nothing per request.
    pub fn recording(mut self, on: bool) -> Self {
        self.requests = on.then(Arc::default);
        self
    }

    /// Whether it records the requests it receives.
    pub fn is_recording(&self) -> bool {
        self.requests.is_some()
    }

    /// Calls only the offered tools named here (in the order offered); an empty list calls none.
    pub fn call_tools<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tools = ToolChoice::Only(names.into_iter().map(Into::into).collect());
        self
    }

    /// Answers with `text` instead of the summary of the tool results.
    pub fn final_text(mut self, text: impl Into<String>) -> Self {
        self.final_text = Some(text.into());
        self
    }

    /// Varies the generated arguments (strings and numbers); 0 by default.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The rig model, for `rig_agent::AgentBuilder::new` (which also takes a `TestModel` as is).
    pub fn model(&self) -> DynModel<Completion> {
        in_process("test", "test", self.clone()).erase()
    }

    /// Every request the model received, oldest first (none when not recording).
    pub fn requests(&self) -> Vec<CompletionRequest> {
        self.requests.as_ref().map(|requests| lock(requests).clone()).unwrap_or_default()
    }

    fn reply(&self, request: &CompletionRequest) -> Vec<Chunk> {
        let input = request_words(request) + 50;
        let results = last_tool_results(request);
        let to_call: Vec<_> = request
            .tools
            .iter()
            .filter(|tool| match &self.tools {
                ToolChoice::All => true,
                ToolChoice::Only(names) => names.iter().any(|n| n == tool.name.as_str()),
            })
            .collect();

        let mut chunks = Vec::new();
        if results.is_empty() && !to_call.is_empty() {
            let mut output = 0;
            for (offset, tool) in to_call.iter().enumerate() {
                let arguments = example_value(&tool.parameters, self.seed + offset as u64);
                output += 1 + count_words(&arguments.to_string());
                let n = self.calls.fetch_add(1, Ordering::Relaxed);
                chunks.push(Chunk::ToolCall {
                    id: format!("test_call_{n}"),
                    name: tool.name.to_string(),
                    arguments,
                });
            }
            chunks
                .push(Chunk::End { usage: usage(input, output), reason: FinishReason::ToolCalls });
            return chunks;
        }

        let text = match &self.final_text {
            Some(text) => text.clone(),
            None if results.is_empty() => "success (no tool calls)".to_owned(),
            None => {
                let summary: serde_json::Map<_, _> = results
                    .into_iter()
                    .map(|result| {
                        // A result that is JSON shows as JSON, anything else as a string.
                        let value = serde_json::from_str(&result.content)
                            .unwrap_or(serde_json::Value::String(result.content));
                        (result.name, value)
                    })
                    .collect();
                serde_json::Value::Object(summary).to_string()
            }
        };
        let output = count_words(&text);
        chunks.extend(text_pieces(&text).into_iter().map(Chunk::Text));
        chunks.push(Chunk::End { usage: usage(input, output), reason: FinishReason::Stop });
        chunks
    }
}

impl Generate for TestModel {
    fn generate(&self, request: CompletionRequest) -> ChunkStream {
        let chunks = self.reply(&request);
        if let Some(requests) = &self.requests {
            lock(requests).push(request);
        }
        futures::stream::iter(chunks.into_iter().map(Ok)).boxed()
    }
}

impl From<TestModel> for DynModel<Completion> {
    fn from(model: TestModel) -> Self {
        model.model()
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A test that panicked while holding the lock has already failed; keep reading.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn one_prompt(model: &TestModel) -> String {
        let agent = rig_agent::AgentBuilder::new(model.clone()).build();
        agent.prompt("hello").max_turns(2).await.unwrap().output()
    }

    #[tokio::test]
    async fn records_requests_unless_told_not_to() {
        let recording = TestModel::new();
        assert!(recording.is_recording());
        assert_eq!(one_prompt(&recording).await, "success (no tool calls)");
        assert_eq!(recording.requests().len(), 1);

        let quiet = TestModel::new().recording(false);
        assert!(!quiet.is_recording());
        assert_eq!(one_prompt(&quiet).await, "success (no tool calls)", "it answers the same");
        assert_eq!(one_prompt(&quiet).await, "success (no tool calls)");
        assert!(quiet.requests().is_empty());
        // Switching it back on starts a fresh record.
        let again = quiet.recording(true);
        one_prompt(&again).await;
        assert_eq!(again.requests().len(), 1);
    }
}
