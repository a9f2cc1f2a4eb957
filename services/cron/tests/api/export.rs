//! `GET /v1/me/export`: cron's part of a person's export holds their tasks, runs,
//! notifications and push subscriptions, nobody else's, and never a push subscription's keys.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use posey_cron::notifications::{self, Channels, NewNotification};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{CronApp, spawn_authed_app_with};

/// Person `name`'s reminder (run once now), notification and push subscription; the
/// subscription's keys.
async fn fill(app: &CronApp, person: Uuid, token: &str, name: &str) -> (String, String) {
    let task = app
        .create_task(
            token,
            &json!({
                "name": name,
                "kind": "reminder",
                "payload": { "title": name },
                "schedule": { "kind": "cron", "spec": "0 0 9 * * *" },
                "time_zone": "Europe/Paris",
            }),
        )
        .await;
    let run = app
        .post_as(&format!("/v1/tasks/{}/run", task["id"].as_str().unwrap()), token, &json!({}))
        .await;
    assert_eq!(run.status(), 202);

    let data = json!({ "who": name });
    let mut tx = app.db.pool.begin().await.unwrap();
    let new = NewNotification {
        user_id: person,
        title: name,
        body: "the body",
        data: &data,
        task_id: None,
        run_id: None,
        key: None,
    };
    notifications::create(&mut tx, Channels::default(), &new).await.unwrap().unwrap();
    tx.commit().await.unwrap();

    let browser = SecretKey::random(&mut rand::rngs::OsRng);
    let p256dh = URL_SAFE_NO_PAD.encode(browser.public_key().to_encoded_point(false).as_bytes());
    let auth = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
    let subscribed = app
        .post_as(
            "/v1/push/subscriptions",
            token,
            &json!({
                "endpoint": format!("http://127.0.0.1:9/push/{name}"),
                "keys": { "p256dh": p256dh, "auth": auth },
            }),
        )
        .await;
    assert_eq!(subscribed.status(), 201);
    (p256dh, auth)
}

fn names<'a>(export: &'a Value, list: &str, field: &str) -> Vec<&'a str> {
    export[list].as_array().unwrap().iter().map(|item| item[field].as_str().unwrap()).collect()
}

#[tokio::test]
async fn each_person_exports_only_their_own_and_no_push_key() {
    let app = spawn_authed_app_with(&[
        ("CRON_PUSH_ALLOW_INSECURE_LOOPBACK", "true".to_owned()),
        ("CRON_SCHEDULER_ENABLED", "false".to_owned()),
    ])
    .await;
    let (alice, alice_token) = app.person();
    let (bob, bob_token) = app.person();
    let alices_keys = fill(&app, alice, &alice_token, "alice").await;
    let bobs_keys = fill(&app, bob, &bob_token, "bob").await;

    for (person, token, name, keys, other) in [
        (alice, &alice_token, "alice", &alices_keys, "bob"),
        (bob, &bob_token, "bob", &bobs_keys, "alice"),
    ] {
        let response = app.get_as("/v1/me/export", token).await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        let export: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(export["user_id"], person.to_string());
        assert!(export["exported_at"].is_string(), "{export}");

        assert_eq!(names(&export, "tasks", "name"), [name]);
        let task = &export["tasks"][0];
        let shown: Value = app
            .get_as(&format!("/v1/tasks/{}", task["id"].as_str().unwrap()), token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(task, &shown, "a task is as GET /v1/tasks/{{id}} shows it");

        let runs = export["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 1, "{export}");
        assert_eq!(runs[0]["task_id"], task["id"]);

        assert_eq!(names(&export, "notifications", "title"), [name]);
        let notification = &export["notifications"][0];
        assert_eq!(notification["data"], json!({ "who": name }));
        assert!(notification["read_at"].is_null());
        let deliveries = notification["deliveries"].as_array().unwrap();
        assert!(deliveries.iter().all(|d| d["channel"] == "web_push"), "{notification}");

        let subscriptions = export["push_subscriptions"].as_array().unwrap();
        assert_eq!(subscriptions.len(), 1, "{export}");
        assert_eq!(subscriptions[0]["endpoint"], format!("http://127.0.0.1:9/push/{name}"));
        let mut fields: Vec<&String> = subscriptions[0].as_object().unwrap().keys().collect();
        fields.sort();
        assert_eq!(fields, ["created_at", "endpoint", "id"]);

        assert!(!text.contains(&keys.0) && !text.contains(&keys.1), "a push key leaked: {text}");
        assert!(!text.contains(other), "someone else's rows: {text}");
    }

    // Read ones are exported too.
    let response = app.post_as("/v1/notifications/read-all", &alice_token, &json!({})).await;
    assert_eq!(response.status(), 200);
    let export: Value = app.get_as("/v1/me/export", &alice_token).await.json().await.unwrap();
    assert!(export["notifications"][0]["read_at"].is_string(), "{export}");

    let response = app.get("/v1/me/export").await;
    assert_eq!(response.status(), 401);
}
