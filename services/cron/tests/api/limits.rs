//! Flood limits on what one person may schedule: a minimum gap between runs
//! (`CRON_MIN_INTERVAL_SECS`), a cap on tasks (`CRON_MAX_TASKS_PER_PERSON`) and a rate of task
//! writes (`CRON_TASK_CREATE_RATE`), the same through a service acting for the person.

use serde_json::{Value, json};

use crate::helpers::{CronApp, spawn_authed_app, spawn_authed_app_with};

fn reminder(schedule: Value) -> Value {
    json!({
        "name": "nag",
        "kind": "reminder",
        "payload": {"title": "Nag"},
        "schedule": schedule,
    })
}

fn daily() -> Value {
    reminder(json!({"kind": "cron", "spec": "0 0 9 * * *"}))
}

/// A token from auth's client-credentials grant, acting for `person`.
fn as_service(app: &CronApp, person: uuid::Uuid, path: &str) -> reqwest::RequestBuilder {
    let mut claims = posey_testkit::TestKeys::claims_for("service:agents");
    claims["role"] = json!("service_role");
    claims["client_id"] = json!("agents");
    claims["scope"] = json!("cron:act-for-person");
    let token = app.keys.signing_key().sign(&claims);
    app.request(reqwest::Method::POST, path, &token).header("X-Posey-Person", person.to_string())
}

#[tokio::test]
async fn schedules_firing_more_often_than_the_minimum_are_422s() {
    let app = spawn_authed_app().await;
    let (person, token) = app.person();
    let frequent = [
        json!({"kind": "cron", "spec": "* * * * * *"}),
        json!({"kind": "cron", "spec": "*/30 * * * * *"}),
        json!({"kind": "cron", "spec": "0,1 0 9 * * *"}),
        json!({"kind": "interval", "spec": 1}),
        json!({"kind": "interval", "spec": "59"}),
        json!({"kind": "rrule", "spec": "FREQ=SECONDLY"}),
        json!({"kind": "rrule", "spec": "FREQ=SECONDLY;INTERVAL=30"}),
        json!({"kind": "rrule", "spec": "FREQ=MINUTELY;BYSECOND=0,30"}),
    ];
    for schedule in &frequent {
        let response = app.post_as("/v1/tasks", &token, &reminder(schedule.clone())).await;
        assert_eq!(response.status(), 422, "{schedule}");
        let body: Value = response.json().await.unwrap();
        let message = body["error"]["fields"]["schedule"][0].as_str().unwrap_or_default();
        assert!(message.contains("at least 60s apart"), "{schedule}: {body}");
    }
    // A service acting for the person gets the same answer.
    let response =
        as_service(&app, person, "/v1/tasks").json(&reminder(frequent[0].clone())).send().await;
    assert_eq!(response.unwrap().status(), 422);
    // So does changing a task's schedule.
    let task = app.create_task(&token, &daily()).await;
    let id = task["id"].as_str().unwrap();
    let response =
        app.patch_as(&format!("/v1/tasks/{id}"), &token, &json!({"schedule": frequent[3]})).await;
    assert_eq!(response.status(), 422);
    // Once a minute is fine.
    app.create_task(&token, &reminder(json!({"kind": "interval", "spec": 60}))).await;
    app.create_task(&token, &reminder(json!({"kind": "rrule", "spec": "FREQ=MINUTELY"}))).await;
}

#[tokio::test]
async fn the_minimum_interval_is_configurable() {
    let app = spawn_authed_app_with(&[("CRON_MIN_INTERVAL_SECS", "1".into())]).await;
    let (_, token) = app.person();
    app.create_task(&token, &reminder(json!({"kind": "interval", "spec": 1}))).await;
    let app = spawn_authed_app_with(&[("CRON_MIN_INTERVAL_SECS", "3600".into())]).await;
    let (_, token) = app.person();
    let every_minute = reminder(json!({"kind": "cron", "spec": "0 * * * * *"}));
    assert_eq!(app.post_as("/v1/tasks", &token, &every_minute).await.status(), 422);
}

/// A burst of 100 creations: the first `CRON_TASK_CREATE_RATE` (30 by default) succeed, the
/// rest are 429s with `Retry-After`; a service acting for the person shares the budget;
/// another person is unaffected.
#[tokio::test]
async fn a_burst_of_creations_meets_429s_with_retry_after() {
    let app = spawn_authed_app().await;
    let (person, token) = app.person();
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..100 {
        let response = app.post_as("/v1/tasks", &token, &daily()).await;
        if response.status() == 429 {
            retry_after = response.headers().get("retry-after").cloned();
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "rate_limited", "{body}");
            statuses.push(429);
        } else {
            statuses.push(response.status().as_u16());
        }
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 30, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 70, "{statuses:?}");
    let seconds: u64 = retry_after.unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");

    let response = as_service(&app, person, "/v1/tasks").json(&daily()).send().await.unwrap();
    assert_eq!(response.status(), 429);
    // Run-now requests count against the same budget.
    let list: Value = app.get_as("/v1/tasks", &token).await.json().await.unwrap();
    let id = list["tasks"][0]["id"].as_str().unwrap();
    let response = app.post_as(&format!("/v1/tasks/{id}/run"), &token, &json!({})).await;
    assert_eq!(response.status(), 429);

    let (_, other) = app.person();
    app.create_task(&other, &daily()).await;
}

/// With Redis the counts are shared: two replicas give one person one budget.
#[tokio::test]
async fn the_creation_rate_is_shared_through_redis() {
    let redis = posey_testkit::required_url("TEST_REDIS_URL");
    let vars = [("REDIS_URL", redis), ("CRON_TASK_CREATE_RATE", "3".to_owned())];
    let one = spawn_authed_app_with(&vars).await;
    let two = spawn_authed_app_with(&vars).await;
    let person = uuid::Uuid::new_v4();
    let token_one = one.keys.token_for(&person.to_string());
    let token_two = two.keys.token_for(&person.to_string());
    one.create_task(&token_one, &daily()).await;
    one.create_task(&token_one, &daily()).await;
    two.create_task(&token_two, &daily()).await;
    assert_eq!(two.post_as("/v1/tasks", &token_two, &daily()).await.status(), 429);
    assert_eq!(one.post_as("/v1/tasks", &token_one, &daily()).await.status(), 429);
}

#[tokio::test]
async fn a_person_has_at_most_the_cap_even_when_creating_at_once() {
    let app = spawn_authed_app_with(&[
        ("CRON_MAX_TASKS_PER_PERSON", "3".into()),
        ("CRON_TASK_CREATE_RATE", "1000".into()),
    ])
    .await;
    let (person, token) = app.person();
    // Twenty at once: exactly three get in.
    let body = daily();
    let attempts = (0..20).map(|_| app.post_as("/v1/tasks", &token, &body));
    let statuses: Vec<u16> =
        futures::future::join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 17, "{statuses:?}");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM cron.tasks WHERE user_id = $1")
        .bind(person)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 3);

    let response = app.post_as("/v1/tasks", &token, &daily()).await;
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("3 tasks"), "{body}");
    // Through a service too.
    let response = as_service(&app, person, "/v1/tasks").json(&daily()).send().await.unwrap();
    assert_eq!(response.status(), 409);
    // Someone else is not held by it; deleting makes room.
    let (_, other) = app.person();
    app.create_task(&other, &daily()).await;
    let list: Value = app.get_as("/v1/tasks", &token).await.json().await.unwrap();
    let id = list["tasks"][0]["id"].as_str().unwrap();
    assert_eq!(app.delete_as(&format!("/v1/tasks/{id}"), &token).await.status(), 204);
    app.create_task(&token, &daily()).await;
}
