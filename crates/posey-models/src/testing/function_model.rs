//! [`FunctionModel`]: a model whose replies the test scripts.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use rig_core::DynModel;
use rig_core::completion::{CompletionRequest, FinishReason, ToolDefinition};
use rig_core::error::ProviderError;
use rig_core::message::{Message, UserContent};
use rig_core::operation::Completion;

use super::request::{ToolReturn, count_words, last_tool_results, request_words, text_pieces};
use super::test_model::lock;
use crate::wire::{Chunk, ChunkStream, Generate, in_process, usage};

/// What a [`FunctionModel`]'s function sees: the request as the agent sent it, with helpers for
/// what tests usually look at.
#[derive(Debug, Clone)]
pub struct ModelInput {
    /// The whole request: `chat_history` (system prompt first, the newest message last),
    /// `tools`, `max_tokens`, ...
    pub request: CompletionRequest,
    /// How many requests this model answered before this one.
    pub index: usize,
}

impl ModelInput {
    /// The conversation so far, oldest first.
    pub fn messages(&self) -> &[Message] {
        &self.request.chat_history
    }

    /// The tools offered.
    pub fn tools(&self) -> &[ToolDefinition] {
        &self.request.tools
    }

    /// The names of the tools offered.
    pub fn tool_names(&self) -> Vec<String> {
        self.request.tools.iter().map(|tool| tool.name.to_string()).collect()
    }

    /// The text of the newest user message, if it has text (not only tool results).
    pub fn last_user_text(&self) -> Option<String> {
        self.request.chat_history.iter().rev().find_map(|message| match message {
            Message::User { content } => {
                let text: Vec<&str> = content
                    .iter()
                    .filter_map(|part| match part {
                        UserContent::Text(text) => Some(text.text.as_str()),
                        _ => None,
                    })
                    .collect();
                (!text.is_empty()).then(|| text.join("\n"))
            }
            _ => None,
        })
    }

    /// The tool results the newest message carries (empty on a fresh prompt).
    pub fn tool_results(&self) -> Vec<ToolReturn> {
        last_tool_results(&self.request)
    }
}

/// One scripted reply: text (streamed in the pieces given), tool calls, or a provider error.
#[derive(Debug, Clone)]
pub struct Reply {
    chunks: Vec<Chunk>,
    error: Option<String>,
    usage: Option<(u64, u64)>,
    delay: Option<Duration>,
    finish: Option<FinishReason>,
}

impl Reply {
    /// Answer `text`, streamed word by word.
    pub fn text(text: impl AsRef<str>) -> Self {
        Self::from_chunks(text_pieces(text.as_ref()).into_iter().map(Chunk::Text).collect())
    }

    /// Answer the concatenation of `pieces`, streamed as exactly these deltas.
    pub fn text_chunks<I, S>(pieces: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::from_chunks(pieces.into_iter().map(|p| Chunk::Text(p.into())).collect())
    }

    /// Call the tool `name` with `arguments` (sent as is, valid or not).
    pub fn tool_call(name: impl Into<String>, arguments: serde_json::Value) -> Self {
        Self::from_chunks(Vec::new()).and_tool_call(name, arguments)
    }

    /// Also call the tool `name` in the same reply.
    pub fn and_tool_call(mut self, name: impl Into<String>, arguments: serde_json::Value) -> Self {
        let n = self.chunks.iter().filter(|c| matches!(c, Chunk::ToolCall { .. })).count();
        let name = name.into();
        self.chunks.push(Chunk::ToolCall { id: format!("fn_call_{name}_{n}"), name, arguments });
        self
    }

    /// Fail the request as a provider error with `message`.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            chunks: Vec::new(),
            error: Some(message.into()),
            usage: None,
            delay: None,
            finish: None,
        }
    }

    /// Report this usage instead of the word-count estimate.
    pub fn with_usage(mut self, input_tokens: u64, output_tokens: u64) -> Self {
        self.usage = Some((input_tokens, output_tokens));
        self
    }

    /// Wait `delay` before each chunk: a slow model, for tests that disconnect mid-stream.
    pub fn with_chunk_delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// End with this finish reason instead of `Stop` (`ToolCalls` with calls): e.g. `Length`
    /// for a reply cut off at the output budget.
    pub fn with_finish_reason(mut self, reason: FinishReason) -> Self {
        self.finish = Some(reason);
        self
    }

    fn from_chunks(chunks: Vec<Chunk>) -> Self {
        Self { chunks, error: None, usage: None, delay: None, finish: None }
    }

    fn into_stream(self, request: &CompletionRequest) -> ChunkStream {
        if let Some(message) = self.error {
            return futures::stream::iter([Err(ProviderError::Provider(message))]).boxed();
        }
        let has_calls = self.chunks.iter().any(|c| matches!(c, Chunk::ToolCall { .. }));
        let (input, output) = self.usage.unwrap_or_else(|| {
            let output = self
                .chunks
                .iter()
                .map(|chunk| match chunk {
                    Chunk::Text(text) => count_words(text),
                    Chunk::ToolCall { arguments, .. } => 1 + count_words(&arguments.to_string()),
                    Chunk::End { .. } => 0,
                })
                .sum();
            (request_words(request) + 50, output)
        });
        let reason = self.finish.unwrap_or(if has_calls {
            FinishReason::ToolCalls
        } else {
            FinishReason::Stop
        });
        let mut chunks = self.chunks;
        chunks.push(Chunk::End { usage: usage(input, output), reason });
        let stream = futures::stream::iter(chunks.into_iter().map(Ok));
        match self.delay {
            None => stream.boxed(),
            Some(delay) => stream
                .then(move |chunk| async move {
                    tokio::time::sleep(delay).await;
                    chunk
                })
                .boxed(),
        }
    }
}

type ReplyFn = dyn Fn(&ModelInput) -> Reply + Send + Sync;

/// A model whose every reply comes from a function of the conversation so far (or, with
/// [`FunctionModel::from_replies`], from a queue). It streams texts in the pieces scripted and
/// reports usage (the word-count estimate unless a reply sets it).
///
/// ```
/// use posey_models::testing::{FunctionModel, Reply};
///
/// let model = FunctionModel::new(|input| match input.tool_results().first() {
///     None => Reply::tool_call("add", serde_json::json!({"x": 1, "y": 2})),
///     Some(result) => Reply::text(format!("The sum is {}.", result.content)),
/// });
/// # let _ = model;
/// ```
///
/// Clones share the function, the queue and the recorded requests.
#[derive(Clone)]
pub struct FunctionModel {
    reply: Arc<ReplyFn>,
    requests: Arc<Mutex<Vec<CompletionRequest>>>,
}

impl FunctionModel {
    /// Replies with `reply(input)` to each request.
    pub fn new(reply: impl Fn(&ModelInput) -> Reply + Send + Sync + 'static) -> Self {
        Self { reply: Arc::new(reply), requests: Arc::new(Mutex::new(Vec::new())) }
    }

    /// Replies with these replies, one per request, in order; a request past the last one fails
    /// with a provider error saying the script ran out.
    pub fn from_replies(replies: impl IntoIterator<Item = Reply>) -> Self {
        let queue: Mutex<VecDeque<Reply>> = Mutex::new(replies.into_iter().collect());
        Self::new(move |input| {
            lock(&queue).pop_front().unwrap_or_else(|| {
                Reply::error(format!(
                    "FunctionModel has no scripted reply left for request {}",
                    input.index + 1
                ))
            })
        })
    }

    /// The rig model, for `rig_agent::AgentBuilder::new` (which also takes a `FunctionModel`).
    pub fn model(&self) -> DynModel<Completion> {
        in_process("function", "function", self.clone()).erase()
    }

    /// Every request the model received, oldest first.
    pub fn requests(&self) -> Vec<CompletionRequest> {
        lock(&self.requests).clone()
    }
}

impl Generate for FunctionModel {
    fn generate(&self, request: CompletionRequest) -> ChunkStream {
        let index = {
            let mut requests = lock(&self.requests);
            requests.push(request.clone());
            requests.len() - 1
        };
        let input = ModelInput { request, index };
        let reply = (self.reply)(&input);
        reply.into_stream(&input.request)
    }
}

impl From<FunctionModel> for DynModel<Completion> {
    fn from(model: FunctionModel) -> Self {
        model.model()
    }
}
