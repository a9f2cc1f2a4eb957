//! Hostile input (issue 12): a NUL (U+0000) anywhere a person sends text is a 422 naming the
//! field and stores nothing; a model's NUL is stored (replaced) and its turn counted; a turn
//! that cannot be stored still counts toward the daily limits; and bad query values, oversized
//! bodies, wrong methods and unknown routes answer in the one JSON error shape.

use std::time::Duration;

use posey_models::testing::{FunctionModel, Reply};
use posey_testkit::errors::{NUL, error_of, refused_for_nul};
use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, events, spawn};

/// A raw JSON body (with `\u0000` escapes as written).
async fn send_raw(
    app: &AgentsApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: &str,
) -> reqwest::Response {
    app.request(method, path, token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// `(requests, tokens)` of the person today.
async fn today(app: &AgentsApp, person: uuid::Uuid) -> (i64, i64) {
    sqlx::query_as(
        "SELECT requests, tokens FROM agents.usage_daily
         WHERE user_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date",
    )
    .bind(person)
    .fetch_optional(&app.db.pool)
    .await
    .unwrap()
    .unwrap_or((0, 0))
}

/// A token from auth's client-credentials grant.
fn service_token(app: &AgentsApp) -> String {
    let mut claims = posey_testkit::TestKeys::claims_for("service:cron");
    claims["role"] = json!("service_role");
    claims["client_id"] = json!("cron");
    claims["scope"] = json!("agents:turns cron:act-for-person");
    app.keys.signing_key().sign(&claims)
}

#[tokio::test]
async fn a_nul_in_anything_a_person_sends_is_a_422_and_nothing_is_stored() {
    let model = FunctionModel::new(|_| Reply::text("ok"));
    let app = spawn(Models::default().with("test", model.clone()), None, &[]).await;
    let (person, token) = app.person();
    use reqwest::Method as M;

    // Conversations: a title on create and on rename.
    let created =
        send_raw(&app, M::POST, "/v1/conversations", &token, r#"{"title": "a\u0000b"}"#).await;
    refused_for_nul(created, "title").await;
    let id = app.conversation(&token, None).await;
    let renamed = send_raw(
        &app,
        M::PATCH,
        &format!("/v1/conversations/{id}"),
        &token,
        r#"{"title": "\u0000"}"#,
    )
    .await;
    refused_for_nul(renamed, "title").await;

    // A chat message: refused before any turn runs.
    let messages = format!("/v1/conversations/{id}/messages");
    let posted =
        send_raw(&app, M::POST, &messages, &token, r#"{"content": "hi \u0000 there"}"#).await;
    refused_for_nul(posted, "content").await;

    // Memories, the profile, the OpenAI-compatible API and the service turn.
    let memory =
        send_raw(&app, M::POST, "/v1/memories", &token, r#"{"text": "likes \u0000"}"#).await;
    refused_for_nul(memory, "text").await;
    let profile =
        send_raw(&app, M::PATCH, "/v1/profile", &token, r#"{"preferences": {"k\u0000": 1}}"#).await;
    refused_for_nul(profile, "preferences.k\\u0000").await;
    let openai = r#"{"model": "posey", "messages": [{"role": "user", "content": "\u0000"}]}"#;
    let completion = send_raw(&app, M::POST, "/v1/chat/completions", &token, openai).await;
    refused_for_nul(completion, "messages[0].content").await;
    let service = service_token(&app);
    let turn = send_raw(
        &app,
        M::POST,
        &format!("/v1/service/users/{person}/turns"),
        &service,
        r#"{"prompt": "\u0000"}"#,
    )
    .await;
    refused_for_nul(turn, "prompt").await;

    // The query string and the path.
    refused_for_nul(app.get_as("/v1/memories/search?q=a%00", &token).await, "q").await;
    refused_for_nul(app.get_as(&format!("/v1/conversations/{id}%00"), &token).await, "path").await;

    // Nothing of it was stored, and no model ran.
    assert!(app.history(&token, &id).await.is_empty());
    let conversations: Value = app.get_as("/v1/conversations", &token).await.json().await.unwrap();
    assert_eq!(conversations["conversations"].as_array().unwrap().len(), 1);
    assert_eq!(conversations["conversations"][0]["title"], "New conversation");
    let memories: Value = app.get_as("/v1/memories", &token).await.json().await.unwrap();
    assert_eq!(memories["memories"], json!([]));
    assert_eq!(today(&app, person).await, (0, 0));
    assert!(model.requests().is_empty());
}

#[tokio::test]
async fn a_nul_in_mcp_tool_arguments_is_refused_by_the_tool_check() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let call = json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "update_profile", "arguments": {"name": "a\u{0}b"}},
    });
    let response = app
        .request(reqwest::Method::POST, "/mcp", &token)
        .header("accept", "application/json, text/event-stream")
        .json(&call)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"]["isError"], true, "{body}");
    let text = body["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains(&format!("$.name: {NUL}")), "{text}");
    let profile: Value = app.get_as("/v1/profile", &token).await.json().await.unwrap();
    assert_eq!(profile["name"], Value::Null);
}

#[tokio::test]
async fn a_models_nul_is_stored_replaced_and_its_turn_counted() {
    // The model calls a tool with a NUL in its arguments (refused, as a tool error), then
    // answers with a NUL: both are the model's, and the turn must store and count.
    let model = FunctionModel::new(|input| match input.tool_results().last() {
        None => Reply::tool_call("current_time", json!({"zone\u{0}": "x\u{0}"})),
        Some(_) => Reply::text("it is \u{0} noon").with_usage(10, 5),
    });
    let app = spawn(Models::default().with("test", model), None, &[]).await;
    let (person, token) = app.person();
    let id = app.conversation(&token, Some("timekeeper")).await;

    let stream = app.chat(&token, &id, "what time is it?").await;
    assert_eq!(stream.last().unwrap().event, "done", "{stream:?}");
    assert_eq!(events(&stream, "tool_result")[0]["is_error"], true);

    let history = app.history(&token, &id).await;
    let roles: Vec<&str> = history.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "tool", "assistant"]);
    assert_eq!(history[1]["tool_calls"][0]["arguments"], json!({"zone\u{FFFD}": "x\u{FFFD}"}));
    assert_eq!(history[3]["content"], "it is \u{FFFD} noon");
    let (requests, tokens) = today(&app, person).await;
    assert_eq!(requests, 1);
    assert!(tokens >= 15, "{tokens}");
}

#[tokio::test]
async fn a_turn_that_cannot_be_stored_still_counts_toward_the_daily_limit() {
    let words: Vec<String> = (0..20).map(|i| format!("word{i} ")).collect();
    let model = FunctionModel::new(move |_| {
        Reply::text_chunks(words.clone()).with_chunk_delay(Duration::from_millis(25))
    });
    let app = spawn(
        Models::default().with("test", model),
        None,
        &[("AGENTS_DAILY_REQUESTS", "1".into())],
    )
    .await;
    let (person, token) = app.person();
    let id = app.conversation(&token, None).await;

    // The conversation is deleted while its turn runs: the turn cannot be stored.
    let response = app
        .post_as(&format!("/v1/conversations/{id}/messages"), &token, &json!({"content": "talk"}))
        .await;
    assert_eq!(response.status(), 200);
    let reading = app.read_until(response, |event| event.event == "error" || event.event == "done");
    let deleting = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        app.delete_as(&format!("/v1/conversations/{id}"), &token).await.status()
    };
    let (stream, deleted) = tokio::join!(reading, deleting);
    assert_eq!(deleted, 204);
    let last = stream.last().unwrap();
    assert_eq!(
        (last.event.as_str(), &last.data["message"]),
        ("error", &json!("the turn could not be stored"))
    );

    // Its usage counts all the same: the one request of the day is used.
    assert_eq!(today(&app, person).await.0, 1);
    let other = app.conversation(&token, None).await;
    let response = app
        .post_as(
            &format!("/v1/conversations/{other}/messages"),
            &token,
            &json!({"content": "more"}),
        )
        .await;
    assert_eq!(response.status(), 429);
}

#[tokio::test]
async fn errors_of_the_framework_answer_in_the_json_shape() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, None).await;

    // Bad query values name their parameter.
    let response = app.get_as("/v1/conversations?limit=abc", &token).await;
    let (code, fields) = error_of(response, 422).await;
    assert_eq!(code, "validation_failed");
    assert_eq!(fields, json!({"limit": ["invalid digit found in string"]}));
    let (_, fields) = error_of(app.get_as("/v1/memories?offset=x", &token).await, 422).await;
    assert!(fields.get("offset").is_some(), "{fields}");

    // An oversized body, on the route whose body is optional and on one that requires it.
    let big = format!(r#"{{"title": "{}"}}"#, "x".repeat(3 << 20));
    for path in ["/v1/conversations".to_owned(), format!("/v1/conversations/{id}/messages")] {
        let response = send_raw(&app, reqwest::Method::POST, &path, &token, &big).await;
        assert_eq!(error_of(response, 413).await.0, "payload_too_large", "{path}");
    }

    // A wrong method and an unknown route.
    let response = app.request(reqwest::Method::PUT, "/v1/conversations", &token).send().await;
    let response = response.unwrap();
    assert!(response.headers()["allow"].to_str().unwrap().contains("GET"));
    assert_eq!(error_of(response, 405).await.0, "method_not_allowed");
    assert_eq!(error_of(app.get_as("/v1/nowhere", &token).await, 404).await.0, "not_found");
}
