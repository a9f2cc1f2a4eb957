//! JSON nested deep (issue 21): arrays and objects as a whole body, and deep inside a field
//! that takes any JSON (`data`), on sign-up and the password grant. As deep as a body may be
//! (64 KiB), each is a prompt 4xx in GoTrue's shape (serde_json stops at 128 levels); 100,000
//! levels is over the body limit, a 413. Auth answers the next request as usual.

use std::time::{Duration, Instant};

use posey_testkit::hostile::nested;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{AuthApp, email, parts, spawn};

async fn send(app: &AuthApp, path: &str, body: String) -> (StatusCode, Value, Duration) {
    let started = Instant::now();
    let response = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let (status, body) = parts(response).await;
    (status, body, started.elapsed())
}

#[tokio::test]
async fn bodies_nested_thousands_deep_are_prompt_client_errors() {
    let app = spawn().await;
    let address = email();
    let credentials = format!(r#""email": "{address}", "password": "correct horse battery""#);
    // Under the 64 KiB body limit: 20,000 arrays, 10,000 objects.
    let arrays = nested("[", "1", "]", 20_000);
    let objects = nested(r#"{"a":"#, "1", "}", 10_000);
    assert!(objects.len() < 64 * 1024);
    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        ("/signup", arrays.clone(), StatusCode::BAD_REQUEST, "validation_failed"),
        ("/signup", objects.clone(), StatusCode::BAD_REQUEST, "validation_failed"),
        (
            "/signup",
            format!("{{{credentials}, \"data\": {arrays}}}"),
            StatusCode::BAD_REQUEST,
            "bad_json",
        ),
        (
            "/signup",
            format!("{{{credentials}, \"data\": {objects}}}"),
            StatusCode::BAD_REQUEST,
            "bad_json",
        ),
        (
            "/token?grant_type=password",
            arrays.clone(),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (
            "/token?grant_type=password",
            objects.clone(),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (
            "/token?grant_type=password",
            format!("{{{credentials}, \"x\": {arrays}}}"),
            StatusCode::BAD_REQUEST,
            "invalid_credentials",
        ),
        // 100,000 levels: over the body limit.
        (
            "/signup",
            nested("[", "1", "]", 100_000),
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
        ),
    ];
    let mut wrong = Vec::new();
    for (path, body, status, code) in cases {
        let (got, body, took) = send(&app, path, body).await;
        assert!(took < Duration::from_secs(5), "{path}: {took:?}");
        assert_eq!(body["code"], got.as_u16(), "{body}");
        assert!(body["msg"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
        if (got, body["error_code"].as_str().unwrap_or_default()) != (status, code) {
            wrong.push(format!("{path}: {got} {body:.300}, not {status} {code}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");

    // No one was signed up, and auth answers the next sign-up as usual.
    let (status, _) = app.login(&address, "correct horse battery").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no user was made");
    let (status, body) = app.signup(&address, "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
