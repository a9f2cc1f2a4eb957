//! Usage records under concurrency (the OpenAI-compatible API's turns are recorded in
//! batches) and the person's profile within a turn (read once, with the usage check, and kept
//! current when a tool of the turn changes it).

use futures::future::join_all;
use posey_models::testing::{FunctionModel, Reply};
use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, events, spawn};

const AGENTS: &str = r#"
router: clock
agents:
  - name: clock
    description: Tells the time and keeps the profile.
    prompt: You tell the time.
    plugins: [time, profile]
"#;

async fn complete(app: &AgentsApp, token: &str, content: String) -> Value {
    let body = json!({"model": "clock", "messages": [{"role": "user", "content": content}]});
    let response = app.post_as("/v1/chat/completions", token, &body).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// `(requests, tokens)` in today's totals and the number of usage rows of `person`.
async fn recorded(app: &AgentsApp, person: uuid::Uuid) -> (i64, i64, i64) {
    let (requests, tokens): (i64, i64) = sqlx::query_as(
        "SELECT requests, tokens FROM agents.usage_daily
         WHERE user_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date",
    )
    .bind(person)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let (rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM agents.usage WHERE user_id = $1")
        .bind(person)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    (requests, tokens, rows)
}

#[tokio::test]
async fn concurrent_turns_of_two_people_are_each_recorded_once() {
    let app = spawn(Models::test(), Some(AGENTS), &[]).await;
    let (ada, ada_token) = app.person();
    let (bob, bob_token) = app.person();

    let mut turns = Vec::new();
    for i in 0..40 {
        turns.push(complete(&app, &ada_token, format!("ada {i}")));
    }
    for i in 0..7 {
        turns.push(complete(&app, &bob_token, format!("bob {i}")));
    }
    let answers = join_all(turns).await;
    let tokens = |answers: &[Value]| -> i64 {
        answers.iter().map(|answer| answer["usage"]["total_tokens"].as_i64().unwrap()).sum()
    };
    // Each answer is sent once its usage is written: the totals are complete right away.
    assert_eq!(recorded(&app, ada).await, (40, tokens(&answers[..40]), 40));
    assert_eq!(recorded(&app, bob).await, (7, tokens(&answers[40..]), 7));
}

#[tokio::test]
async fn the_request_limit_counts_the_batched_records() {
    let app = spawn(Models::test(), Some(AGENTS), &[("AGENTS_DAILY_REQUESTS", "5".into())]).await;
    let (_, token) = app.person();
    join_all((0..5).map(|i| complete(&app, &token, format!("turn {i}")))).await;

    let body = json!({"model": "clock", "messages": [{"role": "user", "content": "one more"}]});
    let response = app.post_as("/v1/chat/completions", &token, &body).await;
    assert_eq!(response.status(), 429);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "daily request limit reached: 5 of 5 requests used today (UTC); it resets at midnight UTC"
    );
}

/// The `current_time` result in a completion's answer (the test model answers with it).
fn time_zone_in(answer: &Value) -> String {
    let text = answer["choices"][0]["message"]["content"].as_str().unwrap();
    let start = text.find('{').unwrap_or_else(|| panic!("no tool result in {text}"));
    let result: Value = serde_json::from_str(&text[start..text.rfind('}').unwrap() + 1])
        .unwrap_or_else(|_| panic!("no JSON tool result in {text}"));
    result["time_zone"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_time_tool_answers_in_the_profiles_time_zone() {
    let model = FunctionModel::new(|input| match input.tool_results().last() {
        None => Reply::tool_call("current_time", json!({})),
        Some(result) => Reply::text(&result.content),
    });
    let app = spawn(Models::default().with("test", model), Some(AGENTS), &[]).await;
    let (_, token) = app.person();
    // No profile yet: UTC.
    assert_eq!(time_zone_in(&complete(&app, &token, "time?".into()).await), "UTC");

    let changed = app.patch_as("/v1/profile", &token, &json!({"time_zone": "Europe/Paris"})).await;
    assert_eq!(changed.status(), 200);
    assert_eq!(time_zone_in(&complete(&app, &token, "time?".into()).await), "Europe/Paris");

    // Read at the start of each turn, whichever way the turn comes: a chat message too.
    let id = app.conversation(&token, Some("clock")).await;
    let stream = app.chat(&token, &id, "time?").await;
    let result = events(&stream, "tool_result")[0]["content"].as_str().unwrap().to_owned();
    assert_eq!(serde_json::from_str::<Value>(&result).unwrap()["time_zone"], "Europe/Paris");
}

#[tokio::test]
async fn a_turn_sees_the_profile_change_it_made() {
    // Moves the person to Tokyo, then asks the time, then says what it was told.
    let model = FunctionModel::new(|input| match input.tool_results().last() {
        None => Reply::tool_call("update_profile", json!({"time_zone": "Asia/Tokyo"})),
        Some(result) if result.name == "update_profile" => {
            Reply::tool_call("current_time", json!({}))
        }
        Some(result) => Reply::text(&result.content),
    });
    let app = spawn(Models::default().with("test", model), Some(AGENTS), &[]).await;
    let (_, token) = app.person();
    assert_eq!(
        time_zone_in(&complete(&app, &token, "I moved to Tokyo".into()).await),
        "Asia/Tokyo"
    );
}
