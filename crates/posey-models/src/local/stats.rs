//! Where a local model's time goes: counters every request adds to, read as [`LocalStats`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Where a local model's time went since it was loaded (all requests together): what the
/// measurement example prints, and what tests read to check that a shared prompt prefix is not
/// evaluated twice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LocalStats {
    /// Requests run.
    pub requests: u64,
    /// Prompt tokens of all requests.
    pub prompt_tokens: u64,
    /// Prompt tokens actually evaluated (the rest were already in a context's KV cache).
    pub prompt_tokens_evaluated: u64,
    /// Of the prompt tokens not evaluated, those whose cached keys and values were moved to
    /// other positions (after something before them was taken out of the prompt).
    pub prompt_tokens_moved: u64,
    /// Time making or resizing contexts.
    pub context_setup: Duration,
    /// Time evaluating prompts.
    pub prompt_eval: Duration,
    /// Tokens generated.
    pub generated_tokens: u64,
    /// Time choosing tokens (samplers, grammar).
    pub sampling: Duration,
    /// Tokens for which the tool grammar was applied to the whole vocabulary (the sampled token
    /// broke it); a grammar waiting for its trigger, or one the sampled token satisfies, costs
    /// no such pass.
    pub grammar_passes: u64,
    /// Time evaluating generated tokens.
    pub decoding: Duration,
    /// Requests run as background work ([`crate::Priority::Background`]).
    pub background_requests: u64,
    /// Prompt tokens evaluated and tokens generated for background requests.
    pub background_tokens: u64,
    /// Times a background request stepped aside for interactive work.
    pub background_pauses: u64,
    /// Background requests paused right now.
    pub background_paused: u64,
    /// Background requests whose reader left while they were paused (they ended without
    /// resuming).
    pub background_cancelled: u64,
    /// Steps of background work (its start, a chunk of its prompt, a generated token) begun
    /// while an interactive request was in flight, as each interactive request counts them from
    /// when it was handed to a slot to its end: zero while background work yields.
    pub background_steps_beside_interactive: u64,
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) requests: AtomicU64,
    pub(super) prompt_tokens: AtomicU64,
    pub(super) prompt_tokens_evaluated: AtomicU64,
    pub(super) prompt_tokens_moved: AtomicU64,
    pub(super) context_setup_ns: AtomicU64,
    pub(super) prompt_eval_ns: AtomicU64,
    pub(super) generated_tokens: AtomicU64,
    pub(super) sampling_ns: AtomicU64,
    pub(super) grammar_passes: AtomicU64,
    pub(super) decoding_ns: AtomicU64,
    pub(super) background_requests: AtomicU64,
    pub(super) background_tokens: AtomicU64,
    pub(super) background_pauses: AtomicU64,
    pub(super) background_paused: AtomicU64,
    pub(super) background_cancelled: AtomicU64,
    pub(super) background_steps_beside_interactive: AtomicU64,
}

impl Counters {
    pub(super) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn time(counter: &AtomicU64, since: Instant) {
        let nanos = u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        counter.fetch_add(nanos, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self) -> LocalStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        LocalStats {
            requests: get(&self.requests),
            prompt_tokens: get(&self.prompt_tokens),
            prompt_tokens_evaluated: get(&self.prompt_tokens_evaluated),
            prompt_tokens_moved: get(&self.prompt_tokens_moved),
            context_setup: Duration::from_nanos(get(&self.context_setup_ns)),
            prompt_eval: Duration::from_nanos(get(&self.prompt_eval_ns)),
            generated_tokens: get(&self.generated_tokens),
            sampling: Duration::from_nanos(get(&self.sampling_ns)),
            grammar_passes: get(&self.grammar_passes),
            decoding: Duration::from_nanos(get(&self.decoding_ns)),
            background_requests: get(&self.background_requests),
            background_tokens: get(&self.background_tokens),
            background_pauses: get(&self.background_pauses),
            background_paused: get(&self.background_paused),
            background_cancelled: get(&self.background_cancelled),
            background_steps_beside_interactive: get(&self.background_steps_beside_interactive),
        }
    }
}
