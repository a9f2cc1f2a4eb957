//! The scheduler's one source of "now". Dispatch and workers ask a `Clock` (and pass the answer
//! to SQL as a bind, never `now()`), so tests can fake a long outage or a DST night. The clock
//! itself is shared with the other services (`posey_domain::clock`).

pub use posey_domain::clock::{Clock, ManualClock, SharedClock, SystemClock};
