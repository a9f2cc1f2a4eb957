//! `AppJson<T>`: axum's `Json`, but a malformed body gets the same error shape as every other
//! error, with a message that says what was wrong; `OptionalJson<T>` for a body that may be
//! left out. Both refuse a body with the NUL character (U+0000) in any string or key, naming
//! where it is: PostgreSQL's `text` and `jsonb` cannot hold it, so it is stopped at the edge
//! rather than failing as a 500 where it is stored.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ApiError;

/// What a value holding U+0000 is told.
pub const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "expected `Content-Type: application/json`".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(bytes_rejection_to_error)?;
        from_slice(&bytes).map(Self)
    }
}

/// A JSON body that may be absent: an empty (or all-whitespace) body is `None`. Like the
/// bodies that predate it, it does not insist on a `Content-Type`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub Option<T>);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(bytes_rejection_to_error)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        from_slice(&bytes).map(|value| Self(Some(value)))
    }
}

/// Parses a JSON body as [`AppJson`] does: a NUL anywhere is a 422 naming its place, a value
/// of the wrong shape a 422 naming the field, broken JSON a 400.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Some(field) = nul_field(bytes) {
        return Err(ApiError::invalid(field, NUL_MESSAGE));
    }
    axum::Json::<T>::from_bytes(bytes).map(|axum::Json(value)| value).map_err(rejection_to_error)
}

/// Where a JSON document holds U+0000 (in a string or a key), as a field path (`title`,
/// `messages[2].content`; `body` for the document itself); `None` when nowhere, or when the
/// document is not JSON (its parse then reports that).
pub fn nul_field(bytes: &[u8]) -> Option<String> {
    // JSON can only carry U+0000 escaped (a raw control character is a syntax error), so a
    // document without the escape needs no parse.
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        return None;
    }
    let value: Value = serde_json::from_slice(bytes).ok()?;
    nul_path(&value, String::new()).map(|path| if path.is_empty() { "body".into() } else { path })
}

/// The path of the first string or key in `value` holding U+0000.
pub fn nul_path(value: &Value, path: String) -> Option<String> {
    match value {
        Value::String(text) if text.contains('\0') => Some(path),
        Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, item)| nul_path(item, format!("{path}[{i}]")))
        }
        Value::Object(object) => object.iter().find_map(|(key, item)| {
            let shown = key.replace('\0', "\\u0000");
            let inner = if path.is_empty() { shown } else { format!("{path}.{shown}") };
            if key.contains('\0') { Some(inner) } else { nul_path(item, inner) }
        }),
        _ => None,
    }
}

/// `application/json`, with parameters or as a `+json` suffix, as axum's `Json` accepts.
pub fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", subtype)) => subtype == "json" || subtype.ends_with("+json"),
        _ => false,
    }
}

/// A body that could not be read: too large (413), or cut off.
pub fn bytes_rejection_to_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge("the request body is too large".into())
    } else {
        ApiError::BadRequest(rejection.body_text())
    }
}

fn rejection_to_error(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => ApiError::Validation(
            [(
                "body".to_owned(),
                vec![
                    e.body_text()
                        .replace("Failed to deserialize the JSON body into the target type: ", ""),
                ],
            )]
            .into(),
        ),
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::BadRequest(format!("malformed JSON: {}", e.body_text()))
        }
        // The content type and the body are checked before `from_bytes`, which only parses.
        other => ApiError::BadRequest(other.body_text()),
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A field that may be left out (`None`), set to null (`Some(None)`) or given: for changes
/// where null clears a value (`#[serde(default, deserialize_with = "posey_http::json::nullable")]`).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_where_it_is_and_only_there() {
        assert_eq!(nul_field(br#"{"title": "a\u0000b"}"#).as_deref(), Some("title"));
        assert_eq!(
            nul_field(br#"{"messages": [{"content": "x"}, {"content": "\u0000"}]}"#).as_deref(),
            Some("messages[1].content")
        );
        assert_eq!(nul_field(br#"{"m": {"k\u0000": 1}}"#).as_deref(), Some("m.k\\u0000"));
        assert_eq!(nul_field(br#""\u0000""#).as_deref(), Some("body"));
        // An escaped backslash before `u0000` is text, not a NUL.
        assert_eq!(nul_field(br#"{"title": "\\u0000"}"#), None);
        assert_eq!(nul_field(br#"{"title": "fine"}"#), None);
    }

    #[test]
    fn json_content_types_are_those_axum_takes() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            json_content_type(&headers)
        };
        assert!(with("application/json"));
        assert!(with("application/json; charset=utf-8"));
        assert!(with("Application/JSON"));
        assert!(with("application/cloudevents+json"));
        assert!(!with("text/json"));
        assert!(!with("text/plain"));
        assert!(!json_content_type(&HeaderMap::new()));
    }
}
