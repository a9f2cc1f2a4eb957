//! Where the time goes in a local-model turn with tools, as the agents' router sends it: a system
//! prompt of realistic size, the eight tools of the built-in `posey` agent with their JSON
//! schemas, and a greeting. Three model calls, each printed with its time to first token, total
//! time, tokens/s and the model's own split (prompt evaluation, sampling, decoding):
//!
//! 1. `tools, first call`: the greeting with the tools offered (tool choice auto);
//! 2. `tools, second call`: the same conversation plus a `recall` call and its result, as the
//!    turn's next model call sends it (a prompt sharing the first call's prefix);
//! 3. `no tools`: the greeting without tools.
//!
//! The sequence runs once to warm up, then `--runs` times; figures are per call, summed over the
//! measured runs. Greedy decoding, so runs repeat.
//!
//! cargo run -p posey-models --example tool_turn -- \
//!     --model FILE.gguf [--runs 2] [--max-tokens 512] [--threads N]
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use futures::StreamExt;
use posey_models::{LocalModel, LocalModelConfig, LocalStats};
use rig_core::completion::{CompletionRequest, ToolDefinition};
use rig_core::message::{
    AssistantContent, CallId, Message, ToolChoice, ToolName, ToolResultContent, UserContent,
};
use serde_json::{Value, json};

const SYSTEM: &str = "You are Posey, a warm, concise personal companion. Use your tools when they \
help, and hand a task to a specialist when one fits it better.\n\n\
Use current_time whenever the answer depends on today's date or the time.\n\n\
About the person: name: not known yet; time zone: UTC.\n\n\
What you remember about the person (most relevant first):\n\
- Likes hiking in the mountains on weekends.\n\
- Has a cat called Miso.\n\
- Works as a nurse, often on night shifts.\n\n\
The person's uploaded documents can be searched with search_documents. When an answer uses a \
passage, cite it right after the claim as the passage's `cite` field says, e.g. [manual.pdf p. \
2] or [notes.md § Setup]. Say so when the documents do not answer the question; never invent a \
citation.\n\n\
Specialists you can hand a task to with the delegate tool:\n\
- timekeeper: Dates, times and time zones.\n\
- biographer: Remembers and updates what the person told about themselves (name, time zone, \
preferences).";

const GREETING: &str = "Hello, how are you?";

fn tool(name: &str, description: &str, parameters: Value) -> ToolDefinition {
    ToolDefinition {
        name: ToolName::new(name).unwrap(),
        description: description.into(),
        parameters,
    }
}

/// The tools of the built-in `posey` agent (time, profile, memory, documents, delegate).
fn tools() -> Vec<ToolDefinition> {
    let none = json!({"type": "object", "properties": {}, "additionalProperties": false});
    let query = json!({
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1},
            "limit": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5}
        },
        "required": ["query"],
        "additionalProperties": false
    });
    vec![
        tool(
            "current_time",
            "The current date, time and weekday in the person's time zone.",
            none.clone(),
        ),
        tool("get_profile", "The person's profile: name, IANA time zone and preferences.", none),
        tool(
            "update_profile",
            "Change the person's name, IANA time zone (such as Europe/Paris) or preferences \
             (merged into the existing ones; a null value removes a preference). Only what is \
             given changes.",
            json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "time_zone": {"type": "string", "default": "UTC",
                                  "description": "An IANA time zone name"},
                    "preferences": {"type": "object"}
                },
                "additionalProperties": false
            }),
        ),
        tool(
            "remember",
            "Remember something lasting about the person (a fact, preference, event, \
             relationship or goal), as one short sentence.",
            json!({
                "type": "object",
                "properties": {
                    "text": {"type": "string", "minLength": 1, "maxLength": 500},
                    "kind": {"type": "string",
                             "enum": ["fact", "preference", "event", "relationship", "goal"],
                             "default": "fact"}
                },
                "required": ["text"],
                "additionalProperties": false
            }),
        ),
        tool(
            "recall",
            "Search what you remember about the person, most relevant first.",
            query.clone(),
        ),
        tool(
            "forget",
            "Forget a memory for good: by its id, or the one that best matches a query.",
            json!({
                "type": "object",
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "query": {"type": "string", "minLength": 1}
                },
                "additionalProperties": false
            }),
        ),
        tool(
            "search_documents",
            "Search the person's documents; returns the best matching passages, each with where \
             it is (file, page or heading, chunk) and how to cite it.",
            query,
        ),
        tool(
            "delegate",
            "Hand a task to a specialist agent and get its answer.",
            json!({
                "type": "object",
                "properties": {
                    "agent": {"type": "string", "enum": ["timekeeper", "biographer"],
                              "description": "The specialist"},
                    "task": {"type": "string", "minLength": 1,
                             "description": "What the specialist should do, with everything it needs to know"}
                },
                "required": ["agent", "task"],
                "additionalProperties": false
            }),
        ),
    ]
}

fn request(history: Vec<Message>, with_tools: bool, max_tokens: u64) -> CompletionRequest {
    let mut chat = vec![Message::System { content: SYSTEM.into() }];
    chat.extend(history);
    let mut request = CompletionRequest::new(GREETING);
    request.chat_history = chat;
    if with_tools {
        request.tools = tools();
        request.tool_choice = Some(ToolChoice::Auto);
    }
    request.temperature = Some(0.0);
    request.max_tokens = Some(max_tokens);
    request
}

/// The second model call of the turn: the first one called `recall`, here is its result.
fn second_call_history() -> Vec<Message> {
    let call = AssistantContent::tool_call(
        "local_call_0",
        ToolName::new("recall").unwrap(),
        json!({"query": "how the person is"}),
    );
    let result = UserContent::tool_result(
        CallId::from_wire("local_call_0"),
        ToolName::new("recall").unwrap(),
        vec![ToolResultContent::text(
            json!({"memories": [{"id": "0b6f4c1e-3f6a-4d0e-9a43-2f1f3f7f1b2a",
                                  "text": "Works as a nurse, often on night shifts.",
                                  "kind": "fact", "updated_at": "2025-05-02T08:00:00Z"}]})
            .to_string(),
        )],
    );
    vec![
        Message::user(GREETING),
        Message::Assistant(rig_core::message::AssistantMessage::new(vec![call])),
        Message::User { content: vec![result] },
    ]
}

#[derive(Default)]
struct Figures {
    calls: u32,
    first_token: Duration,
    total: Duration,
    output_tokens: u64,
    input_tokens: u64,
    stats: Vec<LocalStats>,
}

fn minus(a: LocalStats, b: LocalStats) -> LocalStats {
    LocalStats {
        requests: a.requests - b.requests,
        prompt_tokens: a.prompt_tokens - b.prompt_tokens,
        prompt_tokens_evaluated: a.prompt_tokens_evaluated - b.prompt_tokens_evaluated,
        prompt_tokens_moved: a.prompt_tokens_moved - b.prompt_tokens_moved,
        context_setup: a.context_setup - b.context_setup,
        prompt_eval: a.prompt_eval - b.prompt_eval,
        generated_tokens: a.generated_tokens - b.generated_tokens,
        sampling: a.sampling - b.sampling,
        grammar_passes: a.grammar_passes - b.grammar_passes,
        decoding: a.decoding - b.decoding,
        // No background work here.
        ..LocalStats::default()
    }
}

/// One streamed call; returns what it said (for the first run's printout).
async fn call(local: &LocalModel, request: CompletionRequest, figures: &mut Figures) -> String {
    let model = local.model();
    let before = local.stats();
    let start = Instant::now();
    let mut stream = model.stream(request).expect("request");
    let mut first = None;
    while let Some(item) = stream.next().await {
        item.expect("stream item");
        first.get_or_insert_with(|| start.elapsed());
    }
    let response = stream.finish().await.expect("response");
    let total = start.elapsed();
    figures.calls += 1;
    figures.first_token += first.unwrap_or(total);
    figures.total += total;
    figures.output_tokens += response.usage.output_tokens.unwrap_or(0);
    figures.input_tokens += response.usage.input_tokens.unwrap_or(0);
    figures.stats.push(minus(local.stats(), before));
    format!("{:?}", response.choice)
}

fn report(name: &str, f: &Figures) {
    let n = f64::from(f.calls.max(1));
    let sum = |pick: fn(&LocalStats) -> Duration| f.stats.iter().map(pick).sum::<Duration>();
    let count = |pick: fn(&LocalStats) -> u64| f.stats.iter().map(pick).sum::<u64>();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0 / n;
    let generated = count(|s| s.generated_tokens);
    let gen_time = sum(|s| s.sampling) + sum(|s| s.decoding);
    println!(
        "{name:<20} first token {:>7.0} ms  total {:>7.0} ms  in {:>5.0} tok (evaluated {:>5.0})  \
         out {:>4.0} tok  {:>6.1} tok/s overall  {:>6.1} tok/s generating",
        ms(f.first_token),
        ms(f.total),
        f.input_tokens as f64 / n,
        count(|s| s.prompt_tokens_evaluated) as f64 / n,
        f.output_tokens as f64 / n,
        f.output_tokens as f64 / f.total.as_secs_f64(),
        generated as f64 / gen_time.as_secs_f64().max(1e-9),
    );
    println!(
        "{:<20} context setup {:>6.0} ms  prompt eval {:>6.0} ms  sampling {:>6.0} ms ({:.1} ms/token)  \
         decoding {:>6.0} ms ({:.1} ms/token)  grammar passes {:.0}",
        "",
        ms(sum(|s| s.context_setup)),
        ms(sum(|s| s.prompt_eval)),
        ms(sum(|s| s.sampling)),
        sum(|s| s.sampling).as_secs_f64() * 1000.0 / generated.max(1) as f64,
        ms(sum(|s| s.decoding)),
        sum(|s| s.decoding).as_secs_f64() * 1000.0 / generated.max(1) as f64,
        count(|s| s.grammar_passes) as f64 / n,
    );
}

#[tokio::main]
async fn main() {
    let mut model = None;
    let (mut runs, mut max_tokens, mut threads) = (2_u32, 512_u64, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--model" => model = Some(value),
            "--runs" => runs = value.parse().expect("--runs: a number"),
            "--max-tokens" => max_tokens = value.parse().expect("--max-tokens: a number"),
            "--threads" => threads = Some(value.parse().expect("--threads: a number")),
            other => panic!("unknown flag {other}"),
        }
    }
    let model = model
        .or_else(|| std::env::var("POSEY_LOCAL_MODEL").ok())
        .expect("--model FILE.gguf (or POSEY_LOCAL_MODEL)");
    let mut config = LocalModelConfig::new(&model);
    config.threads = threads.and_then(std::num::NonZeroU32::new);
    let local = LocalModel::load(config).await.expect("loading the model");
    println!(
        "model {model}, {runs} measured run(s) after one warm-up, at most {max_tokens} tokens, greedy"
    );

    let mut figures: [Figures; 3] = Default::default();
    for run in 0..=runs {
        let mut scratch: [Figures; 3] = Default::default();
        let target = if run == 0 { &mut scratch } else { &mut figures };
        let greeting = || vec![Message::user(GREETING)];
        let a = call(&local, request(greeting(), true, max_tokens), &mut target[0]).await;
        let b =
            call(&local, request(second_call_history(), true, max_tokens), &mut target[1]).await;
        let c = call(&local, request(greeting(), false, max_tokens), &mut target[2]).await;
        if run == 0 {
            println!("tools, first call:  {a}\ntools, second call: {b}\nno tools:           {c}\n");
        }
    }
    report("tools, first call", &figures[0]);
    report("tools, second call", &figures[1]);
    report("no tools", &figures[2]);
}
