//! What both test models read from a request: its words (their token counts are word counts,
//! as pydantic-ai's are) and the tool results it carries; and a text cut into word-sized pieces
//! to stream.

use rig_core::completion::CompletionRequest;
use rig_core::message::{AssistantContent, Message, ToolResultContent, UserContent};

/// One tool result as the model receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolReturn {
    pub call_id: String,
    pub name: String,
    /// The result's text (JSON results as JSON text).
    pub content: String,
    /// Whether the tool failed or its arguments were rejected: `content` says why.
    pub is_error: bool,
}

/// Every word the request sends: the basis of the test models' token counts, which (like
/// pydantic-ai's) are a word count, not a tokenizer's.
pub(super) fn request_words(request: &CompletionRequest) -> u64 {
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

pub(super) fn count_words(text: &str) -> u64 {
    text.split(|c: char| c.is_whitespace() || "\"{}[],:".contains(c))
        .filter(|word| !word.is_empty())
        .count() as u64
}

/// Splits `text` into word-sized pieces (each keeps its trailing space), so a streamed reply
/// arrives in several deltas as a real model's does.
pub(super) fn text_pieces(text: &str) -> Vec<String> {
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
pub(super) fn last_tool_results(request: &CompletionRequest) -> Vec<ToolReturn> {
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
