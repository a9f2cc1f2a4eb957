//! The OpenAI-compatible API, driven by the official Python `openai` SDK (installed by
//! scripts/test into its venv; `TEST_AGENTS_PYTHON` names that venv's python).

use posey_models::testing::{FunctionModel, Reply};
use rig_core::completion::CompletionRequest;
use rig_core::message::{AssistantContent, Message, UserContent};
use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, spawn};

const AGENTS: &str = r#"
router: posey
agents:
  - name: posey
    prompt: You are Posey.
    plugins: [time, profile]
  - name: timekeeper
    prompt: You tell the time.
    plugins: [time]
  - name: plain
    prompt: You use the client's tools.
"#;

/// The python with the `openai` and `mcp` packages, or a failure that says how to get it.
pub fn python() -> String {
    posey_testkit::env::test_python("the openai and mcp packages")
}

#[tokio::test]
async fn the_openai_python_sdk_talks_to_the_agents() {
    let app = spawn(Models::test(), Some(AGENTS), &[]).await;
    let (_, token) = app.person();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/python/openai_client.py");
    let output = tokio::process::Command::new(python())
        .arg(script)
        .env("POSEY_BASE_URL", &app.address)
        .env("POSEY_TOKEN", &token)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("bad key ok"), "{stdout}");
}

#[tokio::test]
async fn chat_completions_refuse_bad_requests_and_count_usage() {
    let app = spawn(Models::test(), Some(AGENTS), &[("AGENTS_DAILY_REQUESTS", "1".into())]).await;
    let (_, token) = app.person();
    let cases = [
        (json!({"model": "plain", "messages": []}), "messages"),
        (
            json!({"model": "plain", "messages": [{"role": "wizard", "content": "hi"}]}),
            "messages[0].role",
        ),
        (
            json!({"model": "plain", "messages": [{"role": "tool", "content": "x", "tool_call_id": "c1"}]}),
            "messages[0].tool_call_id",
        ),
        (
            json!({"model": "plain", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "retrieval", "function": {"name": "x"}}]}),
            "tools[0].type",
        ),
        // A client tool named like one of the agent's own: who would run a call of it?
        (
            json!({"model": "timekeeper", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "current_time"}}]}),
            "tools[0].function.name",
        ),
        (
            json!({"model": "plain", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "lights"}}, {"type": "function", "function": {"name": "lights"}}]}),
            "tools[1].function.name",
        ),
    ];
    for (body, field) in cases {
        let response = app.post_as("/v1/chat/completions", &token, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let error: Value = response.json().await.unwrap();
        assert!(error["error"]["fields"].get(field).is_some(), "{error}");
    }
    let ask = json!({"model": "plain", "messages": [{"role": "user", "content": "hi"}]});
    let response = app.post_as("/v1/chat/completions", &token, &ask).await;
    assert_eq!(response.status(), 200);
    let response = app.post_as("/v1/chat/completions", &token, &ask).await;
    assert_eq!(response.status(), 429, "the first completion counted against the daily limit");
}

/// A model that calls the agent's `update_profile` and the client's `get_weather` in one
/// message (the client's first if `client_first`), then answers with the results it was given
/// (and "Thanks" with a text).
fn mixed_caller(client_first: bool) -> FunctionModel {
    FunctionModel::new(move |input| {
        let results = input.tool_results();
        if !results.is_empty() {
            let said: Vec<String> =
                results.iter().map(|r| format!("{}={}", r.name, r.content)).collect();
            Reply::text(format!("Done: {}", said.join("; ")))
        } else if input.last_user_text().as_deref() == Some("Thanks") {
            Reply::text("You are welcome.")
        } else if client_first {
            Reply::tool_call("get_weather", json!({"city": "Paris"}))
                .and_tool_call("update_profile", json!({"name": "Ada"}))
        } else {
            Reply::tool_call("update_profile", json!({"name": "Ada"}))
                .and_tool_call("get_weather", json!({"city": "Paris"}))
        }
    })
}

fn weather_tool() -> Value {
    json!([{"type": "function", "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"]
        }
    }}])
}

/// Asks `posey` (which has the profile plugin) for a completion; returns the assistant message
/// and the finish reason, read from the whole response or from its chunks.
async fn complete(
    app: &AgentsApp,
    token: &str,
    messages: &[Value],
    stream: bool,
) -> (Value, String) {
    let body =
        json!({"model": "posey", "messages": messages, "tools": weather_tool(), "stream": stream});
    let response = app.post_as("/v1/chat/completions", token, &body).await;
    assert_eq!(response.status(), 200);
    if !stream {
        let reply: Value = response.json().await.unwrap();
        let choice = &reply["choices"][0];
        return (choice["message"].clone(), choice["finish_reason"].as_str().unwrap().to_owned());
    }
    let text = response.text().await.unwrap();
    let (mut content, mut calls, mut reason) = (String::new(), Vec::new(), String::new());
    for data in text.split("\n\n").filter_map(|block| block.strip_prefix("data: ")) {
        if data == "[DONE]" {
            break;
        }
        let chunk: Value = serde_json::from_str(data).unwrap();
        let choice = &chunk["choices"][0];
        content.push_str(choice["delta"]["content"].as_str().unwrap_or_default());
        calls.extend(choice["delta"]["tool_calls"].as_array().cloned().unwrap_or_default());
        if let Some(finish) = choice["finish_reason"].as_str() {
            reason = finish.to_owned();
        }
    }
    for call in &mut calls {
        call.as_object_mut().unwrap().remove("index");
    }
    let mut message = json!({"role": "assistant", "content": content});
    if !calls.is_empty() {
        message["tool_calls"] = json!(calls);
    }
    (message, reason)
}

/// (call id, tool name) of each call, or (call id, content) of each result.
type Pairs = Vec<(String, String)>;

/// The newest assistant message with tool calls the model was sent: its calls' ids and names,
/// and the results of the user message after it (call id, content).
fn last_exchange(request: &CompletionRequest) -> (Pairs, Pairs) {
    let history = &request.chat_history;
    let at = history
        .iter()
        .rposition(|m| matches!(m, Message::Assistant(a) if a.tool_calls().next().is_some()))
        .expect("an assistant message with tool calls");
    let Message::Assistant(message) = &history[at] else { unreachable!() };
    let calls = message
        .content
        .iter()
        .filter_map(|part| match part {
            AssistantContent::ToolCall(call) => {
                Some((call.id.wire().into_owned(), call.function.name.to_string()))
            }
            _ => None,
        })
        .collect();
    let Message::User { content } = &history[at + 1] else { panic!("no results after the calls") };
    let results = content
        .iter()
        .filter_map(|part| match part {
            UserContent::ToolResult(result) => Some((
                result.call.wire().into_owned(),
                posey_agents::runtime::render_result(&result.content),
            )),
            _ => None,
        })
        .collect();
    (calls, results)
}

async fn mixed_calls_round_trip(stream: bool, client_first: bool) {
    let model = mixed_caller(client_first);
    let app = spawn(Models::default().with("test", model.clone()), Some(AGENTS), &[]).await;
    let (_, token) = app.person();
    let mut messages = vec![json!({"role": "user", "content": "I am Ada. Weather in Paris?"})];

    let (message, reason) = complete(&app, &token, &messages, stream).await;
    assert_eq!(reason, "tool_calls");
    let calls = message["tool_calls"].as_array().unwrap();
    let names: Vec<&str> = calls.iter().map(|c| c["function"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["get_weather"], "only the client's call goes back: {message}");
    // The agent's own call in the same message ran.
    let profile: Value = app.get_as("/v1/profile", &token).await.json().await.unwrap();
    assert_eq!(profile["name"], "Ada");

    let client_id = calls[0]["id"].as_str().unwrap().to_owned();
    messages.push(message);
    messages.push(json!({"role": "tool", "tool_call_id": client_id, "content": "sunny, 21C"}));
    let (answer, reason) = complete(&app, &token, &messages, stream).await;
    assert_eq!(reason, "stop");
    let text = answer["content"].as_str().unwrap();
    assert!(text.contains("update_profile=") && text.contains("Ada"), "{text}");
    assert!(text.contains("get_weather=sunny, 21C"), "{text}");

    // The model saw its message as it made it: both calls, in order, each with its result.
    let requests = model.requests();
    assert_eq!(requests.len(), 2);
    let (seen_calls, seen_results) = last_exchange(&requests[1]);
    let server = (format!("fn_call_update_profile_{}", u8::from(client_first)), "update_profile");
    let client = (client_id, "get_weather");
    let expected: Pairs =
        if client_first { [client, server.clone()] } else { [server.clone(), client] }
            .into_iter()
            .map(|(id, name)| (id, name.to_owned()))
            .collect();
    assert_eq!(seen_calls, expected);
    let result_ids: Vec<&String> = seen_results.iter().map(|(id, _)| id).collect();
    let call_ids: Vec<&String> = expected.iter().map(|(id, _)| id).collect();
    assert_eq!(result_ids, call_ids, "the results in the order of the calls");
    let (_, profile_result) = seen_results.iter().find(|(id, _)| *id == server.0).unwrap();
    assert!(profile_result.contains("Ada"), "{seen_results:?}");

    // Every later request that carries that message gets it back too.
    messages.push(answer);
    messages.push(json!({"role": "user", "content": "Thanks"}));
    let (_, reason) = complete(&app, &token, &messages, stream).await;
    assert_eq!(reason, "stop");
    let requests = model.requests();
    let (seen_calls, seen_results) = last_exchange(&requests[2]);
    assert_eq!(seen_calls.len(), 2);
    assert_eq!(seen_results.len(), 2);
}

#[tokio::test]
async fn mixed_tool_calls_run_the_agents_tools_and_show_them_to_the_model_on_follow_up() {
    mixed_calls_round_trip(false, false).await;
}

#[tokio::test]
async fn streamed_mixed_tool_calls_run_the_agents_tools_and_show_them_to_the_model_on_follow_up() {
    // The client's call first: the agent's call after it still runs.
    mixed_calls_round_trip(true, true).await;
}

#[tokio::test]
async fn kept_tool_calls_are_the_persons_own_and_expire() {
    let model = mixed_caller(false);
    let app = spawn(Models::default().with("test", model.clone()), Some(AGENTS), &[]).await;
    let (_, ada) = app.person();
    let (_, bob) = app.person();
    let ask = json!({"role": "user", "content": "I am Ada. Weather in Paris?"});
    let (message, _) = complete(&app, &ada, std::slice::from_ref(&ask), false).await;
    let client_id = message["tool_calls"][0]["id"].as_str().unwrap().to_owned();
    let answered = |id: &str| json!({"role": "tool", "tool_call_id": id, "content": "sunny"});
    let follow_up = [ask.clone(), message.clone(), answered(&client_id)];

    // Another person sending the same message (same call ids) gets nothing of Ada's.
    complete(&app, &bob, &follow_up, false).await;
    let (calls, results) = last_exchange(model.requests().last().unwrap());
    assert_eq!(calls, [(client_id.clone(), "get_weather".to_owned())]);
    assert_eq!(results.len(), 1);

    // A result for a call the client never saw is still refused.
    for id in ["fn_call_update_profile_0", "nobody"] {
        let mut bad = follow_up.to_vec();
        bad.push(answered(id));
        let body = json!({"model": "posey", "messages": bad, "tools": weather_tool()});
        let response = app.post_as("/v1/chat/completions", &ada, &body).await;
        assert_eq!(response.status(), 422, "{id}");
    }

    // Once expired, the calls are not put back, and the next kept calls delete them.
    sqlx::query("UPDATE agents.pending_tool_calls SET expires_at = now() - interval '1 second'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    complete(&app, &ada, &follow_up, false).await;
    let (calls, _) = last_exchange(model.requests().last().unwrap());
    assert_eq!(calls.len(), 1, "{calls:?}");
    complete(&app, &ada, &[ask], false).await;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM agents.pending_tool_calls")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}
