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

/// A model of its own, so the counters see only this test's requests.
fn own_model() -> posey_models::LocalModel {
    let mut config = posey_models::LocalModelConfig::new(common::model_path());
    config.context_tokens = std::num::NonZeroU32::new(2048).unwrap();
    posey_models::LocalModel::load_blocking(config).unwrap()
}

#[tokio::test]
async fn the_next_call_of_a_conversation_evaluates_only_what_is_new_in_its_prompt() {
    use rig_core::message::Message;
    let local = own_model();
    let model: ChatModel = local.model();
    let system = Message::System {
        content: "You are a friendly assistant. Answer briefly. ".repeat(20) + "Be kind.",
    };
    let mut first = CompletionRequest::new("Say hello.");
    first.chat_history.insert(0, system.clone());
    first.temperature = Some(0.0);
    first.max_tokens = Some(6);
    let reply = model.call(first).await.unwrap();
    let after_first = local.stats();
    assert_eq!(after_first.prompt_tokens_evaluated, after_first.prompt_tokens, "{after_first:?}");

    let said = match reply.choice.first() {
        Some(AssistantContent::Text(text)) => text.text.clone(),
        other => panic!("{other:?}"),
    };
    let mut second = CompletionRequest::new("Now say goodbye.");
    second.chat_history = vec![
        system,
        Message::user("Say hello."),
        Message::assistant(said),
        Message::user("Now say goodbye."),
    ];
    second.temperature = Some(0.0);
    second.max_tokens = Some(6);
    model.call(second).await.unwrap();
    let stats = local.stats();
    let prompt = stats.prompt_tokens - after_first.prompt_tokens;
    let evaluated = stats.prompt_tokens_evaluated - after_first.prompt_tokens_evaluated;
    // The first prompt (about 200 tokens) is a prefix of the second: only the reply and the new
    // message are evaluated.
    assert!(
        evaluated + after_first.prompt_tokens <= prompt + 2,
        "evaluated {evaluated} of {prompt} prompt tokens; the shared prefix was {} tokens: {stats:?}",
        after_first.prompt_tokens
    );
}

#[tokio::test]
async fn what_follows_a_cut_or_a_dropped_context_is_moved_not_evaluated_again() {
    use rig_core::message::Message;
    let local = own_model();
    let model: ChatModel = local.model();
    let system =
        Message::System { content: "You are a friendly assistant. Answer briefly.".into() };
    let old = Message::user("Tell me about the sea. ".repeat(30));
    let kept = Message::user("The forest is green and the birds sing at dawn. ".repeat(12));
    let context = Message::System { content: "Today is Monday, 7 December. ".repeat(6) };
    let said = Message::assistant("The forest sounds lovely, and dawn is the best time for it.");
    let request = |history: Vec<Message>| {
        let mut request = CompletionRequest::new("Go on.");
        request.chat_history = history;
        request.temperature = Some(0.0);
        request.max_tokens = Some(4);
        request
    };
    let go_on = Message::user("Go on.");
    model
        .call(request(vec![
            system.clone(),
            old,
            context,
            kept.clone(),
            said.clone(),
            go_on.clone(),
        ]))
        .await
        .unwrap();
    let before = local.stats();

    // The oldest message cut (as a history over its budget is), and the context given with
    // the message before not sent again: the kept message and the reply follow the system
    // prompt directly now.
    let history = vec![system, kept, said, go_on.clone(), Message::assistant("Sure."), go_on];
    model.call(request(history)).await.unwrap();
    let stats = local.stats();
    let prompt = stats.prompt_tokens - before.prompt_tokens;
    let evaluated = stats.prompt_tokens_evaluated - before.prompt_tokens_evaluated;
    let moved = stats.prompt_tokens_moved - before.prompt_tokens_moved;
    assert!(moved >= 120, "moved {moved} of {prompt} prompt tokens: {stats:?}");
    assert!(evaluated <= 40, "evaluated {evaluated} of {prompt} prompt tokens again: {stats:?}");
}

#[tokio::test]
async fn with_a_tool_offered_a_plain_answer_is_sampled_without_the_grammar() {
    let local = own_model();
    let before = local.stats();
    let model: ChatModel = local.model();
    let mut request = CompletionRequest::new("Write one sentence about the sea.");
    request.tools = vec![weather_tool()];
    request.tool_choice = Some(ToolChoice::Auto);
    request.temperature = Some(0.0);
    request.max_tokens = Some(24);
    let response = model.call(request).await.unwrap();
    let text: String = response
        .choice
        .iter()
        .map(|c| match c {
            AssistantContent::Text(text) => text.text.clone(),
            other => panic!("a plain question got {other:?}"),
        })
        .collect();
    assert!(!text.trim().is_empty());
    assert!(!text.trim_start().starts_with('{'), "not plain text: {text:?}");
    let stats = local.stats();
    assert!(stats.generated_tokens > before.generated_tokens, "{stats:?}");
    assert_eq!(stats.grammar_passes, before.grammar_passes, "the grammar engaged: {stats:?}");
}

#[tokio::test]
async fn with_a_tool_offered_and_asked_for_the_lazy_grammar_still_makes_a_valid_call() {
    let model: ChatModel = own_model().model();
    let mut request = weather_request(ToolChoice::Auto);
    // An earlier call in the conversation shows the model the form; the grammar engages once it
    // starts one and holds it to the schema.
    use rig_core::message::{AssistantMessage, CallId, Message, ToolResultContent, UserContent};
    let earlier = AssistantContent::tool_call(
        "call_1",
        ToolName::new("get_weather").unwrap(),
        json!({"city": "Rome", "unit": "celsius"}),
    );
    let result = UserContent::tool_result(
        CallId::from_wire("call_1"),
        ToolName::new("get_weather").unwrap(),
        vec![ToolResultContent::text(r#"{"temperature": 21}"#)],
    );
    request.chat_history = vec![
        Message::user("What is the weather in Rome?"),
        Message::Assistant(AssistantMessage::new(vec![earlier])),
        Message::User { content: vec![result] },
        Message::assistant("It is 21 degrees in Rome."),
        Message::user("What is the weather in Paris?"),
    ];
    let response = model.call(request).await.unwrap();
    let call = response
        .choice
        .iter()
        .find_map(|c| match c {
            AssistantContent::ToolCall(call) => Some(call),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no call: {:?}", response.choice));
    assert_eq!(call.function.name.as_str(), "get_weather");
    let unit = call.function.arguments.get("unit").and_then(|u| u.as_str()).unwrap();
    assert!(["celsius", "fahrenheit"].contains(&unit), "{call:?}");
}

#[tokio::test]
async fn a_conversation_that_grows_past_a_thousand_tokens_keeps_its_cache() {
    use rig_core::message::Message;
    let mut config = posey_models::LocalModelConfig::new(common::model_path());
    config.context_tokens = std::num::NonZeroU32::new(4096).unwrap();
    let local = posey_models::LocalModel::load_blocking(config).unwrap();
    let model: ChatModel = local.model();
    let system =
        Message::System { content: "You are a friendly assistant. Answer briefly.".into() };
    let mut first = CompletionRequest::new("Say hello.");
    first.chat_history.insert(0, system.clone());
    first.temperature = Some(0.0);
    first.max_tokens = Some(4);
    model.call(first).await.unwrap();
    let after_first = local.stats();

    // The next message takes the prompt well past a thousand tokens, in the same context: a
    // context made bigger for it would start with an empty cache.
    let long = "The sea is wide and blue, and the waves come in slowly. ".repeat(100);
    let mut second = CompletionRequest::new(long.clone());
    second.chat_history = vec![system, Message::user("Say hello."), Message::user(long)];
    second.temperature = Some(0.0);
    second.max_tokens = Some(4);
    model.call(second).await.unwrap();
    let stats = local.stats();
    let prompt = stats.prompt_tokens - after_first.prompt_tokens;
    let evaluated = stats.prompt_tokens_evaluated - after_first.prompt_tokens_evaluated;
    assert!(prompt > 1100, "the second prompt is only {prompt} tokens");
    assert!(evaluated < prompt, "evaluated all {prompt} prompt tokens again: {stats:?}");
    // (Then the shared start, the system prompt and the first message, was reused.)
    assert!(prompt - evaluated >= 10, "reused only {} tokens: {stats:?}", prompt - evaluated);
}
