//! `/v1/documents`: upload (multipart, sniffed, deduplicated, within the person's share of the
//! queue and their storage quota), list, get, chunks, re-index and delete. Someone else's
//! document is a 404. Every rejection, the extractors' included, is `ApiError`'s JSON.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart};
use axum::http::StatusCode;
use axum::{Extension, Json};
use posey_domain::DocumentId;
use posey_http::auth::Person;
use posey_http::openapi::Error;
use posey_http::params::Page;
use posey_http::{ApiError, PathId, Query};
use posey_plugin::PluginState;
use posey_plugin::responses::{BadPage, NeedsPerson};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::db::{self, Document, Inserted, NewDocument, Requeued};
use super::schemas::{ChunkList, DocumentList, DocumentWithVectors, Upload};
use super::{Documents, extract};

/// What the routes run with: the host's (the documents themselves travel as an extension).
pub type State = PluginState<()>;

posey_http::error_responses! { schema = "Error";
    /// A route taking a document's id.
    NoSuchDocument {
        "404" => "No such document of this person",
    }
    /// A route that queues a document's ingestion.
    QueueFull {
        "429" => "The person has AGENTS_DOCUMENT_MAX_QUEUED documents waiting or being ingested; Retry-After says when to try again",
    }
}

/// The routes with what they run with.
pub fn router(documents: Arc<Documents>) -> OpenApiRouter<State> {
    // Room for the multipart framing around a file of the largest size; the file itself is
    // measured while it is read. (Only the upload reads a body.)
    let body_limit = documents.max_upload_bytes.saturating_add(64 * 1024);
    api().layer(DefaultBodyLimit::max(body_limit)).layer(Extension(documents))
}

/// The routes, described.
pub fn api() -> OpenApiRouter<State> {
    OpenApiRouter::new()
        .routes(routes!(list_documents, upload_document))
        .routes(routes!(get_document, delete_document))
        .routes(routes!(list_chunks))
        .routes(routes!(reindex_document))
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such document".into())
}

fn too_large(documents: &Documents) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "the file is larger than the upload limit of {} bytes (AGENTS_MAX_UPLOAD_BYTES)",
        documents.max_upload_bytes
    ))
}

/// The file would take the person's stored documents past `AGENTS_DOCUMENTS_QUOTA_BYTES`.
fn over_quota(documents: &Documents, used: u64, size: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "the file ({size} bytes) would take your documents past your storage quota of {} bytes \
         (AGENTS_DOCUMENTS_QUOTA_BYTES): {used} bytes are used; delete documents to make room",
        documents.quota_bytes
    ))
}

/// The person has `AGENTS_DOCUMENT_MAX_QUEUED` documents waiting: a 429 until some are done.
fn queue_full() -> ApiError {
    ApiError::RateLimited { retry_after: Duration::from_secs(30) }
}

#[utoipa::path(post, path = "/v1/documents", tag = "documents", operation_id = "uploadDocument",
    security(("bearer" = [])),
    summary = "Upload a document (PDF, DOCX, HTML, Markdown or plain text; the type is sniffed \
               from the content). It is extracted, chunked and indexed in the background; the \
               same bytes uploaded again return the existing document.",
    request_body(content = inline(Upload), content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "A new document, queued for ingestion", body = Document),
        (status = 200, description = "The person uploaded these bytes before: the existing document", body = Document),
        (status = 400, description = "No `file` field, an empty file, or a malformed multipart body", body = Error),
        (status = 409, description = "The same file is being uploaded at the same time; retry", body = Error),
        (status = 413, description = "The file is larger than AGENTS_MAX_UPLOAD_BYTES, or would take the person's stored documents past AGENTS_DOCUMENTS_QUOTA_BYTES (nothing is stored); the message names the limit", body = Error),
        (status = 415, description = "The body is not multipart/form-data, or the content is not a supported type; the message names what it is", body = Error),
        QueueFull, NeedsPerson,
    ))]
async fn upload_document(
    Extension(documents): Extension<Arc<Documents>>,
    Person(person): Person,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<Document>), ApiError> {
    let mut multipart = multipart.map_err(|rejection| {
        ApiError::UnsupportedMediaType(format!(
            "upload the file as multipart/form-data with a `file` field ({})",
            rejection.body_text()
        ))
    })?;
    let multipart_error = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(&documents)
        } else {
            ApiError::BadRequest(format!(
                "the upload is not valid multipart: {}",
                error.body_text()
            ))
        }
    };
    let mut file = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let filename = clean_filename(field.file_name().unwrap_or("document"));
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if bytes.len() + chunk.len() > documents.max_upload_bytes {
                return Err(too_large(&documents));
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some((filename, bytes));
        break;
    }
    let Some((filename, bytes)) = file else {
        return Err(ApiError::BadRequest("the upload has no `file` field".into()));
    };
    if bytes.is_empty() {
        return Err(ApiError::BadRequest("the file is empty".into()));
    }
    let sniffed = {
        let bytes = bytes.clone();
        let name = filename.clone();
        tokio::task::spawn_blocking(move || extract::sniff(&bytes, &name))
            .await
            .map_err(|error| ApiError::Internal(error.into()))?
    };
    let kind = sniffed.map_err(|found| {
        ApiError::UnsupportedMediaType(format!(
            "the file is {found}; documents accept PDF, Word (.docx), HTML, Markdown and plain \
             text"
        ))
    })?;
    let sha256 = Sha256::digest(&bytes).to_vec();
    if let Some(existing) = db::by_hash(&documents.db, person, &sha256).await? {
        return Ok((StatusCode::OK, Json(existing)));
    }
    let new = NewDocument {
        user_id: person,
        filename: &filename,
        media_type: kind.media_type(),
        sha256: &sha256,
        content: &bytes,
    };
    let inserted =
        db::insert_within_quota(&documents.db, new, documents.max_queued, documents.quota_bytes)
            .await?;
    match inserted {
        Inserted::Queued(document) => {
            documents.queued();
            Ok((StatusCode::ACCEPTED, Json(document)))
        }
        Inserted::QueueFull => Err(queue_full()),
        Inserted::OverQuota { used } => Err(over_quota(&documents, used, bytes.len())),
        // The same bytes arrived concurrently: one document.
        Inserted::Duplicate => db::by_hash(&documents.db, person, &sha256)
            .await?
            .map(|existing| (StatusCode::OK, Json(existing)))
            .ok_or_else(|| ApiError::Conflict("the same file is being uploaded; retry".into())),
    }
}

/// The last path component, without control characters, at most 255 characters.
fn clean_filename(raw: &str) -> String {
    let name = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = name.chars().filter(|c| !c.is_control()).take(255).collect();
    let name = name.trim();
    if name.is_empty() { "document".to_owned() } else { name.to_owned() }
}

/// The person's documents with their ingestion status and progress, newest first
#[utoipa::path(get, path = "/v1/documents", tag = "documents", operation_id = "listDocuments",
    security(("bearer" = [])), params(Page),
    responses(
        (status = 200, description = "The documents", body = inline(DocumentList)),
        BadPage, NeedsPerson,
    ))]
async fn list_documents(
    Extension(documents): Extension<Arc<Documents>>,
    Person(person): Person,
    Query(page): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    let list = db::list(&documents.db, person, page.limit(), page.offset()).await?;
    // What search can reach: the person's indexed chunks, all documents together.
    let vectors = documents.vectors(person, None).await?;
    Ok(Json(json!({"documents": list, "vectors": vectors})))
}

#[utoipa::path(get, path = "/v1/documents/{id}", tag = "documents", operation_id = "getDocument",
    security(("bearer" = [])),
    summary = "A document: status (queued, extracting, embedding, ready, failed), the failure's \
               reason, pages and chunk progress",
    params(("id" = Uuid, Path, description = "The document's id")),
    responses(
        (status = 200, description = "The document", body = inline(DocumentWithVectors)),
        NoSuchDocument, NeedsPerson,
    ))]
async fn get_document(
    Extension(documents): Extension<Arc<Documents>>,
    Person(person): Person,
    PathId(id, ..): PathId<DocumentId>,
) -> Result<Json<Value>, ApiError> {
    let id = id.as_uuid();
    let document = db::get(&documents.db, person, id).await?.ok_or_else(not_found)?;
    let vectors = documents.vectors(person, Some(id)).await?;
    let mut body = serde_json::to_value(document).map_err(anyhow::Error::from)?;
    body["vectors"] = json!(vectors);
    Ok(Json(body))
}

/// A document's chunks in order, each with its page or heading and character offsets
#[utoipa::path(get, path = "/v1/documents/{id}/chunks", tag = "documents",
    operation_id = "listDocumentChunks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The document's id"), Page),
    responses(
        (status = 200, description = "The chunks", body = inline(ChunkList)),
        BadPage, NoSuchDocument, NeedsPerson,
    ))]
async fn list_chunks(
    Extension(documents): Extension<Arc<Documents>>,
    Person(person): Person,
    PathId(id, ..): PathId<DocumentId>,
    Query(page): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    let id = id.as_uuid();
    if db::get(&documents.db, person, id).await?.is_none() {
        return Err(not_found());
    }
    let chunks = db::chunks(&documents.db, person, id, page.limit(), page.offset()).await?;
    Ok(Json(json!({"chunks": chunks})))
}

/// Extract and index a ready or failed document again
#[utoipa::path(post, path = "/v1/documents/{id}/reindex", tag = "documents",
    operation_id = "reindexDocument", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The document's id")),
    responses(
        (status = 202, description = "Queued again", body = Document),
        (status = 409, description = "The document is being ingested already", body = Error),
        QueueFull, NoSuchDocument, NeedsPerson,
    ))]
async fn reindex_document(
    Extension(documents): Extension<Arc<Documents>>,
    Person(person): Person,
    PathId(id, ..): PathId<DocumentId>,
) -> Result<(StatusCode, Json<Document>), ApiError> {
    let id = id.as_uuid();
    match db::requeue(&documents.db, person, id, documents.max_queued).await? {
        Requeued::Queued => {}
        Requeued::QueueFull => return Err(queue_full()),
        Requeued::NotNow => {
            return match db::get(&documents.db, person, id).await? {
                Some(_) => Err(ApiError::Conflict("the document is being ingested already".into())),
                None => Err(not_found()),
            };
        }
    }
    documents.queued();
    let document = db::get(&documents.db, person, id).await?.ok_or_else(not_found)?;
    Ok((StatusCode::ACCEPTED, Json(document)))
}

/// Delete a document, its chunks and its vectors
#[utoipa::path(delete, path = "/v1/documents/{id}", tag = "documents", operation_id = "deleteDocument",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The document's id")),
    responses((status = 204, description = "Deleted"), NoSuchDocument, NeedsPerson))]
async fn delete_document(
    Extension(documents): Extension<Arc<Documents>>,
    Person(person): Person,
    PathId(id, ..): PathId<DocumentId>,
) -> Result<StatusCode, ApiError> {
    let id = id.as_uuid();
    if !db::delete(&documents.db, person, id).await? {
        return Err(not_found());
    }
    documents.delete_vectors(person, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
