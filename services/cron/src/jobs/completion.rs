//! How a job ends well, which every job returns and the worker records.

use serde_json::Value;

/// A job's success.
#[derive(Debug, Clone, PartialEq)]
pub enum Completion {
    /// The worker records the run succeeded with this output.
    Output(Value),
    /// The job already marked the run succeeded, in the transaction of its effect.
    Recorded,
}
