//! The local GGUF model run in process: a streamed reply through a rig-agent agent, and
//! grammar-constrained tool calls.
#![allow(clippy::unwrap_used)]

mod common;

use futures::StreamExt;
use posey_models::ChatModel;
use rig_agent::AgentBuilder;
use rig_agent::agent::MultiTurnStreamItem;
use rig_core::completion::{CompletionRequest, ToolDefinition};
use rig_core::message::{AssistantContent, ToolChoice, ToolName};
use rig_core::streaming::{Item, StreamEvent};
use serde_json::json;

#[tokio::test]
async fn the_local_model_streams_a_short_reply_with_usage() {
    let model = common::local_model();
    let agent = AgentBuilder::new(model.clone())
        .preamble("You are a friendly assistant. Answer briefly.")
        .max_tokens(24)
        .build();

    let mut stream = agent.prompt("Say hello.").stream();
    let (mut text, mut deltas, mut response) = (String::new(), 0, None);
    while let Some(item) = stream.next().await {
        match item.unwrap() {
            MultiTurnStreamItem::StreamAssistantItem(Item::Event(StreamEvent::Text {
                text: piece,
                ..
            })) => {
                deltas += 1;
                text.push_str(&piece);
            }
            MultiTurnStreamItem::FinalResponse(r) => response = Some(r),
            _ => {}
        }
    }
    let response = response.unwrap();
    assert!(!text.trim().is_empty(), "the model said nothing");
    assert!(deltas > 1, "the reply came in {deltas} piece(s), not token by token: {text:?}");
    assert_eq!(response.output(), text);
    let usage = response.usage;
    assert!(usage.input_tokens.unwrap() > 10, "{usage:?}");
    let output = usage.output_tokens.unwrap();
    assert!(output > 0 && output <= 24, "max_tokens caps the reply: {usage:?}");
}

fn weather_tool() -> ToolDefinition {
    ToolDefinition {
        name: ToolName::new("get_weather").unwrap(),
        description: "Get the current weather in a city.".into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
            },
            "required": ["city", "unit"]
        }),
    }
}

fn weather_request(choice: ToolChoice) -> CompletionRequest {
    let mut request = CompletionRequest::new("What is the weather in Paris?");
    request.tools = vec![weather_tool()];
    request.tool_choice = Some(choice);
    request.temperature = Some(0.0);
    request
}

#[tokio::test]
async fn with_a_tool_required_the_local_model_emits_a_well_formed_call() {
    let model: ChatModel = common::local_model().model();

    let response = model.call(weather_request(ToolChoice::Required)).await.unwrap();

    let calls: Vec<_> = response
        .choice
        .iter()
        .filter_map(|c| match c {
            AssistantContent::ToolCall(call) => Some(call),
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 1, "{:?}", response.choice);
    let call = calls[0];
    assert_eq!(call.function.name.as_str(), "get_weather");
    let arguments = &call.function.arguments;
    assert!(arguments.get("city").and_then(|c| c.as_str()).is_some(), "{arguments:?}");
    let unit = arguments.get("unit").and_then(|u| u.as_str()).unwrap();
    assert!(["celsius", "fahrenheit"].contains(&unit), "{arguments:?}");
    assert!(response.usage.output_tokens.unwrap() > 0);
}

#[tokio::test]
async fn with_a_tool_offered_the_local_model_calls_it_or_answers_but_never_emits_broken_json() {
    let model: ChatModel = common::local_model().model();

    // Streamed, as the agents runtime calls it: the grammar still yields either one valid call
    // or a text answer streamed out of the JSON envelope.
    let mut stream = model.stream(weather_request(ToolChoice::Auto)).unwrap();
    while let Some(item) = stream.next().await {
        item.unwrap();
    }
    let response = stream.finish().await.unwrap();
    let mut parts = 0;
    for content in &response.choice {
        match content {
            AssistantContent::ToolCall(call) => {
                assert_eq!(call.function.name.as_str(), "get_weather");
                assert!(call.function.arguments.get("city").is_some(), "{call:?}");
                parts += 1;
            }
            AssistantContent::Text(text) => {
                assert!(!text.text.contains("\"response\""), "the envelope leaked: {text:?}");
                parts += 1;
            }
            other => panic!("unexpected content {other:?}"),
        }
    }
    assert!(parts >= 1, "{:?}", response.choice);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_at_once_share_the_loaded_model_each_with_its_own_context() {
    let model = common::local_model();
    let agent = AgentBuilder::new(model).max_tokens(8).build();
    let (a, b, c) = tokio::join!(
        agent.prompt("Name a colour.").into_future(),
        agent.prompt("Name a fruit.").into_future(),
        agent.prompt("Name an animal.").into_future(),
    );
    for response in [a, b, c] {
        let response = response.unwrap();
        assert!(response.usage.output_tokens.unwrap() > 0, "{:?}", response.usage);
    }
}
