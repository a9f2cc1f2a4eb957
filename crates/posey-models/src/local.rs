//! The embedded default: a GGUF model run in process through llama.cpp (`llama-cpp-2`). The
//! model's own tokenizer and chat template apply, so any GGUF can be dropped in. Generation runs
//! on a blocking thread and streams token by token through a channel; the model is loaded once
//! and shared, each request gets its own context.
//!
//! When tools are offered, decoding is constrained by a grammar built from the tools' JSON
//! schemas (llama.cpp's json-schema-to-grammar): the model answers with one JSON object, either
//! `{"tool": name, "arguments": {...}}` or `{"response": "text"}`, so even a 135M model emits
//! well-formed tool calls. The `response` text is still streamed as it is decoded.

// rig's ProviderError is what a transport reports; it is large, but made at most once a request.
#![allow(clippy::result_large_err)]

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use futures::StreamExt;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use rig_core::DynModel;
use rig_core::completion::{CompletionRequest, FinishReason, ToolDefinition};
use rig_core::error::ProviderError;
use rig_core::message::ToolChoice;
use rig_core::message::{AssistantContent, Message, ToolResultContent, UserContent};
use rig_core::operation::Completion;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::config::{LocalModelConfig, ModelError};
use crate::wire::{Chunk, ChunkStream, Generate, in_process, usage};

/// Replies are capped at this many tokens unless the request says otherwise.
const DEFAULT_MAX_TOKENS: u64 = 512;
/// A tool call needs room for its JSON even when the request asked for a very short reply.
const MIN_TOOL_CALL_TOKENS: u64 = 128;

/// llama.cpp's process-wide state: initialised once, on first load.
static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();

fn backend() -> Result<&'static LlamaBackend, String> {
    BACKEND
        .get_or_init(|| {
            // llama.cpp logs every layer it loads to stderr; route it to tracing (debug level).
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// A loaded GGUF model. Clones share it.
#[derive(Clone)]
pub struct LocalModel {
    inner: Arc<Inner>,
}

struct Inner {
    model: LlamaModel,
    template: Option<LlamaChatTemplate>,
    config: LocalModelConfig,
    name: String,
    // llama.cpp may touch the model while making a context, so contexts are made one at a time.
    context_lock: Mutex<()>,
    calls: AtomicU64,
}

impl LocalModel {
    /// Loads the GGUF on a blocking thread.
    pub async fn load(config: LocalModelConfig) -> Result<Self, ModelError> {
        let path = config.path.clone();
        tokio::task::spawn_blocking(move || Self::load_blocking(config)).await.map_err(|e| {
            ModelError::LocalModelLoad { path, message: format!("the loading thread failed: {e}") }
        })?
    }

    /// Loads the GGUF on this thread (it reads the whole file: call it off the async threads).
    pub fn load_blocking(config: LocalModelConfig) -> Result<Self, ModelError> {
        let path = config.path.clone();
        if !path.is_file() {
            return Err(ModelError::LocalModelMissing { path });
        }
        let fail = |message: String| ModelError::LocalModelLoad { path: path.clone(), message };
        let backend = backend().map_err(fail)?;
        let model = LlamaModel::load_from_file(backend, &path, &LlamaModelParams::default())
            .map_err(|e| fail(e.to_string()))?;
        // A GGUF without a template gets ChatML (see `render_prompt`).
        let template = model.chat_template(None).ok();
        let name = model_name(&path);
        tracing::info!(model = %name, path = %path.display(), "local model loaded");
        Ok(Self {
            inner: Arc::new(Inner {
                model,
                template,
                config,
                name,
                context_lock: Mutex::new(()),
                calls: AtomicU64::new(0),
            }),
        })
    }

    /// The name records and telemetry show: the file name without `.gguf`.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The rig model, for `rig_agent::AgentBuilder::new` (which also takes a `LocalModel`).
    pub fn model(&self) -> DynModel<Completion> {
        in_process("local", &self.inner.name.clone(), self.clone()).erase()
    }
}

impl From<LocalModel> for DynModel<Completion> {
    fn from(model: LocalModel) -> Self {
        model.model()
    }
}

fn model_name(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "local".into())
}

impl Generate for LocalModel {
    fn generate(&self, request: CompletionRequest) -> ChunkStream {
        // A small buffer: generation waits for a slow reader rather than racing ahead, and
        // stops as soon as the reader is gone (a client that disconnected).
        let (tx, rx) = mpsc::channel(16);
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            if let Err(error) = inner.generate(&request, &tx) {
                let _ = tx.blocking_send(Err(error));
            }
        });
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
            .boxed()
    }
}

type Sender = mpsc::Sender<Result<Chunk, ProviderError>>;

fn provider_error(what: &str, error: impl std::fmt::Display) -> ProviderError {
    ProviderError::Provider(format!("local model: {what}: {error}"))
}

/// Which tools the grammar offers, from the request's tool choice.
fn offered_tools(request: &CompletionRequest) -> (Vec<&ToolDefinition>, bool) {
    match &request.tool_choice {
        _ if request.tools.is_empty() => (Vec::new(), true),
        Some(ToolChoice::None) => (Vec::new(), true),
        Some(ToolChoice::Required) => (request.tools.iter().collect(), false),
        Some(ToolChoice::Specific { function_names }) => (
            request
                .tools
                .iter()
                .filter(|t| function_names.iter().any(|n| n.as_str() == t.name.as_str()))
                .collect(),
            false,
        ),
        _ => (request.tools.iter().collect(), true),
    }
}

impl Inner {
    fn generate(&self, request: &CompletionRequest, tx: &Sender) -> Result<(), ProviderError> {
        let backend = backend().map_err(|e| provider_error("backend", e))?;
        let (tools, may_answer) = offered_tools(request);
        let prompt = self.render_prompt(request, &tools, may_answer)?;
        let vocab = self.model.vocab();
        let tokens = vocab.tokenize(prompt.as_bytes(), true, true);

        let n_ctx = self.config.context_tokens.get().min(self.model.n_ctx_train().max(1));
        let prompt_len = tokens.len() as u64;
        if prompt_len + 1 >= u64::from(n_ctx) {
            return Err(ProviderError::request(format!(
                "the conversation is {prompt_len} tokens, more than the local model's context of \
                 {n_ctx} (POSEY_LOCAL_CONTEXT_TOKENS) allows"
            )));
        }
        let mut max_tokens = request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
        if !tools.is_empty() {
            max_tokens = max_tokens.max(MIN_TOOL_CALL_TOKENS);
        }
        let max_tokens = max_tokens.min(u64::from(n_ctx) - prompt_len - 1);

        // The context holds this request only: its KV cache is sized to the prompt and the
        // longest reply allowed (in steps of 256), not the whole window, so a short chat
        // allocates little and many can run at once.
        let needed = (prompt_len + max_tokens + 1).div_ceil(256) * 256;
        let request_ctx = u32::try_from(needed).unwrap_or(n_ctx).min(n_ctx);
        let mut params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(request_ctx))
            .with_n_batch(request_ctx);
        let threads = generation_threads(self.config.threads);
        params = params.with_n_threads(threads).with_n_threads_batch(threads);
        let mut ctx = {
            let _guard =
                self.context_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            self.model.new_context(backend, params).map_err(|e| provider_error("context", e))?
        };

        let mut batch = LlamaBatch::new(tokens.len().max(1), 1);
        let last = tokens.len() as i32 - 1;
        for (i, token) in (0_i32..).zip(tokens.iter()) {
            batch.add(*token, i, &[0], i == last).map_err(|e| provider_error("batch", e))?;
        }
        ctx.decode(&mut batch).map_err(|e| provider_error("prompt", e))?;

        let mut sampler = self.sampler(request, &tools, may_answer)?;
        let mut decoder = Utf8Pieces::default();
        let mut output = String::new();
        let mut streamed = 0; // chars of the `response` text already sent (grammar mode)
        let mut generated = 0_u64;
        let mut position = tokens.len() as i32;
        let mut reason = FinishReason::Length;
        let constrained = !tools.is_empty();

        let mut single = LlamaBatch::new(1, 1);
        let mut logits_at = batch.n_tokens() - 1;
        while generated < max_tokens {
            let token = sampler.sample(&ctx, logits_at);
            if vocab.is_eog(token) {
                reason = FinishReason::Stop;
                break;
            }
            generated += 1;
            let piece = decoder.push(&vocab.token_to_piece(token, false, None));
            if !piece.is_empty() {
                output.push_str(&piece);
                if !constrained {
                    if tx.blocking_send(Ok(Chunk::Text(piece))).is_err() {
                        return Ok(()); // the reader is gone
                    }
                } else if let Some(text) = partial_response(&output)
                    && text.chars().count() > streamed
                {
                    let delta: String = text.chars().skip(streamed).collect();
                    streamed += delta.chars().count();
                    if tx.blocking_send(Ok(Chunk::Text(delta))).is_err() {
                        return Ok(());
                    }
                }
                // A complete JSON object is the whole answer: stop without waiting for EOG.
                if constrained && serde_json::from_str::<Value>(output.trim()).is_ok() {
                    reason = FinishReason::Stop;
                    break;
                }
            }
            single.clear();
            single.add(token, position, &[0], true).map_err(|e| provider_error("batch", e))?;
            position += 1;
            ctx.decode(&mut single).map_err(|e| provider_error("decode", e))?;
            logits_at = 0;
        }

        if constrained {
            match serde_json::from_str::<Value>(output.trim()) {
                Ok(answer) => {
                    if let (Some(name), Some(arguments)) =
                        (answer.get("tool").and_then(Value::as_str), answer.get("arguments"))
                    {
                        let n = self.calls.fetch_add(1, Ordering::Relaxed);
                        let call = Chunk::ToolCall {
                            id: format!("local_call_{n}"),
                            name: name.to_owned(),
                            arguments: arguments.clone(),
                        };
                        if tx.blocking_send(Ok(call)).is_err() {
                            return Ok(());
                        }
                        reason = FinishReason::ToolCalls;
                    }
                }
                // Cut off by max_tokens inside the JSON: what was streamed of the answer stays,
                // and the reason says Length.
                Err(_) => reason = FinishReason::Length,
            }
        }
        let end = Chunk::End { usage: usage(prompt_len, generated), reason };
        let _ = tx.blocking_send(Ok(end));
        Ok(())
    }

    fn sampler(
        &self,
        request: &CompletionRequest,
        tools: &[&ToolDefinition],
        may_answer: bool,
    ) -> Result<LlamaSampler, ProviderError> {
        let mut chain = Vec::new();
        if !tools.is_empty() {
            let grammar = answer_grammar(tools, may_answer)?;
            chain.push(
                LlamaSampler::grammar(&self.model, &grammar, "root")
                    .map_err(|e| provider_error("grammar", e))?,
            );
        }
        let temperature = request.temperature.unwrap_or(0.7);
        if temperature <= 0.0 {
            chain.push(LlamaSampler::greedy());
        } else {
            let seed = request.options.seed.map(|s| s as u32).unwrap_or_else(rand_seed);
            chain.extend([
                LlamaSampler::top_k(40),
                LlamaSampler::top_p(0.95, 1),
                LlamaSampler::temp(temperature as f32),
                LlamaSampler::dist(seed),
            ]);
        }
        Ok(LlamaSampler::chain_simple(chain))
    }

    /// The conversation as the model's own chat template lays it out, with the tool protocol
    /// explained in the system message when tools are offered.
    fn render_prompt(
        &self,
        request: &CompletionRequest,
        tools: &[&ToolDefinition],
        may_answer: bool,
    ) -> Result<String, ProviderError> {
        let mut messages: Vec<(String, String)> = Vec::new();
        let mut system = String::new();
        for message in &request.chat_history {
            match message {
                Message::System { content } => {
                    if !system.is_empty() {
                        system.push_str("\n\n");
                    }
                    system.push_str(content);
                }
                Message::User { content } => {
                    let mut parts = Vec::new();
                    for part in content {
                        match part {
                            UserContent::Text(text) => parts.push(text.text.clone()),
                            UserContent::ToolResult(result) => {
                                let text: Vec<String> = result
                                    .content
                                    .iter()
                                    .map(|c| match c {
                                        ToolResultContent::Text(t) => t.text.clone(),
                                        ToolResultContent::Json { value } => value.to_string(),
                                        ToolResultContent::Image(_) => "[image]".to_owned(),
                                    })
                                    .collect();
                                let status = if result.is_error { " (error)" } else { "" };
                                parts.push(format!(
                                    "Result of tool {}{status}: {}",
                                    result.name,
                                    text.join("\n")
                                ));
                            }
                            UserContent::Document(_) => parts.push("[document]".to_owned()),
                            _ => parts.push("[attachment]".to_owned()),
                        }
                    }
                    messages.push(("user".to_owned(), parts.join("\n")));
                }
                Message::Assistant(turn) => {
                    let mut parts = Vec::new();
                    for part in &turn.content {
                        match part {
                            // Earlier answers in the envelope the model is asked for now,
                            // so the history shows it the format it must follow.
                            AssistantContent::Text(text) if !tools.is_empty() => {
                                parts.push(json!({"response": text.text}).to_string())
                            }
                            AssistantContent::Text(text) => parts.push(text.text.clone()),
                            AssistantContent::ToolCall(call) => parts.push(
                                json!({"tool": call.function.name.as_str(),
                                       "arguments": call.function.arguments})
                                .to_string(),
                            ),
                            _ => {}
                        }
                    }
                    messages.push(("assistant".to_owned(), parts.join("\n")));
                }
            }
        }
        if !tools.is_empty() {
            if !system.is_empty() {
                system.push_str("\n\n");
            }
            system.push_str(&tool_instructions(tools, may_answer));
        }
        if !system.is_empty() {
            messages.insert(0, ("system".to_owned(), system));
        }

        let Some(template) = &self.template else {
            return Ok(chatml(&messages));
        };
        let chat = messages
            .into_iter()
            .map(|(role, content)| LlamaChatMessage::new(role, content))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| provider_error("message", e))?;
        self.model
            .apply_chat_template(template, &chat, true)
            .map_err(|e| provider_error("chat template", e))
    }
}

/// ChatML, for a GGUF that carries no chat template.
fn chatml(messages: &[(String, String)]) -> String {
    let mut prompt = String::new();
    for (role, content) in messages {
        prompt.push_str(&format!("<|im_start|>{role}\n{content}<|im_end|>\n"));
    }
    prompt.push_str("<|im_start|>assistant\n");
    prompt
}

fn tool_instructions(tools: &[&ToolDefinition], may_answer: bool) -> String {
    let mut text = String::from("You can call these tools:\n");
    for tool in tools {
        text.push_str(&format!(
            "- {}: {} Arguments (JSON schema): {}\n",
            tool.name, tool.description, tool.parameters
        ));
    }
    text.push_str(
        "To call a tool, reply with only {\"tool\": \"<tool name>\", \"arguments\": {<arguments>}}.",
    );
    if may_answer {
        text.push_str(
            " To answer the user instead, reply with only {\"response\": \"<your answer>\"}.",
        );
    }
    text
}

/// The grammar of an answer when tools are offered: one of the tool calls, each with arguments
/// valid against its schema, or (when the model may answer) a `response` text.
fn answer_grammar(tools: &[&ToolDefinition], may_answer: bool) -> Result<String, ProviderError> {
    let mut variants: Vec<Value> = tools
        .iter()
        .map(|tool| {
            let arguments = usable_schema(&tool.parameters);
            call_schema(tool.name.as_str(), arguments)
        })
        .collect();
    if may_answer {
        variants.push(json!({
            "type": "object",
            "properties": {"response": {"type": "string"}},
            "required": ["response"],
            "additionalProperties": false
        }));
    }
    let schema = json!({ "oneOf": variants });
    match llama_cpp_2::json_schema_to_grammar(&schema.to_string()) {
        Ok(grammar) => Ok(grammar),
        Err(_) => {
            // A schema the converter does not handle still gets well-formed calls: any object
            // as arguments, checked by the tool itself.
            let variants: Vec<Value> = tools
                .iter()
                .map(|tool| call_schema(tool.name.as_str(), json!({"type": "object"})))
                .chain(may_answer.then(|| {
                    json!({"type": "object", "properties": {"response": {"type": "string"}},
                           "required": ["response"], "additionalProperties": false})
                }))
                .collect();
            llama_cpp_2::json_schema_to_grammar(&json!({ "oneOf": variants }).to_string())
                .map_err(|e| provider_error("tool grammar", e))
        }
    }
}

fn call_schema(name: &str, arguments: Value) -> Value {
    json!({
        "type": "object",
        "properties": {"tool": {"const": name}, "arguments": arguments},
        "required": ["tool", "arguments"],
        "additionalProperties": false
    })
}

/// A tool's parameters with `$defs`/`definitions` kept and anything that is not a schema
/// object replaced by "any object".
fn usable_schema(parameters: &Value) -> Value {
    if parameters.is_object() { parameters.clone() } else { json!({"type": "object"}) }
}

/// The text of the `response` field decoded so far, when the output is `{"response": "...`.
fn partial_response(output: &str) -> Option<String> {
    let rest = output.trim_start().strip_prefix('{')?.trim_start();
    let rest = rest.strip_prefix("\"response\"")?.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let mut chars = rest.strip_prefix('"')?.chars().peekable();
    let mut text = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => {
                let Some(escaped) = chars.next() else { break };
                match escaped {
                    'n' => text.push('\n'),
                    't' => text.push('\t'),
                    'r' => text.push('\r'),
                    'b' => text.push('\u{8}'),
                    'f' => text.push('\u{c}'),
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        if hex.len() < 4 {
                            break; // not all of it decoded yet
                        }
                        if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                        {
                            text.push(c);
                        }
                    }
                    other => text.push(other),
                }
            }
            c => text.push(c),
        }
    }
    Some(text)
}

/// Turns token pieces (bytes, possibly splitting a UTF-8 character) into text.
#[derive(Default)]
struct Utf8Pieces {
    pending: Vec<u8>,
}

impl Utf8Pieces {
    fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        match std::str::from_utf8(&self.pending) {
            Ok(text) => {
                let text = text.to_owned();
                self.pending.clear();
                text
            }
            Err(error) => {
                let valid = error.valid_up_to();
                // An invalid sequence (not just an unfinished one) is dropped rather than kept
                // forever.
                let keep_from = match error.error_len() {
                    None => valid,
                    Some(bad) => valid + bad,
                };
                let text = String::from_utf8_lossy(&self.pending[..valid]).into_owned();
                self.pending.drain(..keep_from);
                text
            }
        }
    }
}

fn rand_seed() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
}

/// The threads a generation uses: `POSEY_LOCAL_THREADS`, or every core. (llama.cpp's own
/// default is 4 whatever the machine: on 2 cores that oversubscribes them, and measured at about
/// half the tokens/s of 2 threads.)
fn generation_threads(configured: Option<NonZeroU32>) -> i32 {
    let threads = configured.map_or_else(
        || {
            std::thread::available_parallelism()
                .map_or(1, |cores| u32::try_from(cores.get()).unwrap_or(u32::MAX))
        },
        NonZeroU32::get,
    );
    i32::try_from(threads).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_use_every_core_unless_configured() {
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(generation_threads(None), i32::try_from(cores).unwrap());
        assert_eq!(generation_threads(NonZeroU32::new(3)), 3);
    }

    #[test]
    fn partial_response_decodes_what_has_arrived() {
        assert_eq!(partial_response(r#"{"response": "Hel"#).as_deref(), Some("Hel"));
        assert_eq!(
            partial_response(r#"{ "response" :"a\nb\"c\u00e9" }"#).as_deref(),
            Some("a\nb\"cé")
        );
        assert_eq!(partial_response(r#"{"response": "x\u00"#).as_deref(), Some("x"));
        assert_eq!(partial_response(r#"{"tool": "add""#), None);
    }

    #[test]
    fn utf8_pieces_wait_for_whole_characters() {
        let mut pieces = Utf8Pieces::default();
        let e_acute = "é".as_bytes();
        assert_eq!(pieces.push(&e_acute[..1]), "");
        assert_eq!(pieces.push(&e_acute[1..]), "é");
        assert_eq!(pieces.push(b"ok"), "ok");
    }

    #[test]
    fn the_answer_grammar_covers_tools_and_the_response() {
        let tool = ToolDefinition {
            name: rig_core::message::ToolName::new("add").unwrap(),
            description: "Add".into(),
            parameters: json!({"type": "object", "properties": {"x": {"type": "integer"}},
                               "required": ["x"]}),
        };
        let grammar = answer_grammar(&[&tool], true).unwrap();
        assert!(grammar.contains("root"), "{grammar}");
        assert!(grammar.contains("add"), "{grammar}");
        assert!(grammar.contains("response"), "{grammar}");
        let only_tools = answer_grammar(&[&tool], false).unwrap();
        assert!(!only_tools.contains("response"), "{only_tools}");
    }
}
