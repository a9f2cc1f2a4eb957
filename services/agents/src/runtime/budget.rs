//! How a turn fits its model's context: the prompt's size estimated from its text, the output
//! budget of each model call derived from what the context has left ([`ModelProfile::
//! reply_budget`]), and the oldest history left out when the conversation has outgrown the
//! context.
//!
//! Sizes are estimated at three characters a token, more than most tokenizers make of English
//! (about four), so a budget errs toward fitting. (The local model counts exactly and clamps
//! again; a provider refuses a request whose prompt and budget exceed its context.)

use posey_models::ModelProfile;
use rig_core::message::{AssistantContent, Message, ToolResultContent, UserContent};

/// Characters per token in the estimate.
const CHARS_PER_TOKEN: usize = 3;
/// What a message costs beyond its text (role markers of a chat template).
const PER_MESSAGE: u64 = 4;

/// Tokens of `text`, estimated.
pub fn text_tokens(text: &str) -> u64 {
    text.chars().count().div_ceil(CHARS_PER_TOKEN) as u64
}

/// Tokens of one message, estimated.
pub fn message_tokens(message: &Message) -> u64 {
    let text: u64 = match message {
        Message::System { content } => text_tokens(content),
        Message::User { content } => content
            .iter()
            .map(|part| match part {
                UserContent::Text(text) => text_tokens(&text.text),
                UserContent::ToolResult(result) => result
                    .content
                    .iter()
                    .map(|c| match c {
                        ToolResultContent::Text(text) => text_tokens(&text.text),
                        ToolResultContent::Json { value } => text_tokens(&value.to_string()),
                        ToolResultContent::Image(_) => 1,
                    })
                    .sum::<u64>()
                    .saturating_add(text_tokens(result.name.as_str()) + 4),
                _ => 1,
            })
            .sum(),
        Message::Assistant(turn) => turn
            .content
            .iter()
            .map(|part| match part {
                AssistantContent::Text(text) => text_tokens(&text.text),
                AssistantContent::ToolCall(call) => text_tokens(call.function.name.as_str())
                    .saturating_add(text_tokens(
                        &serde_json::Value::Object(call.function.arguments.clone()).to_string(),
                    ))
                    .saturating_add(8),
                _ => 1,
            })
            .sum(),
    };
    text.saturating_add(PER_MESSAGE)
}

/// Tokens of messages, estimated.
pub fn messages_tokens(messages: &[Message]) -> u64 {
    messages.iter().map(message_tokens).sum()
}

/// Tokens one tool's definition takes in a prompt, estimated (its schema as JSON: a provider's
/// rendering, and more than the local model's short signatures).
pub fn tool_tokens(name: &str, description: &str, parameters: &serde_json::Value) -> u64 {
    text_tokens(name)
        + text_tokens(description)
        + text_tokens(&parameters.to_string())
        + PER_MESSAGE
}

/// The history to send with a prompt whose fixed part (system prompt, tools, the new message)
/// takes `fixed` tokens: all of it while a reply still fits the context; otherwise it starts
/// later, at one of the places it may start: a person's message (so no tool result is left
/// without its call), the first one past each third of the context's worth of the
/// conversation, counted from its beginning. Counted so, the same start is chosen turn after
/// turn until what follows it outgrows the context again, and the prompt's start, which a
/// model's cache reuses, stays put for about a third of the context instead of moving with
/// every turn (each move costs the whole prompt's evaluation again). The room is reckoned for a
/// fixed part of at least a quarter of the context, so a message with more next to it (a
/// lookup's passages) does not move the start forward and the next one back.
pub fn fit_history(history: Vec<Message>, fixed: u64, profile: &ModelProfile) -> Vec<Message> {
    let context = u64::from(profile.context_tokens);
    let reply = profile.reply_budget(0).unwrap_or(context / 4);
    let sizes: Vec<u64> = history.iter().map(message_tokens).collect();
    let total: u64 = sizes.iter().sum();
    if total <= context.saturating_sub(reply).saturating_sub(fixed) {
        return history;
    }
    // The start is chosen for a fixed part of at least a quarter of the context, so that what
    // changes from message to message (the tools chosen, the memories and passages next to it)
    // does not move it back and forth.
    let room = context.saturating_sub(reply).saturating_sub(fixed.max(context / 4));
    let step = (context / 3).max(1);
    let mut before = 0;
    let mut mark = step;
    let mut start = history.len();
    for (at, size) in sizes.iter().enumerate() {
        if before >= mark && is_person_message(&history[at]) {
            if total - before <= room {
                start = at;
                break;
            }
            mark = (before / step + 1) * step;
        }
        before += size;
    }
    tracing::debug!(
        left_out = start,
        kept = history.len() - start,
        context,
        "the conversation outgrew the model's context: its oldest messages are left out"
    );
    history.into_iter().skip(start).collect()
}

fn is_person_message(message: &Message) -> bool {
    matches!(message, Message::User { content }
        if content.iter().any(|part| matches!(part, UserContent::Text(_))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use posey_models::ToolCalling;
    use rig_core::message::{AssistantMessage, CallId, ToolName};

    fn profile(context_tokens: u32) -> ModelProfile {
        ModelProfile {
            context_tokens,
            max_output_tokens: None,
            tools: ToolCalling::Full,
            delegation: true,
        }
    }

    fn exchange(words: usize) -> Vec<Message> {
        let text = "word ".repeat(words);
        vec![
            Message::user(text.clone()),
            Message::Assistant(AssistantMessage::new(vec![AssistantContent::tool_call(
                "c1",
                ToolName::new("recall").unwrap(),
                serde_json::json!({"query": "x"}),
            )])),
            Message::User {
                content: vec![UserContent::tool_result(
                    CallId::from_wire("c1"),
                    ToolName::new("recall").unwrap(),
                    vec![ToolResultContent::text(text.clone())],
                )],
            },
            Message::Assistant(AssistantMessage::new(vec![AssistantContent::text(text)])),
        ]
    }

    #[test]
    fn estimates_err_toward_more_tokens() {
        assert_eq!(text_tokens("Hello, how are you?"), 7);
        assert!(message_tokens(&Message::user("Hello")) > text_tokens("Hello"));
    }

    #[test]
    fn a_history_that_fits_is_kept_whole() {
        let history: Vec<Message> = (0..3).flat_map(|_| exchange(20)).collect();
        let kept = fit_history(history.clone(), 200, &profile(4096));
        assert_eq!(kept.len(), history.len());
    }

    #[test]
    fn an_outgrown_history_loses_its_oldest_turns_and_fits() {
        let history: Vec<Message> = (0..20).flat_map(|_| exchange(60)).collect();
        let fixed = 300;
        let profile = profile(4096);
        let kept = fit_history(history.clone(), fixed, &profile);
        assert!(kept.len() < history.len());
        let reply = profile.reply_budget(0).unwrap();
        assert!(fixed + messages_tokens(&kept) + reply <= 4096, "{}", messages_tokens(&kept));
        assert!(is_person_message(&kept[0]), "it starts at a person's message");
        // What is kept is the newest part, unchanged.
        assert_eq!(kept.len() % 4, 0);
        assert_eq!(kept[..], history[history.len() - kept.len()..]);
    }

    #[test]
    fn a_growing_conversation_keeps_its_start_for_several_turns_at_a_time() {
        let profile = profile(4096);
        let mut history = Vec::new();
        let mut starts = Vec::new();
        for turn in 0..60 {
            history.extend(exchange(60));
            // What goes with each message varies (tools, memories, passages).
            let fixed = if turn % 2 == 0 { 300 } else { 900 };
            let kept = fit_history(history.clone(), fixed, &profile);
            assert!(fixed + messages_tokens(&kept) + 1024 <= 4096, "turn {turn} does not fit");
            starts.push(history.len() - kept.len());
        }
        let outgrown = starts.iter().filter(|start| **start > 0).count();
        let mut moves = starts.clone();
        moves.dedup();
        // An exchange is about 340 tokens: the start moves about once in each third of the
        // context's worth (4 exchanges), not with every turn.
        assert!(outgrown > 40, "{starts:?}");
        assert!(moves.len() <= 1 + outgrown / 3, "{starts:?}");
    }
}
