//! Long-term memory with the test models: the extraction's ADD/UPDATE/DELETE/NOOP decisions
//! after a turn, memories in the next turn's context, the remember/recall/forget tools, the
//! REST API (list, search, add, edit, delete, export), deletion reaching the vector index,
//! isolation between people, and a failing extraction that is retried without harming the
//! chat. Extraction runs after the turn, so tests poll the API (bounded) until it is done.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use posey_agents::memory::extract::{ATTEMPTS, PROMPT_MARKER};
use posey_models::testing::{FunctionModel, ModelInput, Reply};
use rig_core::completion::CompletionRequest;
use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, events, spawn};

/// Whether a request is the memory extraction (not a chat turn).
fn is_extraction(request: &CompletionRequest) -> bool {
    format!("{:?}", request.chat_history.first()).contains(PROMPT_MARKER)
}

fn extractions(model: &FunctionModel) -> Vec<String> {
    model
        .requests()
        .iter()
        .filter(|r| is_extraction(r))
        .map(|r| format!("{:?}", r.chat_history.last()))
        .collect()
}

/// The person's message an extraction request is about.
fn extracted_message(input: &ModelInput) -> String {
    let prompt = input.last_user_text().unwrap_or_default();
    let after = prompt.split("Person: ").nth(1).unwrap_or_default();
    after.split("\nCompanion: ").next().unwrap_or_default().to_owned()
}

/// The number an extraction prompt shows a memory with.
fn shown_id(input: &ModelInput, text: &str) -> Option<String> {
    let prompt = input.last_user_text().unwrap_or_default();
    let list = prompt.split("Existing memories:\n").nth(1)?.split("\n\nThe exchange:").next()?;
    let shown: Vec<Value> = serde_json::from_str(list).ok()?;
    shown.iter().find(|m| m["text"] == text).map(|m| m["id"].as_str().unwrap().to_owned())
}

/// A model that answers chat turns with "Noted." and extraction with `extract(input)`.
fn model(extract: impl Fn(&ModelInput) -> Reply + Send + Sync + 'static) -> FunctionModel {
    FunctionModel::new(move |input| {
        if is_extraction(&input.request) { extract(input) } else { Reply::text("Noted.") }
    })
}

fn ops(operations: Value) -> Reply {
    Reply::text(json!({"operations": operations}).to_string())
}

/// Polls `check` (every 50 ms, at most 30 s) until it returns something.
async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    for _ in 0..600 {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn list(app: &AgentsApp, token: &str) -> Vec<Value> {
    let response = app.get_as("/v1/memories", token).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["memories"].as_array().unwrap().clone()
}

async fn texts(app: &AgentsApp, token: &str) -> Vec<String> {
    list(app, token).await.iter().map(|m| m["text"].as_str().unwrap().to_owned()).collect()
}

async fn search(app: &AgentsApp, token: &str, q: &str) -> Vec<String> {
    let response = app.get_as(&format!("/v1/memories/search?q={q}"), token).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["memories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn export(app: &AgentsApp, token: &str) -> Vec<Value> {
    let response = app.get_as("/v1/memories/export", token).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["memories"].as_array().unwrap().clone()
}

async fn add(app: &AgentsApp, token: &str, text: &str, kind: &str) -> Value {
    let response = app.post_as("/v1/memories", token, &json!({"text": text, "kind": kind})).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

fn chat_done(stream: &[crate::helpers::Sse]) {
    assert_eq!(stream.last().unwrap().event, "done", "{stream:?}");
}

#[tokio::test]
async fn extraction_adds_updates_deletes_and_ignores_a_repeat() {
    let model = model(|input| match extracted_message(input).as_str() {
        "I love green tea" => match shown_id(input, "Loves green tea") {
            // The repeat: already remembered.
            Some(id) => ops(json!([{"op": "NOOP", "id": id}])),
            None => ops(json!([{"op": "ADD", "text": "Loves green tea", "kind": "preference"}])),
        },
        "Actually I prefer black tea now" => match shown_id(input, "Loves green tea") {
            Some(id) => ops(json!([{"op": "UPDATE", "id": id, "text": "Prefers black tea"}])),
            None => ops(json!([])),
        },
        "I stopped drinking tea altogether" => match shown_id(input, "Prefers black tea") {
            Some(id) => ops(json!([{"op": "DELETE", "id": id}])),
            None => ops(json!([])),
        },
        _ => ops(json!([])),
    });
    let app = spawn(Models::default().with("test", model.clone()), None, &[]).await;
    let (person, token) = app.person();
    let conversation = app.conversation(&token, None).await;

    // ADD.
    chat_done(&app.chat(&token, &conversation, "I love green tea").await);
    let added = eventually("the ADD", || async {
        let memories = list(&app, &token).await;
        (memories.len() == 1).then(|| memories[0].clone())
    })
    .await;
    assert_eq!(added["text"], "Loves green tea");
    assert_eq!(added["kind"], "preference");
    assert_eq!(added["origin"], "conversation");
    assert_eq!(added["conversation_id"], conversation.as_str());
    let history = app.history(&token, &conversation).await;
    assert_eq!(added["source_message"], history[0]["id"], "it points at the person's message");

    // The repeat: the model saw the memory and said NOOP.
    chat_done(&app.chat(&token, &conversation, "I love green tea").await);
    eventually("the second extraction", || async {
        (extractions(&model).len() == 2).then_some(())
    })
    .await;
    assert!(extractions(&model)[1].contains("Loves green tea"), "the existing memory was shown");

    // A changed preference: UPDATE, the old one kept as superseded history.
    chat_done(&app.chat(&token, &conversation, "Actually I prefer black tea now").await);
    eventually("the UPDATE", || async {
        (texts(&app, &token).await == ["Prefers black tea"]).then_some(())
    })
    .await;
    let all = export(&app, &token).await;
    assert_eq!(all.len(), 2, "the repeat added nothing: {all:?}");
    let (old, new) = (&all[0], &all[1]);
    assert_eq!(old["text"], "Loves green tea");
    assert!(old["superseded_at"].is_string());
    assert_eq!(new["supersedes"], old["id"]);
    assert_eq!(new["kind"], "preference", "the kind carries over");
    assert!(new["superseded_at"].is_null() && new["retracted_at"].is_null());
    // The vectors follow the Postgres commit: search finds the new one (and only it) once
    // they are synced.
    eventually("search to find only the new one", || async {
        (search(&app, &token, "tea").await == ["Prefers black tea"]).then_some(())
    })
    .await;

    // A retraction: DELETE, kept as retracted history, gone from search.
    chat_done(&app.chat(&token, &conversation, "I stopped drinking tea altogether").await);
    eventually("the DELETE", || async { list(&app, &token).await.is_empty().then_some(()) }).await;
    assert!(search(&app, &token, "tea").await.is_empty());
    let all = export(&app, &token).await;
    assert_eq!(all.len(), 2);
    assert!(all[1]["retracted_at"].is_string());
    assert_eq!(extractions(&model).len(), 4, "one model call per turn");
    // The extractions' tokens count toward the person's daily tokens, not as requests.
    let (requests, extraction_records): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT requests FROM agents.usage_daily WHERE user_id = $1), \
                (SELECT count(*) FROM agents.usage WHERE user_id = $1 AND agent = 'memory' \
                 AND input_tokens > 0)",
    )
    .bind(person)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(requests, 4, "four chat turns, and the extractions are not requests");
    assert_eq!(extraction_records, 4, "each extraction's tokens are recorded");
}

#[tokio::test]
async fn relevant_memories_go_into_the_next_turn_and_only_the_persons_own() {
    let model = model(|_| ops(json!([])));
    let app = spawn(Models::default().with("test", model.clone()), None, &[]).await;
    let (_, alice) = app.person();
    let (_, bob) = app.person();
    add(&app, &alice, "Has a dog named Rex", "relationship").await;
    add(&app, &alice, "Works as a nurse", "fact").await;
    add(&app, &bob, "Has a cat named Tom", "relationship").await;

    let conversation = app.conversation(&alice, None).await;
    chat_done(&app.chat(&alice, &conversation, "What is my dog called?").await);
    // Next to the message, not in the system prompt: they change from message to message.
    let history = &model.requests()[0].chat_history;
    assert!(!format!("{:?}", history[0]).contains("What you remember"), "{history:?}");
    let prompt = format!("{:?}", history[history.len() - 2]);
    assert!(prompt.contains("What you remember about the person"), "{prompt}");
    assert!(prompt.contains("Has a dog named Rex"), "{prompt}");
    assert!(!prompt.contains("Tom"), "nothing of Bob's: {prompt}");

    let theirs = app.conversation(&bob, None).await;
    chat_done(&app.chat(&bob, &theirs, "What is my dog called?").await);
    let chats: Vec<String> = model
        .requests()
        .iter()
        .filter(|r| !is_extraction(r))
        .map(|r| format!("{:?}", r.chat_history[r.chat_history.len() - 2]))
        .collect();
    let prompt = chats.last().unwrap();
    assert!(prompt.contains("Has a cat named Tom"), "{prompt}");
    assert!(!prompt.contains("Rex") && !prompt.contains("nurse"), "nothing of Alice's: {prompt}");
}

#[tokio::test]
async fn the_agent_remembers_recalls_and_forgets_with_its_tools() {
    let model = FunctionModel::new(|input| {
        if is_extraction(&input.request) {
            return ops(json!([]));
        }
        if let Some(result) = input.tool_results().last() {
            return Reply::text(result.content.clone());
        }
        match input.last_user_text().unwrap_or_default().as_str() {
            "remember" => Reply::tool_call(
                "remember",
                json!({"text": "Is allergic to peanuts", "kind": "fact"}),
            ),
            "recall" => Reply::tool_call("recall", json!({"query": "peanuts allergy"})),
            "forget" => Reply::tool_call("forget", json!({"query": "peanuts allergy"})),
            _ => Reply::text("Noted."),
        }
    });
    let app = spawn(Models::default().with("test", model.clone()), None, &[]).await;
    let (_, alice) = app.person();
    let (_, bob) = app.person();
    let conversation = app.conversation(&alice, None).await;

    let stream = app.chat(&alice, &conversation, "remember").await;
    chat_done(&stream);
    assert_eq!(events(&stream, "tool_result")[0]["is_error"], false);
    let memories = list(&app, &alice).await;
    assert_eq!(memories.len(), 1);
    assert_eq!(memories[0]["text"], "Is allergic to peanuts");
    assert_eq!(memories[0]["origin"], "agent");

    let stream = app.chat(&alice, &conversation, "recall").await;
    let result = events(&stream, "tool_result")[0]["content"].as_str().unwrap().to_owned();
    assert!(result.contains("Is allergic to peanuts"), "{result}");

    // Bob's recall finds nothing of Alice's, and his forget cannot touch it.
    let theirs = app.conversation(&bob, None).await;
    let stream = app.chat(&bob, &theirs, "recall").await;
    let result: Value =
        serde_json::from_str(events(&stream, "tool_result")[0]["content"].as_str().unwrap())
            .unwrap();
    assert_eq!(result["memories"], json!([]));
    let stream = app.chat(&bob, &theirs, "forget").await;
    assert_eq!(events(&stream, "tool_result")[0]["is_error"], true);
    assert_eq!(list(&app, &alice).await.len(), 1);

    let stream = app.chat(&alice, &conversation, "forget").await;
    assert_eq!(events(&stream, "tool_result")[0]["is_error"], false);
    assert!(list(&app, &alice).await.is_empty());
    assert!(export(&app, &alice).await.is_empty(), "forgetting deletes the row");
    assert!(search(&app, &alice, "peanuts").await.is_empty());
}

#[tokio::test]
async fn an_explicit_remember_is_kept_as_said_without_the_model_or_an_extraction() {
    let model = model(|_| ops(json!([{"op": "ADD", "text": "extracted", "kind": "fact"}])));
    let app = spawn(Models::default().with("test", model.clone()), None, &[]).await;
    let (_, alice) = app.person();
    let conversation = app.conversation(&alice, None).await;

    let stream = app.chat(&alice, &conversation, "Remember that my sister's name is Ana.").await;
    chat_done(&stream);
    assert_eq!(events(&stream, "tool_call")[0]["name"], "remember");
    assert_eq!(events(&stream, "tool_result")[0]["is_error"], false);
    let said: String =
        events(&stream, "text").iter().map(|e| e["delta"].as_str().unwrap()).collect();
    assert_eq!(said, "Got it. I'll remember that your sister's name is Ana.");
    let memories = list(&app, &alice).await;
    assert_eq!(memories.len(), 1, "{memories:?}");
    assert_eq!(memories[0]["text"], "Their sister's name is Ana.");
    assert_eq!(memories[0]["kind"], "relationship");
    // The turn is stored as a call and its answer, so the model sees it in later turns.
    let history = app.history(&alice, &conversation).await;
    let roles: Vec<&str> = history.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "tool", "assistant"], "{history:?}");

    // The next turn is the model's, and its extraction runs; the command's never did.
    let stream = app.chat(&alice, &conversation, "How are you?").await;
    chat_done(&stream);
    eventually("the next turn's extraction", || async {
        texts(&app, &alice).await.contains(&"extracted".to_owned()).then_some(())
    })
    .await;
    let asked = model.requests().len();
    assert_eq!(asked, 2, "one chat call and one extraction, for the second turn only");
    assert_eq!(extractions(&model).len(), 1);
}

#[tokio::test]
async fn a_memory_model_that_calls_tools_weakly_extracts_nothing() {
    let model = model(|_| ops(json!([{"op": "ADD", "text": "extracted", "kind": "fact"}])));
    let vars = [("POSEY_MODEL_TOOLS", "weak".to_owned())];
    let app = spawn(Models::default().with("test", model.clone()), None, &vars).await;
    let (_, alice) = app.person();
    let conversation = app.conversation(&alice, None).await;
    let stream = app.chat(&alice, &conversation, "My sister is called Ana.").await;
    chat_done(&stream);
    // An extraction by the test model comes within milliseconds of the turn (the other tests
    // poll for it): give it half a second, then check none came.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(extractions(&model).is_empty(), "{:?}", model.requests());
    assert!(list(&app, &alice).await.is_empty());
    // "Remember that …" still keeps what the person says.
    let stream = app.chat(&alice, &conversation, "Remember that my sister is called Ana.").await;
    chat_done(&stream);
    assert_eq!(texts(&app, &alice).await, ["Their sister is called Ana."]);
    // Shown to the small model next to the next message as briefly as can be: no kinds, no ids.
    let stream = app.chat(&alice, &conversation, "Who is my sister?").await;
    chat_done(&stream);
    let asked = format!("{:?}", model.requests().last().unwrap().chat_history);
    assert!(asked.contains("What you remember about the person:\\n- Their sister"), "{asked}");
    assert!(!asked.contains("(id ") && !asked.contains("[relationship]"), "{asked}");
}

#[tokio::test]
async fn memories_are_managed_over_rest_and_someone_elses_are_not_found() {
    let app = spawn(Models::test(), None, &[]).await;
    let (alice_id, alice) = app.person();
    let (_, bob) = app.person();

    // Bad input names the field.
    let response = app.post_as("/v1/memories", &alice, &json!({"text": "  "})).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["fields"]["text"][0], "must not be empty");
    let response = app.post_as("/v1/memories", &alice, &json!({"text": "x", "kind": "mood"})).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["fields"]["kind"][0].as_str().unwrap().contains("preference"));
    let response = app.post_as("/v1/memories", &alice, &json!({"kind": "fact"})).await;
    assert_eq!(response.status(), 422);
    let response = app.post_as("/v1/memories", &alice, &json!({"text": "x", "mood": 1})).await;
    assert_eq!(response.status(), 422, "an unknown field is refused");
    assert_eq!(app.get_as("/v1/memories/search", &alice).await.status(), 422);
    assert_eq!(app.get_as("/v1/memories?kind=mood", &alice).await.status(), 422);

    let kayak = add(&app, &alice, "Goes kayaking on the Loire every summer", "event").await;
    let sister = add(&app, &alice, "Has a sister called Maya", "relationship").await;
    add(&app, &alice, "Prefers espresso to filter coffee", "preference").await;
    let again = add(&app, &alice, "Has a sister called Maya", "relationship").await;
    assert_eq!(again["id"], sister["id"], "an identical memory is not stored twice");

    assert_eq!(list(&app, &alice).await.len(), 3);
    let response = app.get_as("/v1/memories?kind=relationship", &alice).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["memories"].as_array().unwrap().len(), 1);
    let found = search(&app, &alice, "kayak").await;
    assert_eq!(found[0], "Goes kayaking on the Loire every summer");
    let response = app.get_as("/v1/memories/search?q=sister&kind=event", &alice).await;
    let body: Value = response.json().await.unwrap();
    assert!(body["memories"].as_array().unwrap().iter().all(|m| m["kind"] == "event"));

    let kayak_path = format!("/v1/memories/{}", kayak["id"].as_str().unwrap());
    let got: Value = app.get_as(&kayak_path, &alice).await.json().await.unwrap();
    assert_eq!(got["text"], kayak["text"]);

    // Edit: the new text is what search finds.
    let response =
        app.patch_as(&kayak_path, &alice, &json!({"text": "Goes canoeing on the Dordogne"})).await;
    assert_eq!(response.status(), 200);
    let edited: Value = response.json().await.unwrap();
    assert_eq!(edited["kind"], "event");
    assert_eq!(search(&app, &alice, "Dordogne").await[0], "Goes canoeing on the Dordogne");
    let response = app.patch_as(&kayak_path, &alice, &json!({"kind": "nope"})).await;
    assert_eq!(response.status(), 422);

    // Bob sees none of it and can change none of it.
    assert!(list(&app, &bob).await.is_empty());
    assert!(search(&app, &bob, "sister").await.is_empty());
    assert!(export(&app, &bob).await.is_empty());
    assert_eq!(app.get_as(&kayak_path, &bob).await.status(), 404);
    assert_eq!(app.patch_as(&kayak_path, &bob, &json!({"text": "hacked"})).await.status(), 404);
    assert_eq!(app.delete_as(&kayak_path, &bob).await.status(), 404);
    assert_eq!(app.get_as("/v1/memories/not-a-uuid", &alice).await.status(), 404);

    // Export: a JSON download of everything.
    let response = app.get_as("/v1/memories/export", &alice).await;
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user_id"], alice_id.to_string());
    assert_eq!(body["memories"].as_array().unwrap().len(), 3);

    // Delete: the row and its vector are gone. Putting the row back by hand does not make it
    // findable, which only its vector could.
    assert_eq!(app.delete_as(&kayak_path, &alice).await.status(), 204);
    assert_eq!(app.get_as(&kayak_path, &alice).await.status(), 404);
    assert_eq!(app.delete_as(&kayak_path, &alice).await.status(), 404);
    assert_eq!(list(&app, &alice).await.len(), 2);
    sqlx::query(
        "INSERT INTO agents.memories (id, user_id, text, kind, origin)
         VALUES ($1, $2, 'Goes canoeing on the Dordogne', 'event', 'person')",
    )
    .bind(uuid::Uuid::parse_str(kayak["id"].as_str().unwrap()).unwrap())
    .bind(alice_id)
    .execute(&app.db.pool)
    .await
    .unwrap();
    assert!(
        !search(&app, &alice, "Dordogne").await.iter().any(|t| t.contains("Dordogne")),
        "the deleted memory's vector is gone"
    );
}

#[tokio::test]
async fn a_failing_extraction_is_retried_and_never_breaks_the_chat() {
    let attempts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let seen = attempts.clone();
    let model = model(move |input| {
        let message = extracted_message(input);
        let attempt = {
            let mut seen = seen.lock().unwrap();
            let n = seen.entry(message.clone()).or_default();
            *n += 1;
            *n
        };
        match (message.as_str(), attempt) {
            ("My name is Ada", _) => Reply::error("the model is down"),
            ("I live in Lyon", 1) => Reply::error("overloaded"),
            ("I live in Lyon", 2) => Reply::text("I think the person lives in Lyon!"),
            ("I live in Lyon", _) => {
                ops(json!([{"op": "ADD", "text": "Lives in Lyon", "kind": "fact"}]))
            }
            _ => ops(json!([])),
        }
    });
    let app = spawn(Models::default().with("test", model.clone()), None, &[]).await;
    let (_, token) = app.person();
    let conversation = app.conversation(&token, None).await;

    // Every attempt fails: the chat is unaffected and nothing is remembered.
    let stream = app.chat(&token, &conversation, "My name is Ada").await;
    chat_done(&stream);
    assert!(events(&stream, "error").is_empty());

    // Fails, answers garbage, then succeeds.
    chat_done(&app.chat(&token, &conversation, "I live in Lyon").await);
    eventually("the retried extraction", || async {
        (texts(&app, &token).await == ["Lives in Lyon"]).then_some(())
    })
    .await;
    eventually("every attempt of the failing extraction", || async {
        (attempts.lock().unwrap().get("My name is Ada") == Some(&(ATTEMPTS as usize))).then_some(())
    })
    .await;
    assert_eq!(attempts.lock().unwrap()["I live in Lyon"], 3);
    assert_eq!(texts(&app, &token).await, ["Lives in Lyon"]);
    assert_eq!(app.history(&token, &conversation).await.len(), 4, "both turns are stored");
}
