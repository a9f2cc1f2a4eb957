//! What the memory plugin, its routes and extraction share: memories in Postgres (the truth)
//! and their vectors, kept in step.

use std::sync::Arc;

use anyhow::Context;
use posey_domain::UserId;
use posey_vector::UserFilter;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::db::{self, Memory};
use super::fields::{Kind, Origin};
use crate::knowledge::{Indexed, Knowledge, Source};

/// The vector collection of memories.
pub const COLLECTION: &str = "memories";
/// Payload fields with a keyword index.
const KEYWORD_FIELDS: &[&str] = &["kind"];

/// The collection's spec for this embedder.
pub fn spec(knowledge: &Knowledge) -> anyhow::Result<posey_vector::CollectionSpec> {
    knowledge.spec(COLLECTION, KEYWORD_FIELDS)
}

/// What `posey admin reindex` rebuilds the collection from: every current memory.
pub fn source(knowledge: &Knowledge) -> anyhow::Result<Source> {
    Ok(Source { spec: spec(knowledge)?, count: db::count_indexed, rows: db::indexed })
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
        // The row commits only once its vector is stored, so a write the vector store refuses
        // (a full disk) leaves no memory that search can never find, and a retry starts afresh.
        let mut tx = self.db.begin().await.context("connecting")?;
        let memory = db::insert(
            &mut tx,
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
        self.index(person, std::slice::from_ref(&memory)).await?;
        tx.commit().await.context("storing the memory")?;
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
        // As in `add`: the edit commits only with its vector.
        let mut tx = self.db.begin().await.context("connecting")?;
        let Some(memory) = db::edit(&mut *tx, person, id, text, kind).await? else {
            return Ok(None);
        };
        self.index(person, std::slice::from_ref(&memory)).await?;
        tx.commit().await.context("storing the edit")?;
        Ok(Some(memory))
    }

    /// Forgets a memory for real: its row, the rows it superseded, and their vectors. False:
    /// it is not the person's.
    pub async fn delete(&self, person: Uuid, id: Uuid) -> anyhow::Result<bool> {
        // The rows go only with their vectors: a refused vector delete (a full disk) changes
        // nothing, so the person's retry finds it all still there.
        let mut tx = self.db.begin().await.context("connecting")?;
        let ids = db::delete_with_history(&mut *tx, person, id).await?;
        if ids.is_empty() {
            return Ok(false);
        }
        self.unindex(&ids).await?;
        tx.commit().await.context("forgetting the memory")?;
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
