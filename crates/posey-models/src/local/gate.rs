//! Background work yields to interactive work on one loaded model. An interactive request
//! counts from the moment it is handed to a slot until it ends; a background request passes the
//! gate before each step (its start, each chunk of its prompt, each generated token) and waits
//! there while any interactive one counts, watching its reader so that a cancelled one ends at
//! once instead of when it would have resumed.

use std::sync::atomic::Ordering;

use tokio::sync::watch;

use super::reply::Sender;
use super::stats::Counters;

#[derive(Default)]
struct State {
    /// Interactive requests handed to a slot and not finished.
    interactive: usize,
    /// Steps of background work begun so far.
    background_steps: u64,
}

pub(super) struct Gate {
    /// Waiting background steps watch it for the end of interactive work.
    state: watch::Sender<State>,
}

/// An interactive request in flight, with how many background steps had begun when it came.
#[derive(Debug)]
pub(super) struct Interactive {
    background_steps: u64,
}

impl Gate {
    pub fn new() -> Self {
        Self { state: watch::Sender::new(State::default()) }
    }

    /// An interactive request is handed to a slot: background work waits until it ends.
    pub fn enter_interactive(&self) -> Interactive {
        let mut background_steps = 0;
        self.state.send_modify(|state| {
            state.interactive += 1;
            background_steps = state.background_steps;
        });
        Interactive { background_steps }
    }

    /// The interactive request ended. The background steps begun while it was in flight (none,
    /// when background work yields) are added to `stats`.
    pub fn leave_interactive(&self, entered: Interactive, stats: &Counters) {
        let mut beside = 0;
        self.state.send_modify(|state| {
            state.interactive = state.interactive.saturating_sub(1);
            beside = state.background_steps - entered.background_steps;
        });
        Counters::add(&stats.background_steps_beside_interactive, beside);
    }

    /// Begins a background step unless interactive work is in flight; the check and the count
    /// are one, so an interactive request arriving at the same moment sees the step or stops it.
    fn try_step(&self) -> bool {
        let mut began = false;
        // Receivers wait for interactive work to end, not for steps: no need to wake them.
        self.state.send_if_modified(|state| {
            if state.interactive == 0 {
                state.background_steps += 1;
                began = true;
            }
            false
        });
        began
    }

    /// Waits (on this blocking thread) until no interactive request is in flight, then begins a
    /// step of background work; false when the reader left first.
    pub fn background_step(&self, tx: &Sender, stats: &Counters) -> bool {
        if tx.is_closed() {
            return false;
        }
        if self.try_step() {
            return true;
        }
        Counters::add(&stats.background_pauses, 1);
        stats.background_paused.fetch_add(1, Ordering::AcqRel);
        let mut changes = self.state.subscribe();
        let go = futures::executor::block_on(async {
            loop {
                // A reader that left wins over the end of interactive work: the job ends
                // without another step.
                if tx.is_closed() {
                    break false;
                }
                // Checked after subscribing, so an end of interactive work is never missed.
                if self.try_step() {
                    break true;
                }
                tokio::select! {
                    biased;
                    () = tx.closed() => break false,
                    // Never an error: `self` holds the sender.
                    _ = changes.changed() => {}
                }
            }
        });
        stats.background_paused.fetch_sub(1, Ordering::AcqRel);
        if !go {
            Counters::add(&stats.background_cancelled, 1);
        }
        go
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn paused(stats: &Counters) -> u64 {
        stats.background_paused.load(Ordering::Acquire)
    }

    /// Waits (spinning, no clock) until `stats` shows one background step paused.
    fn until_paused(stats: &Counters) {
        while paused(stats) == 0 {
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_background_step_waits_for_interactive_work_to_end() {
        let gate = Arc::new(Gate::new());
        let stats = Arc::new(Counters::default());
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        let interactive = gate.enter_interactive();
        let step = {
            let (gate, stats) = (Arc::clone(&gate), Arc::clone(&stats));
            std::thread::spawn(move || gate.background_step(&tx, &stats))
        };
        until_paused(&stats);
        assert!(!step.is_finished());
        gate.leave_interactive(interactive, &stats);
        assert!(step.join().unwrap(), "the step should go on");
        let snapshot = stats.snapshot();
        assert_eq!(snapshot.background_pauses, 1);
        assert_eq!(snapshot.background_paused, 0);
        assert_eq!(snapshot.background_steps_beside_interactive, 0);
    }

    #[test]
    fn a_paused_background_step_ends_when_its_reader_leaves() {
        let gate = Arc::new(Gate::new());
        let stats = Arc::new(Counters::default());
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let interactive = gate.enter_interactive();
        let step = {
            let (gate, stats) = (Arc::clone(&gate), Arc::clone(&stats));
            std::thread::spawn(move || gate.background_step(&tx, &stats))
        };
        until_paused(&stats);
        drop(rx);
        // The interactive request is still in flight: only the reader leaving ends the wait.
        assert!(!step.join().unwrap(), "a cancelled step should not go on");
        assert_eq!(stats.snapshot().background_cancelled, 1);
        gate.leave_interactive(interactive, &stats);
    }

    #[test]
    fn steps_begun_while_interactive_work_is_in_flight_are_counted() {
        let gate = Gate::new();
        let stats = Counters::default();
        assert!(gate.try_step(), "no interactive work: the step begins");
        let interactive = gate.enter_interactive();
        assert!(!gate.try_step(), "interactive work in flight: the step waits");
        // A step that did not wait (what a broken yield would do) is counted.
        gate.state.send_modify(|state| state.background_steps += 1);
        gate.leave_interactive(interactive, &stats);
        assert_eq!(stats.snapshot().background_steps_beside_interactive, 1);
    }
}
