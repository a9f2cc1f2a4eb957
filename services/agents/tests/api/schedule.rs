//! The `schedule` plugin against the real cron service (in process, same test JWKS): the model
//! creates a reminder for the person it talks with, which cron then holds for that person only;
//! cron's validation errors reach the model as tool errors.

use std::sync::Arc;

use posey_http::Service as _;
use posey_models::testing::{FunctionModel, Reply};
use serde_json::{Value, json};

use crate::helpers::{TestApp, parse_sse};

async fn spawn_cron(jwks: &str) -> TestApp {
    let vars = [
        ("AUTH_JWKS_URL", jwks.to_owned()),
        ("AUTH_ISSUER", posey_testkit::TEST_ISSUER.to_owned()),
        ("CRON_SCHEDULER_ENABLED", "false".to_owned()),
    ];
    posey_testkit::spawn_service(
        posey_cron::Config::PORT_VAR,
        &vars,
        posey_cron::Config::read_with_db,
        |config| async move {
            let app = posey_cron::Application::build(config).await.expect("building cron");
            let port = app.port();
            tokio::spawn(app.run_until_stopped(std::future::pending()));
            port
        },
    )
    .await
}

async fn spawn_agents(jwks: &str, cron: &str, model: FunctionModel) -> TestApp {
    let vars = [
        ("AUTH_JWKS_URL", jwks.to_owned()),
        ("AUTH_ISSUER", posey_testkit::TEST_ISSUER.to_owned()),
        ("POSEY_MODEL", "test".to_owned()),
        ("CRON_URL", cron.to_owned()),
        ("POSEY_DATA_DIR", posey_testkit::data_dir().display().to_string()),
    ];
    posey_testkit::spawn_service(
        posey_agents::Config::PORT_VAR,
        &vars,
        posey_agents::Config::read_with_db,
        |config| async move {
            let model = model.model();
            let source = move |_spec: &str| anyhow::Ok(model.clone());
            let parts = posey_agents::Parts {
                models: Some(Arc::new(source)),
                extra_plugins: Vec::new(),
                embedder: Some(posey_models::testing::local_embedder().await),
            };
            let app = posey_agents::Application::build_with(config, parts)
                .await
                .expect("building agents");
            let port = app.port();
            tokio::spawn(app.run_until_stopped(std::future::pending()));
            port
        },
    )
    .await
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
) -> reqwest::RequestBuilder {
    app.client.request(method, format!("{}{path}", app.address)).bearer_auth(token)
}

/// A chat turn in a new conversation with the router; the stream's events.
async fn chat(app: &TestApp, token: &str, content: &str) -> Vec<crate::helpers::Sse> {
    let created: Value = send(app, reqwest::Method::POST, "/v1/conversations", token)
        .await
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let response =
        send(app, reqwest::Method::POST, &format!("/v1/conversations/{id}/messages"), token)
            .await
            .json(&json!({"content": content}))
            .send()
            .await
            .unwrap();
    assert_eq!(response.status(), 200);
    parse_sse(&response.text().await.unwrap())
}

async fn tasks_at_cron(cron: &TestApp, token: &str) -> Vec<Value> {
    let body: Value = send(cron, reqwest::Method::GET, "/v1/tasks", token)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["tasks"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_model_schedules_a_reminder_at_cron_for_the_person_it_talks_with() {
    let keys = posey_testkit::TestKeys::new();
    let jwks = keys.serve().await;
    let cron = spawn_cron(jwks.url.as_str()).await;
    let model = FunctionModel::new(|input| {
        let asked = input.last_user_text().unwrap_or_default();
        match input.tool_results().last() {
            None if asked.contains("passport") => Reply::tool_call(
                "create_reminder",
                json!({"text": "Renew the passport", "at": "2099-03-03T09:00"}),
            ),
            None if asked.contains("nonsense") => Reply::tool_call(
                "create_recurring_task",
                json!({"prompt": "Brief me", "schedule": "every blue moon"}),
            ),
            None if asked.contains("list") => Reply::tool_call("list_tasks", json!({})),
            None => Reply::text("nothing to do"),
            Some(result) => Reply::text(format!("tool said: {}", result.content)),
        }
    });
    let agents = spawn_agents(jwks.url.as_str(), &cron.address, model).await;
    let ada = uuid::Uuid::new_v4();
    let ada_token = keys.token_for(&ada.to_string());
    let (_, bob_token) = {
        let bob = uuid::Uuid::new_v4();
        (bob, keys.token_for(&bob.to_string()))
    };

    // (Not an explicit command with a time, which the runtime would carry out itself.)
    let stream = chat(&agents, &ada_token, "I need a passport reminder, please").await;
    let results = crate::helpers::events(&stream, "tool_result");
    assert_eq!(results.len(), 1, "{stream:?}");
    assert_eq!(results[0]["name"], "create_reminder");
    assert_eq!(results[0]["is_error"], false, "{}", results[0]);

    let tasks = tasks_at_cron(&cron, &ada_token).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["kind"], "reminder");
    assert_eq!(tasks[0]["payload"]["title"], "Renew the passport");
    assert_eq!(tasks[0]["schedule"]["kind"], "once");
    assert_eq!(tasks[0]["next_run_at"], "2099-03-03T09:00:00Z");
    assert!(tasks_at_cron(&cron, &bob_token).await.is_empty());

    // Bob's list through the agent shows none of Ada's.
    let stream = chat(&agents, &bob_token, "list my tasks").await;
    let results = crate::helpers::events(&stream, "tool_result");
    assert_eq!(results[0]["name"], "list_tasks");
    let listed: Value = serde_json::from_str(results[0]["content"].as_str().unwrap()).unwrap();
    assert_eq!(listed, json!({"tasks": []}));

    // Cron's refusal reaches the model as a tool error naming the field.
    let stream = chat(&agents, &ada_token, "brief me on nonsense").await;
    let results = crate::helpers::events(&stream, "tool_result");
    assert_eq!(results[0]["is_error"], true);
    let refusal = results[0]["content"].as_str().unwrap();
    assert!(refusal.contains("schedule"), "{refusal}");
    assert_eq!(tasks_at_cron(&cron, &ada_token).await.len(), 1);
}

/// A token from auth's client-credentials grant, as auth mints it for cron.
fn service_token(keys: &posey_testkit::TestKeys) -> String {
    let mut claims = posey_testkit::TestKeys::claims_for("service:cron");
    claims["role"] = json!("service_role");
    claims["client_id"] = json!("cron");
    claims["scope"] = json!("agents:turns cron:act-for-person");
    keys.signing_key().sign(&claims)
}

#[tokio::test]
async fn a_turn_a_service_runs_for_a_person_schedules_at_cron_for_that_person() {
    let keys = posey_testkit::TestKeys::new();
    let jwks = keys.serve().await;
    let cron = spawn_cron(jwks.url.as_str()).await;
    let model = FunctionModel::new(|input| match input.tool_results().last() {
        None => Reply::tool_call(
            "create_reminder",
            json!({"text": "Water the plants", "at": "2099-05-05T08:00"}),
        ),
        Some(result) if result.is_error => Reply::text(format!("failed: {}", result.content)),
        Some(_) => Reply::text("reminder set"),
    });
    let agents = spawn_agents(jwks.url.as_str(), &cron.address, model).await;
    let ada = uuid::Uuid::new_v4();
    let ada_token = keys.token_for(&ada.to_string());
    let bob = uuid::Uuid::new_v4();
    let bob_token = keys.token_for(&bob.to_string());

    // Ada has never chatted: the turn cron starts for her carries only cron's service token.
    let service = service_token(&keys);
    let path = format!("/v1/service/users/{ada}/turns");
    let response = send(&agents, reqwest::Method::POST, &path, &service)
        .await
        .json(&json!({"prompt": "Remind me to water the plants"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["text"], "reminder set", "{answer}");

    let tasks = tasks_at_cron(&cron, &ada_token).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["kind"], "reminder");
    assert_eq!(tasks[0]["payload"]["title"], "Water the plants");
    assert_eq!(tasks[0]["next_run_at"], "2099-05-05T08:00:00Z");
    assert!(tasks_at_cron(&cron, &bob_token).await.is_empty());
}

/// The text a stream said, joined.
fn said(stream: &[crate::helpers::Sse]) -> String {
    crate::helpers::events(stream, "text").iter().map(|e| e["delta"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn an_explicit_reminder_is_set_in_the_persons_zone_without_asking_the_model() {
    use chrono::{Days, TimeZone as _, Utc};
    use posey_agents::memory::extract::PROMPT_MARKER;

    let keys = posey_testkit::TestKeys::new();
    let jwks = keys.serve().await;
    let cron = spawn_cron(jwks.url.as_str()).await;
    let model = FunctionModel::new(|_| Reply::text("the model answered"));
    // The turns' model calls (memory extraction runs on the same model after a turn).
    let calls = || {
        let requests = model.requests();
        requests.iter().filter(|r| !format!("{:?}", r.chat_history).contains(PROMPT_MARKER)).count()
    };
    let agents = spawn_agents(jwks.url.as_str(), &cron.address, model.clone()).await;
    let ada = uuid::Uuid::new_v4();
    let token = keys.token_for(&ada.to_string());
    let zone = chrono_tz::Asia::Kolkata;
    let response = agents.patch_as("/v1/profile", &token, &json!({"time_zone": zone.name()})).await;
    assert_eq!(response.status(), 200);

    let tomorrow = Utc::now().with_timezone(&zone).date_naive() + Days::new(1);
    let stream = chat(&agents, &token, "Remind me to call my mother tomorrow at 6 pm.").await;

    // What is stored at cron is right: 18:00 tomorrow in Kolkata (12:30 UTC), for Ada.
    let tasks = tasks_at_cron(&cron, &token).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    let six_pm = zone
        .from_local_datetime(&tomorrow.and_hms_opt(18, 0, 0).unwrap())
        .single()
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(tasks[0]["next_run_at"], six_pm.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    assert_eq!(tasks[0]["payload"]["title"], "Call my mother");
    assert_eq!(tasks[0]["time_zone"], "Asia/Kolkata");
    // The turn shows the call and its result as a model's would be, and says what was done.
    let call = crate::helpers::events(&stream, "tool_call");
    assert_eq!(call.len(), 1, "{stream:?}");
    assert_eq!(call[0]["name"], "create_reminder");
    let result = crate::helpers::events(&stream, "tool_result");
    assert_eq!(result[0]["is_error"], false, "{}", result[0]);
    assert_eq!(said(&stream), "Okay, I'll remind you to call your mother tomorrow at 6:00 pm.");
    assert!(crate::helpers::events(&stream, "done").len() == 1, "{stream:?}");
    assert_eq!(calls(), 0, "the model was asked");

    // A time already gone is said to be gone; nothing is kept that would never ring.
    let stream = chat(&agents, &token, "Remind me to stretch today at 12:00 am").await;
    assert!(
        said(&stream).starts_with("That time (today at 12:00 am) has passed already"),
        "{stream:?}"
    );
    assert!(crate::helpers::events(&stream, "tool_call").is_empty());
    assert_eq!(tasks_at_cron(&cron, &token).await.len(), 1);

    // More than the command is the model's to answer, tools and all.
    let stream =
        chat(&agents, &token, "Remind me to call my mother tomorrow at 6 pm. Is she well?").await;
    assert_eq!(said(&stream), "the model answered");
    assert_eq!(calls(), 1);
    assert_eq!(tasks_at_cron(&cron, &token).await.len(), 1);
}
