//! `agents.documents` and `agents.document_chunks`. Every query a person's request makes is
//! scoped by their id; the ingestion worker's claim is the one query that is not (it works for
//! everyone).

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::chunk::Chunk;
use crate::knowledge::Indexed;

/// A document as its owner sees it (without its bytes).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Document {
    pub id: Uuid,
    pub filename: String,
    /// Sniffed from the content
    #[schema(inline, value_type = DocumentMediaType)]
    pub media_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes
    pub sha256: String,
    #[schema(inline, value_type = DocumentStatus)]
    pub status: String,
    /// Why ingestion failed
    #[schema(required = true)]
    pub error: Option<String>,
    /// Pages of a PDF
    #[schema(required = true)]
    pub pages: Option<i32>,
    pub chunks_total: i32,
    /// Chunks embedded so far
    pub chunks_done: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

// The string values `media_type` and `status` take, for the OpenAPI document only (never built).

/// A document's type, sniffed from its content.
#[derive(Serialize, utoipa::ToSchema)]
pub enum DocumentMediaType {
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    Docx,
    #[serde(rename = "text/html")]
    Html,
    #[serde(rename = "text/markdown")]
    Markdown,
    #[serde(rename = "text/plain")]
    Text,
}

/// Where a document's ingestion is.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Queued,
    Extracting,
    Embedding,
    Ready,
    Failed,
}

/// How many rows the `documents` collection holds (see `knowledge::Source`): the chunks of
/// ready documents, as [`indexed`] reads them.
pub fn count_indexed(db: &PgPool) -> BoxFuture<'_, anyhow::Result<i64>> {
    Box::pin(async move {
        sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!"
               FROM agents.document_chunks c JOIN agents.documents d ON d.id = c.document_id
               WHERE d.status = 'ready'"#
        )
        .fetch_one(db)
        .await
        .context("counting the chunks of ready documents")
    })
}

/// The rows of the `documents` collection (what `posey admin reindex` rebuilds it from): the
/// chunks of ready documents, with what a search shows of them.
pub fn indexed(db: &PgPool) -> BoxStream<'_, anyhow::Result<Indexed>> {
    sqlx::query!(
        r#"SELECT c.id, c.user_id, c.text,
                  jsonb_build_object('document_id', c.document_id::text, 'filename', d.filename,
                                     'page', c.page, 'heading', c.heading, 'ordinal', c.ordinal)
                      AS "payload!: Json<Map<String, Value>>"
           FROM agents.document_chunks c JOIN agents.documents d ON d.id = c.document_id
           WHERE d.status = 'ready'"#
    )
    .map(|row| Indexed { id: row.id, user_id: row.user_id, text: row.text, payload: row.payload.0 })
    .fetch(db)
    .map_err(|error| anyhow::Error::new(error).context("reading the chunks of ready documents"))
    .boxed()
}

pub struct NewDocument<'a> {
    pub user_id: Uuid,
    pub filename: &'a str,
    pub media_type: &'a str,
    pub sha256: &'a [u8],
    pub content: &'a [u8],
}

/// What storing an upload came to.
#[derive(Debug)]
pub enum Inserted {
    Queued(Document),
    /// This person already has these bytes.
    Duplicate,
    /// This person has `max_queued` documents waiting or being ingested already.
    QueueFull,
    /// The file would take the person's stored documents past their quota: `used` bytes are
    /// stored already.
    OverQuota {
        used: u64,
    },
}

/// Stores a new document, queued, unless the person has `max_queued` documents waiting or
/// being ingested (checked under a per-person lock, so a burst of uploads cannot overshoot).
/// No storage quota: [`insert_within_quota`] is the upload's.
pub async fn insert(
    db: &PgPool,
    new: NewDocument<'_>,
    max_queued: usize,
) -> anyhow::Result<Inserted> {
    insert_within_quota(db, new, max_queued, u64::MAX).await
}

/// The person's documents waiting or being ingested, counted under a lock on the person held
/// until the transaction ends.
async fn pending_locked(tx: &mut sqlx::PgConnection, user_id: Uuid) -> anyhow::Result<i64> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('agents.documents:' || $1, 0))",
        user_id.to_string()
    )
    .execute(&mut *tx)
    .await
    .context("locking a person's document queue")?;
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM agents.documents
           WHERE user_id = $1 AND status IN ('queued', 'extracting', 'embedding')"#,
        user_id
    )
    .fetch_one(&mut *tx)
    .await
    .context("counting a person's queued documents")
}

pub async fn by_hash(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    sha256: &[u8],
) -> anyhow::Result<Option<Document>> {
    sqlx::query_as!(
        Document,
        r#"SELECT id, filename, media_type, size_bytes, encode(sha256, 'hex') AS "sha256!",
                  status, error, pages, chunks_total, chunks_done, created_at, updated_at
           FROM agents.documents WHERE user_id = $1 AND sha256 = $2"#,
        user_id,
        sha256,
    )
    .fetch_optional(db)
    .await
    .context("finding a document by its hash")
}

pub async fn get(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> anyhow::Result<Option<Document>> {
    sqlx::query_as!(
        Document,
        r#"SELECT id, filename, media_type, size_bytes, encode(sha256, 'hex') AS "sha256!",
                  status, error, pages, chunks_total, chunks_done, created_at, updated_at
           FROM agents.documents WHERE id = $1 AND user_id = $2"#,
        id,
        user_id,
    )
    .fetch_optional(db)
    .await
    .context("reading a document")
}

pub async fn list(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    limit: i64,
    offset: i64,
) -> anyhow::Result<Vec<Document>> {
    sqlx::query_as!(
        Document,
        r#"SELECT id, filename, media_type, size_bytes, encode(sha256, 'hex') AS "sha256!",
                  status, error, pages, chunks_total, chunks_done, created_at, updated_at
           FROM agents.documents WHERE user_id = $1
           ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"#,
        user_id,
        limit,
        offset,
    )
    .fetch_all(db)
    .await
    .context("listing documents")
}

/// The file a person uploaded, as they gave it.
pub async fn content(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    id: Uuid,
) -> anyhow::Result<Option<Vec<u8>>> {
    sqlx::query_scalar!(
        "SELECT content FROM agents.documents WHERE id = $1 AND user_id = $2",
        id,
        user_id
    )
    .fetch_optional(db)
    .await
    .context("reading a document's file")
}

/// Deletes a document (its chunks go with it); whether there was one.
pub async fn delete(db: impl PgExecutor<'_>, user_id: Uuid, id: Uuid) -> anyhow::Result<bool> {
    let deleted =
        sqlx::query!("DELETE FROM agents.documents WHERE id = $1 AND user_id = $2", id, user_id)
            .execute(db)
            .await
            .context("deleting a document")?;
    Ok(deleted.rows_affected() == 1)
}

/// Whether the document still exists (whoever owns it).
pub async fn exists(db: impl PgExecutor<'_>, id: Uuid) -> anyhow::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM agents.documents WHERE id = $1) AS "exists!""#,
        id
    )
    .fetch_one(db)
    .await
    .context("checking that a document exists")
}

/// What re-queueing came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Requeued {
    Queued,
    /// No such document of this person, or it is being ingested already.
    NotNow,
    /// The person has `max_queued` documents waiting or being ingested already.
    QueueFull,
}

/// Queues a document again (re-index), within the person's share of the queue.
pub async fn requeue(
    db: &PgPool,
    user_id: Uuid,
    id: Uuid,
    max_queued: usize,
) -> anyhow::Result<Requeued> {
    let mut tx = db.begin().await?;
    if pending_locked(&mut tx, user_id).await? >= max_queued as i64 {
        return Ok(Requeued::QueueFull);
    }
    let queued = sqlx::query!(
        "UPDATE agents.documents
         SET status = 'queued', error = NULL, chunks_done = 0, attempts = 0,
             leased_until = NULL, updated_at = now()
         WHERE id = $1 AND user_id = $2 AND status IN ('ready', 'failed')",
        id,
        user_id,
    )
    .execute(&mut *tx)
    .await
    .context("queueing a document again")?;
    tx.commit().await?;
    Ok(if queued.rows_affected() == 1 { Requeued::Queued } else { Requeued::NotNow })
}

/// A document a worker claimed.
#[derive(Debug)]
pub struct Claimed {
    pub id: Uuid,
    pub user_id: Uuid,
    pub filename: String,
    pub media_type: String,
    pub content: Vec<u8>,
    pub attempts: i32,
}

/// How long a claim holds unless renewed: how long a document whose worker died (a killed or
/// crashed process) waits before another worker takes it over. Its worker renews it every
/// [`RENEW_EVERY`] while it works, however long extracting and embedding take.
pub const LEASE_SECONDS: i64 = 30;
/// How often a working worker renews its claim (a few tries before the lease would lapse).
pub const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Claims the next document (queued, or one whose worker's lease expired): it becomes
/// `extracting`, leased to this worker. Fair between people: first those with nothing being
/// ingested now, then whoever was served longest ago (or never), then the oldest document; so
/// one person's many or large documents never make another's wait behind all of them.
pub async fn claim(db: &PgPool) -> anyhow::Result<Option<Claimed>> {
    sqlx::query_as!(
        Claimed,
        "UPDATE agents.documents AS d
         SET status = 'extracting', attempts = attempts + 1, error = NULL, chunks_done = 0,
             leased_until = now() + make_interval(secs => $1), updated_at = now()
         FROM (SELECT c.id FROM agents.documents c
               WHERE c.status = 'queued'
                  OR (c.status IN ('extracting', 'embedding') AND c.leased_until < now())
               ORDER BY
                   EXISTS (SELECT 1 FROM agents.documents o
                           WHERE o.user_id = c.user_id AND o.id <> c.id
                             AND o.status IN ('extracting', 'embedding')
                             AND o.leased_until >= now()),
                   (SELECT max(o.updated_at) FROM agents.documents o
                    WHERE o.user_id = c.user_id AND o.id <> c.id
                      AND o.status IN ('extracting', 'embedding', 'ready', 'failed'))
                       NULLS FIRST,
                   c.updated_at
               LIMIT 1 FOR UPDATE OF c SKIP LOCKED) AS next
         WHERE d.id = next.id
         RETURNING d.id, d.user_id, d.filename, d.media_type, d.content, d.attempts",
        LEASE_SECONDS as f64,
    )
    .fetch_optional(db)
    .await
    .context("claiming a document to ingest")
}

/// Whether the claim still holds (the document was not deleted or re-queued meanwhile).
async fn still_claimed(db: impl PgExecutor<'_>, id: Uuid, attempts: i32) -> anyhow::Result<bool> {
    let current = sqlx::query_scalar!(
        "SELECT attempts FROM agents.documents
         WHERE id = $1 AND status IN ('extracting', 'embedding') FOR UPDATE",
        id
    )
    .fetch_optional(db)
    .await
    .context("checking a document's claim")?;
    Ok(current == Some(attempts))
}

/// Extraction done: the chunks are stored (replacing any earlier ones) and embedding starts.
/// `false`: the document is gone or was taken over.
pub async fn store_chunks(
    db: &PgPool,
    claimed: &Claimed,
    pages: Option<u32>,
    chunks: &[Chunk],
    ids: &[Uuid],
) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    if !still_claimed(&mut *tx, claimed.id, claimed.attempts).await? {
        return Ok(false);
    }
    sqlx::query!("DELETE FROM agents.document_chunks WHERE document_id = $1", claimed.id)
        .execute(&mut *tx)
        .await
        .context("clearing a document's chunks")?;
    for (batch, ids) in chunks.chunks(500).zip(ids.chunks(500)) {
        sqlx::query!(
            "INSERT INTO agents.document_chunks
                 (id, document_id, user_id, ordinal, text, page, heading, char_start, char_end)
             SELECT id, $2, $3, ordinal, text, page, heading, char_start, char_end
             FROM unnest($1::uuid[], $4::int[], $5::text[], $6::int[], $7::text[], $8::int[],
                         $9::int[])
                  AS c(id, ordinal, text, page, heading, char_start, char_end)",
            ids,
            claimed.id,
            claimed.user_id,
            &batch.iter().map(|c| c.ordinal as i32).collect::<Vec<_>>(),
            &batch.iter().map(|c| c.text.clone()).collect::<Vec<_>>(),
            // Arrays with NULLs are cast: the macros' check knows arrays of non-null values only.
            &batch.iter().map(|c| c.page.map(|p| p as i32)).collect::<Vec<_>>() as &[Option<i32>],
            &batch.iter().map(|c| c.heading.clone()).collect::<Vec<_>>() as &[Option<String>],
            &batch.iter().map(|c| c.char_start as i32).collect::<Vec<_>>(),
            &batch.iter().map(|c| c.char_end as i32).collect::<Vec<_>>(),
        )
        .execute(&mut *tx)
        .await
        .context("storing a document's chunks")?;
    }
    sqlx::query!(
        "UPDATE agents.documents
         SET status = 'embedding', pages = $2, chunks_total = $3, chunks_done = 0,
             leased_until = now() + make_interval(secs => $4), updated_at = now()
         WHERE id = $1",
        claimed.id,
        pages.map(|p| p as i32),
        chunks.len() as i32,
        LEASE_SECONDS as f64,
    )
    .execute(&mut *tx)
    .await
    .context("marking a document as embedding")?;
    tx.commit().await?;
    Ok(true)
}

/// Renews the claim's lease while its worker works; `false`: the document is done, gone or was
/// taken over, and there is nothing left to renew.
pub async fn renew(db: &PgPool, id: Uuid, attempts: i32) -> anyhow::Result<bool> {
    let renewed = sqlx::query(
        "UPDATE agents.documents SET leased_until = now() + make_interval(secs => $3)
         WHERE id = $1 AND attempts = $2 AND status IN ('extracting', 'embedding')",
    )
    .bind(id)
    .bind(attempts)
    .bind(LEASE_SECONDS as f64)
    .execute(db)
    .await
    .context("renewing a document's lease")?;
    Ok(renewed.rows_affected() == 1)
}

/// Gives the claim back without counting it as an attempt, to be claimed again after
/// `seconds`: for a failure that passes by itself (a full disk), which is no fault of the
/// document. `false`: the claim was no longer this worker's.
pub async fn defer(db: &PgPool, id: Uuid, attempts: i32, seconds: i64) -> anyhow::Result<bool> {
    let deferred = sqlx::query(
        "UPDATE agents.documents
         SET attempts = attempts - 1, leased_until = now() + make_interval(secs => $3),
             updated_at = now()
         WHERE id = $1 AND attempts = $2 AND status IN ('extracting', 'embedding')",
    )
    .bind(id)
    .bind(attempts)
    .bind(seconds as f64)
    .execute(db)
    .await
    .context("deferring a document")?;
    Ok(deferred.rows_affected() == 1)
}

/// Embedding progress (and a renewed lease).
pub async fn progress(db: &PgPool, claimed: &Claimed, done: usize) -> anyhow::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE agents.documents
         SET chunks_done = $3, leased_until = now() + make_interval(secs => $4),
             updated_at = now()
         WHERE id = $1 AND attempts = $2 AND status = 'embedding'",
        claimed.id,
        claimed.attempts,
        done as i32,
        LEASE_SECONDS as f64,
    )
    .execute(db)
    .await
    .context("recording a document's progress")?;
    Ok(updated.rows_affected() == 1)
}

/// The end of an ingestion: `ready`, or `failed` with `error` (its chunks removed).
pub async fn finish(db: &PgPool, claimed: &Claimed, error: Option<&str>) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    if !still_claimed(&mut *tx, claimed.id, claimed.attempts).await? {
        return Ok(false);
    }
    if error.is_some() {
        sqlx::query!("DELETE FROM agents.document_chunks WHERE document_id = $1", claimed.id)
            .execute(&mut *tx)
            .await
            .context("removing a failed document's chunks")?;
    }
    sqlx::query!(
        "UPDATE agents.documents
         SET status = CASE WHEN $2::text IS NULL THEN 'ready' ELSE 'failed' END, error = $2,
             chunks_total = CASE WHEN $2::text IS NULL THEN chunks_total ELSE 0 END,
             chunks_done = CASE WHEN $2::text IS NULL THEN chunks_total ELSE 0 END,
             leased_until = NULL, updated_at = now()
         WHERE id = $1",
        claimed.id,
        error,
    )
    .execute(&mut *tx)
    .await
    .context("finishing a document")?;
    tx.commit().await?;
    Ok(true)
}

/// A chunk as a citation shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = DocumentChunk)]
pub struct StoredChunk {
    pub id: Uuid,
    pub ordinal: i32,
    pub text: String,
    #[schema(required = true)]
    pub page: Option<i32>,
    /// The heading path, e.g. "Setup > Wiring"
    #[schema(required = true)]
    pub heading: Option<String>,
    pub char_start: i32,
    pub char_end: i32,
}

pub async fn chunks(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    document: Uuid,
    limit: i64,
    offset: i64,
) -> anyhow::Result<Vec<StoredChunk>> {
    sqlx::query_as!(
        StoredChunk,
        "SELECT id, ordinal, text, page, heading, char_start, char_end
         FROM agents.document_chunks WHERE document_id = $1 AND user_id = $2
         ORDER BY ordinal LIMIT $3 OFFSET $4",
        document,
        user_id,
        limit,
        offset,
    )
    .fetch_all(db)
    .await
    .context("reading a document's chunks")
}

/// A search hit's chunk and document, if both are still there and ready (the vector store may
/// briefly hold points of a document being deleted).
#[derive(Debug, Clone)]
pub struct Cited {
    pub id: Uuid,
    pub document_id: Uuid,
    pub filename: String,
    pub ordinal: i32,
    pub text: String,
    pub page: Option<i32>,
    pub heading: Option<String>,
}

pub async fn cited(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    ids: &[Uuid],
) -> anyhow::Result<Vec<Cited>> {
    sqlx::query_as!(
        Cited,
        "SELECT c.id, c.document_id, d.filename, c.ordinal, c.text, c.page, c.heading
         FROM agents.document_chunks c JOIN agents.documents d ON d.id = c.document_id
         WHERE c.id = ANY($1) AND c.user_id = $2 AND d.status = 'ready'",
        ids,
        user_id,
    )
    .fetch_all(db)
    .await
    .context("reading cited chunks")
}

/// Stores a new document, queued, unless the person has `max_queued` documents waiting or
/// being ingested, or their stored documents and this one would add up to more than
/// `quota_bytes`; both are checked under the per-person lock of [`pending_locked`], in the
/// insert's transaction, so a burst of uploads cannot overshoot either.
pub async fn insert_within_quota(
    db: &PgPool,
    new: NewDocument<'_>,
    max_queued: usize,
    quota_bytes: u64,
) -> anyhow::Result<Inserted> {
    let mut tx = db.begin().await?;
    let pending = pending_locked(&mut tx, new.user_id).await?;
    if pending >= max_queued as i64 {
        return Ok(Inserted::QueueFull);
    }
    // Under the same lock: two uploads at once cannot both fit in what is left.
    let used = stored_bytes(&mut tx, new.user_id).await?;
    if used.saturating_add(new.content.len() as u64) > quota_bytes {
        return Ok(Inserted::OverQuota { used });
    }
    let document = sqlx::query_as!(
        Document,
        r#"INSERT INTO agents.documents (id, user_id, filename, media_type, size_bytes, sha256,
                                         content)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (user_id, sha256) DO NOTHING
           RETURNING id, filename, media_type, size_bytes, encode(sha256, 'hex') AS "sha256!",
                     status, error, pages, chunks_total, chunks_done, created_at, updated_at"#,
        Uuid::now_v7(),
        new.user_id,
        new.filename,
        new.media_type,
        new.content.len() as i64,
        new.sha256,
        new.content,
    )
    .fetch_optional(&mut *tx)
    .await
    .context("storing a document")?;
    tx.commit().await?;
    Ok(document.map_or(Inserted::Duplicate, Inserted::Queued))
}

/// The bytes of the person's stored documents (call with their lock held: [`pending_locked`]).
async fn stored_bytes(tx: &mut sqlx::PgConnection, user_id: Uuid) -> anyhow::Result<u64> {
    let used: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(size_bytes), 0)::bigint FROM agents.documents WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await
    .context("adding up the size of a person's documents")?;
    Ok(u64::try_from(used).unwrap_or(0))
}
