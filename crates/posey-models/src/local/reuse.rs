//! What of a slot's cache a new prompt keeps: the prefix the two share, then the runs of cached
//! tokens the prompt has again after something was taken out in between, moved to their new
//! positions instead of evaluated again (llama.cpp's server calls this cache reuse by KV
//! shifting).
//!
//! Taking out is what a conversation does from one request to the next: the oldest messages
//! are cut when the history outgrows its budget, and the context given with the previous
//! message (the time, what was looked up for it) is not sent again. Without this, everything
//! after the first such gap was evaluated again: the whole history after a cut, and the previous
//! message and reply at every turn.
//!
//! A moved run keeps the keys and values computed when it followed what was taken out, so the
//! model sees it slightly differently from a fresh evaluation; runs shorter than
//! [`MIN_MOVED`] are evaluated again rather than moved, and what a prompt inserts (rather than
//! takes out) is never skipped over.

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::model::{LlamaModel, RopeType};

/// The fewest tokens a run must have to be moved rather than evaluated again.
pub(super) const MIN_MOVED: usize = 32;

/// A run of cached tokens the prompt has again, at another position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Moved {
    /// Where the run is in the cache.
    pub from: usize,
    /// Where it goes in the prompt (always before `from`).
    pub to: usize,
    pub len: usize,
}

/// What a prompt keeps of a cache.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Reuse {
    /// Tokens the cache and the prompt start with.
    pub prefix: usize,
    /// Then these runs, in order, each right after the one before in the prompt.
    pub moved: Vec<Moved>,
}

impl Reuse {
    /// The prompt's tokens that are cached once the runs are moved: its start, this long.
    pub fn kept(&self) -> usize {
        self.moved.last().map_or(self.prefix, |run| run.to + run.len)
    }

    /// Of those, the ones moved.
    pub fn moved_tokens(&self) -> usize {
        self.moved.iter().map(|run| run.len).sum()
    }
}

/// What `prompt` keeps of `cached`: the shared prefix and, where `shift` allows, the runs of
/// at least `min_moved` tokens that follow it in both after tokens the prompt no longer has.
pub(super) fn plan<T: PartialEq>(
    cached: &[T],
    prompt: &[T],
    shift: bool,
    min_moved: usize,
) -> Reuse {
    let prefix = common_prefix(cached, prompt);
    let mut reuse = Reuse { prefix, moved: Vec::new() };
    if !shift || min_moved == 0 {
        return reuse;
    }
    let (mut in_cache, mut in_prompt) = (prefix, prefix);
    while in_cache < cached.len() && in_prompt < prompt.len() {
        let len = common_prefix(&cached[in_cache..], &prompt[in_prompt..]);
        if len >= min_moved {
            reuse.moved.push(Moved { from: in_cache, to: in_prompt, len });
            in_cache += len;
            in_prompt += len;
        } else {
            in_cache += 1;
        }
    }
    reuse
}

pub(super) fn common_prefix<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Whether a context of `model` can move cached tokens to other positions: llama.cpp shifts
/// the keys of a rotary-position model (its K-shift); a recurrent or hybrid model's state, and
/// multi-section rotary positions, cannot be moved (llama.cpp would abort).
pub(super) fn can_shift(model: &LlamaModel) -> bool {
    !model.is_recurrent()
        && !model.is_hybrid()
        && matches!(model.rope_type(), Some(RopeType::Norm | RopeType::NeoX))
        // llama.cpp's own exception (per-layer rotary dimensions).
        && model.meta_val_str("general.architecture").is_ok_and(|arch| arch != "step35")
}

/// Applies `reuse` to `ctx`'s cache (sequence 0): drops what the prompt no longer has, moves
/// the runs and drops everything after them. False when the cache refused a removal (then it
/// is in no known state and must be cleared).
pub(super) fn apply(ctx: &mut LlamaContext<'_>, reuse: &Reuse) -> bool {
    let position = |n: usize| u32::try_from(n).ok();
    for run in &reuse.moved {
        // What lies between the previous run (or the prefix) and this one goes, then this run
        // takes its place; llama.cpp rotates the moved keys at the next decode.
        let removed = ctx.clear_kv_cache_seq(Some(0), position(run.to), position(run.from));
        if !removed.unwrap_or(false) {
            return false;
        }
        // Back by the gap (`to` is always before `from`).
        let Ok(back) = i32::try_from(run.from - run.to) else { return false };
        let end = position(run.from + run.len);
        if ctx.kv_cache_seq_add(0, position(run.from), end, -back).is_err() {
            return false;
        }
    }
    ctx.clear_kv_cache_seq(Some(0), position(reuse.kept()), None).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<char> {
        text.chars().collect()
    }

    #[test]
    fn a_prompt_that_only_adds_keeps_the_whole_cache() {
        let reuse = plan(&tokens("SSSHHHH"), &tokens("SSSHHHHNN"), true, 2);
        assert_eq!(reuse, Reuse { prefix: 7, moved: vec![] });
        assert_eq!(reuse.kept(), 7);
    }

    #[test]
    fn history_cut_after_the_system_prompt_moves_the_rest() {
        // System prompt SSS, then old messages oooo (cut), then kept history HHHHH.
        let cached = tokens("SSSooooHHHHH");
        let prompt = tokens("SSSHHHHHnn");
        let reuse = plan(&cached, &prompt, true, 3);
        assert_eq!(reuse.prefix, 3);
        assert_eq!(reuse.moved, vec![Moved { from: 7, to: 3, len: 5 }]);
        assert_eq!(reuse.kept(), 8);
        assert_eq!(reuse.moved_tokens(), 5);
    }

    #[test]
    fn the_previous_message_context_taken_out_keeps_message_and_reply() {
        // ...history, context c for the previous message, the message UU and the reply RRR;
        // the next prompt has them without c, then new context and message.
        let cached = tokens("SSHHccUURRR");
        let prompt = tokens("SSHHUURRRdVV");
        let reuse = plan(&cached, &prompt, true, 2);
        assert_eq!(reuse.prefix, 4);
        assert_eq!(reuse.moved, vec![Moved { from: 6, to: 4, len: 5 }]);
        assert_eq!(reuse.kept(), 9);
    }

    #[test]
    fn two_gaps_move_two_runs() {
        let cached = tokens("SSxxAAAyyBBBz");
        let prompt = tokens("SSAAABBBq");
        let reuse = plan(&cached, &prompt, true, 3);
        assert_eq!(
            reuse.moved,
            vec![Moved { from: 4, to: 2, len: 3 }, Moved { from: 9, to: 5, len: 3 }]
        );
        assert_eq!(reuse.kept(), 8);
    }

    #[test]
    fn short_runs_inserted_text_and_no_shift_are_evaluated_again() {
        // "AA" is too short to move, and the prompt's "BBB" comes after it: both evaluated.
        let cached = tokens("SSxxAAyyBBB");
        assert_eq!(plan(&cached, &tokens("SSAABBB"), true, 3).kept(), 2);
        assert_eq!(plan(&cached, &tokens("SSAABBB"), true, 2).kept(), 7);
        // Something the cache lacks comes first in the prompt: nothing after it is moved.
        assert_eq!(plan(&tokens("SSAAAA"), &tokens("SSnAAAA"), true, 2).kept(), 2);
        // A model whose cache cannot shift keeps the prefix only.
        assert_eq!(plan(&tokens("SSooHHHH"), &tokens("SSHHHH"), false, 2).kept(), 2);
    }
}
