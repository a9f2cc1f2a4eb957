//! `POST /v1/service/users/{id}/turns`: turns another service runs for a person (cron's agent
//! tasks): service tokens only, stored in the person's conversation, counted in their usage,
//! and run once per idempotency key.

use posey_models::testing::{FunctionModel, Reply};
use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, hold_lease, lease, spawn, store_and_release};

/// A token from auth's client-credentials grant, as auth mints it.
pub fn service_token(app: &AgentsApp) -> String {
    let mut claims = posey_testkit::TestKeys::claims_for("service:cron");
    claims["role"] = json!("service_role");
    claims["client_id"] = json!("cron");
    claims["scope"] = json!("agents:turns cron:act-for-person");
    claims["https://hasura.io/jwt/claims"] =
        json!({"x-hasura-default-role": "service", "x-hasura-allowed-roles": ["service"]});
    app.keys.signing_key().sign(&claims)
}

fn counting_model() -> FunctionModel {
    FunctionModel::new(|input| {
        Reply::text(format!("Briefing for: {}", input.last_user_text().unwrap_or_default()))
            .with_usage(10, 5)
    })
}

#[tokio::test]
async fn a_service_runs_a_turn_for_a_person_once_per_key_in_a_new_then_the_same_conversation() {
    let model = counting_model();
    let app = spawn(Models::default().with("test", model.clone()), None, &[]).await;
    let (person, person_token) = app.person();
    let service = service_token(&app);
    let path = format!("/v1/service/users/{person}/turns");

    let response = app
        .request(reqwest::Method::POST, &path, &service)
        .header("Idempotency-Key", "task-1:2026-11-24T07:30:00Z")
        .json(&json!({"prompt": "Brief me on my day"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let first: Value = response.json().await.unwrap();
    assert_eq!(first["text"], "Briefing for: Brief me on my day");
    assert_eq!(first["replayed"], false);
    let conversation = first["conversation_id"].as_str().unwrap().to_owned();

    // The person sees it in their conversations, titled after the task, with the turn stored.
    let listed: Value = app.get_as("/v1/conversations", &person_token).await.json().await.unwrap();
    assert_eq!(listed["conversations"][0]["id"], conversation.as_str());
    assert_eq!(listed["conversations"][0]["title"], "Brief me on my day");
    let history = app.history(&person_token, &conversation).await;
    let roles: Vec<&str> = history.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant"]);
    assert_eq!(history[1]["id"], first["message_id"]);

    // The same key again: the stored answer, the model not asked again.
    let again: Value = app
        .request(reqwest::Method::POST, &path, &service)
        .header("Idempotency-Key", "task-1:2026-11-24T07:30:00Z")
        .json(&json!({"prompt": "Brief me on my day"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["replayed"], true);
    assert_eq!(again["message_id"], first["message_id"]);
    assert_eq!(model.requests().len(), 1);

    // The next run continues the same conversation.
    let next: Value = app
        .request(reqwest::Method::POST, &path, &service)
        .header("Idempotency-Key", "task-1:2026-11-25T07:30:00Z")
        .json(&json!({"prompt": "Brief me again", "conversation_id": conversation}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(next["conversation_id"], conversation.as_str());
    assert_eq!(next["replayed"], false);
    assert_eq!(app.history(&person_token, &conversation).await.len(), 4);
    assert_eq!(model.requests().len(), 2);

    // Both turns count toward the person's usage.
    let usage: (i64, i64) = sqlx::query_as(
        "SELECT count(*), coalesce(sum(input_tokens + output_tokens), 0)::int8
         FROM agents.usage WHERE user_id = $1",
    )
    .bind(person)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(usage, (2, 30));
}

/// A service token as auth mints it for a client granted only `scope` (none: `None`).
fn token_with_scope(app: &AgentsApp, scope: Option<&str>) -> String {
    let mut claims = posey_testkit::TestKeys::claims_for("service:agents");
    claims["role"] = json!("service_role");
    claims["client_id"] = json!("agents");
    if let Some(scope) = scope {
        claims["scope"] = json!(scope);
    }
    app.keys.signing_key().sign(&claims)
}

#[tokio::test]
async fn only_service_tokens_granted_agents_turns_run_turns() {
    let model = counting_model();
    let app = spawn(Models::default().with("test", model.clone()), None, &[]).await;
    let (person, _) = app.person();
    let path = format!("/v1/service/users/{person}/turns");
    for scope in [None, Some(""), Some("cron:act-for-person"), Some("agents:turnsx")] {
        let token = token_with_scope(&app, scope);
        let response = app.post_as(&path, &token, &json!({"prompt": "hi"})).await;
        assert_eq!(response.status(), 403, "{scope:?}");
        let error: Value = response.json().await.unwrap();
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains("agents:turns"), "{scope:?}: {error}");
    }
    assert!(model.requests().is_empty(), "no turn ran");
    let token = token_with_scope(&app, Some("agents:turns"));
    let response = app.post_as(&path, &token, &json!({"prompt": "hi"})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(model.requests().len(), 1);
}

#[tokio::test]
async fn person_tokens_are_refused_and_bad_input_names_the_field() {
    let app = spawn(Models::default().with("test", counting_model()), None, &[]).await;
    let (person, person_token) = app.person();
    let (_, other_token) = app.person();
    let service = service_token(&app);
    let path = format!("/v1/service/users/{person}/turns");

    let response = app.post_as(&path, &person_token, &json!({"prompt": "hi"})).await;
    assert_eq!(response.status(), 403);
    let response = app.post_as(&path, &other_token, &json!({"prompt": "hi"})).await;
    assert_eq!(response.status(), 403);
    let response = app.client.post(format!("{}{path}", app.address)).json(&json!({})).send();
    assert_eq!(response.await.unwrap().status(), 401);

    for (body, field) in [
        (json!({}), "prompt"),
        (json!({"prompt": "  "}), "prompt"),
        (json!({"prompt": "hi", "agent": "nobody"}), "agent"),
        (json!({"prompt": "hi", "conversation_id": "not-an-id"}), "conversation_id"),
        (json!({"prompt": "hi", "title": ""}), "title"),
    ] {
        let response = app.post_as(&path, &service, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let error: Value = response.json().await.unwrap();
        assert!(error["error"]["fields"][field].is_array(), "{body}: {error}");
    }
    let response =
        app.post_as("/v1/service/users/someone/turns", &service, &json!({"prompt": "hi"})).await;
    assert_eq!(response.status(), 422);
    let error: Value = response.json().await.unwrap();
    assert!(error["error"]["fields"]["user_id"].is_array(), "{error}");

    // Someone else's conversation is not found for this person.
    let theirs = app.conversation(&other_token, None).await;
    let response =
        app.post_as(&path, &service, &json!({"prompt": "hi", "conversation_id": theirs})).await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_service_turn_waits_for_the_conversations_lease_and_sees_the_turn_before_it() {
    let model = counting_model();
    let app = spawn(Models::default().with("test", model.clone()), None, &[]).await;
    let (person, person_token) = app.person();
    let conversation = app.conversation(&person_token, None).await;
    // A chat turn of the person holds the conversation (as another replica's would).
    hold_lease(&app, &conversation, uuid::Uuid::new_v4(), "interval '1 hour'").await;

    let request = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/service/users/{person}/turns"),
            &service_token(&app),
        )
        .json(&json!({"prompt": "Brief me", "conversation_id": conversation}))
        .send();
    let turn = tokio::spawn(request);
    // Time enough for a turn that did not wait to reach the model.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(model.requests().is_empty(), "the service turn ran while a chat turn held the lease");

    // The chat turn is stored and lets go.
    store_and_release(&app, &conversation, "posey", ["theirs", "their answer"]).await;

    let response = tokio::time::timeout(std::time::Duration::from_secs(30), turn)
        .await
        .expect("the service turn ran once the lease was free")
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 200);
    let seen = format!("{:?}", model.requests()[0].chat_history);
    assert!(seen.contains("their answer"), "the service turn saw the chat turn: {seen}");
    let history = app.history(&person_token, &conversation).await;
    let contents: Vec<&str> = history.iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["theirs", "their answer", "Brief me", "Briefing for: Brief me"]);
    assert_eq!(lease(&app, &conversation).await, (None, None), "released");
}
