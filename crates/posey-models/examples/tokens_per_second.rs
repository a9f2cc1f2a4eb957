//! Tokens per second of the local GGUF model in process, and (with `--server URL`) of an
//! OpenAI-compatible server (llama.cpp's own, in bench/models/run) on the same prompt, the same
//! maximum reply length and greedy decoding. Each side gets one warm-up request, then `--runs`
//! measured ones; the figure is generated tokens (as each side reports them) over wall time.
//!
//! cargo run --release -p posey-models --example tokens_per_second -- \
//!     --model FILE.gguf [--server http://127.0.0.1:8080/v1] [--max-tokens 128] [--runs 5]
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use posey_config::Env;
use posey_models::{ChatModel, LocalModel, LocalModelConfig, ModelConfig};
use rig_core::completion::CompletionRequest;

const PROMPT: &str =
    "Write a short story about a lighthouse keeper who finds a message in a bottle.";

struct Args {
    model: String,
    server: Option<String>,
    max_tokens: u64,
    runs: u32,
    threads: Option<u32>,
}

fn args() -> Args {
    let mut args =
        Args { model: String::new(), server: None, max_tokens: 128, runs: 5, threads: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--model" => args.model = value,
            "--server" => args.server = Some(value),
            "--max-tokens" => args.max_tokens = value.parse().expect("--max-tokens: a number"),
            "--runs" => args.runs = value.parse().expect("--runs: a number"),
            "--threads" => args.threads = Some(value.parse().expect("--threads: a number")),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!args.model.is_empty(), "--model FILE.gguf is required");
    args
}

fn request(max_tokens: u64) -> CompletionRequest {
    let mut request = CompletionRequest::new(PROMPT);
    request.max_tokens = Some(max_tokens);
    request.temperature = Some(0.0);
    request
}

/// (tokens, time) over `runs` measured requests after one warm-up.
async fn measure(model: &ChatModel, max_tokens: u64, runs: u32) -> (u64, Duration) {
    model.call(request(max_tokens)).await.expect("warm-up request");
    let (mut tokens, mut time) = (0, Duration::ZERO);
    for _ in 0..runs {
        let start = Instant::now();
        let response = model.call(request(max_tokens)).await.expect("request");
        time += start.elapsed();
        tokens += response.usage.output_tokens.expect("the model reports output tokens");
    }
    (tokens, time)
}

fn report(name: &str, (tokens, time): (u64, Duration)) -> f64 {
    let rate = tokens as f64 / time.as_secs_f64();
    println!("{name:<44} {rate:>8.1} tokens/s  ({tokens} tokens in {:.2} s)", time.as_secs_f64());
    rate
}

#[tokio::main]
async fn main() {
    let args = args();
    let mut config = LocalModelConfig::new(&args.model);
    config.threads = args.threads.and_then(std::num::NonZeroU32::new);
    let local = LocalModel::load(config).await.expect("loading the model").model();
    println!(
        "model {}, prompt of {} chars, at most {} tokens per reply, greedy, {} runs each",
        args.model,
        PROMPT.len(),
        args.max_tokens,
        args.runs
    );
    let in_process = report(
        "in process (posey-models, llama-cpp-2)",
        measure(&local, args.max_tokens, args.runs).await,
    );
    if let Some(server) = &args.server {
        let mut env = Env::from_pairs([
            ("POSEY_MODEL", "openai-compatible:bench"),
            ("POSEY_MODEL_BASE_URL", server.as_str()),
        ]);
        let config = ModelConfig::from_env(&mut env);
        let remote = env.finish(config).expect("server config").load().await.expect("server model");
        let served = report(
            "llama.cpp server (llama-cpp-python), HTTP",
            measure(&remote, args.max_tokens, args.runs).await,
        );
        println!("in process / server: {:.2}x", in_process / served);
    }
}
