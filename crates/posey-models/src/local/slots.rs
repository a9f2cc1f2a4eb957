//! Contexts that outlive a request, so a prompt that starts like the previous one (the next
//! model call of a turn, the next turn of a conversation) evaluates only what is new.
//!
//! Each slot is a thread owning one llama.cpp context and the tokens whose keys and values its
//! cache holds. A request goes to an idle slot whose cached tokens share the longest prefix with
//! its prompt (a new slot is started while fewer than [`MAX_SLOTS`] exist); the slot drops the
//! cache from the first differing token and evaluates the rest. A context grows (in steps of
//! [`CONTEXT_STEP`] tokens, up to the configured window) when a request needs more room, so a
//! short chat allocates little.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use rig_core::completion::FinishReason;
use rig_core::error::ProviderError;
use serde_json::Value;

use super::{Counters, Sender, Utf8Pieces, json_start, partial_response, provider_error};
use crate::wire::{Chunk, usage};

/// Contexts kept at most (each with its own cache); more requests at once wait for one.
pub(super) const MAX_SLOTS: usize = 4;
/// Contexts grow in steps of this many tokens.
const CONTEXT_STEP: u32 = 1024;

/// llama.cpp may touch the model while making a context, so contexts are made one at a time.
static CONTEXT_LOCK: Mutex<()> = Mutex::new(());

/// How the answer is constrained when tools are offered.
pub(super) struct Grammar {
    /// The GBNF of a tool call (or of the `response` envelope).
    pub text: String,
    /// Engage only once the reply starts a JSON object (see [`TRIGGERS`]); otherwise from the
    /// first token.
    pub lazy: bool,
}

/// When a lazy grammar engages: a reply that starts with `{` (a call or the `response`
/// envelope), or a tool call started after some text. The grammar is fed from the first group,
/// so what it gets is what it accepts (`{`, `{"tool"` or `{ "tool"`).
const TRIGGERS: [&str; 2] = [r#"^\s*(\{)[\s\S]*$"#, r#"(\{ ?"tool")"#];

/// One request, prepared: what a slot needs to run it.
pub(super) struct Job {
    pub prompt: Vec<LlamaToken>,
    pub max_tokens: u64,
    /// The largest context this request may use (the configured window).
    pub window: u32,
    pub threads: i32,
    pub grammar: Option<Grammar>,
    pub temperature: f64,
    pub seed: u32,
    pub tx: Sender,
    pub stats: Arc<Counters>,
    pub call_ids: Arc<AtomicU64>,
}

#[derive(Default)]
struct SlotState {
    /// Requests sent to this slot and not finished.
    queued: AtomicUsize,
    /// The tokens its cache holds, for choosing a slot.
    tokens: Mutex<Vec<LlamaToken>>,
}

struct Slot {
    jobs: std::sync::mpsc::Sender<Job>,
    state: Arc<SlotState>,
}

/// The slots of one loaded model. Dropping it ends their threads (after the request in hand).
pub(super) struct Slots {
    model: Arc<LlamaModel>,
    backend: &'static LlamaBackend,
    slots: Mutex<Vec<Slot>>,
}

fn common_prefix(a: &[LlamaToken], b: &[LlamaToken]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl Slots {
    pub fn new(model: Arc<LlamaModel>, backend: &'static LlamaBackend) -> Self {
        Self { model, backend, slots: Mutex::new(Vec::new()) }
    }

    /// The longest start of `prompt` that a slot's cache holds.
    pub fn cached_prefix(&self, prompt: &[LlamaToken]) -> usize {
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots
            .iter()
            .map(|slot| {
                common_prefix(
                    &slot.state.tokens.lock().unwrap_or_else(PoisonError::into_inner),
                    prompt,
                )
            })
            .max()
            .unwrap_or(0)
    }

    /// Runs `job` on the best slot; its chunks (or its error) go to `job.tx`.
    pub fn submit(&self, job: Job) -> Result<(), ProviderError> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let shared = |slot: &Slot| {
            common_prefix(
                &slot.state.tokens.lock().unwrap_or_else(PoisonError::into_inner),
                &job.prompt,
            )
        };
        let idle = slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| slot.state.queued.load(Ordering::Acquire) == 0)
            .max_by_key(|(_, slot)| shared(slot))
            .map(|(i, _)| i);
        let index = match idle {
            Some(i) => i,
            None if slots.len() < MAX_SLOTS => {
                slots.push(self.start_slot()?);
                slots.len() - 1
            }
            // All busy: wait behind the fewest requests, preferring a shared prefix.
            None => slots
                .iter()
                .enumerate()
                .min_by_key(|(_, slot)| {
                    (slot.state.queued.load(Ordering::Acquire), usize::MAX - shared(slot))
                })
                .map_or(0, |(i, _)| i),
        };
        let slot = &slots[index];
        slot.state.queued.fetch_add(1, Ordering::AcqRel);
        if let Err(std::sync::mpsc::SendError(job)) = slot.jobs.send(job) {
            slot.state.queued.fetch_sub(1, Ordering::AcqRel);
            slots.remove(index);
            let _ = job.tx.blocking_send(Err(provider_error("slot", "its thread ended")));
        }
        Ok(())
    }

    fn start_slot(&self) -> Result<Slot, ProviderError> {
        let (jobs, receiver) = std::sync::mpsc::channel::<Job>();
        let state = Arc::new(SlotState::default());
        let model = Arc::clone(&self.model);
        let backend = self.backend;
        let worker_state = Arc::clone(&state);
        std::thread::Builder::new()
            .name("local-model".into())
            .spawn(move || worker(&model, backend, &worker_state, &receiver))
            .map_err(|e| provider_error("slot thread", e))?;
        Ok(Slot { jobs, state })
    }
}

/// A slot's thread: one context, reused request after request.
fn worker(
    model: &LlamaModel,
    backend: &LlamaBackend,
    state: &SlotState,
    jobs: &std::sync::mpsc::Receiver<Job>,
) {
    let mut cache = Cache { ctx: None, tokens: Vec::new() };
    while let Ok(job) = jobs.recv() {
        let outcome = run(model, backend, &mut cache, &job);
        if outcome.is_err() {
            // The cache may be half written: start afresh next time.
            cache.tokens.clear();
            if let Some(ctx) = cache.ctx.as_mut() {
                ctx.clear_kv_cache();
            }
        }
        // The slot is free again before the reader hears the end, so the request it sends
        // next (the turn's next model call) finds it idle, with its cache.
        *state.tokens.lock().unwrap_or_else(PoisonError::into_inner) = cache.tokens.clone();
        state.queued.fetch_sub(1, Ordering::AcqRel);
        match outcome {
            Ok(Some(end)) => drop(job.tx.blocking_send(Ok(end))),
            Ok(None) => {}
            Err(error) => drop(job.tx.blocking_send(Err(error))),
        }
    }
}

struct Cache<'m> {
    ctx: Option<LlamaContext<'m>>,
    /// The tokens whose keys and values the context holds, position by position.
    tokens: Vec<LlamaToken>,
}

impl<'m> Cache<'m> {
    /// A context with room for `needed` tokens, keeping the cache when the current one fits.
    fn context(
        &mut self,
        model: &'m LlamaModel,
        backend: &LlamaBackend,
        needed: u32,
        window: u32,
        threads: i32,
    ) -> Result<&mut LlamaContext<'m>, ProviderError> {
        let fits = self.ctx.as_ref().is_some_and(|ctx| ctx.n_ctx() >= needed);
        if !fits {
            self.ctx = None; // free the old one first
            self.tokens.clear();
            let size = needed.div_ceil(CONTEXT_STEP).saturating_mul(CONTEXT_STEP).min(window);
            let params = LlamaContextParams::default()
                .with_n_ctx(NonZeroU32::new(size))
                .with_n_batch(size)
                .with_n_threads(threads)
                .with_n_threads_batch(threads);
            let _guard = CONTEXT_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
            let ctx =
                model.new_context(backend, params).map_err(|e| provider_error("context", e))?;
            self.ctx = Some(ctx);
        }
        self.ctx.as_mut().ok_or_else(|| provider_error("context", "none"))
    }
}

/// Chooses the next token: the samplers first, then the grammar checks just that token; only
/// when it rejects it is the grammar applied to the whole vocabulary and the token chosen again
/// (as llama.cpp's own common sampler does).
fn choose(
    ctx: &LlamaContext<'_>,
    at: i32,
    chain: &mut LlamaSampler,
    grammar: Option<&mut LlamaSampler>,
    stats: &Counters,
) -> Result<LlamaToken, ProviderError> {
    // Chosen and accepted by the samplers, inside llama.cpp.
    let mut token = chain.sample(ctx, at);
    if let Some(grammar) = grammar {
        let mut one = LlamaTokenDataArray::new(vec![LlamaTokenData::new(token, 0.0, 0.0)], false);
        one.apply_sampler(grammar);
        if one.data.first().is_none_or(|t| t.logit().is_infinite()) {
            Counters::add(&stats.grammar_passes, 1);
            let mut candidates = ctx.token_data_array_ith(at);
            candidates.apply_sampler(grammar);
            candidates.apply_sampler(chain);
            token = candidates
                .selected_token()
                .ok_or_else(|| provider_error("grammar", "no token allowed"))?;
            chain.accept(token);
        }
        grammar.try_accept(token).map_err(|e| provider_error("grammar", e))?;
    }
    Ok(token)
}

fn samplers(
    model: &LlamaModel,
    job: &Job,
) -> Result<(LlamaSampler, Option<LlamaSampler>), ProviderError> {
    let grammar = match &job.grammar {
        None => None,
        Some(Grammar { text, lazy: false }) => Some(LlamaSampler::grammar(model, text, "root")),
        Some(Grammar { text, lazy: true }) => {
            let triggers: Vec<String> = TRIGGERS.iter().map(|t| (*t).to_owned()).collect();
            Some(LlamaSampler::grammar_lazy_patterns(model, text, "root", &triggers, &[]))
        }
    }
    .transpose()
    .map_err(|e| provider_error("grammar", e))?;
    let chain = if job.temperature <= 0.0 {
        LlamaSampler::greedy()
    } else {
        LlamaSampler::chain_simple([
            LlamaSampler::top_k(40),
            LlamaSampler::top_p(0.95, 1),
            LlamaSampler::temp(job.temperature as f32),
            LlamaSampler::dist(job.seed),
        ])
    };
    Ok((chain, grammar))
}

/// Evaluates what the cache lacks of the prompt, then generates; returns the final chunk to
/// send, or `None` when the reader is gone.
fn run<'m>(
    model: &'m LlamaModel,
    backend: &LlamaBackend,
    cache: &mut Cache<'m>,
    job: &Job,
) -> Result<Option<Chunk>, ProviderError> {
    let stats = &job.stats;
    let prompt = &job.prompt;
    let prompt_len = prompt.len() as u64;
    Counters::add(&stats.requests, 1);
    Counters::add(&stats.prompt_tokens, prompt_len);

    let started = Instant::now();
    let needed = u32::try_from(prompt_len + job.max_tokens + 1).unwrap_or(u32::MAX);
    cache.context(model, backend, needed, job.window, job.threads)?;
    Counters::time(&stats.context_setup_ns, started);
    let Cache { ctx, tokens: cached } = cache;
    let Some(ctx) = ctx.as_mut() else { return Err(provider_error("context", "none")) };

    // Keep the shared prefix, but always evaluate at least the last prompt token: its logits
    // choose the first token of the reply.
    let started = Instant::now();
    let mut keep = common_prefix(cached, prompt).min(prompt.len().saturating_sub(1));
    if keep < cached.len() {
        let from = u32::try_from(keep).unwrap_or(u32::MAX);
        if !ctx.clear_kv_cache_seq(Some(0), Some(from), None).unwrap_or(false) {
            ctx.clear_kv_cache();
            keep = 0;
        }
        cached.truncate(keep);
    }
    let suffix = &prompt[keep..];
    let mut batch = LlamaBatch::new(suffix.len().max(1), 1);
    let last = suffix.len().saturating_sub(1);
    for (i, token) in suffix.iter().enumerate() {
        let position = i32::try_from(keep + i).unwrap_or(i32::MAX);
        batch.add(*token, position, &[0], i == last).map_err(|e| provider_error("batch", e))?;
    }
    ctx.decode(&mut batch).map_err(|e| provider_error("prompt", e))?;
    cached.extend_from_slice(suffix);
    Counters::add(&stats.prompt_tokens_evaluated, suffix.len() as u64);
    Counters::time(&stats.prompt_eval_ns, started);

    let (mut chain, mut grammar) = samplers(model, job)?;
    let vocab = model.vocab();
    let constrained = job.grammar.is_some();
    let mut decoder = Utf8Pieces::default();
    let mut output = String::new();
    let mut sent = 0; // bytes of `output` streamed as plain text
    let mut streamed = 0; // chars of the `response` text streamed (envelope answers)
    let mut generated = 0_u64;
    let mut reason = FinishReason::Length;
    let mut single = LlamaBatch::new(1, 1);
    let mut logits_at = batch.n_tokens() - 1;
    while generated < job.max_tokens {
        let started = Instant::now();
        let token = choose(ctx, logits_at, &mut chain, grammar.as_mut(), stats);
        Counters::time(&stats.sampling_ns, started);
        let token = match token {
            Ok(token) => token,
            // The grammar could not follow (a trigger it does not accept): what came is the
            // answer.
            Err(error) if constrained => {
                tracing::debug!(%error, "local model: the tool grammar stopped the reply");
                reason = FinishReason::Stop;
                break;
            }
            Err(error) => return Err(error),
        };
        if vocab.is_eog(token) {
            reason = FinishReason::Stop;
            break;
        }
        generated += 1;
        Counters::add(&stats.generated_tokens, 1);
        let piece = decoder.push(&vocab.token_to_piece(token, false, None));
        if !piece.is_empty() {
            output.push_str(&piece);
            let text = if constrained {
                match json_start(&output) {
                    // Plain text so far: send what cannot be the start of a call.
                    None => {
                        let upto = super::streamable(&output);
                        let text = output.get(sent..upto).unwrap_or_default().to_owned();
                        sent = sent.max(upto);
                        text
                    }
                    Some(start) => {
                        let mut text = output.get(sent..start).unwrap_or_default().to_owned();
                        sent = sent.max(start);
                        let json = &output[start..];
                        if let Some(answer) = partial_response(json)
                            && answer.chars().count() > streamed
                        {
                            let delta: String = answer.chars().skip(streamed).collect();
                            streamed += delta.chars().count();
                            text.push_str(&delta);
                        }
                        text
                    }
                }
            } else {
                piece
            };
            if !text.is_empty() && job.tx.blocking_send(Ok(Chunk::Text(text))).is_err() {
                return Ok(None); // the reader is gone
            }
            // With tools, a complete JSON object ends the answer: stop without waiting for EOG.
            // A reply without tools is plain text, JSON or not, and runs to its end.
            if constrained
                && let Some(start) = json_start(&output)
                && serde_json::from_str::<Value>(output[start..].trim()).is_ok()
            {
                reason = FinishReason::Stop;
                break;
            }
        }
        single.clear();
        let position = i32::try_from(cached.len()).unwrap_or(i32::MAX);
        single.add(token, position, &[0], true).map_err(|e| provider_error("batch", e))?;
        let started = Instant::now();
        ctx.decode(&mut single).map_err(|e| provider_error("decode", e))?;
        Counters::time(&stats.decoding_ns, started);
        cached.push(token);
        logits_at = 0;
    }

    if constrained {
        match json_start(&output) {
            None => {
                // Plain text: send what was held back in case it began a call.
                let rest = output.get(sent..).unwrap_or_default();
                if !rest.is_empty()
                    && job.tx.blocking_send(Ok(Chunk::Text(rest.to_owned()))).is_err()
                {
                    return Ok(None);
                }
            }
            Some(start) => match serde_json::from_str::<Value>(output[start..].trim()) {
                Ok(answer) => {
                    if let (Some(name), Some(arguments)) =
                        (answer.get("tool").and_then(Value::as_str), answer.get("arguments"))
                    {
                        let n = job.call_ids.fetch_add(1, Ordering::Relaxed);
                        let call = Chunk::ToolCall {
                            id: format!("local_call_{n}"),
                            name: name.to_owned(),
                            arguments: arguments.clone(),
                        };
                        if job.tx.blocking_send(Ok(call)).is_err() {
                            return Ok(None);
                        }
                        reason = FinishReason::ToolCalls;
                    }
                }
                // Cut off inside the JSON: what was streamed of the answer stays, and the
                // reason says Length.
                Err(_) => reason = FinishReason::Length,
            },
        }
    }
    Ok(Some(Chunk::End { usage: usage(prompt_len, generated), reason }))
}
