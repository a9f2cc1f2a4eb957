//! Background requests to the local model (memory extraction after a turn) yield to interactive
//! ones on the same loaded model. Each test loads its own model, so its counters see only its
//! requests; what is checked comes from those counters, never from what the model says.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use posey_models::wire::Generate;
use posey_models::{ChatModel, LocalModel, LocalModelConfig, LocalOptions, LocalStats};
use rig_core::completion::CompletionRequest;
use rig_core::message::{AssistantContent, Message};
use tokio::task::JoinHandle;

fn own_model() -> LocalModel {
    let mut config = LocalModelConfig::new(common::model_path());
    config.context_tokens = std::num::NonZeroU32::new(2048).unwrap();
    LocalModel::load_blocking(config).unwrap()
}

/// Memory extraction's shape: a long prompt (about 800 tokens, evaluated in many chunks) and a
/// short reply, marked background.
fn background_request() -> CompletionRequest {
    let notes: String =
        (1..=60).map(|n| format!("Note {n}: the person likes item {n}. ")).collect();
    let mut request = CompletionRequest::new("Which item does the person like most?");
    request.chat_history.insert(0, Message::System { content: notes });
    request.temperature = Some(0.0);
    request.max_tokens = Some(16);
    request.provider_option(LocalOptions::background())
}

/// A person's turn: a prompt of about 450 tokens (so it stays in flight a while), a short reply.
fn interactive_request() -> CompletionRequest {
    let facts: String =
        (1..=30).map(|n| format!("Fact {n}: the sky was clear on day {n}. ")).collect();
    let mut request = CompletionRequest::new("Was the sky clear on day 7?");
    request.chat_history.insert(0, Message::System { content: facts });
    request.temperature = Some(0.0);
    request.max_tokens = Some(8);
    request
}

/// Reads `local`'s counters until `until` holds (that snapshot) or `task` has ended (`None`).
/// The pause between reads only paces the loop.
async fn watch_until<T>(
    local: &LocalModel,
    task: &JoinHandle<T>,
    until: impl Fn(&LocalStats) -> bool,
) -> Option<LocalStats> {
    loop {
        let stats = local.stats();
        if until(&stats) {
            return Some(stats);
        }
        if task.is_finished() {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_background_request_pauses_while_an_interactive_one_runs_then_finishes() {
    let local = own_model();
    let model: ChatModel = local.model();
    let background = tokio::spawn({
        let model = model.clone();
        async move { model.call(background_request()).await }
    });
    watch_until(&local, &background, |stats| stats.background_tokens > 0)
        .await
        .expect("the background request ended before its prompt was under way");

    let interactive = tokio::spawn({
        let model = model.clone();
        async move { model.call(interactive_request()).await }
    });
    let paused = watch_until(&local, &interactive, |stats| stats.background_paused == 1).await;
    interactive.await.unwrap().unwrap();
    let finished = background.await.unwrap().unwrap();
    let stats = local.stats();

    let paused = paused.expect("the background request never paused while the interactive one ran");
    let prompt = finished.usage.input_tokens.unwrap();
    assert!(
        paused.background_tokens < prompt,
        "it should pause between chunks of its {prompt}-token prompt: {paused:?}"
    );
    assert_eq!(
        stats.background_steps_beside_interactive, 0,
        "background work went on beside interactive work: {stats:?}"
    );
    assert!(stats.background_pauses >= 1, "{stats:?}");
    assert_eq!(stats.background_requests, 1, "{stats:?}");
    // It then did all of its work: its whole prompt (nothing was cached) and every token it
    // reported generating.
    assert_eq!(
        stats.background_tokens,
        prompt + finished.usage.output_tokens.unwrap(),
        "{stats:?} {:?}",
        finished.usage
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_background_request_ends_when_its_reader_leaves() {
    let local = own_model();
    let model: ChatModel = local.model();
    // Straight to the model, so the request starts now and dropping the stream cancels it.
    let reply = local.generate(background_request());
    while local.stats().background_tokens == 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }

    let interactive = tokio::spawn({
        let model = model.clone();
        async move { model.call(interactive_request()).await }
    });
    let paused = watch_until(&local, &interactive, |stats| stats.background_paused == 1)
        .await
        .expect("the background request never paused while the interactive one ran");
    drop(reply);
    let ended = watch_until(&local, &interactive, |stats| stats.background_cancelled == 1).await;
    interactive.await.unwrap().unwrap();

    let ended =
        ended.expect("the paused background request did not end while the interactive one ran");
    assert_eq!(ended.background_paused, 0, "{ended:?}");
    let stats = local.stats();
    assert_eq!(stats.background_tokens, paused.background_tokens, "it resumed: {stats:?}");

    // The slot it held takes requests again.
    model.call(background_request()).await.unwrap();
}

#[tokio::test]
async fn background_work_leaves_the_conversation_cache_to_the_next_turn() {
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
    // Whatever it said (a reply of no text stands in as "Hello."): the first prompt starts the
    // second either way.
    let said = match reply.choice.first() {
        Some(AssistantContent::Text(text)) if !text.text.trim().is_empty() => text.text.clone(),
        _ => "Hello.".to_owned(),
    };

    // Between the turns, the memory extraction of the first.
    model.call(background_request()).await.unwrap();
    let before = local.stats();

    let mut second = CompletionRequest::new("Now say goodbye.");
    second.chat_history = vec![
        system,
        Message::user("Say hello."),
        Message::assistant(said),
        Message::user("Now say goodbye."),
    ];
    second.temperature = Some(0.0);
    second.max_tokens = Some(6);
    let second = model.call(second).await.unwrap();
    let stats = local.stats();
    let prompt = second.usage.input_tokens.unwrap();
    let evaluated = stats.prompt_tokens_evaluated - before.prompt_tokens_evaluated;
    let first_prompt = reply.usage.input_tokens.unwrap();
    // The first turn's prompt (about 200 tokens) starts the second's and is still cached.
    assert!(
        evaluated + first_prompt <= prompt + 2,
        "evaluated {evaluated} of {prompt} prompt tokens after background work, although the \
         first {first_prompt} were cached by the first turn: {stats:?}"
    );
}
