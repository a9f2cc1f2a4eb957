//! Memory extraction after a turn, the Mem0 way in one model call: the model sees the turn and
//! the person's existing memories most similar to it (numbered, so it never has to copy a
//! UUID), and answers with a JSON list of operations: ADD a new memory, UPDATE one (the old
//! one is kept as superseded history), DELETE one (a retraction), or NOOP. Its answer is parsed
//! leniently, checked (only the numbers it was shown count), applied in one Postgres
//! transaction, then mirrored into the vector collection.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, bail};
use rig_agent::AgentBuilder;
use serde_json::{Value, json};
use uuid::Uuid;

use super::db::{self, Memory, NewMemory};
use super::{Kind, Memories, Origin, check_text};
use crate::plugins::FinishedTurn;

/// The first words of the extraction's system prompt (tests' scripted models look for them).
pub const PROMPT_MARKER: &str = "You maintain the long-term memory of a personal companion.";

/// Attempts at the model call (and the parsing of its answer) before giving up on a turn.
pub const ATTEMPTS: u32 = 3;
/// The wait before the second attempt; doubled for each further one.
const BACKOFF: Duration = Duration::from_millis(250);
/// Existing memories shown to the model.
const SIMILAR: usize = 10;
/// Longest part of a message or answer shown to the model, in characters.
const MAX_TURN_TEXT: usize = 4000;

fn system_prompt() -> String {
    format!(
        "{PROMPT_MARKER} From one exchange between the person and the companion, decide what \
         to remember about the person: lasting facts, preferences, events, relationships, goals. \
         Ignore small talk, questions and what the companion said about itself.\n\
         You are shown the person's existing memories that may be related, each with a number. \
         For each new piece of information choose one operation:\n\
         - ADD: new information; give \"text\" (one short sentence about the person, in the \
           third person) and \"kind\" (one of: {kinds}).\n\
         - UPDATE: the information changes or refines an existing memory; give its \"id\" \
           (the number) and the new full \"text\" (and \"kind\" if it changes).\n\
         - DELETE: the person says an existing memory is no longer true; give its \"id\".\n\
         - NOOP: the information is already remembered as is; give its \"id\".\n\
         Answer with JSON only, no prose: {{\"operations\": [{{\"op\": \"ADD\", \"text\": \"...\", \
         \"kind\": \"preference\"}}, ...]}}. Answer {{\"operations\": []}} when there is nothing \
         to remember.",
        kinds = Kind::names()
    )
}

/// The user message of the extraction call.
fn user_prompt(turn: &FinishedTurn, existing: &[Memory]) -> String {
    let shown: Vec<Value> = existing
        .iter()
        .enumerate()
        .map(|(n, m)| json!({"id": (n + 1).to_string(), "kind": m.kind, "text": m.text}))
        .collect();
    format!(
        "Existing memories:\n{}\n\nThe exchange:\nPerson: {}\nCompanion: {}",
        Value::Array(shown),
        clip(&turn.message),
        clip(&turn.answer)
    )
}

fn clip(text: &str) -> &str {
    match text.char_indices().nth(MAX_TURN_TEXT) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// One operation the model asked for, with its memory number resolved to an index into what
/// it was shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    Add { text: String, kind: Kind },
    Update { target: usize, text: String, kind: Option<Kind> },
    Delete { target: usize },
    Noop,
}

/// Parses the model's answer: JSON (possibly in a code fence or among prose), either
/// `{"operations": [...]}` or a bare list; an operation's name may be under `op`, `event` or
/// `action`, in any case. Operations that make no sense (an unknown number, no text) are left
/// out; an answer with no JSON at all is an error (the call is retried).
pub fn parse(answer: &str, shown: usize) -> anyhow::Result<Vec<Operation>> {
    let value = find_json(answer).context("the answer has no JSON")?;
    let list = match &value {
        Value::Array(list) => list.clone(),
        Value::Object(object) => {
            match ["operations", "memory", "memories", "ops"]
                .iter()
                .find_map(|key| object.get(*key).and_then(Value::as_array))
            {
                Some(list) => list.clone(),
                // A single operation on its own.
                None if object.contains_key("op") || object.contains_key("event") => {
                    vec![value.clone()]
                }
                None => bail!("the answer's JSON has no list of operations"),
            }
        }
        _ => bail!("the answer's JSON is not a list of operations"),
    };
    let mut operations = Vec::new();
    for item in &list {
        match operation(item, shown) {
            Some(operation) => operations.push(operation),
            None => tracing::debug!(operation = %item, "a memory operation was left out"),
        }
    }
    Ok(operations)
}

fn operation(item: &Value, shown: usize) -> Option<Operation> {
    let name = ["op", "event", "action", "operation"]
        .iter()
        .find_map(|key| item.get(*key).and_then(Value::as_str))?
        .trim()
        .to_ascii_uppercase();
    let text = item
        .get("text")
        .or_else(|| item.get("memory"))
        .and_then(Value::as_str)
        .and_then(|text| check_text(text).ok());
    let kind = item.get("kind").and_then(Value::as_str).and_then(Kind::parse);
    let target = item.get("id").and_then(|id| match id {
        Value::String(s) => s.trim().parse::<usize>().ok(),
        Value::Number(n) => n.as_u64().map(|n| n as usize),
        _ => None,
    });
    let target = target.filter(|n| (1..=shown).contains(n)).map(|n| n - 1);
    match name.as_str() {
        "ADD" => Some(Operation::Add { text: text?, kind: kind.unwrap_or(Kind::Fact) }),
        "UPDATE" => Some(Operation::Update { target: target?, text: text?, kind }),
        "DELETE" => Some(Operation::Delete { target: target? }),
        "NOOP" | "NONE" => Some(Operation::Noop),
        _ => None,
    }
}

/// The first JSON value in `answer`: the whole of it, a fenced block, or the widest `{...}` or
/// `[...]` span that parses.
fn find_json(answer: &str) -> Option<Value> {
    let trimmed = answer.trim();
    if let Ok(value) = serde_json::from_str::<Value>(trimmed)
        && (value.is_object() || value.is_array())
    {
        return Some(value);
    }
    if let Some(start) = trimmed.find("```") {
        let rest = &trimmed[start + 3..];
        let rest = rest.strip_prefix("json").unwrap_or(rest);
        if let Some(end) = rest.find("```")
            && let Ok(value) = serde_json::from_str::<Value>(rest[..end].trim())
        {
            return Some(value);
        }
    }
    for (open, close) in [('{', '}'), ('[', ']')] {
        if let (Some(start), Some(end)) = (trimmed.find(open), trimmed.rfind(close))
            && start < end
            && let Ok(value) = serde_json::from_str::<Value>(&trimmed[start..=end])
        {
            return Some(value);
        }
    }
    None
}

/// What the extraction did to a turn, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub added: Vec<Uuid>,
    pub updated: Vec<(Uuid, Uuid)>,
    pub deleted: Vec<Uuid>,
    pub unchanged: usize,
}

impl Memories {
    /// The whole extraction for one finished turn: similar memories, one model call (retried
    /// up to [`ATTEMPTS`] times when it fails or its answer has no JSON), then the operations
    /// applied. A failed turn is skipped.
    ///
    /// The calls' tokens are recorded as the person's usage (`model_name` is the spec they ran
    /// on), toward the daily token limit but not as requests.
    pub async fn extract(
        &self,
        model: &posey_models::ChatModel,
        model_name: &str,
        turn: &FinishedTurn,
    ) -> anyhow::Result<Applied> {
        if turn.failed || turn.message.trim().is_empty() {
            return Ok(Applied::default());
        }
        let existing = self.similar(turn).await?;
        let prompt = user_prompt(turn, &existing);
        let mut wait = BACKOFF;
        let mut attempt = 1;
        let mut used = Used::default();
        let operations = loop {
            let answer = ask(model, &prompt).await.map(|(answer, usage)| {
                used.input += usage.input_tokens.unwrap_or(0);
                used.output += usage.output_tokens.unwrap_or(0);
                answer
            });
            match answer.and_then(|answer| parse(&answer, existing.len())) {
                Ok(operations) => break operations,
                Err(error) if attempt < ATTEMPTS => {
                    tracing::warn!(
                        turn = %turn.turn_id,
                        attempt,
                        error = format!("{error:#}"),
                        "memory extraction failed; retrying"
                    );
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    attempt += 1;
                }
                Err(error) => {
                    self.record_usage(turn, model_name, used).await;
                    return Err(error
                        .context(format!("memory extraction gave up after {ATTEMPTS} attempts")));
                }
            }
        };
        self.record_usage(turn, model_name, used).await;
        self.apply(turn, &existing, operations).await
    }

    /// Records the extraction's tokens as the person's usage; a failure is logged, since the
    /// memories are worth more than the record.
    async fn record_usage(&self, turn: &FinishedTurn, model_name: &str, used: Used) {
        if used.input == 0 && used.output == 0 {
            return;
        }
        let usage = crate::db::usage::UsageRecord {
            person: turn.person,
            conversation: Some(turn.conversation),
            agent: "memory".to_owned(),
            model: model_name.to_owned(),
            input_tokens: used.input,
            output_tokens: used.output,
        };
        if let Err(error) = crate::db::usage::record_tokens(&self.db, &usage).await {
            tracing::warn!(turn = %turn.turn_id, error = format!("{error:#}"), "recording memory extraction usage");
        }
    }

    /// The person's current memories related to the turn: a hybrid search on their message
    /// (and on the answer when the message alone finds few), at most [`SIMILAR`].
    async fn similar(&self, turn: &FinishedTurn) -> anyhow::Result<Vec<Memory>> {
        if db::count_current(&self.db, turn.person).await? == 0 {
            return Ok(Vec::new());
        }
        let mut found: Vec<Memory> = self
            .search(turn.person, &turn.message, None, SIMILAR)
            .await?
            .into_iter()
            .map(|f| f.memory)
            .collect();
        if found.len() < SIMILAR && !turn.answer.trim().is_empty() {
            let more = self.search(turn.person, &turn.answer, None, SIMILAR).await?;
            for f in more {
                if found.len() < SIMILAR && !found.iter().any(|m| m.id == f.memory.id) {
                    found.push(f.memory);
                }
            }
        }
        Ok(found)
    }

    /// Applies the operations in one transaction, then syncs the vectors.
    pub async fn apply(
        &self,
        turn: &FinishedTurn,
        existing: &[Memory],
        operations: Vec<Operation>,
    ) -> anyhow::Result<Applied> {
        let person = turn.person;
        let mut applied = Applied::default();
        let mut new_rows: Vec<Memory> = Vec::new();
        let mut touched: BTreeSet<usize> = BTreeSet::new();
        let mut tx = self.db.begin().await.context("starting the memory transaction")?;
        for operation in operations {
            match operation {
                Operation::Add { text, kind } => {
                    let duplicate = existing.iter().chain(&new_rows).any(|m| same(&m.text, &text))
                        || db::find_current_text(&mut *tx, person, &text).await?.is_some();
                    if duplicate {
                        applied.unchanged += 1;
                        continue;
                    }
                    let memory =
                        db::insert(&mut tx, person, &extracted(turn, &text, kind, None)).await?;
                    applied.added.push(memory.id);
                    new_rows.push(memory);
                }
                Operation::Update { target, text, kind } => {
                    let old = &existing[target];
                    if !touched.insert(target) {
                        continue;
                    }
                    if same(&old.text, &text) && kind.is_none_or(|k| k.as_str() == old.kind) {
                        applied.unchanged += 1;
                        continue;
                    }
                    // Someone (a concurrent turn, the person) may have changed it meanwhile.
                    if !db::retire(&mut tx, person, old.id, true).await? {
                        continue;
                    }
                    let kind = kind.or_else(|| Kind::parse(&old.kind)).unwrap_or(Kind::Fact);
                    let memory =
                        db::insert(&mut tx, person, &extracted(turn, &text, kind, Some(old.id)))
                            .await?;
                    applied.updated.push((old.id, memory.id));
                    new_rows.push(memory);
                }
                Operation::Delete { target } => {
                    if touched.insert(target)
                        && db::retire(&mut tx, person, existing[target].id, false).await?
                    {
                        applied.deleted.push(existing[target].id);
                    }
                }
                Operation::Noop => applied.unchanged += 1,
            }
        }
        // New memories commit only with their vectors (a vector store that refuses the write,
        // on a full disk, leaves no memory that search can never find); retired ones leave
        // the vectors once they are retired.
        self.index(person, &new_rows).await?;
        tx.commit().await.context("committing the memory changes")?;
        let mut gone: Vec<Uuid> = applied.updated.iter().map(|(old, _)| *old).collect();
        gone.extend(&applied.deleted);
        self.unindex(&gone).await?;
        Ok(applied)
    }
}

/// A memory extracted from `turn`.
fn extracted<'a>(
    turn: &FinishedTurn,
    text: &'a str,
    kind: Kind,
    supersedes: Option<Uuid>,
) -> NewMemory<'a> {
    NewMemory {
        text,
        kind,
        origin: Origin::Conversation,
        turn_id: Some(turn.turn_id),
        conversation_id: Some(turn.conversation),
        supersedes,
    }
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Tokens the extraction's model calls used.
#[derive(Debug, Clone, Copy, Default)]
struct Used {
    input: u64,
    output: u64,
}

/// One model call with the extraction prompt; the answer's text and the tokens it took. Nobody
/// waits for it: on the local model it is background work, which pauses while people's turns
/// run (other models ignore the mark).
async fn ask(
    model: &posey_models::ChatModel,
    prompt: &str,
) -> anyhow::Result<(String, rig_core::completion::Usage)> {
    let agent = AgentBuilder::new(model.clone())
        .name("memory")
        .preamble(system_prompt())
        .provider_option(posey_models::LocalOptions::background())
        .build();
    let response = agent.prompt(prompt).await.context("the memory model failed")?;
    Ok((response.output().to_owned(), response.usage()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn extraction_calls_are_background_work() {
        let model = posey_models::testing::TestModel::new().final_text(r#"{"operations": []}"#);
        ask(&model.model(), "The exchange").await.unwrap();
        let requests = model.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(posey_models::Priority::of(&requests[0]), posey_models::Priority::Background);
    }

    #[test]
    fn answers_are_parsed_leniently_and_unknown_numbers_are_left_out() {
        let answer = "Sure! ```json\n{\"operations\": [\
            {\"op\": \"add\", \"text\": \"Likes tea\", \"kind\": \"preference\"},\
            {\"event\": \"UPDATE\", \"id\": 2, \"text\": \"Lives in Lyon\"},\
            {\"op\": \"DELETE\", \"id\": \"1\"},\
            {\"op\": \"DELETE\", \"id\": \"7\"},\
            {\"op\": \"ADD\", \"text\": \"  \"},\
            {\"op\": \"NOOP\"}]}\n```";
        let operations = parse(answer, 2).unwrap();
        assert_eq!(
            operations,
            [
                Operation::Add { text: "Likes tea".into(), kind: Kind::Preference },
                Operation::Update { target: 1, text: "Lives in Lyon".into(), kind: None },
                Operation::Delete { target: 0 },
                Operation::Noop,
            ]
        );
        assert_eq!(parse("[]", 0).unwrap(), []);
        assert_eq!(
            parse("here: [{\"op\": \"ADD\", \"text\": \"Has a dog\"}] done", 0).unwrap(),
            [Operation::Add { text: "Has a dog".into(), kind: Kind::Fact }]
        );
        assert!(parse("I have nothing to add.", 0).is_err());
        assert!(parse("{\"answer\": 42}", 0).is_err());
    }
}
