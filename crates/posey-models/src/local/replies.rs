//! The tokens recent replies were generated as, so that a later prompt holding one of them (the
//! conversation's next turn) has it as those tokens, which a slot's cache holds, rather than as
//! the tokenizer would cut its text: the two often differ (a model may generate "\n" "\n" where
//! the tokenizer makes one "\n\n"), and from the first difference on, the rest of the reply and
//! everything after it was evaluated again at the next turn.
//!
//! A prompt is cut at each remembered reply it contains; the parts between are tokenized as
//! before. The result is used only when it reads back as the same text as the prompt's own
//! tokenization (a tokenizer that adds a space at the start of each part would not).

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::token::LlamaToken;

/// Replies remembered (of all conversations on the model): enough for every reply a small
/// model's context holds in several conversations at once. A reply forgotten while its
/// conversation goes on is tokenized as its text again, costing that conversation one longer
/// evaluation.
const REMEMBERED: usize = 256;
/// Shorter replies are not worth a search of each prompt.
const MIN_CHARS: usize = 16;

#[derive(Default)]
pub(super) struct Replies {
    recent: Mutex<VecDeque<(String, Vec<LlamaToken>)>>,
}

impl Replies {
    /// Remembers that `text` was generated as `tokens`, and its trimmed text as the tokens
    /// left when those of only whitespace are taken off either end (how a reply is often
    /// stored).
    pub fn remember(&self, model: &LlamaModel, text: &str, tokens: &[LlamaToken]) {
        if text.chars().count() < MIN_CHARS {
            return;
        }
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let mut add = |text: &str, tokens: &[LlamaToken]| {
            recent.retain(|(known, _)| known != text);
            if recent.len() == REMEMBERED {
                recent.pop_front();
            }
            recent.push_back((text.to_owned(), tokens.to_vec()));
        };
        add(text, tokens);
        let trimmed = text.trim();
        if trimmed != text && trimmed.chars().count() >= MIN_CHARS {
            let vocab = model.vocab();
            let blank = |token: &LlamaToken| {
                vocab.token_to_piece(*token, false, None).iter().all(u8::is_ascii_whitespace)
            };
            let start = tokens.iter().take_while(|t| blank(t)).count();
            let end = tokens.len() - tokens[start..].iter().rev().take_while(|t| blank(t)).count();
            let inner = &tokens[start..end];
            if vocab.detokenize(inner, false, true) == trimmed.as_bytes() {
                add(trimmed, inner);
            }
        }
    }

    /// The tokens of `prompt` (its special tokens parsed, BOS added as the model wants), with
    /// each remembered reply in it as the tokens it was generated as.
    pub fn tokenize(&self, model: &LlamaModel, prompt: &str) -> Vec<LlamaToken> {
        let vocab = model.vocab();
        let plain = vocab.tokenize(prompt.as_bytes(), true, true);
        let found = self.found_in(prompt);
        if found.is_empty() {
            return plain;
        }
        let bytes = prompt.as_bytes();
        let mut tokens = Vec::with_capacity(plain.len());
        let mut from = 0;
        for (start, end, generated) in &found {
            vocab.tokenize_into(&bytes[from..*start], &mut tokens, from == 0, true);
            tokens.extend_from_slice(generated);
            from = *end;
        }
        vocab.tokenize_into(&bytes[from..], &mut tokens, false, true);
        let same = vocab.detokenize(&tokens, false, true) == vocab.detokenize(&plain, false, true);
        if same { tokens } else { plain }
    }

    /// Where remembered replies are in `prompt`, in order and not overlapping (the longer
    /// first where two start at one place).
    fn found_in(&self, prompt: &str) -> Vec<(usize, usize, Vec<LlamaToken>)> {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let mut found: Vec<(usize, usize, Vec<LlamaToken>)> = recent
            .iter()
            .filter_map(|(text, tokens)| {
                prompt.find(text.as_str()).map(|at| (at, at + text.len(), tokens.clone()))
            })
            .collect();
        drop(recent);
        found.sort_by_key(|(start, end, _)| (*start, usize::MAX - end));
        let mut kept: Vec<(usize, usize, Vec<LlamaToken>)> = Vec::with_capacity(found.len());
        for reply in found {
            if kept.last().is_none_or(|last| reply.0 >= last.1) {
                kept.push(reply);
            }
        }
        kept
    }
}

#[cfg(test)]
mod tests {
    use llama_cpp_2::model::params::LlamaModelParams;

    use super::*;

    fn contains(tokens: &[LlamaToken], run: &[LlamaToken]) -> bool {
        tokens.windows(run.len()).any(|window| window == run)
    }

    #[test]
    fn a_prompt_has_a_remembered_reply_as_the_tokens_it_was_generated_as() {
        // The GGUF scripts/test installs and names.
        let path = std::env::var("POSEY_LOCAL_MODEL").expect("POSEY_LOCAL_MODEL names a GGUF");
        let backend = super::super::backend().unwrap();
        let model =
            LlamaModel::load_from_file(backend, path, &LlamaModelParams::default()).unwrap();
        let vocab = model.vocab();
        let text = "Hello there!\n\nYour rent is due on the 5th of each month.";
        // As a model may generate it: a word cut where the tokenizer would not cut it.
        let mut generated = vocab.tokenize(b"Hello the", false, false);
        generated.extend(vocab.tokenize(
            b"re!\n\nYour rent is due on the 5th of each month.",
            false,
            false,
        ));
        let prompt = format!(
            "<|im_start|>user\nWhen is my rent due?<|im_end|>\n<|im_start|>assistant\n{text}\
             <|im_end|>\n<|im_start|>user\nThanks!<|im_end|>\n<|im_start|>assistant\n"
        );
        let plain = vocab.tokenize(prompt.as_bytes(), true, true);
        assert!(!contains(&plain, &generated), "the tokenizer cuts it so too: nothing to test");

        let replies = Replies::default();
        assert_eq!(replies.tokenize(&model, &prompt), plain, "nothing remembered yet");
        // Generated with a newline after it, stored without.
        let mut with_newline = generated.clone();
        with_newline.extend(vocab.tokenize(b"\n", false, false));
        replies.remember(&model, &format!("{text}\n"), &with_newline);
        let tokens = replies.tokenize(&model, &prompt);
        assert!(contains(&tokens, &generated), "{tokens:?}");
        assert_eq!(vocab.detokenize(&tokens, false, true), vocab.detokenize(&plain, false, true));
        assert_eq!(tokens.first(), plain.first(), "the start token, once");
    }
}
