//! The OpenAI-compatible provider path, configured as an operator would
//! (POSEY_MODEL=openai-compatible:..., POSEY_MODEL_BASE_URL), against llama.cpp's own server
//! (llama-cpp-python) serving the same GGUF.
#![allow(clippy::unwrap_used)]

mod common;

use futures::StreamExt;
use posey_config::Env;
use posey_models::ModelConfig;
use rig_agent::AgentBuilder;
use rig_agent::agent::MultiTurnStreamItem;
use rig_core::streaming::{Item, StreamEvent};

async fn agent_on(server: &common::LlamaServer) -> rig_agent::Agent {
    let mut env = Env::from_pairs([
        ("POSEY_MODEL", "openai-compatible:smollm2"),
        ("POSEY_MODEL_BASE_URL", server.base_url.as_str()),
    ]);
    let config = ModelConfig::from_env(&mut env);
    let config = env.finish(config).unwrap();
    assert!(config.describe().starts_with("openai-compatible:smollm2 at http://127.0.0.1:"));
    let model = config.load().await.unwrap();
    AgentBuilder::new(model).preamble("Answer briefly.").max_tokens(16).build()
}

#[tokio::test]
async fn an_openai_compatible_server_answers_streamed_and_whole() {
    let server = common::LlamaServer::start().await;
    let agent = agent_on(&server).await;

    let whole = agent.prompt("Say hello.").await.unwrap();
    assert!(!whole.output().trim().is_empty());
    assert!(whole.usage.output_tokens.unwrap() > 0, "{:?}", whole.usage);

    let mut stream = agent.prompt("Say hello.").stream();
    let (mut text, mut deltas, mut output) = (String::new(), 0, None);
    while let Some(item) = stream.next().await {
        match item.unwrap() {
            MultiTurnStreamItem::StreamAssistantItem(Item::Event(StreamEvent::Text {
                text: piece,
                ..
            })) => {
                deltas += 1;
                text.push_str(&piece);
            }
            MultiTurnStreamItem::FinalResponse(response) => output = Some(response.output()),
            _ => {}
        }
    }
    assert!(deltas > 1, "streamed in {deltas} piece(s): {text:?}");
    assert_eq!(output.as_deref(), Some(text.as_str()));
}

#[tokio::test]
async fn a_server_that_is_not_there_is_a_clear_error() {
    let port = posey_testkit::free_port();
    let base_url = format!("http://127.0.0.1:{port}/v1");
    let mut env = Env::from_pairs([
        ("POSEY_MODEL", "openai-compatible:smollm2"),
        ("POSEY_MODEL_BASE_URL", base_url.as_str()),
    ]);
    let config = ModelConfig::from_env(&mut env);
    let model = env.finish(config).unwrap().load().await.unwrap();
    let agent = AgentBuilder::new(model).build();
    let error = agent.prompt("hi").await.unwrap_err().to_string();
    // The error names the URL it could not reach, so an operator sees the wrong setting.
    assert!(error.contains(&format!("{base_url}/chat/completions")), "{error}");
}
