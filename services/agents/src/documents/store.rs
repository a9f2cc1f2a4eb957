//! What the documents plugin, its routes and the ingestion workers share: the documents'
//! database and vectors, the upload limits and the sandbox files are read in.

use std::sync::Arc;

use anyhow::Context;
use posey_domain::UserId;
use posey_vector::{PointScope, UserFilter};
use tokio::sync::Notify;
use uuid::Uuid;

use super::db;
use super::sandbox::Sandbox;
use crate::config::DocumentSettings;
use crate::knowledge::{Knowledge, Source};

/// The vector collection of document chunks.
pub const COLLECTION: &str = "documents";
const KEYWORD_FIELDS: &[&str] = &["document_id"];

/// The collection's spec for this embedder.
pub fn spec(knowledge: &Knowledge) -> anyhow::Result<posey_vector::CollectionSpec> {
    knowledge.spec(COLLECTION, KEYWORD_FIELDS)
}

/// What `posey admin reindex` rebuilds the collection from: the chunks of ready documents.
pub fn source(knowledge: &Knowledge) -> anyhow::Result<Source> {
    Ok(Source { spec: spec(knowledge)?, count: db::count_indexed, rows: db::indexed })
}

/// What the plugin, the routes and the worker share.
pub struct Documents {
    pub db: sqlx::PgPool,
    pub knowledge: Arc<Knowledge>,
    /// `AGENTS_MAX_UPLOAD_BYTES`.
    pub max_upload_bytes: usize,
    /// `AGENTS_DOCUMENTS_QUOTA_BYTES`.
    pub quota_bytes: u64,
    /// `AGENTS_DOCUMENT_MAX_QUEUED`.
    pub max_queued: usize,
    /// `AGENTS_DOCUMENT_WORKERS`.
    pub workers: usize,
    /// Where and how files are read.
    pub sandbox: Sandbox,
    /// Wakes a worker when a document is queued.
    pub(super) wake: Notify,
}

impl Documents {
    pub fn new(
        db: sqlx::PgPool,
        knowledge: Arc<Knowledge>,
        settings: &DocumentSettings,
    ) -> anyhow::Result<Arc<Self>> {
        let program = match &settings.extractor {
            Some(program) => program.clone(),
            None => std::env::current_exe().context(
                "finding this program, to read documents with (AGENTS_DOCUMENT_EXTRACTOR)",
            )?,
        };
        let sandbox = Sandbox {
            program,
            max_memory_mb: settings.max_memory_mb,
            timeout: settings.extract_timeout,
            limits: settings.limits,
        };
        Ok(Arc::new(Self {
            db,
            knowledge,
            max_upload_bytes: settings.max_upload_bytes,
            quota_bytes: settings.quota_bytes,
            max_queued: settings.max_queued,
            workers: settings.workers.max(1),
            sandbox,
            wake: Notify::new(),
        }))
    }

    /// A document was queued: a worker looks now rather than at its next poll.
    pub fn queued(&self) {
        self.wake.notify_one();
    }

    /// How many vectors `user_id` has in the collection: of `document`, or of all their
    /// documents.
    pub async fn vectors(&self, user_id: Uuid, document: Option<Uuid>) -> anyhow::Result<u64> {
        let mut filter = UserFilter::for_user(UserId::from_uuid(user_id));
        if let Some(document) = document {
            filter = filter.eq("document_id", document.to_string().as_str())?;
        }
        self.knowledge
            .store
            .count(COLLECTION, &PointScope::Filter(filter))
            .await
            .context("counting a person's document vectors")
    }

    /// Removes every vector of `document` (its owner's).
    pub async fn delete_vectors(&self, user_id: Uuid, document: Uuid) -> anyhow::Result<()> {
        let filter = UserFilter::for_user(UserId::from_uuid(user_id))
            .eq("document_id", document.to_string().as_str())?;
        self.knowledge
            .store
            .delete_by_filter(COLLECTION, &filter)
            .await
            .context("deleting a document's vectors")
    }
}
