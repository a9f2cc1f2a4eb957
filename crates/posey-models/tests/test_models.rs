//! The test models driving a real rig-agent agent: tool round-trips, streaming and usage.
#![allow(clippy::unwrap_used)]

use futures::StreamExt;
use posey_models::testing::{FunctionModel, Reply, TestModel};
use rig_agent::AgentBuilder;
use rig_agent::agent::MultiTurnStreamItem;
use rig_agent::tool::{Tool, ToolContext};
use rig_core::streaming::{Item, StreamEvent};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
#[error("add failed")]
struct AddError;

#[derive(Deserialize)]
struct AddArgs {
    x: i64,
    y: i64,
}

/// Adds two integers, each between 1 and 100 (so generated arguments must honour bounds).
struct Add;

impl Tool for Add {
    const NAME: &'static str = "add";
    type Error = AddError;
    type Args = AddArgs;
    type Output = i64;

    fn description(&self) -> String {
        "Add x and y".to_owned()
    }

    fn parameters(&self) -> serde_json::Value {
        json!({
            "type": "object",
            "properties": {
                "x": {"type": "integer", "minimum": 1, "maximum": 100},
                "y": {"type": "integer", "minimum": 1, "maximum": 100}
            },
            "required": ["x", "y"]
        })
    }

    async fn call(&self, _: &mut ToolContext, args: AddArgs) -> Result<i64, AddError> {
        if !(1..=100).contains(&args.x) || !(1..=100).contains(&args.y) {
            return Err(AddError);
        }
        Ok(args.x + args.y)
    }
}

#[derive(Deserialize)]
struct GreetArgs {
    name: String,
}

struct Greet;

impl Tool for Greet {
    const NAME: &'static str = "greet";
    type Error = AddError;
    type Args = GreetArgs;
    type Output = String;

    fn description(&self) -> String {
        "Greet someone".to_owned()
    }

    fn parameters(&self) -> serde_json::Value {
        json!({"type": "object", "properties": {"name": {"type": "string", "minLength": 3}},
               "required": ["name"]})
    }

    async fn call(&self, _: &mut ToolContext, args: GreetArgs) -> Result<String, AddError> {
        Ok(format!("hello {}", args.name))
    }
}

#[tokio::test]
async fn test_model_calls_every_tool_then_summarises_the_results() {
    let model = TestModel::new();
    let agent = AgentBuilder::new(model.clone()).tool(Add).tool(Greet).build();

    let response = agent.prompt("add and greet").max_turns(3).await.unwrap();

    // Arguments are generated at their minimum plus a per-argument offset (x=1, y=2) and
    // strings padded to minLength ("b" -> "baa").
    let summary: serde_json::Value = serde_json::from_str(&response.output()).unwrap();
    assert_eq!(summary["add"], 3, "{summary}");
    assert_eq!(summary["greet"], "hello baa", "{summary}");
    let requests = model.requests();
    assert_eq!(requests.len(), 2, "one turn calling the tools, one answering");
    assert_eq!(requests[0].tools.len(), 2);
    assert!(response.usage.input_tokens.unwrap() > 0);
    assert!(response.usage.output_tokens.unwrap() > 0);
    assert_eq!(
        response.usage.total_tokens.unwrap(),
        response.usage.input_tokens.unwrap() + response.usage.output_tokens.unwrap()
    );
}

#[tokio::test]
async fn test_model_calls_only_the_chosen_tools_and_answers_the_final_text() {
    let model = TestModel::new().call_tools(["greet"]).final_text("done");
    let agent = AgentBuilder::new(model.clone()).tool(Add).tool(Greet).build();

    let response = agent.prompt("greet").max_turns(3).await.unwrap();

    assert_eq!(response.output(), "done");
    let second = &model.requests()[1];
    let last = format!("{:?}", second.chat_history.last().unwrap());
    assert!(last.contains("hello"), "greet ran: {last}");
}

#[tokio::test]
async fn test_model_without_tools_says_so() {
    let agent = AgentBuilder::new(TestModel::new()).build();
    let response = agent.prompt("hi").await.unwrap();
    assert_eq!(response.output(), "success (no tool calls)");
}

#[tokio::test]
async fn test_model_streams_tool_calls_results_text_and_usage() {
    let agent = AgentBuilder::new(TestModel::new()).tool(Add).build();

    let mut stream = agent.prompt("add").max_turns(3).stream();
    let (mut text, mut calls, mut results, mut usage_reports, mut deltas) =
        (String::new(), 0, 0, 0, 0);
    let mut final_output = None;
    while let Some(item) = stream.next().await {
        match item.unwrap() {
            MultiTurnStreamItem::StreamAssistantItem(Item::Event(StreamEvent::Text {
                text: piece,
                ..
            })) => {
                deltas += 1;
                text.push_str(&piece);
            }
            MultiTurnStreamItem::ToolCall { tool_call } => {
                assert_eq!(tool_call.function.name.as_str(), "add");
                calls += 1;
            }
            MultiTurnStreamItem::ToolResult { .. } => results += 1,
            MultiTurnStreamItem::CompletionCall(call) => {
                assert!(call.usage.output_tokens.unwrap() > 0);
                usage_reports += 1;
            }
            MultiTurnStreamItem::FinalResponse(response) => final_output = Some(response.output()),
            _ => {}
        }
    }
    assert_eq!((calls, results, usage_reports), (1, 1, 2));
    assert_eq!(text, r#"{"add":3}"#);
    assert_eq!(final_output.as_deref(), Some(r#"{"add":3}"#));
    assert!(deltas >= 1);
}

#[tokio::test]
async fn function_model_scripts_a_tool_round_trip_from_the_conversation() {
    let model = FunctionModel::new(|input| match input.tool_results().first() {
        None => {
            assert_eq!(input.tool_names(), ["add"]);
            assert_eq!(input.last_user_text().as_deref(), Some("what is 2 + 40?"));
            Reply::tool_call("add", json!({"x": 2, "y": 40}))
        }
        Some(result) => Reply::text(format!("It is {}.", result.content)),
    });
    let agent = AgentBuilder::new(model.clone()).tool(Add).build();

    let response = agent.prompt("what is 2 + 40?").max_turns(3).await.unwrap();

    assert_eq!(response.output(), "It is 42.");
    assert_eq!(model.requests().len(), 2);
}

#[tokio::test]
async fn function_model_streams_the_scripted_pieces_and_reports_the_scripted_usage() {
    let model =
        FunctionModel::from_replies([Reply::text_chunks(["Hel", "lo", "!"]).with_usage(7, 3)]);
    let agent = AgentBuilder::new(model).build();

    let mut stream = agent.prompt("hi").stream();
    let mut pieces = Vec::new();
    let mut usage = None;
    while let Some(item) = stream.next().await {
        match item.unwrap() {
            MultiTurnStreamItem::StreamAssistantItem(Item::Event(StreamEvent::Text {
                text,
                ..
            })) => pieces.push(text),
            MultiTurnStreamItem::FinalResponse(response) => usage = Some(response.usage),
            _ => {}
        }
    }
    assert_eq!(pieces, ["Hel", "lo", "!"]);
    let usage = usage.unwrap();
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.total_tokens),
        (Some(7), Some(3), Some(10))
    );
}

#[tokio::test]
async fn function_model_tool_errors_reach_the_model_and_it_can_retry() {
    // The first call's arguments are out of range: the tool fails, the model sees the error and
    // calls again with good ones.
    let model = FunctionModel::new(|input| match input.index {
        0 => Reply::tool_call("add", json!({"x": 0, "y": 1})),
        1 => {
            let result = &input.tool_results()[0];
            assert!(result.is_error, "{result:?}");
            Reply::tool_call("add", json!({"x": 1, "y": 1}))
        }
        _ => Reply::text(input.tool_results()[0].content.clone()),
    });
    let agent = AgentBuilder::new(model).tool(Add).build();
    let response = agent.prompt("add").max_turns(5).await.unwrap();
    assert_eq!(response.output(), "2");
}

#[tokio::test]
async fn function_model_errors_and_running_out_of_replies_fail_the_run() {
    let agent =
        AgentBuilder::new(FunctionModel::from_replies([Reply::error("model is down")])).build();
    let error = agent.prompt("hi").await.unwrap_err().to_string();
    assert!(error.contains("model is down"), "{error}");

    let model = FunctionModel::from_replies([Reply::text("one")]);
    let agent = AgentBuilder::new(model).build();
    assert_eq!(agent.prompt("first").await.unwrap().output(), "one");
    let error = agent.prompt("second").await.unwrap_err().to_string();
    assert!(error.contains("no scripted reply left"), "{error}");
}
