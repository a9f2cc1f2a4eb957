//! Which tools a model that calls them weakly is offered for one message: the few closest in
//! meaning to the message, and none below a floor, so small talk gets no tools at all. The
//! choice never depends on the small model's own judgement, and a failure to embed offers no
//! tools rather than failing the turn.
//!
//! A tool's score is the cosine similarity of the message's embedding (the embedding model the
//! service already has) to the closer of two of the tool's own, computed once: its name in words
//! (`current time`) and its name with its description; plus [`NAME_BONUS`] when the message
//! uses a word of the tool's name (`remind` for `create_reminder`): a small embedding model
//! rates "Remember that my sister is called Ana" barely closer to `remember` than small talk.
//!
//! The floor and the count are `AGENTS_TOOL_MIN_SIMILARITY` and `AGENTS_TOOLS_PER_MESSAGE`.
//! Measured with all-MiniLM-L6-v2 on the built-in tools (the API test
//! `the_default_relevance_floor_separates_small_talk_from_requests` prints the table), small
//! talk scores at most about 0.25, and the requests each tool is for from 0.35 to 0.8.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use posey_models::Embedder;
use posey_models::embeddings::cosine_similarity;

use crate::plugins::Tool;

/// Added to a tool's score when the message uses a word of the tool's name.
pub const NAME_BONUS: f32 = 0.15;

/// Words of tool names that say what a tool does to something, not what it is about: they
/// earn no bonus (`create`, `list`, ... are in many tools' names and many messages).
const GENERIC: &[&str] =
    &["get", "set", "list", "create", "update", "cancel", "search", "current", "delete", "add"];

pub struct ToolSelector {
    embedder: Option<Embedder>,
    min_similarity: f32,
    max_tools: usize,
    /// Each tool's embeddings, by name (tools do not change once the service runs).
    tools: Mutex<BTreeMap<String, Arc<[Vec<f32>]>>>,
}

impl ToolSelector {
    /// `embedder`: `None` offers weak models no tools.
    pub fn new(embedder: Option<Embedder>, min_similarity: f32, max_tools: usize) -> Self {
        Self { embedder, min_similarity, max_tools, tools: Mutex::default() }
    }

    /// The tools of `candidates` to offer for `message`, in the order given (so the same
    /// choice renders the same prompt, and a model's cache of it is reused).
    pub async fn select<'a>(
        &self,
        message: Option<&str>,
        candidates: &[&'a Tool],
    ) -> Vec<&'a Tool> {
        let (Some(embedder), Some(message)) = (&self.embedder, message) else {
            return Vec::new();
        };
        if candidates.is_empty() || self.max_tools == 0 || message.trim().is_empty() {
            return Vec::new();
        }
        match self.scores(embedder, message, candidates).await {
            Ok(scores) => {
                let mut ranked: Vec<(usize, f32)> = scores
                    .into_iter()
                    .enumerate()
                    .filter(|(_, score)| *score >= self.min_similarity)
                    .collect();
                ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
                ranked.truncate(self.max_tools);
                let mut chosen: Vec<usize> = ranked.into_iter().map(|(i, _)| i).collect();
                chosen.sort_unstable();
                chosen.into_iter().map(|i| candidates[i]).collect()
            }
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "choosing tools by relevance failed; none offered"
                );
                Vec::new()
            }
        }
    }

    /// Each candidate's score for `message` (see the module's description).
    pub async fn scores(
        &self,
        embedder: &Embedder,
        message: &str,
        candidates: &[&Tool],
    ) -> anyhow::Result<Vec<f32>> {
        let missing: Vec<&Tool> = {
            let known = crate::sync::lock(&self.tools);
            candidates.iter().copied().filter(|tool| !known.contains_key(&tool.name)).collect()
        };
        let mut texts: Vec<String> = missing.iter().flat_map(|tool| tool_texts(tool)).collect();
        texts.push(message.to_owned());
        let mut vectors = embedder.embed(&texts).await?;
        let message_vector =
            vectors.pop().ok_or_else(|| anyhow::anyhow!("no embedding came back"))?;
        let mut known = crate::sync::lock(&self.tools);
        let mut vectors = vectors.into_iter();
        for tool in &missing {
            let own: Vec<Vec<f32>> = vectors.by_ref().take(TEXTS_PER_TOOL).collect();
            known.insert(tool.name.clone(), own.into());
        }
        let words = words(message);
        Ok(candidates
            .iter()
            .map(|tool| {
                let similarity = known.get(&tool.name).map_or(-1.0, |own| {
                    own.iter().map(|v| cosine_similarity(v, &message_vector)).fold(-1.0, f32::max)
                });
                let named =
                    name_words(&tool.name).any(|stem| words.iter().any(|w| same_word(w, stem)));
                similarity + if named { NAME_BONUS } else { 0.0 }
            })
            .collect())
    }
}

const TEXTS_PER_TOOL: usize = 2;

/// What a tool is matched on: its name in words, and its name with its description.
fn tool_texts(tool: &Tool) -> [String; TEXTS_PER_TOOL] {
    let name = tool.name.replace('_', " ");
    [name.clone(), format!("{name}: {}", tool.description)]
}

/// The lowercase words of `text`.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The words of a tool's name that say what it is about (four letters or more, not generic).
fn name_words(name: &str) -> impl Iterator<Item = &str> {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 4 && !GENERIC.contains(&w.to_ascii_lowercase().as_str()))
}

/// Whether a message's (lowercase) word is a tool name's word, give or take an ending: it starts
/// with the name word's first six letters (all of them when it has fewer): `remind` and
/// `reminders` for `reminder`, `documents` for `document`, `times` for `time`.
fn same_word(word: &str, name_word: &str) -> bool {
    let stem: String = name_word.to_ascii_lowercase().chars().take(6).collect();
    word.chars().count() >= 4 && word.starts_with(&stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_a_tools_name_match_their_forms_in_a_message() {
        let named = |message: &str, tool: &str| {
            let words = words(message);
            name_words(tool).any(|stem| words.iter().any(|w| same_word(w, stem)))
        };
        assert!(named("Remind me to call mum", "create_reminder"));
        assert!(named("What are my reminders?", "create_reminder"));
        assert!(named("Search my documents", "search_documents"));
        assert!(named("Remember that my sister is Ana", "remember"));
        assert!(named("What time is it?", "current_time"));
        assert!(named("How many times?", "current_time"));
        assert!(!named("Good night", "remember"));
        assert!(!named("Create a list", "list_tasks"), "generic words earn nothing");
        assert!(!named("I am", "forget"));
    }
}
