//! `/v1/documents`: upload (multipart, sniffed, deduplicated, within the person's share of the
//! queue), list, get, chunks, re-index and delete. Someone else's document is a 404. Every
//! rejection, the extractors' included, is `ApiError`'s JSON.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use posey_http::params::{Page, parse_id};
use posey_http::{ApiError, Path, Query};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::db::{self, Document, Inserted, NewDocument, Requeued};
use super::{Documents, extract};
use crate::routes::Person;
use crate::state::AppState;

pub fn router(documents: Arc<Documents>) -> Router<AppState> {
    // Room for the multipart framing around a file of the largest size; the file itself is
    // measured while it is read.
    let body_limit = documents.max_upload_bytes.saturating_add(64 * 1024);
    Router::new()
        .route(
            "/v1/documents",
            get(list_documents).post(upload_document).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route("/v1/documents/{id}", get(get_document).delete(delete_document))
        .route("/v1/documents/{id}/chunks", get(list_chunks))
        .route("/v1/documents/{id}/reindex", post(reindex_document))
        .layer(Extension(documents))
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

/// The person has `AGENTS_DOCUMENT_MAX_QUEUED` documents waiting: a 429 until some are done.
fn queue_full() -> ApiError {
    ApiError::RateLimited { retry_after: Duration::from_secs(30) }
}

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
    match db::insert(&documents.db, new, documents.max_queued).await? {
        Inserted::Queued(document) => {
            documents.queued();
            Ok((StatusCode::ACCEPTED, Json(document)))
        }
        Inserted::QueueFull => Err(queue_full()),
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

async fn get_document(
    Extension(documents): Extension<Arc<Documents>>,
    Person(person): Person,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&id, "document")?;
    let document = db::get(&documents.db, person, id).await?.ok_or_else(not_found)?;
    let vectors = documents.vectors(person, Some(id)).await?;
    let mut body = serde_json::to_value(document).map_err(anyhow::Error::from)?;
    body["vectors"] = json!(vectors);
    Ok(Json(body))
}

async fn list_chunks(
    Extension(documents): Extension<Arc<Documents>>,
    Person(person): Person,
    Path(id): Path<String>,
    Query(page): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&id, "document")?;
    if db::get(&documents.db, person, id).await?.is_none() {
        return Err(not_found());
    }
    let chunks = db::chunks(&documents.db, person, id, page.limit(), page.offset()).await?;
    Ok(Json(json!({"chunks": chunks})))
}

async fn reindex_document(
    Extension(documents): Extension<Arc<Documents>>,
    Person(person): Person,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Document>), ApiError> {
    let id = parse_id(&id, "document")?;
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

async fn delete_document(
    Extension(documents): Extension<Arc<Documents>>,
    Person(person): Person,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id, "document")?;
    if !db::delete(&documents.db, person, id).await? {
        return Err(not_found());
    }
    documents.delete_vectors(person, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
