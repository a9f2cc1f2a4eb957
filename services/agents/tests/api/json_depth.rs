//! JSON nested 100,000 levels deep (issue 21): arrays and objects as a whole body, and deep
//! inside a field that takes any JSON, on the routes that read JSON (memories, the profile,
//! the OpenAI-compatible API, conversations, MCP). Each is a prompt 4xx in the one error shape
//! (serde_json stops at 128 levels, and nothing here recurses further), and the service answers
//! the next request as usual.

use std::time::{Duration, Instant};

use posey_testkit::errors::error_of;
use posey_testkit::hostile::nested;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, spawn};

const LEVELS: usize = 100_000;

/// `[[[...]]]` and `{"a": {"a": ...}}`, `LEVELS` deep.
fn deep_arrays() -> String {
    nested("[", "1", "]", LEVELS)
}

fn deep_objects() -> String {
    nested(r#"{"a": "#, "1", "}", LEVELS)
}

async fn send(
    app: &AgentsApp,
    method: Method,
    path: &str,
    token: &str,
    body: String,
) -> reqwest::Response {
    let mut request = app.request(method, path, token).header("content-type", "application/json");
    if path == "/mcp" {
        request = request.header("accept", "application/json, text/event-stream");
    }
    request.body(body).send().await.unwrap()
}

#[tokio::test]
async fn bodies_nested_100_000_deep_are_prompt_client_errors() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let conversation = app.conversation(&token, None).await;
    let messages = format!("/v1/conversations/{conversation}/messages");
    let (arrays, objects) = (deep_arrays(), deep_objects());
    let chat = |content: &str| {
        format!(r#"{{"model": "posey", "messages": [{{"role": "user", "content": {content}}}]}}"#)
    };
    let mcp = |arguments: &str| {
        format!(
            r#"{{"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {{"name": "update_profile", "arguments": {arguments}}}}}"#
        )
    };
    // (method, path, body, status, code)
    let cases: Vec<(Method, &str, String, u16, &str)> = vec![
        (Method::POST, "/v1/memories", arrays.clone(), 422, "validation_failed"),
        (Method::POST, "/v1/memories", objects.clone(), 422, "validation_failed"),
        (
            Method::POST,
            "/v1/memories",
            format!(r#"{{"text": {arrays}}}"#),
            422,
            "validation_failed",
        ),
        // A NUL beside the depth: the NUL check's own parse stops at the depth too.
        (
            Method::POST,
            "/v1/memories",
            format!(r#"{{"text": "\u0000", "x": {objects}}}"#),
            422,
            "validation_failed",
        ),
        (
            Method::PATCH,
            "/v1/profile",
            format!(r#"{{"preferences": {objects}}}"#),
            400,
            "bad_request",
        ),
        (
            Method::PATCH,
            "/v1/profile",
            format!(r#"{{"preferences": {{"k": {arrays}}}}}"#),
            400,
            "bad_request",
        ),
        (Method::POST, "/v1/chat/completions", arrays.clone(), 422, "validation_failed"),
        (Method::POST, "/v1/chat/completions", chat(&arrays), 400, "bad_request"),
        (Method::POST, "/v1/chat/completions", chat(&objects), 400, "bad_request"),
        (Method::POST, "/v1/conversations", objects.clone(), 422, "validation_failed"),
        (Method::POST, &messages, format!(r#"{{"content": {arrays}}}"#), 422, "validation_failed"),
        (Method::POST, "/mcp", arrays.clone(), 415, "unsupported_media_type"),
        (Method::POST, "/mcp", objects.clone(), 415, "unsupported_media_type"),
        (Method::POST, "/mcp", mcp(&objects), 415, "unsupported_media_type"),
    ];
    let mut wrong = Vec::new();
    for (method, path, body, status, code) in cases {
        let started = Instant::now();
        let response = send(&app, method.clone(), path, &token, body).await;
        let got = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(5), "{method} {path}");
        let got_code = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|body| body["error"]["code"].as_str().map(str::to_owned))
            .unwrap_or_default();
        if (got, got_code.as_str()) != (status, code) {
            wrong.push(format!("{method} {path}: {got} {text:.300}, not {status} {code}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // The answers are the one error shape throughout (checked once more in full).
    let response = send(
        &app,
        Method::PATCH,
        "/v1/profile",
        &token,
        format!(r#"{{"preferences": {{"k": {arrays}}}}}"#),
    )
    .await;
    let (code, _) = error_of(response, 400).await;
    assert_eq!(code, "bad_request");

    // Nothing was stored, and the service answers the next ordinary requests.
    let memories: Value = app.get_as("/v1/memories", &token).await.json().await.unwrap();
    assert_eq!(memories["memories"], json!([]), "{memories}");
    let response = app.post_as("/v1/memories", &token, &json!({"text": "likes tea"})).await;
    assert!(response.status().is_success(), "{:?}", response.text().await);
    let profile = app
        .request(Method::PATCH, "/v1/profile", &token)
        .json(&json!({"preferences": {"k": [[1]]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 200, "{:?}", profile.text().await);
}
