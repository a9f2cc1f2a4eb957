//! Hostile input (issue 12): a NUL (U+0000) in a task's name, a reminder's payload (jsonb), a
//! push subscription, a query string or a path is a 422 naming where, and stores nothing; bad
//! query values, oversized bodies, wrong methods and unknown routes answer in the one JSON
//! error shape.

use posey_testkit::errors::{error_of, refused_for_nul};
use serde_json::{Value, json};

use crate::helpers::{CronApp, spawn_authed_app};

fn reminder() -> Value {
    json!({
        "name": "stretch",
        "kind": "reminder",
        "payload": {"title": "Stretch", "body": "stand up"},
        "schedule": {"kind": "interval", "spec": 3600},
    })
}

async fn tasks_of(app: &CronApp, token: &str) -> Vec<Value> {
    let body: Value = app.get_as("/v1/tasks", token).await.json().await.unwrap();
    body["tasks"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_nul_in_a_task_a_subscription_a_query_or_a_path_is_a_422_and_nothing_is_stored() {
    let app = spawn_authed_app().await;
    let (_, token) = app.person();

    let mut named = reminder();
    named["name"] = json!("stre\u{0}tch");
    refused_for_nul(app.post_as("/v1/tasks", &token, &named).await, "name").await;
    let mut payload = reminder();
    payload["payload"]["body"] = json!("stand\u{0}up");
    refused_for_nul(app.post_as("/v1/tasks", &token, &payload).await, "payload.body").await;
    let mut key = reminder();
    key["payload"]["x\u{0}"] = json!(1);
    refused_for_nul(app.post_as("/v1/tasks", &token, &key).await, "payload.x\\u0000").await;
    assert!(tasks_of(&app, &token).await.is_empty());

    let task = app.create_task(&token, &reminder()).await;
    let path = format!("/v1/tasks/{}", task["id"].as_str().unwrap());
    let renamed = app.patch_as(&path, &token, &json!({"name": "\u{0}"})).await;
    refused_for_nul(renamed, "name").await;
    let subscription =
        json!({"endpoint": "https://push.example.com/\u{0}", "keys": {"p256dh": "x", "auth": "y"}});
    let subscribed = app.post_as("/v1/push/subscriptions", &token, &subscription).await;
    refused_for_nul(subscribed, "endpoint").await;

    refused_for_nul(app.get_as("/v1/notifications?unread=%00", &token).await, "unread").await;
    refused_for_nul(app.get_as(&format!("{path}%00/runs"), &token).await, "path").await;

    let tasks = tasks_of(&app, &token).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["name"], "stretch");
}

#[tokio::test]
async fn errors_of_the_framework_answer_in_the_json_shape() {
    let app = spawn_authed_app().await;
    let (_, token) = app.person();

    // A bad query value is a 422 naming the parameter, on every route that reads a query.
    let task = app.create_task(&token, &reminder()).await;
    let runs = format!("/v1/tasks/{}/runs?offset=x", task["id"].as_str().unwrap());
    for (path, field, problem) in [
        ("/v1/tasks?limit=abc", "limit", "invalid digit found in string"),
        (runs.as_str(), "offset", "invalid digit found in string"),
        ("/v1/notifications?unread=maybe", "unread", "provided string was not `true` or `false`"),
    ] {
        let (code, fields) = error_of(app.get_as(path, &token).await, 422).await;
        assert_eq!(code, "validation_failed", "{path}");
        assert_eq!(fields, json!({field: [problem]}), "{path}");
    }

    let big = json!({"name": "x".repeat(3 << 20), "kind": "reminder"});
    let (code, _) = error_of(app.post_as("/v1/tasks", &token, &big).await, 413).await;
    assert_eq!(code, "payload_too_large");

    let response = app.request(reqwest::Method::PUT, "/v1/tasks", &token).send().await.unwrap();
    assert!(response.headers()["allow"].to_str().unwrap().contains("GET"));
    assert_eq!(error_of(response, 405).await.0, "method_not_allowed");
    assert_eq!(error_of(app.get_as("/v1/nowhere", &token).await, 404).await.0, "not_found");
}
