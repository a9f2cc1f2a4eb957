//! Long-term memory (the Mem0 design): what the companion remembers about a person. Postgres
//! (`agents.memories`) is the truth, with history (what each memory superseded); the
//! `memories` vector collection holds the current memories for hybrid search and is derived
//! data. After each turn the `memory` plugin extracts and reconciles memories off the response
//! path ([`extract`]); before each turn it puts the relevant ones in the agent's context; the
//! person manages theirs over REST ([`routes`]).

pub mod db;
pub mod extract;
pub mod plugin;
pub(crate) mod routes;
mod schemas;

use std::sync::Arc;

use anyhow::Context;
use posey_domain::UserId;
use posey_vector::UserFilter;
use serde_json::{Map, Value};
use uuid::Uuid;

pub use db::Memory;
pub use plugin::MemoryPlugin;

use crate::knowledge::{Indexed, Knowledge, Source};

/// The vector collection of memories.
pub const COLLECTION: &str = "memories";
/// Payload fields with a keyword index.
const KEYWORD_FIELDS: &[&str] = &["kind"];
/// Longest memory text, in characters.
pub const MAX_TEXT: usize = 1000;

/// What a memory is about.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    #[default]
    Fact,
    Preference,
    Event,
    Relationship,
    Goal,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 6] =
        [Kind::Fact, Kind::Preference, Kind::Event, Kind::Relationship, Kind::Goal, Kind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Fact => "fact",
            Kind::Preference => "preference",
            Kind::Event => "event",
            Kind::Relationship => "relationship",
            Kind::Goal => "goal",
            Kind::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    /// "fact, preference, ..." for error messages and prompts.
    pub fn names() -> String {
        Self::ALL.map(Kind::as_str).join(", ")
    }
}

/// How a memory came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Extracted after a turn.
    Conversation,
    /// The agent's `remember` tool.
    Agent,
    /// The person, over REST.
    Person,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Conversation => "conversation",
            Origin::Agent => "agent",
            Origin::Person => "person",
        }
    }
}

/// A memory text as stored: trimmed, not empty, at most [`MAX_TEXT`] characters, without the
/// NUL character PostgreSQL's `text` cannot hold (a model's memory extraction may write one).
pub fn check_text(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if text.contains('\0') {
        return Err(posey_http::json::NUL_MESSAGE.to_owned());
    }
    if text.chars().count() > MAX_TEXT {
        return Err(format!("must be at most {MAX_TEXT} characters"));
    }
    Ok(text.to_owned())
}

/// The collection's spec for this embedder.
pub fn spec(knowledge: &Knowledge) -> anyhow::Result<posey_vector::CollectionSpec> {
    knowledge.spec(COLLECTION, KEYWORD_FIELDS)
}

/// What `posey admin reindex` rebuilds the collection from: every current memory.
pub fn source(knowledge: &Knowledge) -> anyhow::Result<Source> {
    Ok(Source { spec: spec(knowledge)?, rows_sql: db::INDEXED_ROWS })
}

/// A memory found by a search, with its fused score.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = FoundMemory)]
pub struct Found {
    #[serde(flatten)]
    pub memory: Memory,
    pub score: f32,
}

/// Memory operations shared by the plugin and the routes: Postgres first, then the vectors.
#[derive(Clone)]
pub struct Memories {
    pub db: sqlx::PgPool,
    pub knowledge: Arc<Knowledge>,
}

impl Memories {
    pub fn new(db: sqlx::PgPool, knowledge: Arc<Knowledge>) -> Self {
        Self { db, knowledge }
    }

    /// Stores a new memory (or returns the current one with the same text) and indexes it.
    pub async fn add(
        &self,
        person: Uuid,
        text: &str,
        kind: Kind,
        origin: Origin,
    ) -> anyhow::Result<Memory> {
        if let Some(existing) = db::find_current_text(&self.db, person, text).await? {
            return Ok(existing);
        }
        let mut conn = self.db.acquire().await.context("connecting")?;
        let memory = db::insert(
            &mut conn,
            person,
            &db::NewMemory {
                text,
                kind,
                origin,
                turn_id: None,
                conversation_id: None,
                supersedes: None,
            },
        )
        .await?;
        drop(conn);
        self.index(person, std::slice::from_ref(&memory)).await?;
        Ok(memory)
    }

    /// Edits a current memory and re-indexes it. `None`: not the person's, or history.
    pub async fn edit(
        &self,
        person: Uuid,
        id: Uuid,
        text: Option<&str>,
        kind: Option<Kind>,
    ) -> anyhow::Result<Option<Memory>> {
        let Some(memory) = db::edit(&self.db, person, id, text, kind).await? else {
            return Ok(None);
        };
        self.index(person, std::slice::from_ref(&memory)).await?;
        Ok(Some(memory))
    }

    /// Forgets a memory for real: its row, the rows it superseded, and their vectors. False:
    /// it is not the person's.
    pub async fn delete(&self, person: Uuid, id: Uuid) -> anyhow::Result<bool> {
        let ids = db::delete_with_history(&self.db, person, id).await?;
        if ids.is_empty() {
            return Ok(false);
        }
        self.unindex(&ids).await?;
        Ok(true)
    }

    /// The person's current memories most relevant to `query` (hybrid dense + BM25), best
    /// first, read back from Postgres (the truth: a vector whose row is gone is skipped).
    pub async fn search(
        &self,
        person: Uuid,
        query: &str,
        kind: Option<Kind>,
        limit: usize,
    ) -> anyhow::Result<Vec<Found>> {
        let mut filter = UserFilter::for_user(UserId::from_uuid(person));
        if let Some(kind) = kind {
            filter = filter.eq("kind", kind.as_str())?;
        }
        let hits = self.knowledge.search(COLLECTION, query, filter, limit).await?;
        let ids: Vec<Uuid> = hits.iter().map(|hit| hit.id).collect();
        let memories = db::current_by_ids(&self.db, person, &ids).await?;
        Ok(memories
            .into_iter()
            .map(|memory| {
                let score = hits.iter().find(|hit| hit.id == memory.id).map_or(0.0, |h| h.score);
                Found { memory, score }
            })
            .collect())
    }

    /// The memories to put in context for `message`: the most relevant ones, then the most
    /// recent ones not already there. Without a message (or if the search fails), recent
    /// only.
    pub async fn for_context(
        &self,
        person: Uuid,
        message: Option<&str>,
        relevant: usize,
        recent: usize,
    ) -> anyhow::Result<Vec<Memory>> {
        let latest = db::list_current(&self.db, person, None, recent as i64, 0).await?;
        if latest.is_empty() {
            // Nobody to search for: no memories at all.
            return Ok(latest);
        }
        let mut chosen: Vec<Memory> = Vec::new();
        if let Some(message) = message.filter(|m| !m.trim().is_empty()) {
            match self.search(person, message, None, relevant).await {
                Ok(found) => chosen.extend(found.into_iter().map(|f| f.memory)),
                Err(error) => tracing::warn!(
                    error = format!("{error:#}"),
                    "memory search failed; recent memories only"
                ),
            }
        }
        for memory in latest {
            if !chosen.iter().any(|m| m.id == memory.id) {
                chosen.push(memory);
            }
        }
        Ok(chosen)
    }

    /// Upserts these memories' vectors.
    pub async fn index(&self, person: Uuid, memories: &[Memory]) -> anyhow::Result<()> {
        let items = memories
            .iter()
            .map(|memory| {
                let mut payload = Map::new();
                payload.insert("kind".to_owned(), Value::String(memory.kind.clone()));
                Indexed { id: memory.id, user_id: person, text: memory.text.clone(), payload }
            })
            .collect();
        self.knowledge.index(COLLECTION, items).await.context("indexing memories")
    }

    /// Removes these ids' vectors.
    pub async fn unindex(&self, ids: &[Uuid]) -> anyhow::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.knowledge.store.delete_ids(COLLECTION, ids).await.context("deleting memory vectors")
    }
}

/// The block of the system prompt listing what the agent remembers.
pub fn context_block(memories: &[Memory]) -> Option<String> {
    if memories.is_empty() {
        return None;
    }
    let mut block = String::from(
        "What you remember about the person (from earlier conversations; use it when it helps, \
         and the `forget` tool with the id when they ask you to forget something):",
    );
    for memory in memories {
        block.push_str(&format!("\n- [{}] {} (id {})", memory.kind, memory.text, memory.id));
    }
    Some(block)
}
