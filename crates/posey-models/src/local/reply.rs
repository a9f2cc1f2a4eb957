//! A reply as it is decoded and sent: token pieces made text, where a JSON answer starts, how
//! much plain text may already go out, and the channel its chunks go by.

use rig_core::error::ProviderError;
use tokio::sync::mpsc;

use crate::wire::Chunk;

/// Where a request's chunks go, to whoever reads the reply.
pub(super) type Sender = mpsc::Sender<Result<Chunk, ProviderError>>;

pub(super) fn provider_error(what: &str, error: impl std::fmt::Display) -> ProviderError {
    ProviderError::Provider(format!("local model: {what}: {error}"))
}

/// How a tool call after some text opens (the second of the lazy grammar's triggers,
/// `slots::TRIGGERS`, which accepts these two).
const CALL_OPENINGS: [&str; 2] = ["{\"tool\"", "{ \"tool\""];

/// Where the JSON answer starts in a reply, when it has one: a reply that starts with `{`, or
/// a `{"tool"` call after some text (the lazy grammar's triggers, see [`super::slots`]).
pub(super) fn json_start(output: &str) -> Option<usize> {
    let trimmed = output.trim_start();
    if trimmed.starts_with('{') {
        return Some(output.len() - trimmed.len());
    }
    CALL_OPENINGS.iter().filter_map(|opening| output.find(opening)).min()
}

/// How much of a plain-text reply may be sent: all but a tail that could still become a JSON
/// answer (leading whitespace before a possible `{`, or the start of a `{"tool"` call).
pub(super) fn streamable(output: &str) -> usize {
    if output.trim_start().is_empty() {
        return 0;
    }
    let could_open = |tail: &str| CALL_OPENINGS.iter().any(|o| o.starts_with(tail));
    output
        .char_indices()
        .find(|&(i, c)| c == '{' && could_open(&output[i..]))
        .map_or(output.len(), |(i, _)| i)
}

/// The text of the `response` field decoded so far, when the output is `{"response": "...`.
pub(super) fn partial_response(output: &str) -> Option<String> {
    let rest = output.trim_start().strip_prefix('{')?.trim_start();
    let rest = rest.strip_prefix("\"response\"")?.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let mut chars = rest.strip_prefix('"')?.chars().peekable();
    let mut text = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => {
                let Some(escaped) = chars.next() else { break };
                match escaped {
                    'n' => text.push('\n'),
                    't' => text.push('\t'),
                    'r' => text.push('\r'),
                    'b' => text.push('\u{8}'),
                    'f' => text.push('\u{c}'),
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        if hex.len() < 4 {
                            break; // not all of it decoded yet
                        }
                        if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                        {
                            text.push(c);
                        }
                    }
                    other => text.push(other),
                }
            }
            c => text.push(c),
        }
    }
    Some(text)
}

/// Turns token pieces (bytes, possibly splitting a UTF-8 character) into text.
#[derive(Default)]
pub(super) struct Utf8Pieces {
    pending: Vec<u8>,
}

impl Utf8Pieces {
    pub(super) fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        match std::str::from_utf8(&self.pending) {
            Ok(text) => {
                let text = text.to_owned();
                self.pending.clear();
                text
            }
            Err(error) => {
                let valid = error.valid_up_to();
                // An invalid sequence (not just an unfinished one) is dropped rather than kept
                // forever.
                let keep_from = match error.error_len() {
                    None => valid,
                    Some(bad) => valid + bad,
                };
                let text = String::from_utf8_lossy(&self.pending[..valid]).into_owned();
                self.pending.drain(..keep_from);
                text
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_response_decodes_what_has_arrived() {
        assert_eq!(partial_response(r#"{"response": "Hel"#).as_deref(), Some("Hel"));
        assert_eq!(
            partial_response(r#"{ "response" :"a\nb\"c\u00e9" }"#).as_deref(),
            Some("a\nb\"cé")
        );
        assert_eq!(partial_response(r#"{"response": "x\u00"#).as_deref(), Some("x"));
        assert_eq!(partial_response(r#"{"tool": "add""#), None);
    }

    #[test]
    fn utf8_pieces_wait_for_whole_characters() {
        let mut pieces = Utf8Pieces::default();
        let e_acute = "é".as_bytes();
        assert_eq!(pieces.push(&e_acute[..1]), "");
        assert_eq!(pieces.push(&e_acute[1..]), "é");
        assert_eq!(pieces.push(b"ok"), "ok");
    }

    #[test]
    fn a_reply_is_json_when_it_opens_an_object_or_a_tool_call() {
        assert_eq!(json_start(r#"  {"response": "hi"}"#), Some(2));
        assert_eq!(json_start(r#"Sure. {"tool": "add", "arguments": {}}"#), Some(6));
        assert_eq!(json_start(r#"Sure. { "tool": "add""#), Some(6));
        assert_eq!(json_start("Use {braces} freely."), None);
        assert_eq!(json_start("Hello"), None);
    }

    #[test]
    fn plain_text_is_sent_except_what_could_still_open_a_call() {
        assert_eq!(streamable("  "), 0, "a reply may still open with {{");
        assert_eq!(streamable("Hello"), 5);
        assert_eq!(streamable("Hello {\"to"), 6);
        assert_eq!(streamable("Hello { "), 6);
        assert_eq!(streamable("Use {braces}"), 12);
    }
}
