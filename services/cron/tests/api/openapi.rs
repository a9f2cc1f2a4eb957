//! `GET /openapi.json`: the document generated from the routes is served, every operation it
//! names is served (and every other method on its paths is a 405), it is valid OpenAPI 3.1
//! (checked by the Node validator in posey-testkit's `openapi/`, against the official schema), and real
//! answers of every operation, errors included, match the schemas it gives for them.
//! (That it names every route the router has is checked in `routes::openapi`'s unit test.)

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use posey_cron::notifications::{self, Channels, NewNotification};
use posey_testkit::TestKeys;
use posey_testkit::openapi::{Samples, check_with_node};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{CronApp, spawn_authed_app_with};

fn token_with(app: &CronApp, sub: &str, extra: Value) -> String {
    let mut claims = TestKeys::claims_for(sub);
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    app.keys.signing_key().sign(&claims)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_generated_document_is_served_valid_and_true_to_the_answers() {
    let vapid = SecretKey::random(&mut rand::rngs::OsRng);
    let app = spawn_authed_app_with(&[
        ("CRON_VAPID_PRIVATE_KEY", URL_SAFE_NO_PAD.encode(vapid.to_bytes())),
        ("CRON_VAPID_SUBJECT", "mailto:ops@example.com".to_owned()),
        ("CRON_PUSH_ALLOW_INSECURE_LOOPBACK", "true".to_owned()),
        ("CRON_SCHEDULER_ENABLED", "false".to_owned()),
    ])
    .await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.unwrap();
    let generated: Value = serde_json::from_str(&posey_cron::openapi_json()).unwrap();
    assert_eq!(document, generated, "what is served is what the code generates");

    let (person, token) = app.person();
    let me = Some(token.as_str());
    let admin = token_with(&app, &uuid::Uuid::new_v4().to_string(), json!({ "roles": ["admin"] }));
    let service = token_with(
        &app,
        "agents",
        json!({ "role": "service_role", "scope": "cron:act-for-person" }),
    );
    let mut s = Samples::default();
    let (get, post, patch, delete) = (Method::GET, Method::POST, Method::PATCH, Method::DELETE);

    s.call(&app, get.clone(), "/healthz", "/healthz", None, None).await;
    s.call(&app, get.clone(), "/readyz", "/readyz", None, None).await;
    s.call(&app, get.clone(), "/v1/status", "/v1/status", Some(&admin), None).await;
    s.call(&app, get.clone(), "/v1/status", "/v1/status", me, None).await;
    s.call(&app, get.clone(), "/v1/status", "/v1/status", None, None).await;

    // Tasks and runs.
    let reminder = json!({
        "name": "water the plants",
        "kind": "reminder",
        "payload": { "title": "Water the plants" },
        "schedule": { "kind": "cron", "spec": "0 0 9 * * *" },
        "time_zone": "Europe/Paris",
    });
    let (status, task) =
        s.call(&app, post.clone(), "/v1/tasks", "/v1/tasks", me, Some(reminder)).await;
    assert_eq!(status, 201, "{task}");
    let id = task["id"].as_str().unwrap().to_owned();
    let bad = json!({ "name": "x", "kind": "reminder", "schedule": { "kind": "cron", "spec": "nope" }, "colour": 1 });
    s.call(&app, post.clone(), "/v1/tasks", "/v1/tasks", me, Some(bad)).await;
    s.call(&app, get.clone(), "/v1/tasks", "/v1/tasks?limit=10", me, None).await;
    let task_path = format!("/v1/tasks/{id}");
    s.call(&app, get.clone(), "/v1/tasks/{id}", &task_path, me, None).await;
    s.call(&app, get.clone(), "/v1/tasks/{id}", "/v1/tasks/not-an-id", me, None).await;
    let missing = format!("/v1/tasks/{}", uuid::Uuid::new_v4());
    s.call(&app, get.clone(), "/v1/tasks/{id}", &missing, me, None).await;
    s.call(
        &app,
        patch.clone(),
        "/v1/tasks/{id}",
        &task_path,
        me,
        Some(json!({ "name": "water them" })),
    )
    .await;
    s.call(&app, post.clone(), "/v1/tasks/{id}/run", &format!("{task_path}/run"), me, None).await;
    s.call(&app, get.clone(), "/v1/tasks/{id}/runs", &format!("{task_path}/runs"), me, None).await;
    s.call(&app, post.clone(), "/v1/tasks/{id}/pause", &format!("{task_path}/pause"), me, None)
        .await;
    s.call(&app, post.clone(), "/v1/tasks/{id}/run", &format!("{task_path}/run"), me, None).await;
    s.call(&app, post.clone(), "/v1/tasks/{id}/resume", &format!("{task_path}/resume"), me, None)
        .await;
    s.call(&app, get.clone(), "/v1/tasks", "/v1/tasks", Some(&service), None).await;
    s.call(&app, delete.clone(), "/v1/tasks/{id}", &task_path, me, None).await;

    // Notifications.
    let data = json!({ "conversation_id": "c" });
    let mut tx = app.db.pool.begin().await.unwrap();
    let new = NewNotification {
        user_id: person,
        title: "Hello",
        body: "the body",
        data: &data,
        task_id: None,
        run_id: None,
        key: None,
    };
    let notification =
        notifications::create(&mut tx, Channels::default(), &new).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    s.call(&app, get.clone(), "/v1/notifications", "/v1/notifications?unread=true", me, None).await;
    s.call(&app, get.clone(), "/v1/notifications", "/v1/notifications?before=yesterday", me, None)
        .await;
    let read = format!("/v1/notifications/{notification}/read");
    s.call(&app, post.clone(), "/v1/notifications/{id}/read", &read, me, None).await;
    s.call(
        &app,
        post.clone(),
        "/v1/notifications/read-all",
        "/v1/notifications/read-all",
        me,
        None,
    )
    .await;
    s.call(
        &app,
        get.clone(),
        "/v1/notifications/stream",
        "/v1/notifications/stream?since=nope",
        me,
        None,
    )
    .await;
    s.call(&app, get.clone(), "/v1/notifications", "/v1/notifications", Some(&service), None).await;
    // A notice another service hands over: made, made before, refused.
    let notice = json!({ "key": "calendar-alarm:x", "title": "Dentist", "data": { "uid": "d" } });
    for body in [notice.clone(), notice, json!({ "key": "", "title": "t" })] {
        let request = app
            .client
            .post(format!("{}/v1/notifications", app.address))
            .bearer_auth(&service)
            .header("x-posey-person", person.to_string())
            .json(&body);
        s.send("/v1/notifications", request).await;
    }
    s.call(&app, post.clone(), "/v1/notifications", "/v1/notifications", me, Some(json!({}))).await;

    // Web Push.
    s.call(&app, get.clone(), "/v1/push/vapid-public-key", "/v1/push/vapid-public-key", None, None)
        .await;
    let browser = SecretKey::random(&mut rand::rngs::OsRng);
    let subscription = json!({
        "endpoint": "http://127.0.0.1:9/push/1",
        "keys": {
            "p256dh": URL_SAFE_NO_PAD.encode(browser.public_key().to_encoded_point(false).as_bytes()),
            "auth": URL_SAFE_NO_PAD.encode([7u8; 16]),
        },
    });
    let (status, subscribed) = s
        .call(
            &app,
            post.clone(),
            "/v1/push/subscriptions",
            "/v1/push/subscriptions",
            me,
            Some(subscription),
        )
        .await;
    assert_eq!(status, 201, "{subscribed}");
    let bad = json!({ "endpoint": "ftp://x", "keys": { "p256dh": "x", "auth": "y" } });
    s.call(&app, post.clone(), "/v1/push/subscriptions", "/v1/push/subscriptions", me, Some(bad))
        .await;
    let path = format!("/v1/push/subscriptions/{}", subscribed["id"].as_str().unwrap());
    s.call(&app, delete.clone(), "/v1/push/subscriptions/{id}", &path, me, None).await;
    s.call(&app, delete.clone(), "/v1/push/subscriptions/{id}", &path, me, None).await;

    // The person's export.
    s.call(&app, get.clone(), "/v1/me/export", "/v1/me/export", me, None).await;
    s.call(&app, get.clone(), "/v1/me/export", "/v1/me/export", None, None).await;
    s.call(&app, get.clone(), "/v1/me/export", "/v1/me/export", Some(&service), None).await;

    // Every operation of the document was seen answering at least once (the stream's events
    // are not JSON: its error answer stands for it).
    s.assert_every_operation_seen(&document, &["get /openapi.json"]);
    let report = check_with_node(&document, &s);
    assert!(report.contains("valid OpenAPI 3.1"), "{report}");
}

#[tokio::test]
async fn every_documented_operation_is_served_and_no_other_method_is() {
    let app = spawn_authed_app_with(&[]).await;
    let (_, token) = app.person();
    let document: Value = app.get("/openapi.json").await.json().await.unwrap();
    let methods = ["get", "put", "post", "patch", "delete"];
    let mut operations = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        let concrete = path.replace("{id}", &uuid::Uuid::new_v4().to_string());
        for method in methods {
            let response = app
                .request(method.to_uppercase().parse().unwrap(), &concrete, &token)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = response.status();
            // An event stream never ends: its status says enough.
            let streams = response
                .headers()
                .get("content-type")
                .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
            let body =
                if streams { String::new() } else { response.text().await.unwrap_or_default() };
            if item.get(method).is_some() {
                operations += 1;
                assert_ne!(status, 405, "{method} {path} is documented but not served");
                assert!(
                    !body.contains("no such route"),
                    "{method} {path} is documented but not served"
                );
            } else {
                assert_eq!(status, 405, "{method} {path} is served but not documented");
            }
        }
    }
    assert!(operations >= 18, "{operations}");
}
