//! The embedded default: a GGUF model run in process through llama.cpp (`llama-cpp-2`). The
//! model's own tokenizer and chat template apply, so any GGUF can be dropped in. Generation runs
//! on a slot's thread and streams token by token through a channel; the model is loaded once
//! and shared. Contexts are kept between requests with their KV cache (see [`slots`]), so the
//! next model call of a turn, or the next turn of a conversation, evaluates only the part of
//! the prompt that is new. A request marked background ([`crate::Priority`]) steps aside
//! while interactive ones run (see [`gate`]).
//!
//! When tools are offered, they are listed as compact signatures, and a tool call is constrained
//! by a grammar built from the tools' JSON schemas (llama.cpp's json-schema-to-grammar), so even
//! a 135M model emits well-formed calls:
//! `{"tool": name, "arguments": {...}}`. The grammar is lazy: it engages only once the reply
//! starts a JSON object (or a `{"tool"` call after some text); a plain answer is sampled without
//! it, at the speed of a request without tools. An answer in the `{"response": "text"}`
//! envelope is accepted too, and its text streamed as it is decoded. With a required tool call
//! the grammar holds from the first token.
//!
//! The tool list goes where a cache already holds the prompt best ([`ToolsAt`]): first in the
//! system message, which stays the same turn after turn while the tools do (an agent offered
//! all its tools); or right before the person's newest message, when the tools change from
//! message to message (a small model offered only the tools relevant to each) and the list at
//! the start would make every turn evaluate the whole conversation again.

// rig's ProviderError is what a transport reports; it is large, but made at most once a request.
#![allow(clippy::result_large_err)]

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};

use futures::StreamExt;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use rig_core::DynModel;
use rig_core::completion::{CompletionRequest, ToolDefinition};
use rig_core::error::ProviderError;
use rig_core::message::ToolChoice;
use rig_core::message::{AssistantContent, Message, ToolResultContent, UserContent};
use rig_core::operation::Completion;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::config::{LocalModelConfig, ModelError};
use crate::priority::{LOCAL_PROVIDER, Priority};
use crate::wire::{ChunkStream, Generate, in_process};

mod gate;
mod replies;
mod reply;
mod reuse;
mod slots;
mod stats;

use reply::{Sender, provider_error};
use stats::Counters;
pub use stats::LocalStats;

/// A tool call needs room for its JSON even when the request asked for a very short reply.
const MIN_TOOL_CALL_TOKENS: u64 = 128;

/// llama.cpp's process-wide state: initialised once, on first load.
static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();

fn backend() -> Result<&'static LlamaBackend, String> {
    BACKEND
        .get_or_init(|| {
            // llama.cpp logs every layer it loads to stderr; route it to tracing instead, under
            // the target `llama-cpp-2` (its metadata dump comes at INFO level: a filter such as
            // `llama-cpp-2=warn` keeps it out of the console).
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
    model: Arc<LlamaModel>,
    template: Option<LlamaChatTemplate>,
    config: LocalModelConfig,
    name: String,
    /// The contexts kept between requests, each with its cache.
    slots: slots::Slots,
    /// The tokens recent replies were generated as, for the prompts that hold them.
    replies: Arc<replies::Replies>,
    calls: Arc<AtomicU64>,
    stats: Arc<Counters>,
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
        let model = Arc::new(model);
        Ok(Self {
            inner: Arc::new(Inner {
                slots: slots::Slots::new(Arc::clone(&model), backend),
                model,
                template,
                config,
                name,
                replies: Arc::default(),
                calls: Arc::default(),
                stats: Arc::default(),
            }),
        })
    }

    /// The name records and telemetry show: the file name without `.gguf`.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Where this model's time went since it was loaded.
    pub fn stats(&self) -> LocalStats {
        self.inner.stats.snapshot()
    }

    /// The rig model, for `rig_agent::AgentBuilder::new` (which also takes a `LocalModel`).
    pub fn model(&self) -> DynModel<Completion> {
        in_process(LOCAL_PROVIDER, &self.inner.name.clone(), self.clone()).erase()
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

/// Where the list of tools goes in the prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ToolsAt {
    /// First in the system message.
    System,
    /// In a system message right before the person's newest message (the turn's message).
    Message,
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
    /// Prepares the request (prompt, grammar) on this blocking thread and hands it to a slot.
    fn generate(&self, request: &CompletionRequest, tx: &Sender) -> Result<(), ProviderError> {
        let (tools, may_answer) = offered_tools(request);
        let tokenize = |at| -> Result<_, ProviderError> {
            let prompt = self.render_prompt(request, &tools, may_answer, at)?;
            Ok(self.replies.tokenize(&self.model, &prompt))
        };
        let mut tokens = tokenize(ToolsAt::System)?;
        if !tools.is_empty() {
            // The layout a slot's cache shares more of: the same as the previous request's
            // (call after call, turn after turn), and the system message's when neither is
            // cached.
            let at_message = tokenize(ToolsAt::Message)?;
            if self.slots.most_kept(&at_message) > self.slots.most_kept(&tokens) {
                tokens = at_message;
            }
        }

        let window = self.config.context_tokens.get().min(self.model.n_ctx_train().max(1));
        let prompt_len = tokens.len() as u64;
        if prompt_len + 1 >= u64::from(window) {
            return Err(ProviderError::request(format!(
                "the conversation is {prompt_len} tokens, more than the local model's context of \
                 {window} (POSEY_LOCAL_CONTEXT_TOKENS) allows"
            )));
        }
        // Unless the request says otherwise, as `ModelProfile::reply_budget` does: a quarter of
        // the context (then the room left, below).
        let mut max_tokens = request.max_tokens.unwrap_or(u64::from(window) / 4);
        if !tools.is_empty() {
            max_tokens = max_tokens.max(MIN_TOOL_CALL_TOKENS);
        }
        let max_tokens = max_tokens.min(u64::from(window) - prompt_len - 1);
        // With the choice to answer, the grammar waits for the reply to start a JSON object, so
        // a plain answer is sampled without it; a required call is constrained from the start.
        let grammar = if tools.is_empty() {
            None
        } else {
            Some(slots::Grammar { text: answer_grammar(&tools, may_answer)?, lazy: may_answer })
        };
        let temperature = request.temperature.unwrap_or(0.7);
        let seed = request.options.seed.map(|s| s as u32).unwrap_or_else(rand_seed);
        self.slots.submit(slots::Job {
            priority: Priority::of(request),
            prompt: tokens,
            max_tokens,
            window,
            threads: generation_threads(self.config.threads),
            grammar,
            temperature,
            seed,
            tx: tx.clone(),
            stats: Arc::clone(&self.stats),
            call_ids: Arc::clone(&self.calls),
            replies: Arc::clone(&self.replies),
        })
    }

    /// The conversation as the model's own chat template lays it out, with the tool protocol
    /// explained in the system message when tools are offered.
    fn render_prompt(
        &self,
        request: &CompletionRequest,
        tools: &[&ToolDefinition],
        may_answer: bool,
        at: ToolsAt,
    ) -> Result<String, ProviderError> {
        let mut messages: Vec<(String, String)> = Vec::new();
        let mut system = String::new();
        // Where the person's newest message is in `messages`.
        let mut newest = None;
        for message in &request.chat_history {
            match message {
                // The leading system messages make the system message; a later one (context
                // for the newest message) stays where it is, so what precedes it, the cached
                // part of the prompt, does not change with it.
                Message::System { content } if messages.is_empty() => {
                    if !system.is_empty() {
                        system.push_str("\n\n");
                    }
                    system.push_str(content);
                }
                Message::System { content } => {
                    messages.push(("system".to_owned(), content.clone()))
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
                    if content.iter().any(|part| matches!(part, UserContent::Text(_))) {
                        newest = Some(messages.len());
                    }
                    messages.push(("user".to_owned(), parts.join("\n")));
                }
                Message::Assistant(turn) => {
                    let mut parts = Vec::new();
                    for part in &turn.content {
                        match part {
                            // Answers as plain text, with or without tools, so the history
                            // renders the same for every call (and its cache is reused).
                            AssistantContent::Text(text) => parts.push(text.text.clone()),
                            // Calls as the grammar has the model write them.
                            AssistantContent::ToolCall(call) => parts.push(format!(
                                "{{\"tool\": {}, \"arguments\": {}}}",
                                Value::from(call.function.name.as_str()),
                                Value::Object(call.function.arguments.clone())
                            )),
                            _ => {}
                        }
                    }
                    messages.push(("assistant".to_owned(), parts.join("\n")));
                }
            }
        }
        match (at, newest) {
            _ if tools.is_empty() => {}
            (ToolsAt::Message, Some(index)) => {
                messages.insert(index, ("system".to_owned(), tool_instructions(tools, may_answer)));
            }
            // First in the system message: the rest of it may change more often (the person's
            // profile), and a cache is reused only up to the first difference.
            _ => {
                let mut with_tools = tool_instructions(tools, may_answer);
                if !system.is_empty() {
                    with_tools.push_str("\n\n");
                    with_tools.push_str(&system);
                }
                system = with_tools;
            }
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
    let mut text = String::from("Tools you can call:\n");
    for tool in tools {
        text.push_str(&format!("- {}: {}\n", signature(tool), tool.description));
    }
    text.push_str(
        "To call a tool, reply with only {\"tool\": \"<tool name>\", \"arguments\": {<arguments>}}.",
    );
    if may_answer {
        text.push_str(" Otherwise answer the user directly, in plain text.");
    }
    text
}

/// A tool as a short signature, `recall(query: string, limit?: integer)`: a fraction of the
/// tokens of its JSON schema, which the grammar still enforces in full. A schema that is not a
/// plain object of properties is shown whole.
fn signature(tool: &ToolDefinition) -> String {
    let schema = &tool.parameters;
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return if schema.get("type").and_then(Value::as_str) == Some("object")
            && schema.as_object().is_some_and(|o| o.keys().all(|k| k != "oneOf" && k != "anyOf"))
        {
            format!("{}()", tool.name)
        } else {
            format!("{}({schema})", tool.name)
        };
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let arguments: Vec<String> = properties
        .iter()
        .map(|(name, property)| {
            let optional = if required.contains(&name.as_str()) { "" } else { "?" };
            let mut argument = format!("{name}{optional}: {}", type_of(property));
            if let Some(description) = property.get("description").and_then(Value::as_str) {
                argument.push_str(&format!(" ({description})"));
            }
            argument
        })
        .collect();
    format!("{}({})", tool.name, arguments.join(", "))
}

/// A property's type in a signature: its values when it is an enum, else its JSON type.
fn type_of(property: &Value) -> String {
    if let Some(values) = property.get("enum").and_then(Value::as_array) {
        return values.iter().map(Value::to_string).collect::<Vec<_>>().join("|");
    }
    match property.get("type") {
        Some(Value::String(name)) if name == "array" => match property.get("items") {
            Some(items) => format!("{}[]", type_of(items)),
            None => "array".to_owned(),
        },
        Some(Value::String(name)) => name.clone(),
        Some(Value::Array(names)) => {
            names.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("|")
        }
        _ => "any".to_owned(),
    }
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
    fn tools_are_listed_as_short_signatures() {
        let tool = |name: &str, parameters: Value| ToolDefinition {
            name: rig_core::message::ToolName::new(name).unwrap(),
            description: "D.".into(),
            parameters,
        };
        let recall = tool(
            "recall",
            json!({"type": "object", "required": ["query"], "properties": {
                "query": {"type": "string", "description": "What to look for"},
                "kind": {"type": "string", "enum": ["fact", "goal"]},
                "tags": {"type": "array", "items": {"type": "string"}}}}),
        );
        assert_eq!(
            signature(&recall),
            r#"recall(query: string (What to look for), kind?: "fact"|"goal", tags?: string[])"#
        );
        let none = tool("now", json!({"type": "object", "properties": {}}));
        assert_eq!(signature(&none), "now()");
        let odd = tool("odd", json!({"oneOf": [{"type": "object"}]}));
        assert!(signature(&odd).starts_with("odd({"), "{}", signature(&odd));
        let text = tool_instructions(&[&recall, &none], true);
        assert!(text.contains("- now(): D."), "{text}");
        assert!(text.contains("plain text"), "{text}");
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
