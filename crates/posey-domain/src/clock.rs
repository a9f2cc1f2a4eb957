//! The one source of "now" for code whose tests move time: it asks a `Clock` (and passes the
//! answer to SQL as a bind, never `now()`), so a test advances a `ManualClock` instead of
//! sleeping, and can fake a long outage or a DST night.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

/// Where "now" is read from.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// A clock shared by everything that reads it.
pub type SharedClock = Arc<dyn Clock>;

/// The machine's clock, truncated to microseconds so a time read here equals itself after a
/// round trip through a `timestamptz`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The machine's clock, shared.
    pub fn shared() -> SharedClock {
        Arc::new(Self)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// A clock that moves only when told to: for tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self { now: Mutex::new(at.trunc_subsecs(6)) })
    }

    /// A manual clock that starts at the machine's time.
    pub fn starting_now() -> Arc<Self> {
        Self::new(Utc::now())
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = at.trunc_subsecs(6);
    }

    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = Utc::now();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), clock.now());
        clock.advance(TimeDelta::seconds(90));
        assert_eq!(clock.now(), start.trunc_subsecs(6) + TimeDelta::seconds(90));
        let shared: SharedClock = clock.clone();
        clock.set(start);
        assert_eq!(shared.now(), start.trunc_subsecs(6));
    }
}
