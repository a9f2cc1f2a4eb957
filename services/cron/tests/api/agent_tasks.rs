//! `agent_task` end to end on real Postgres: the real auth service issues the person's token
//! and cron's service token (client-credentials grant), the real agents service runs the turn
//! (on a scripted `FunctionModel`), and cron delivers the answer as a notification and keeps
//! the conversation for the next run.

use std::sync::Arc;
use std::time::Duration;

use posey_http::Service as _;
use posey_models::testing::{FunctionModel, Reply};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

const ISSUER: &str = "http://posey-auth.test";
const CLIENT_SECRET: &str = "cron-secret-0123456789";

async fn spawn_auth() -> TestApp {
    let vars = [
        ("AUTH_MAILER_AUTOCONFIRM", "true".to_owned()),
        ("AUTH_RATE_LIMIT_PER_IP", "100000".to_owned()),
        ("AUTH_ISSUER", ISSUER.to_owned()),
        ("AUTH_SERVICE_CLIENTS", format!("cron:{CLIENT_SECRET}")),
        ("AUTH_SERVICE_CLIENT_SCOPES", "cron=agents:turns cron:act-for-person".to_owned()),
        ("AUTH_KEY_ENCRYPTION_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_owned()),
    ];
    posey_testkit::spawn_service(
        posey_auth::Config::PORT_VAR,
        &vars,
        posey_auth::Config::read_with_db,
        |config| async move {
            // Cheap hashing: the real parameters are auth's own tests' business.
            let params = argon2::Params::new(1024, 1, 1, None).unwrap();
            let hasher = posey_auth::password::Hasher::with_params(params, 4).unwrap();
            let app = posey_auth::Application::build_with_hasher(config, Some(hasher))
                .await
                .expect("building auth");
            let port = app.port();
            tokio::spawn(app.run_until_stopped(std::future::pending()));
            port
        },
    )
    .await
}

async fn spawn_agents(jwks: &str, model: FunctionModel) -> TestApp {
    let vars = [
        ("AUTH_JWKS_URL", jwks.to_owned()),
        ("AUTH_ISSUER", ISSUER.to_owned()),
        ("POSEY_MODEL", "test".to_owned()),
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

/// A person signed up at auth: their id and access token.
async fn sign_up(auth: &TestApp, email: &str) -> (String, String) {
    let response = auth
        .client
        .post(format!("{}/signup", auth.address))
        .json(&json!({"email": email, "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned();
    (body["user"]["id"].as_str().unwrap().to_owned(), token)
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let response =
        app.client.get(format!("{}{path}", app.address)).bearer_auth(token).send().await.unwrap();
    response.json().await.unwrap()
}

async fn post(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    let request = app.client.post(format!("{}{path}", app.address)).bearer_auth(token);
    request.json(body).send().await.unwrap()
}

/// The person's notifications, once there are `count` (polling; fails after a minute).
async fn notifications(cron: &TestApp, token: &str, count: usize) -> Vec<Value> {
    for _ in 0..600 {
        let body = get(cron, "/v1/notifications", token).await;
        let list = body["notifications"].as_array().cloned().unwrap_or_default();
        if list.len() >= count {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {count} notifications for the person");
}

#[tokio::test]
async fn an_agent_task_runs_on_the_agents_service_and_notifies_in_one_conversation() {
    let auth = spawn_auth().await;
    let jwks = format!("{}/.well-known/jwks.json", auth.address);
    let model = FunctionModel::new(|input| {
        Reply::text(format!("Your day: {}", input.last_user_text().unwrap_or_default()))
    });
    let agents = spawn_agents(&jwks, model.clone()).await;
    let cron = spawn_app_with(&[
        ("AUTH_JWKS_URL", jwks.clone()),
        ("AUTH_ISSUER", ISSUER.to_owned()),
        ("CRON_POLL_INTERVAL_MS", "100".to_owned()),
        ("AGENTS_URL", agents.address.clone()),
        ("AUTH_URL", auth.address.clone()),
        ("CRON_SERVICE_CLIENT_ID", "cron".to_owned()),
        ("CRON_SERVICE_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
    ])
    .await;
    let (person, token) = sign_up(&auth, "ada@example.test").await;

    let response = post(
        &cron,
        "/v1/tasks",
        &token,
        &json!({
            "name": "Morning briefing",
            "kind": "agent_task",
            "payload": {"prompt": "Brief me on my day"},
            "schedule": {"kind": "once", "spec": "2099-01-01T07:30:00Z"},
        }),
    )
    .await;
    assert_eq!(response.status(), 201);
    let task: Value = response.json().await.unwrap();
    let id = task["id"].as_str().unwrap();

    // Two runs: the second continues the first's conversation.
    let response = post(&cron, &format!("/v1/tasks/{id}/run"), &token, &json!({})).await;
    assert_eq!(response.status(), 202);
    let first = notifications(&cron, &token, 1).await;
    assert_eq!(first[0]["title"], "Morning briefing");
    assert_eq!(first[0]["body"], "Your day: Brief me on my day");
    let conversation = first[0]["data"]["conversation_id"].as_str().unwrap().to_owned();
    assert_eq!(first[0]["data"]["link"], format!("/conversations/{conversation}"));
    let task = get(&cron, &format!("/v1/tasks/{id}"), &token).await;
    assert_eq!(task["payload"]["conversation_id"], conversation.as_str());

    tokio::time::sleep(Duration::from_millis(5)).await;
    let response = post(&cron, &format!("/v1/tasks/{id}/run"), &token, &json!({})).await;
    assert_eq!(response.status(), 202);
    let both = notifications(&cron, &token, 2).await;
    assert!(both.iter().all(|n| n["data"]["conversation_id"] == conversation.as_str()));

    // The conversation is the person's, at the agents service, with both turns.
    let history: Value = agents
        .client
        .get(format!("{}/v1/conversations/{conversation}/messages", agents.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let contents: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        [
            "Brief me on my day",
            "Your day: Brief me on my day",
            "Brief me on my day",
            "Your day: Brief me on my day"
        ]
    );
    assert_eq!(model.requests().len(), 2);
    let runs = get(&cron, &format!("/v1/tasks/{id}/runs"), &token).await;
    assert!(runs["runs"].as_array().unwrap().iter().all(|r| r["status"] == "succeeded"), "{runs}");
    assert!(!person.is_empty());
}

/// A person's daily agenda as a recurring agent task: the timekeeper reads the calendar with
/// its agenda tool and the answer arrives as the morning's notification.
#[tokio::test]
async fn a_daily_agenda_is_a_recurring_agent_task_that_reads_the_calendar() {
    let auth = spawn_auth().await;
    let jwks = format!("{}/.well-known/jwks.json", auth.address);
    let model = FunctionModel::new(|input| match input.tool_results().last() {
        None => Reply::tool_call("calendar_agenda", json!({"from": "2099-01-01"})),
        Some(agenda) => Reply::text(format!("Today: {}", agenda.content)),
    });
    let agents = spawn_agents(&jwks, model.clone()).await;
    let cron = spawn_app_with(&[
        ("AUTH_JWKS_URL", jwks.clone()),
        ("AUTH_ISSUER", ISSUER.to_owned()),
        ("CRON_POLL_INTERVAL_MS", "100".to_owned()),
        ("AGENTS_URL", agents.address.clone()),
        ("AUTH_URL", auth.address.clone()),
        ("CRON_SERVICE_CLIENT_ID", "cron".to_owned()),
        ("CRON_SERVICE_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
    ])
    .await;
    let (_, token) = sign_up(&auth, "grace@example.test").await;
    let event = json!({"summary": "Dentist", "start": {"date_time": "2099-01-01T09:00"},
                       "duration": "PT30M"});
    let response = post(&agents, "/v1/events", &token, &event).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);

    let task = json!({
        "name": "My day",
        "kind": "agent_task",
        "payload": {"prompt": "What is on my calendar today?", "agent": "timekeeper"},
        "schedule": {"kind": "rrule", "spec": "FREQ=DAILY;BYHOUR=7;BYMINUTE=0;BYSECOND=0"},
    });
    let response = post(&cron, "/v1/tasks", &token, &task).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    let task: Value = response.json().await.unwrap();
    let id = task["id"].as_str().unwrap();
    let response = post(&cron, &format!("/v1/tasks/{id}/run"), &token, &json!({})).await;
    assert_eq!(response.status(), 202);
    let delivered = notifications(&cron, &token, 1).await;
    assert_eq!(delivered[0]["title"], "My day");
    let body = delivered[0]["body"].as_str().unwrap();
    assert!(body.starts_with("Today: ") && body.contains("Dentist"), "{body}");
    assert!(body.contains("2099-01-01T09:00:00"), "{body}");
}

#[tokio::test]
async fn agent_tasks_are_refused_naming_the_variables_when_not_configured() {
    let cron =
        crate::helpers::spawn_authed_app_with(&[("AGENTS_URL", "http://127.0.0.1:1".into())]).await;
    let (_, token) = cron.person();
    let response = cron
        .post_as(
            "/v1/tasks",
            &token,
            &json!({
                "name": "Briefing",
                "kind": "agent_task",
                "payload": {"prompt": "hi"},
                "schedule": {"kind": "once", "spec": "2099-01-01T07:30:00Z"},
            }),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["fields"]["kind"][0].as_str().unwrap();
    assert!(message.contains("AUTH_URL"), "{message}");
    assert!(message.contains("CRON_SERVICE_CLIENT_SECRET"), "{message}");
    assert!(!message.contains("AGENTS_URL"), "{message}");
}

#[tokio::test]
async fn an_agent_task_that_cannot_reach_auth_fails_and_is_dead_lettered_with_the_error() {
    // Nothing listens on port 1: the service token cannot be had.
    let cron = crate::helpers::spawn_authed_app_with(&[
        ("AGENTS_URL", "http://127.0.0.1:1".into()),
        ("AUTH_URL", "http://127.0.0.1:1".into()),
        ("CRON_SERVICE_CLIENT_ID", "cron".into()),
        ("CRON_SERVICE_CLIENT_SECRET", CLIENT_SECRET.into()),
    ])
    .await;
    let (_, token) = cron.person();
    let task = cron
        .create_task(
            &token,
            &json!({
                "name": "Briefing",
                "kind": "agent_task",
                "payload": {"prompt": "hi"},
                "schedule": {"kind": "once", "spec": "2099-01-01T07:30:00Z"},
                "max_attempts": 1,
            }),
        )
        .await;
    let id = task["id"].as_str().unwrap();
    let response = cron.post_as(&format!("/v1/tasks/{id}/run"), &token, &json!({})).await;
    assert_eq!(response.status(), 202);
    for _ in 0..600 {
        let runs: Value =
            cron.get_as(&format!("/v1/tasks/{id}/runs"), &token).await.json().await.unwrap();
        let run = &runs["runs"][0];
        if run["status"] == "dead" {
            let error = run["error"].as_str().unwrap();
            assert!(error.contains("service token"), "{error}");
            let notes: Value = cron.get_as("/v1/notifications", &token).await.json().await.unwrap();
            assert_eq!(notes["notifications"], json!([]));
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the run never ended dead");
}
