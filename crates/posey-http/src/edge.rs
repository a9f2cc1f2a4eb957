//! What the shared layers answer themselves, in the service's error shape: a NUL (`%00`) in
//! the URI is refused before any handler runs (PostgreSQL's `text` cannot hold U+0000), and an
//! error response that is not JSON (axum's 405 for a wrong method, a plain-text rejection of
//! an extractor, a 413 from a body limit) is rewritten into JSON, keeping its status and
//! headers. Handlers' own errors are JSON already (or XML, or an HTML page) and pass untouched.

use std::collections::BTreeMap;

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ErrorBody, ErrorDetail};
use crate::json::{NUL_MESSAGE, json_content_type};

/// An error the shared layers make, for a service to word in its own shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeError {
    pub status: StatusCode,
    /// The code `ApiError` would give (`not_found`, `method_not_allowed`, `validation_failed`).
    pub code: &'static str,
    pub message: String,
    pub fields: Option<BTreeMap<String, Vec<String>>>,
}

/// Turns an [`EdgeError`] into a response, given the request's headers. Every service but
/// auth (which speaks GoTrue's shape) uses [`api_error_shape`].
pub type ErrorShape = fn(&HeaderMap, EdgeError) -> Response;

/// The one error shape of `ApiError`: `{"error": {"code", "message", "fields"?}}`.
pub fn api_error_shape(_: &HeaderMap, error: EdgeError) -> Response {
    let body = ErrorBody {
        error: ErrorDetail { code: error.code, message: error.message, fields: error.fields },
    };
    (error.status, axum::Json(body)).into_response()
}

/// The middleware: refuses a NUL in the URI, and rewrites non-JSON error responses.
pub async fn guard(shape: ErrorShape, request: Request, next: Next) -> Response {
    // Kept for the shape (auth words its errors after a request header).
    let headers = request.headers().clone();
    if let Some(error) = nul_in_uri(request.uri()) {
        return shape(&headers, error);
    }
    let response = next.run(request).await;
    // WebDAV's errors are XML bodies naming the precondition that failed (RFC 4918 16): a
    // handler answering in XML speaks its protocol's shape, kept as it is.
    // An HTML page is a handler's, shown to a person in a browser (auth's sign-in pages): its
    // status says what went wrong there. Axum's own rejections are plain text, never HTML.
    if response.status().as_u16() < 400
        || json_content_type(response.headers())
        || xml_content_type(response.headers())
        || html_content_type(response.headers())
    {
        return response;
    }
    reshape(shape, &headers, response).await
}

/// `application/xml` or `text/xml` (with parameters), or a `+xml` suffix.
fn xml_content_type(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    matches!(essence.split_once('/'), Some(("application" | "text", subtype))
        if subtype == "xml" || subtype.ends_with("+xml"))
}

/// `text/html` (with parameters).
fn html_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("text/html"))
}

/// Where the URI holds an encoded NUL: the query parameter (by name) or the path.
pub fn nul_in_uri(uri: &axum::http::Uri) -> Option<EdgeError> {
    // A raw NUL cannot be in a URI; `%00` is its only spelling.
    let field = if uri.path().contains("%00") {
        "path".to_owned()
    } else {
        let query = uri.query().filter(|q| q.contains("%00"))?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, value)| key.contains('\0') || value.contains('\0'))
            .map_or_else(|| "query".to_owned(), |(key, _)| key.replace('\0', "\\u0000"))
    };
    Some(EdgeError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "validation_failed",
        message: "the request has invalid fields".into(),
        fields: Some(BTreeMap::from([(field, vec![NUL_MESSAGE.to_owned()])])),
    })
}

/// The longest plain-text error body read for its message.
const MAX_MESSAGE_BODY: usize = 1024;

async fn reshape(shape: ErrorShape, request_headers: &HeaderMap, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let status = parts.status;
    let text = to_bytes(body, MAX_MESSAGE_BODY)
        .await
        .ok()
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty());
    let message = if status.is_server_error() {
        // Internal detail is logged, never sent.
        "an internal error occurred".to_owned()
    } else if status == StatusCode::METHOD_NOT_ALLOWED {
        // axum adds the `Allow` header naming the route's methods outside this layer.
        "method not allowed; the `Allow` header lists this route's methods".to_owned()
    } else {
        text.unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_lowercase())
    };
    let error = EdgeError { status, code: code_of(status), message, fields: None };
    let mut shaped = shape(request_headers, error);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            shaped.headers_mut().insert(name.clone(), value.clone());
        }
    }
    shaped.extensions_mut().extend(parts.extensions);
    shaped
}

/// `ApiError`'s code for a status, and names for the statuses it has no variant of.
pub fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        status if status.is_server_error() => "internal",
        _ => "bad_request",
    }
}
