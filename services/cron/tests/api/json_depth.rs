//! JSON nested 100,000 levels deep (issue 21): arrays and objects as a whole body, and deep in
//! a task's payload (jsonb, any JSON), on the routes that read JSON. Each is a prompt 4xx in the
//! one error shape (serde_json stops at 128 levels), nothing is stored, and cron answers the
//! next request as usual.

use std::time::{Duration, Instant};

use posey_testkit::errors::error_of;
use posey_testkit::hostile::nested;
use serde_json::{Value, json};

use crate::helpers::{CronApp, spawn_authed_app};

const LEVELS: usize = 100_000;

async fn send(
    app: &CronApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: String,
) -> reqwest::Response {
    app.request(method, path, token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

fn task_with_payload(payload: &str) -> String {
    format!(
        r#"{{"name": "deep", "kind": "reminder", "payload": {payload},
            "schedule": {{"kind": "interval", "spec": 3600}}}}"#
    )
}

#[tokio::test]
async fn bodies_nested_100_000_deep_are_prompt_client_errors() {
    let app = spawn_authed_app().await;
    let (_, token) = app.person();
    let task = app
        .create_task(
            &token,
            &json!({"name": "stretch", "kind": "reminder", "payload": {"title": "Stretch"},
                    "schedule": {"kind": "interval", "spec": 3600}}),
        )
        .await;
    let path = format!("/v1/tasks/{}", task["id"].as_str().unwrap());
    let arrays = nested("[", "1", "]", LEVELS);
    let objects = nested(r#"{"a": "#, "1", "}", LEVELS);
    use reqwest::Method as M;
    let cases: Vec<(M, &str, String, u16, &str)> = vec![
        (M::POST, "/v1/tasks", arrays.clone(), 422, "validation_failed"),
        (M::POST, "/v1/tasks", objects.clone(), 422, "validation_failed"),
        (M::POST, "/v1/tasks", task_with_payload(&arrays), 400, "bad_request"),
        (M::POST, "/v1/tasks", task_with_payload(&objects), 400, "bad_request"),
        (M::PATCH, &path, format!(r#"{{"payload": {objects}}}"#), 400, "bad_request"),
        (M::POST, "/v1/push/subscriptions", arrays.clone(), 422, "validation_failed"),
        (M::POST, "/v1/push/subscriptions", objects.clone(), 422, "validation_failed"),
    ];
    let mut seen = Vec::new();
    for (method, path, body, status, code) in cases {
        let started = Instant::now();
        let response = send(&app, method.clone(), path, &token, body).await;
        let got = response.status().as_u16();
        let text = response.text().await.unwrap();
        let got_code = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|body| body["error"]["code"].as_str().map(str::to_owned))
            .unwrap_or_default();
        seen.push(format!(
            "{method} {path}: {got} {got_code} ({:?}) {text:.200}",
            started.elapsed()
        ));
        assert!(started.elapsed() < Duration::from_secs(5), "{seen:#?}");
        assert_eq!((got, got_code.as_str()), (status, code), "{seen:#?}");
    }
    let response = send(&app, M::POST, "/v1/tasks", &token, task_with_payload(&objects)).await;
    assert_eq!(error_of(response, 400).await.0, "bad_request");

    // Nothing was stored, and cron answers the next ordinary requests.
    let tasks: Value = app.get_as("/v1/tasks", &token).await.json().await.unwrap();
    let names: Vec<&str> =
        tasks["tasks"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["stretch"]);
    app.create_task(
        &token,
        &json!({"name": "water", "kind": "reminder", "payload": {"title": "Water", "k": [[[1]]]},
                "schedule": {"kind": "interval", "spec": 3600}}),
    )
    .await;
}
