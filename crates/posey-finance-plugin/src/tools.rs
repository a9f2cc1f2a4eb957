//! The tools agents keep a person's money with (being written).

use futures::future::BoxFuture;
use posey_plugin::{PendingAction, Tool, ToolContext, ToolError};

pub fn all() -> Vec<Tool> {
    Vec::new()
}

pub fn run_confirmed(
    _action: PendingAction,
    _context: ToolContext,
) -> BoxFuture<'static, Result<serde_json::Value, ToolError>> {
    Box::pin(async { Err(ToolError::new("no such action")) })
}
