//! Assertions on the one JSON error shape every service but auth answers in:
//! `{"error": {"code", "message", "fields"?}}`.

use serde_json::{Value, json};

/// What a value holding U+0000 is told (`posey_http::json::NUL_MESSAGE`).
pub const NUL: &str = "must not contain the NUL character (U+0000)";

/// Asserts `response` has `status` and the error shape, as JSON; returns its code and fields
/// (`Null` when none).
pub async fn error_of(response: reqwest::Response, status: u16) -> (String, Value) {
    assert_eq!(response.status(), status, "{}", response.url().path());
    let content_type = response.headers()["content-type"].to_str().unwrap_or_default().to_owned();
    let text = response.text().await.expect("reading an error body");
    assert!(content_type.starts_with("application/json"), "{content_type}: {text}");
    let body: Value = serde_json::from_str(&text).expect("an error body is JSON");
    let error = body["error"].as_object().unwrap_or_else(|| panic!("not the shape: {body}"));
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert!(error.keys().all(|k| ["code", "message", "fields"].contains(&k.as_str())), "{body}");
    let code = error["code"].as_str().unwrap_or_else(|| panic!("no code: {body}")).to_owned();
    (code, body["error"]["fields"].clone())
}

/// Asserts `response` is the 422 refusing a NUL in `field`, and only there.
pub async fn refused_for_nul(response: reqwest::Response, field: &str) {
    let (code, fields) = error_of(response, 422).await;
    assert_eq!(code, "validation_failed");
    assert_eq!(fields, json!({field: [NUL]}));
}
