//! MCP both ways, against real MCP implementations (the Python `mcp` SDK): a stdio MCP server
//! configured in the agents file becomes a plugin whose tools agents call, and Posey's own
//! tools are served at /mcp for the signed-in person.

use serde_json::{Value, json};

use crate::helpers::{Models, events, spawn};
use crate::openai::python;

#[tokio::test]
async fn a_stdio_mcp_server_becomes_a_plugin_the_agents_use() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/python/mcp_server.py");
    let agents = format!(
        r#"
router: posey
agents:
  - name: posey
    prompt: You are Posey.
    plugins: [time]
  - name: mathematician
    prompt: You compute with the calculator.
    plugins: [calculator]
mcp_servers:
  - name: calculator
    description: Arithmetic
    command: {python}
    args: [{script}]
"#,
        python = python()
    );
    let app = spawn(
        Models::default().with("test", posey_models::testing::TestModel::new().call_tools(["add"])),
        Some(&agents),
        &[],
    )
    .await;
    let (_, token) = app.person();

    let plugins: Value = app.get_as("/v1/plugins", &token).await.json().await.unwrap();
    let calculator =
        plugins["plugins"].as_array().unwrap().iter().find(|p| p["name"] == "calculator").unwrap();
    let tools: Vec<&str> = calculator["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tools, ["add", "divide"]);
    assert_eq!(calculator["tools"][0]["parameters"]["required"], json!(["a", "b"]));

    let id = app.conversation(&token, Some("mathematician")).await;
    let stream = app.chat(&token, &id, "What is 1 + 1?").await;
    let calls = events(&stream, "tool_call");
    assert_eq!(calls[0]["name"], "add");
    let (a, b) = (
        calls[0]["arguments"]["a"].as_i64().unwrap(),
        calls[0]["arguments"]["b"].as_i64().unwrap(),
    );
    let result = events(&stream, "tool_result")[0];
    assert_eq!(result["is_error"], false);
    assert_eq!(result["content"], format!("{a} + {b} = {}", a + b));
    assert_eq!(stream.last().unwrap().event, "done");
}

#[tokio::test]
async fn posey_serves_its_tools_over_mcp_for_the_signed_in_person() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let (_, other) = app.person();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/python/mcp_client.py");
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
    assert!(stdout.contains("validation ok"), "{stdout}");

    // The calls worked on that person's profile, and only theirs.
    let mine: Value = app.get_as("/v1/profile", &token).await.json().await.unwrap();
    assert_eq!(
        (mine["name"].as_str(), mine["time_zone"].as_str()),
        (Some("Grace"), Some("Asia/Tokyo"))
    );
    let theirs: Value = app.get_as("/v1/profile", &other).await.json().await.unwrap();
    assert_eq!(theirs["name"], Value::Null);

    // Without a token there is no MCP.
    let response = app
        .client
        .post(format!("{}/mcp", app.address))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}
