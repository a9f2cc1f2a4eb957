//! The OpenAI-compatible API, driven by the official Python `openai` SDK (installed by
//! scripts/test into its venv; `TEST_AGENTS_PYTHON` names that venv's python).

use serde_json::{Value, json};

use crate::helpers::{Models, spawn};

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
    match std::env::var("TEST_AGENTS_PYTHON") {
        Ok(python) if !python.trim().is_empty() => python,
        _ => panic!(
            "TEST_AGENTS_PYTHON is not set: run the tests with ./scripts/test, which installs the \
             openai and mcp packages (PyPI) into its venv, or point it at a python that has them"
        ),
    }
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
