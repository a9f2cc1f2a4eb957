//! The ingestion workers (`AGENTS_DOCUMENT_WORKERS` of them). Postgres is the queue: a queued
//! document is claimed with `FOR UPDATE SKIP LOCKED` (so any replica can work, and a restart
//! resumes), fairly between people, under a short lease renewed while the worker works (so the
//! document of a killed process is taken over within seconds); extracted and chunked in a child
//! process under resource limits (`sandbox`), embedded batch by batch with its progress
//! recorded, and only then marked `ready`. A failure removes whatever was written (chunks and
//! vectors) and leaves `failed` with the reason; a file whose reading crashed is failed at once,
//! never retried.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::chunk::Chunk;
use super::db::{self, Claimed};
use super::extract::Kind;
use super::store::{COLLECTION, Documents, spec};
use crate::knowledge::Indexed;

/// How often the worker looks for work when nobody woke it (another replica's uploads,
/// expired leases).
const POLL: Duration = Duration::from_secs(3);

/// Seconds a document that met a full disk waits before it is claimed again.
const FULL_DISK_RETRY: i64 = 30;

/// Claims of one document before it is given up as failed (a worker that keeps dying on it, or
/// a store that keeps refusing it); a re-index starts the count again.
const MAX_ATTEMPTS: i32 = 3;

impl Documents {
    /// Opens the collection and starts the ingestion workers, which stop with `stop`.
    pub async fn start(self: &Arc<Self>, stop: CancellationToken) -> anyhow::Result<()> {
        self.knowledge
            .store
            .ensure_collection(&spec(&self.knowledge)?)
            .await
            .context("opening the documents vector collection (posey admin reindex rebuilds it)")?;
        for _ in 0..self.workers {
            tokio::spawn(work(self.clone(), stop.clone()));
        }
        Ok(())
    }
}

/// One worker, until `stop`: claims and ingests documents one at a time.
async fn work(documents: Arc<Documents>, stop: CancellationToken) {
    loop {
        let claimed = tokio::select! {
            _ = stop.cancelled() => return,
            claimed = db::claim(&documents.db) => claimed,
        };
        match claimed {
            Ok(Some(claimed)) => {
                let (id, attempts) = (claimed.id, claimed.attempts);
                // Renewed until this worker is done with it, whichever way.
                let _renewing = renew(&documents, id, attempts).drop_guard();
                tokio::select! {
                    _ = stop.cancelled() => {
                        // Another start takes it over when the lease runs out.
                        tracing::info!(document = %id, "stopping in the middle of a document");
                        return;
                    }
                    result = ingest(&documents, claimed) => match result {
                        Ok(()) => {}
                        Err(error) if posey_http::error::out_of_space(&error) => {
                            wait_for_space(&documents, id, attempts, &error).await;
                        }
                        Err(error) => {
                            tracing::error!(document = %id, error = format!("{error:#}"), "ingesting a document failed");
                        }
                    },
                }
                continue;
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "the document queue is unreachable");
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = documents.wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Renews the claim of document `id` every [`db::RENEW_EVERY`] until the token is cancelled or
/// the claim is no longer this worker's.
fn renew(documents: &Arc<Documents>, id: Uuid, attempts: i32) -> CancellationToken {
    let stop = CancellationToken::new();
    let (pool, until) = (documents.db.clone(), stop.clone());
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = until.cancelled() => return,
                () = tokio::time::sleep(db::RENEW_EVERY) => {}
            }
            match db::renew(&pool, id, attempts).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(error) => tracing::warn!(
                    document = %id,
                    error = format!("{error:#}"),
                    "renewing a document's lease failed; trying again"
                ),
            }
        }
    });
    stop
}

/// One claimed document, to `ready` or `failed`. `Err`: Postgres or the vector store failed
/// (the document stays claimed and is retried when its lease runs out, or, for a full disk,
/// waits for space uncounted).
async fn ingest(documents: &Documents, mut claimed: Claimed) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    if claimed.attempts > MAX_ATTEMPTS {
        let reason = "ingestion failed repeatedly; re-index the document to try again";
        return fail(documents, &claimed, reason).await;
    }
    let Some(kind) = Kind::from_media_type(&claimed.media_type) else {
        return fail(documents, &claimed, "the file's type is not supported").await;
    };
    let content = std::mem::take(&mut claimed.content);
    // A child that crashed or ran out of memory or time is a reason like any other: the
    // document fails now (quarantined), rather than being retried into another crash.
    let prepared = documents.sandbox.prepare(kind, content).await?;
    let (pages, chunks) = match prepared {
        Ok(prepared) => (prepared.pages, prepared.chunks),
        Err(reason) => return fail(documents, &claimed, &reason).await,
    };
    let ids: Vec<Uuid> = chunks.iter().map(|_| Uuid::new_v4()).collect();
    if !db::store_chunks(&documents.db, &claimed, pages, &chunks, &ids).await? {
        return abandon(documents, &claimed).await;
    }
    // A re-index replaces the vectors of the last ingestion.
    documents.delete_vectors(claimed.user_id, claimed.id).await?;

    let batch = (documents.knowledge.embedder.max_batch().max(1) * 2).max(16);
    let mut done = 0;
    for (chunks, ids) in chunks.chunks(batch).zip(ids.chunks(batch)) {
        let items = chunks
            .iter()
            .zip(ids)
            .map(|(chunk, id)| Indexed {
                id: *id,
                user_id: claimed.user_id,
                text: chunk.text.clone(),
                payload: payload(&claimed, chunk),
            })
            .collect();
        if let Err(error) = documents.knowledge.index(COLLECTION, items).await {
            if posey_http::error::out_of_space(&error) {
                // No fault of the document's: it waits for space (see `wait_for_space`).
                return Err(error);
            }
            tracing::error!(document = %claimed.id, error = format!("{error:#}"), "embedding a document failed");
            return fail(
                documents,
                &claimed,
                "indexing failed; re-index the document to try again",
            )
            .await;
        }
        done += chunks.len();
        if !db::progress(&documents.db, &claimed, done).await? {
            return abandon(documents, &claimed).await;
        }
    }
    if !db::finish(&documents.db, &claimed, None).await? {
        return abandon(documents, &claimed).await;
    }
    tracing::info!(
        document = %claimed.id,
        pages,
        chunks = chunks.len(),
        seconds = format!("{:.2}", started.elapsed().as_secs_f64()),
        "document ready"
    );
    Ok(())
}

fn payload(claimed: &Claimed, chunk: &Chunk) -> Map<String, Value> {
    let Value::Object(map) = json!({
        "document_id": claimed.id.to_string(),
        "filename": claimed.filename,
        "page": chunk.page,
        "heading": chunk.heading,
        "ordinal": chunk.ordinal,
    }) else {
        return Map::new();
    };
    map
}

/// The disk is full (the vector store refuses writes, or Postgres does): the document is no
/// worse for it, so it goes back to the queue uncounted and is tried again after
/// [`FULL_DISK_RETRY`], however long the disk stays full, instead of failing after
/// [`MAX_ATTEMPTS`]. What it stored so far is replaced by the next try.
async fn wait_for_space(documents: &Documents, id: Uuid, attempts: i32, error: &anyhow::Error) {
    tracing::warn!(
        document = %id,
        error = format!("{error:#}"),
        retry_in_seconds = FULL_DISK_RETRY,
        "out of disk space while ingesting a document; it waits for space"
    );
    if let Err(error) = db::defer(&documents.db, id, attempts, FULL_DISK_RETRY).await {
        // Its lease runs out and it is claimed again, counted.
        tracing::warn!(document = %id, error = format!("{error:#}"), "deferring a document failed");
    }
}

/// Marks the document failed with `reason`, with nothing of it left indexed.
async fn fail(documents: &Documents, claimed: &Claimed, reason: &str) -> anyhow::Result<()> {
    documents.delete_vectors(claimed.user_id, claimed.id).await?;
    if db::finish(&documents.db, claimed, Some(reason)).await.context("failing a document")? {
        tracing::info!(document = %claimed.id, reason, "document failed");
    }
    Ok(())
}

/// The document was deleted (or taken over) while it was ingested: remove what was written.
async fn abandon(documents: &Documents, claimed: &Claimed) -> anyhow::Result<()> {
    tracing::info!(document = %claimed.id, "document deleted while it was ingested");
    let exists = db::exists(&documents.db, claimed.id).await?;
    if !exists {
        documents.delete_vectors(claimed.user_id, claimed.id).await?;
    }
    Ok(())
}
