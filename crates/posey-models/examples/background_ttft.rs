//! How long a person waits for the first token of a reply from the local model, alone and with
//! memory extraction's kind of request (a long prompt, a short reply) already running on the
//! same loaded model: unmarked, as every request ran before background work yielded (the two
//! split the cores), and marked background (it pauses while the person's request runs). Each
//! measurement's prompts start with its own number, so no cache serves them; the background
//! request is under way (its job started) when the interactive one is sent, and both finish
//! before the next measurement. The three settings take turns, run by run, so a change in the
//! machine's load falls on all of them.
//!
//! cargo run --profile local -p posey-models --no-default-features --features local \
//!     --example background_ttft -- --model FILE.gguf [--runs 7] [--threads N]
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use futures::StreamExt;
use posey_models::wire::{Chunk, Generate};
use posey_models::{LocalModel, LocalModelConfig, LocalOptions, Priority};
use rig_core::completion::CompletionRequest;
use rig_core::message::Message;

struct Args {
    model: String,
    runs: u32,
    threads: Option<u32>,
}

fn args() -> Args {
    let mut args = Args { model: String::new(), runs: 5, threads: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--model" => args.model = value,
            "--runs" => args.runs = value.parse().expect("--runs: a number"),
            "--threads" => args.threads = Some(value.parse().expect("--threads: a number")),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!args.model.is_empty(), "--model FILE.gguf is required");
    args
}

/// A companion turn: a system prompt of a few hundred tokens and the person's message.
fn interactive_request(run: u32) -> CompletionRequest {
    let system = format!(
        "Session {run}. You are Posey, a warm and attentive personal companion. {}",
        "Keep answers short, friendly and practical; ask a question back when it helps. "
            .repeat(12)
    );
    let mut request = CompletionRequest::new("What could I cook tonight with rice and eggs?");
    request.chat_history.insert(0, Message::System { content: system });
    request.temperature = Some(0.0);
    request.max_tokens = Some(32);
    request
}

/// Memory extraction's shape: about 1,400 tokens of prompt, a reply of up to 64.
fn background_request(run: u32, priority: Priority) -> CompletionRequest {
    let notes: String =
        (1..=120).map(|n| format!("Note {n}: the person likes item {n}. ")).collect();
    let mut request = CompletionRequest::new("List what the person likes, as JSON.");
    request.chat_history.insert(0, Message::System { content: format!("Run {run}. {notes}") });
    request.temperature = Some(0.0);
    request.max_tokens = Some(64);
    request.provider_option(LocalOptions::default().priority(priority))
}

/// Time to the first chunk of the reply, and to its end.
async fn interactive(model: &LocalModel, run: u32) -> (Duration, Duration) {
    let start = Instant::now();
    let mut reply = model.generate(interactive_request(run));
    let mut first = None;
    while let Some(chunk) = reply.next().await {
        let chunk = chunk.expect("interactive request");
        first.get_or_insert_with(|| start.elapsed());
        if matches!(chunk, Chunk::End { .. }) {
            break;
        }
    }
    (first.expect("a reply"), start.elapsed())
}

/// The prompt tokens of `request`, from its reply's usage.
async fn prompt_tokens(model: &LocalModel, request: CompletionRequest) -> u64 {
    let mut reply = model.generate(request);
    while let Some(chunk) = reply.next().await {
        if let Chunk::End { usage, .. } = chunk.expect("warm-up request") {
            return usage.input_tokens.unwrap_or(0);
        }
    }
    0
}

/// One measurement (`run` numbers its prompts): the interactive request's times, alone or
/// beside a request shaped like memory extraction's, of `beside`'s priority, under way.
async fn measure(model: &LocalModel, run: u32, beside: Option<Priority>) -> (Duration, Duration) {
    let Some(priority) = beside else {
        return interactive(model, run).await;
    };
    let before = model.stats().requests;
    let mut reply = model.generate(background_request(run, priority));
    let drained = tokio::spawn(async move {
        while let Some(chunk) = reply.next().await {
            chunk.expect("background request");
        }
    });
    // Its job has started on a slot.
    while model.stats().requests == before {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let times = interactive(model, run).await;
    drained.await.unwrap();
    times
}

fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn report(label: &str, mut times: Vec<(Duration, Duration)>) {
    times.sort();
    let median_first = times[times.len() / 2].0;
    let max_first = times.last().unwrap().0;
    let mut ends: Vec<Duration> = times.iter().map(|t| t.1).collect();
    ends.sort();
    println!(
        "  {label:<38} {:>7} {:>7}   {:>7}",
        seconds(median_first),
        seconds(max_first),
        seconds(ends[ends.len() / 2])
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args = args();
    let mut config = LocalModelConfig::new(args.model.clone());
    config.context_tokens = NonZeroU32::new(4096).unwrap();
    config.threads = args.threads.and_then(NonZeroU32::new);
    let model = LocalModel::load(config).await.expect("the model loads");
    // Warm-up (contexts made, pages touched), which also gives the prompts' sizes.
    let interactive_prompt = prompt_tokens(&model, interactive_request(u32::MAX)).await;
    let background_prompt =
        prompt_tokens(&model, background_request(u32::MAX, Priority::Background)).await;

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{}: {} runs, {} cores, load average {}; prompts: interactive {interactive_prompt} \
         tokens, background {background_prompt} tokens",
        model.name(),
        args.runs,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    let modes = [
        ("alone", None),
        ("beside an unmarked request (before)", Some(Priority::Interactive)),
        ("beside a background request (after)", Some(Priority::Background)),
    ];
    let mut times = vec![Vec::new(); modes.len()];
    let mut measurement = 0;
    for _ in 0..args.runs {
        for (times, (_, beside)) in times.iter_mut().zip(modes) {
            times.push(measure(&model, measurement, beside).await);
            measurement += 1;
        }
    }
    println!("interactive reply (32 tokens at most)     first token (median, max)   end (median)");
    for (times, (label, _)) in times.into_iter().zip(modes) {
        report(label, times);
    }
    let stats = model.stats();
    println!(
        "background requests (with the warm-up): {}, pauses: {}, steps beside interactive work: {}",
        stats.background_requests,
        stats.background_pauses,
        stats.background_steps_beside_interactive
    );
}
