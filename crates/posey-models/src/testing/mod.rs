//! Deterministic models for tests, in the spirit of pydantic-ai's `TestModel` and
//! `FunctionModel`. Both are real rig completion models (a [`PoseyWire`](crate::wire::PoseyWire)
//! and an in-process transport), so an agent built on them streams, calls tools and counts
//! usage through exactly the code paths a hosted provider goes through.
//!
//! - [`TestModel`] calls every offered tool once with arguments generated from the tool's JSON
//!   schema, then answers with a text summarising the tool results.
//! - [`FunctionModel`] answers with whatever the test's function (or queue of [`Reply`]s)
//!   returns for the conversation so far.

mod function_model;
pub mod schema;
mod test_model;

pub use function_model::{FunctionModel, ModelInput, Reply, ToolReturn};
pub use test_model::TestModel;

/// The real local embedding model (`$POSEY_LOCAL_EMBEDDING_MODEL`, which scripts/test installs
/// and sets), loaded once per test binary and shared: each `#[tokio::test]` has its own
/// runtime, but the embedder runs on whichever runtime calls it. Panics, naming the fix, when
/// the model is missing: tests that need it never skip.
#[cfg(feature = "local-embeddings")]
pub async fn local_embedder() -> crate::Embedder {
    use crate::embeddings::{EmbeddingConfig, LocalEmbeddingConfig};
    static EMBEDDER: tokio::sync::OnceCell<crate::Embedder> = tokio::sync::OnceCell::const_new();
    const HOW: &str = "run the tests through scripts/test, which installs it (ensure_embedding_model \
                       in scripts/lib.sh)";
    EMBEDDER
        .get_or_init(|| async {
            let dir = std::env::var_os("POSEY_LOCAL_EMBEDDING_MODEL")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| panic!("POSEY_LOCAL_EMBEDDING_MODEL is not set; {HOW}"));
            EmbeddingConfig::Local(LocalEmbeddingConfig::new(&dir)).load().await.unwrap_or_else(
                |e| panic!("loading the embedding model in {}: {e}; {HOW}", dir.display()),
            )
        })
        .await
        .clone()
}

use rig_core::completion::CompletionRequest;
use rig_core::message::{AssistantContent, Message, ToolResultContent, UserContent};

/// Every word the request sends: the basis of the test models' token counts, which (like
/// pydantic-ai's) are a word count, not a tokenizer's.
fn request_words(request: &CompletionRequest) -> u64 {
    let mut words = 0;
    for message in &request.chat_history {
        words += match message {
            Message::System { content } => count_words(content),
            Message::User { content } => content
                .iter()
                .map(|part| match part {
                    UserContent::Text(text) => count_words(&text.text),
                    UserContent::ToolResult(result) => {
                        result.content.iter().map(tool_result_words).sum()
                    }
                    _ => 1,
                })
                .sum(),
            Message::Assistant(turn) => turn
                .content
                .iter()
                .map(|part| match part {
                    AssistantContent::Text(text) => count_words(&text.text),
                    AssistantContent::ToolCall(call) => {
                        1 + count_words(
                            &serde_json::to_string(&call.function.arguments).unwrap_or_default(),
                        )
                    }
                    _ => 1,
                })
                .sum(),
        };
    }
    words
}

fn tool_result_words(content: &ToolResultContent) -> u64 {
    match content {
        ToolResultContent::Text(text) => count_words(&text.text),
        ToolResultContent::Json { value } => count_words(&value.to_string()),
        ToolResultContent::Image(_) => 1,
    }
}

fn count_words(text: &str) -> u64 {
    text.split(|c: char| c.is_whitespace() || "\"{}[],:".contains(c))
        .filter(|word| !word.is_empty())
        .count() as u64
}

/// Splits `text` into word-sized pieces (each keeps its trailing space), so a streamed reply
/// arrives in several deltas as a real model's does.
fn text_pieces(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if c == ' ' {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// Results the last user message carries: the tool results the model is now answering.
fn last_tool_results(request: &CompletionRequest) -> Vec<ToolReturn> {
    let Some(Message::User { content }) = request.chat_history.last() else {
        return Vec::new();
    };
    content
        .iter()
        .filter_map(|part| match part {
            UserContent::ToolResult(result) => Some(ToolReturn {
                call_id: result.call.to_string(),
                name: result.name.to_string(),
                content: result
                    .content
                    .iter()
                    .map(|content| match content {
                        ToolResultContent::Text(text) => text.text.clone(),
                        ToolResultContent::Json { value } => value.to_string(),
                        ToolResultContent::Image(_) => "[image]".to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                is_error: result.is_error,
            }),
            _ => None,
        })
        .collect()
}
