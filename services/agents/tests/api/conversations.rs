//! Conversations: create, list, get, rename, delete; a person sees only their own; bad input
//! gets a clear error; the agents, plugins and profile endpoints.

use serde_json::{Value, json};

use crate::helpers::{Models, spawn};

#[tokio::test]
async fn a_conversation_is_created_listed_renamed_and_deleted() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();

    let response = app.post_as("/v1/conversations", &token, &json!({"title": "  Plans  "})).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["title"], "Plans");
    assert_eq!(created["agent"], "posey");
    let id = created["id"].as_str().unwrap();

    // No body at all is fine too.
    let response =
        app.request(reqwest::Method::POST, "/v1/conversations", &token).send().await.unwrap();
    assert_eq!(response.status(), 201);

    let list: Value = app.get_as("/v1/conversations", &token).await.json().await.unwrap();
    assert_eq!(list["conversations"].as_array().unwrap().len(), 2);

    let renamed = app
        .patch_as(
            &format!("/v1/conversations/{id}"),
            &token,
            &json!({"title": "Trip", "agent": "timekeeper"}),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    let renamed: Value = renamed.json().await.unwrap();
    assert_eq!(
        (renamed["title"].as_str(), renamed["agent"].as_str()),
        (Some("Trip"), Some("timekeeper"))
    );

    let fetched: Value =
        app.get_as(&format!("/v1/conversations/{id}"), &token).await.json().await.unwrap();
    assert_eq!(fetched["title"], "Trip");

    assert_eq!(app.delete_as(&format!("/v1/conversations/{id}"), &token).await.status(), 204);
    assert_eq!(app.get_as(&format!("/v1/conversations/{id}"), &token).await.status(), 404);
    assert_eq!(app.delete_as(&format!("/v1/conversations/{id}"), &token).await.status(), 404);
}

#[tokio::test]
async fn a_person_never_sees_someone_elses_conversation() {
    // The timekeeper calls its clock (and none of its calendar tools) once.
    let models = Models::default()
        .with("test", posey_models::testing::TestModel::new().call_tools(["current_time"]));
    let app = spawn(models, None, &[]).await;
    let (_, alice) = app.person();
    let (_, bob) = app.person();
    let id = app.conversation(&alice, Some("timekeeper")).await;
    app.chat(&alice, &id, "hello").await;

    let list: Value = app.get_as("/v1/conversations", &bob).await.json().await.unwrap();
    assert_eq!(list["conversations"], json!([]));
    for response in [
        app.get_as(&format!("/v1/conversations/{id}"), &bob).await,
        app.get_as(&format!("/v1/conversations/{id}/messages"), &bob).await,
        app.post_as(&format!("/v1/conversations/{id}/messages"), &bob, &json!({"content": "hi"}))
            .await,
        app.patch_as(&format!("/v1/conversations/{id}"), &bob, &json!({"title": "mine"})).await,
        app.delete_as(&format!("/v1/conversations/{id}"), &bob).await,
    ] {
        assert_eq!(response.status(), 404);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["message"], "no such conversation");
    }
    // Alice still has it, untouched.
    assert_eq!(app.history(&alice, &id).await.len(), 4);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();

    let response =
        app.client.get(format!("{}/v1/conversations", app.address)).send().await.unwrap();
    assert_eq!(response.status(), 401);

    let response =
        app.post_as("/v1/conversations", &token, &json!({"title": "", "agent": "nobody"})).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["fields"]["title"][0], "must be 1 to 200 characters");
    assert!(body["error"]["fields"]["agent"][0].as_str().unwrap().contains("no agent \"nobody\""));

    let response = app
        .request(reqwest::Method::POST, "/v1/conversations", &token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    assert_eq!(app.get_as("/v1/conversations/not-a-uuid", &token).await.status(), 404);

    let id = app.conversation(&token, None).await;
    let path = format!("/v1/conversations/{id}/messages");
    let response = app.post_as(&path, &token, &json!({"content": "   "})).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["fields"]["content"][0], "must not be empty");
    let response = app.post_as(&path, &token, &json!({"content": "x".repeat(32_001)})).await;
    assert_eq!(response.status(), 422);
    let response = app.post_as(&path, &token, &json!({"text": "hi"})).await;
    assert_eq!(response.status(), 422, "an unknown field is refused");
    // Nothing was stored by the refused requests.
    assert!(app.history(&token, &id).await.is_empty());
}

#[tokio::test]
async fn agents_and_plugins_are_listed() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let agents: Value = app.get_as("/v1/agents", &token).await.json().await.unwrap();
    let names: Vec<&str> =
        agents["agents"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["posey", "timekeeper", "biographer", "bookkeeper", "steward"]);
    assert_eq!(agents["agents"][0]["router"], true);
    assert_eq!(
        agents["agents"][0]["delegates"],
        json!(["timekeeper", "biographer", "bookkeeper", "steward"])
    );
    assert_eq!(agents["agents"][0]["model"], "test");

    let plugins: Value = app.get_as("/v1/plugins", &token).await.json().await.unwrap();
    let tools: Vec<&str> = plugins["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["tools"].as_array().unwrap())
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        [
            "calendar_agenda",
            "create_event",
            "move_event",
            "cancel_event",
            "find_free_time",
            "add_todo",
            "list_todos",
            "complete_todo",
            "search_documents",
            "finance_accounts",
            "finance_spending",
            "finance_transactions",
            "finance_budget",
            "finance_add_transaction",
            "finance_categorise",
            "finance_apply_rule",
            "finance_delete_import",
            "home_entities",
            "home_state",
            "home_control",
            "home_scene",
            "home_watch",
            "remember",
            "recall",
            "forget",
            "get_profile",
            "update_profile",
            "current_time"
        ]
    );
}

#[tokio::test]
async fn the_profile_is_edited_over_rest() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let profile: Value = app.get_as("/v1/profile", &token).await.json().await.unwrap();
    assert_eq!(
        (profile["name"].clone(), profile["time_zone"].clone()),
        (Value::Null, json!("UTC"))
    );

    let response = app
        .patch_as("/v1/profile", &token, &json!({"name": "Ada", "time_zone": "Europe/Paris", "preferences": {"units": "metric"}}))
        .await;
    assert_eq!(response.status(), 200);
    let response = app
        .patch_as("/v1/profile", &token, &json!({"preferences": {"tone": "brief", "units": null}}))
        .await;
    let profile: Value = response.json().await.unwrap();
    assert_eq!(profile["name"], "Ada");
    assert_eq!(profile["time_zone"], "Europe/Paris");
    assert_eq!(profile["preferences"], json!({"tone": "brief"}));

    let response = app.patch_as("/v1/profile", &token, &json!({"time_zone": "Mars/Olympus"})).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["fields"]["time_zone"][0],
        "\"Mars/Olympus\" is not an IANA time zone"
    );
}
