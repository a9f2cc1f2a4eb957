//! Contexts that outlive a request, so a prompt that starts like the previous one (the next
//! model call of a turn, the next turn of a conversation) evaluates only what is new.
//!
//! Each slot is a thread owning one llama.cpp context and the tokens whose keys and values its
//! cache holds. A request goes to an idle slot whose cache holds the most of its prompt: the
//! prefix they share and the runs of the cache that the prompt has again after something taken
//! out ([`super::reuse`]); a new slot is started while fewer than [`MAX_SLOTS`] exist. The slot
//! keeps those, drops the rest of its cache and evaluates the rest of the prompt. A context starts at
//! [`CONTEXT_START`] tokens (or the configured window, when smaller) and doubles, up to the
//! window, when a request needs more room: a new context loses its cache, so growing by small
//! steps made a conversation evaluate its whole prompt again at each step.
//!
//! Background requests ([`Priority::Background`]) pass the [`Gate`] before each step, so they
//! pause while interactive ones run; their prompt is evaluated in chunks of
//! [`BACKGROUND_CHUNK`] tokens so that a pause comes soon. An interactive request never waits
//! behind one: it does not go to a slot holding background work (which keeps its context and
//! resumes where it paused), and background work holds at most `MAX_SLOTS - 1` slots, so there
//! is always another. Background work also keeps off the caches interactive requests left (the
//! person's conversation, which the next turn reuses) while an idle slot with a cache of its
//! own, or room for a new context, is there.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
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

use super::gate::{Gate, Interactive};
use super::replies::Replies;
use super::reply::{Sender, Utf8Pieces, json_start, partial_response, provider_error, streamable};
use super::reuse;
use super::stats::Counters;
use crate::priority::Priority;
use crate::wire::{Chunk, usage};

/// Contexts kept at most (each with its own cache); more requests at once wait for one.
pub(super) const MAX_SLOTS: usize = 4;
/// Slots background work may hold at once: one is always left for interactive requests.
const MAX_BACKGROUND_SLOTS: usize = MAX_SLOTS - 1;
/// A background request's prompt is evaluated this many tokens at a time, pausing between
/// chunks while interactive work runs (an interactive prompt goes in one batch).
const BACKGROUND_CHUNK: usize = 32;
/// Tokens a context starts with (the configured window when smaller): the built-in model's
/// whole window, so its conversations never outgrow their context.
const CONTEXT_START: u32 = 4096;

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
    pub priority: Priority,
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
    /// Where a plain-text reply's tokens are remembered ([`Replies`]).
    pub replies: Arc<Replies>,
}

#[derive(Default)]
struct SlotState {
    /// Interactive requests sent to this slot and not finished.
    interactive: AtomicUsize,
    /// Background requests sent to this slot and not finished.
    background: AtomicUsize,
    /// The tokens its cache holds, for choosing a slot.
    tokens: Mutex<Vec<LlamaToken>>,
    /// Whether background work wrote its cache last.
    background_cache: AtomicBool,
}

impl SlotState {
    fn count(&self, priority: Priority) -> &AtomicUsize {
        match priority {
            Priority::Interactive => &self.interactive,
            Priority::Background => &self.background,
        }
    }
}

/// A job handed to a slot, with its place at the gate when it is interactive.
type Queued = (Job, Option<Interactive>);

struct Slot {
    jobs: std::sync::mpsc::Sender<Queued>,
    state: Arc<SlotState>,
}

/// A slot as a request sees it when choosing one.
struct View {
    index: usize,
    interactive: usize,
    background: usize,
    /// Tokens its cache holds.
    cached: usize,
    /// Of those, the ones the request's prompt keeps (its start, and runs it can move).
    shared: usize,
    background_cache: bool,
}

impl View {
    fn idle(&self) -> bool {
        self.interactive == 0 && self.background == 0
    }

    /// Cached tokens the request would drop.
    fn discarded(&self) -> usize {
        self.cached - self.shared
    }
}

/// The slots of one loaded model. Dropping it ends their threads (after the request in hand).
pub(super) struct Slots {
    model: Arc<LlamaModel>,
    /// Whether the model's caches can move tokens ([`reuse::can_shift`]).
    shift: bool,
    backend: &'static LlamaBackend,
    slots: Mutex<Vec<Slot>>,
    gate: Arc<Gate>,
}

impl Slots {
    pub fn new(model: Arc<LlamaModel>, backend: &'static LlamaBackend) -> Self {
        let shift = reuse::can_shift(&model);
        Self { model, shift, backend, slots: Mutex::new(Vec::new()), gate: Arc::new(Gate::new()) }
    }

    /// The most of `prompt` that a slot's cache holds (its start, and what can be moved).
    pub fn most_kept(&self, prompt: &[LlamaToken]) -> usize {
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots
            .iter()
            .map(|slot| {
                let tokens = slot.state.tokens.lock().unwrap_or_else(PoisonError::into_inner);
                reusable(&tokens, prompt, self.shift)
            })
            .max()
            .unwrap_or(0)
    }

    /// Runs `job` on the best slot; its chunks (or its error) go to `job.tx`.
    pub fn submit(&self, job: Job) -> Result<(), ProviderError> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let views = views(&slots, &job.prompt, self.shift);
        let index = match job.priority {
            Priority::Interactive => interactive_slot(&views, slots.len()),
            Priority::Background => background_slot(&views, slots.len()),
        };
        let index = match index {
            Some(index) => index,
            None => {
                slots.push(self.start_slot()?);
                slots.len() - 1
            }
        };
        let slot = &slots[index];
        slot.state.count(job.priority).fetch_add(1, Ordering::AcqRel);
        let entered =
            (job.priority == Priority::Interactive).then(|| self.gate.enter_interactive());
        if let Err(std::sync::mpsc::SendError((job, entered))) = slot.jobs.send((job, entered)) {
            slot.state.count(job.priority).fetch_sub(1, Ordering::AcqRel);
            if let Some(entered) = entered {
                self.gate.leave_interactive(entered, &job.stats);
            }
            slots.remove(index);
            let _ = job.tx.blocking_send(Err(provider_error("slot", "its thread ended")));
        }
        Ok(())
    }

    fn start_slot(&self) -> Result<Slot, ProviderError> {
        let (jobs, receiver) = std::sync::mpsc::channel::<Queued>();
        let state = Arc::new(SlotState::default());
        let model = Arc::clone(&self.model);
        let backend = self.backend;
        let worker_state = Arc::clone(&state);
        let gate = Arc::clone(&self.gate);
        let cache = Cache { ctx: None, tokens: Vec::new(), shift: self.shift };
        std::thread::Builder::new()
            .name("local-model".into())
            .spawn(move || worker(&model, backend, cache, &worker_state, &gate, &receiver))
            .map_err(|e| provider_error("slot thread", e))?;
        Ok(Slot { jobs, state })
    }
}

/// How much of `prompt` a cache holding `cached` keeps: what a slot is chosen by.
fn reusable(cached: &[LlamaToken], prompt: &[LlamaToken], shift: bool) -> usize {
    reuse::plan(cached, prompt, shift, reuse::MIN_MOVED).kept()
}

/// The slots as `prompt` sees them.
fn views(slots: &[Slot], prompt: &[LlamaToken], shift: bool) -> Vec<View> {
    slots
        .iter()
        .enumerate()
        .map(|(index, slot)| {
            let tokens = slot.state.tokens.lock().unwrap_or_else(PoisonError::into_inner);
            View {
                index,
                interactive: slot.state.interactive.load(Ordering::Acquire),
                background: slot.state.background.load(Ordering::Acquire),
                cached: tokens.len(),
                shared: reusable(&tokens, prompt, shift),
                background_cache: slot.state.background_cache.load(Ordering::Acquire),
            }
        })
        .collect()
}

/// The slot for an interactive request, `None` for a new one: an idle slot sharing the longest
/// prefix, else a new slot while there is room, else behind the fewest interactive requests
/// (preferring a shared prefix), never behind background work.
fn interactive_slot(views: &[View], started: usize) -> Option<usize> {
    let usable = || views.iter().filter(|view| view.background == 0);
    if let Some(view) = usable().filter(|view| view.idle()).max_by_key(|view| view.shared) {
        return Some(view.index);
    }
    if started < MAX_SLOTS {
        return None;
    }
    // Background work holds at most MAX_BACKGROUND_SLOTS, so one is usable; were none, a slot
    // past the limit would still be better than waiting behind background work.
    usable().min_by_key(|view| (view.interactive, usize::MAX - view.shared)).map(|view| view.index)
}

/// The slot for a background request, `None` for a new one: an idle slot whose cache is
/// background work's own (or empty) sharing the longest prefix; else a new slot while there is
/// room; else the idle slot that drops the least of its cache; else behind other background
/// work. Background work takes no more than [`MAX_BACKGROUND_SLOTS`].
fn background_slot(views: &[View], started: usize) -> Option<usize> {
    let holding = views.iter().filter(|view| view.background > 0).count();
    if holding < MAX_BACKGROUND_SLOTS {
        let idle = || views.iter().filter(|view| view.idle());
        if let Some(view) = idle()
            .filter(|view| view.background_cache || view.cached == 0)
            .max_by_key(|view| view.shared)
        {
            return Some(view.index);
        }
        if started < MAX_SLOTS {
            return None;
        }
        if let Some(view) = idle().min_by_key(|view| (view.discarded(), usize::MAX - view.shared)) {
            return Some(view.index);
        }
    }
    let behind_background = views
        .iter()
        .filter(|view| view.background > 0)
        .min_by_key(|view| (view.background, view.discarded()));
    match behind_background {
        Some(view) => Some(view.index),
        // No background work yet and every slot busy: behind the fewest interactive requests.
        None => {
            views.iter().min_by_key(|view| (view.interactive, view.discarded())).map(|v| v.index)
        }
    }
}

/// A slot's thread: one context (made by the first request), reused request after request.
fn worker<'m>(
    model: &'m LlamaModel,
    backend: &LlamaBackend,
    mut cache: Cache<'m>,
    state: &SlotState,
    gate: &Gate,
    jobs: &std::sync::mpsc::Receiver<Queued>,
) {
    while let Ok((job, entered)) = jobs.recv() {
        let outcome = run(model, backend, &mut cache, gate, &job);
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
        state.background_cache.store(job.priority == Priority::Background, Ordering::Release);
        state.count(job.priority).fetch_sub(1, Ordering::AcqRel);
        if let Some(entered) = entered {
            gate.leave_interactive(entered, &job.stats);
        }
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
    /// Whether cached tokens can be moved to other positions ([`reuse::can_shift`]).
    shift: bool,
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
            let size =
                needed.max(CONTEXT_START).checked_next_power_of_two().unwrap_or(window).min(window);
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

/// Whether `job` may take its next step: its reader is still there and, for background work,
/// no interactive request is in flight (it waits until none is).
fn step(gate: &Gate, job: &Job) -> bool {
    match job.priority {
        Priority::Interactive => !job.tx.is_closed(),
        Priority::Background => gate.background_step(&job.tx, &job.stats),
    }
}

/// How many prompt tokens `job` evaluates at a time.
fn prompt_chunk(job: &Job, suffix: usize) -> usize {
    match job.priority {
        Priority::Interactive => suffix.max(1),
        Priority::Background => BACKGROUND_CHUNK,
    }
}

/// Evaluates what the cache lacks of the prompt, then generates; returns the final chunk to
/// send, or `None` when the reader is gone.
fn run<'m>(
    model: &'m LlamaModel,
    backend: &LlamaBackend,
    cache: &mut Cache<'m>,
    gate: &Gate,
    job: &Job,
) -> Result<Option<Chunk>, ProviderError> {
    let stats = &job.stats;
    let prompt = &job.prompt;
    let prompt_len = prompt.len() as u64;
    let background = job.priority == Priority::Background;
    // Counted where the work is done: a paused job adds nothing.
    let worked = |tokens: u64| {
        if background {
            Counters::add(&stats.background_tokens, tokens);
        }
    };
    Counters::add(&stats.requests, 1);
    Counters::add(&stats.prompt_tokens, prompt_len);
    if background {
        Counters::add(&stats.background_requests, 1);
    }
    if !step(gate, job) {
        return Ok(None);
    }

    let started = Instant::now();
    let needed = u32::try_from(prompt_len + job.max_tokens + 1).unwrap_or(u32::MAX);
    cache.context(model, backend, needed, job.window, job.threads)?;
    Counters::time(&stats.context_setup_ns, started);
    let Cache { ctx, tokens: cached, shift } = cache;
    let Some(ctx) = ctx.as_mut() else { return Err(provider_error("context", "none")) };

    // Keep what the cache has of the prompt, but always evaluate at least the last prompt
    // token: its logits choose the first token of the reply.
    let started = Instant::now();
    let before_last = &prompt[..prompt.len().saturating_sub(1)];
    let plan = reuse::plan(cached, before_last, *shift, reuse::MIN_MOVED);
    let mut keep = plan.kept();
    let mut moved = plan.moved_tokens();
    // (Runs are moved only from after the prefix, so a plan with any keeps less than all.)
    if keep < cached.len() {
        if !reuse::apply(ctx, &plan) {
            ctx.clear_kv_cache();
            (keep, moved) = (0, 0);
        }
        cached.clear();
        cached.extend_from_slice(&prompt[..keep]);
    }
    Counters::add(&stats.prompt_tokens_moved, moved as u64);
    Counters::time(&stats.prompt_eval_ns, started);
    let evaluating = Instant::now();
    let suffix = &prompt[keep..];
    let chunk = prompt_chunk(job, suffix.len());
    let mut batch = LlamaBatch::new(chunk, 1);
    for (n, part) in suffix.chunks(chunk).enumerate() {
        // The first chunk was let through above, with the job's start.
        if n > 0 && !step(gate, job) {
            return Ok(None);
        }
        let started = Instant::now();
        batch.clear();
        for token in part {
            let position = i32::try_from(cached.len()).unwrap_or(i32::MAX);
            // Only the prompt's last token needs logits: they choose the reply's first token.
            let last = cached.len() + 1 == prompt.len();
            batch.add(*token, position, &[0], last).map_err(|e| provider_error("batch", e))?;
            cached.push(*token);
        }
        // On an error the slot drops its whole cache (see `worker`).
        ctx.decode(&mut batch).map_err(|e| provider_error("prompt", e))?;
        Counters::add(&stats.prompt_tokens_evaluated, part.len() as u64);
        worked(part.len() as u64);
        Counters::time(&stats.prompt_eval_ns, started);
    }

    // Where a request's time to its first token goes (RUST_LOG=posey_models=debug).
    tracing::debug!(
        background,
        prompt = prompt.len(),
        reused = keep,
        moved,
        evaluated = suffix.len(),
        ms = evaluating.elapsed().as_millis() as u64,
        "local model: prompt evaluated"
    );
    let (mut chain, mut grammar) = samplers(model, job)?;
    let vocab = model.vocab();
    let constrained = job.grammar.is_some();
    let mut decoder = Utf8Pieces::default();
    let mut output = String::new();
    let mut sent = 0; // bytes of `output` streamed as plain text
    let mut streamed = 0; // chars of the `response` text streamed (envelope answers)
    let mut generated = 0_u64;
    // The reply's tokens, each evaluated into the cache after it is chosen.
    let mut reply = Vec::new();
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
        worked(1);
        let piece = decoder.push(&vocab.token_to_piece(token, false, None));
        if !piece.is_empty() {
            output.push_str(&piece);
            let text = if constrained {
                match json_start(&output) {
                    // Plain text so far: send what cannot be the start of a call.
                    None => {
                        let upto = streamable(&output);
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
        if !step(gate, job) {
            return Ok(None);
        }
        single.clear();
        let position = i32::try_from(cached.len()).unwrap_or(i32::MAX);
        single.add(token, position, &[0], true).map_err(|e| provider_error("batch", e))?;
        let started = Instant::now();
        ctx.decode(&mut single).map_err(|e| provider_error("decode", e))?;
        Counters::time(&stats.decoding_ns, started);
        cached.push(token);
        reply.push(token);
        logits_at = 0;
    }
    // A plain-text reply comes back in the next prompt (a call or the envelope does not).
    if !constrained || json_start(&output).is_none() {
        job.replies.remember(model, &output, &reply);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn view(index: usize, interactive: usize, background: usize) -> View {
        View { index, interactive, background, cached: 0, shared: 0, background_cache: false }
    }

    fn cached(mut view: View, cached: usize, shared: usize, background_cache: bool) -> View {
        (view.cached, view.shared, view.background_cache) = (cached, shared, background_cache);
        view
    }

    #[test]
    fn a_slot_is_chosen_by_what_its_cache_keeps_not_by_its_prefix_alone() {
        let tokens = |ids: &[i32]| ids.iter().map(|id| LlamaToken::new(*id)).collect::<Vec<_>>();
        let system: Vec<i32> = (0..10).collect();
        // The conversation's cache: the system prompt, old messages (cut since), kept history.
        let kept: Vec<i32> = (100..160).collect();
        let conversation = tokens(&[system.clone(), (50..90).collect(), kept.clone()].concat());
        // Another request's cache sharing the system prompt and a little more.
        let other = tokens(&[system.clone(), vec![7, 7]].concat());
        let prompt = tokens(&[system, kept, vec![200, 201]].concat());
        assert_eq!(reuse::common_prefix(&other, &prompt), 10);
        assert_eq!(reusable(&conversation, &prompt, true), 70);
        assert_eq!(reusable(&other, &prompt, true), 10);
        assert_eq!(reusable(&conversation, &prompt, false), 10, "no shift: the prefix only");
    }

    #[test]
    fn an_interactive_request_never_waits_behind_background_work() {
        // A slot paused in background work is not idle, whatever its cache shares.
        let views = [cached(view(0, 0, 1), 500, 500, true), view(1, 0, 0)];
        assert_eq!(interactive_slot(&views, 2), Some(1));
        let views = [view(0, 0, 1), view(1, 1, 0)];
        assert_eq!(interactive_slot(&views, 2), None, "a new slot while there is room");
        let views = [view(0, 0, 1), view(1, 2, 0), view(2, 1, 0), view(3, 0, 2)];
        assert_eq!(interactive_slot(&views, MAX_SLOTS), Some(2), "behind the fewest");
        let views = [view(0, 0, 1), view(1, 0, 1), view(2, 0, 1), view(3, 0, 1)];
        assert_eq!(interactive_slot(&views, MAX_SLOTS), None, "past the limit rather than wait");
    }

    #[test]
    fn background_work_keeps_off_interactive_caches_while_it_can() {
        let conversation = cached(view(0, 0, 0), 800, 3, false);
        assert_eq!(background_slot(&[conversation], 1), None, "a new slot rather than evict");
        let views = [
            cached(view(0, 0, 0), 800, 3, false),
            cached(view(1, 0, 0), 400, 300, true),
            cached(view(2, 0, 0), 600, 3, false),
        ];
        assert_eq!(background_slot(&views, 3), Some(1), "its own cache");
        let full = [
            cached(view(0, 0, 0), 800, 3, false),
            cached(view(1, 0, 0), 100, 3, false),
            view(2, 1, 0),
            view(3, 1, 0),
        ];
        assert_eq!(background_slot(&full, MAX_SLOTS), Some(1), "the least to drop");
    }

    #[test]
    fn background_work_leaves_a_slot_for_interactive_requests() {
        let views = [view(0, 0, 1), view(1, 0, 2), view(2, 0, 1), view(3, 0, 0)];
        assert_eq!(background_slot(&views, MAX_SLOTS), Some(0), "behind background work");
        let views = [view(0, 0, 1), view(1, 0, 1), view(2, 0, 1)];
        assert_eq!(background_slot(&views, 3), Some(0), "not a fourth slot");
        let busy = [view(0, 2, 0), view(1, 1, 0), view(2, 3, 0), view(3, 1, 0)];
        assert_eq!(background_slot(&busy, MAX_SLOTS), Some(1), "behind the fewest");
    }
}
