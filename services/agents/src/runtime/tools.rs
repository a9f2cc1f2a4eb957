//! The tools of a run as rig tools: a plugin's (its arguments checked against its schema
//! first), a client's (never run here), and the shape of the `delegate` tool.

use std::sync::Arc;

use rig_agent::tool::{DynamicTool, ToolExecutionError, ToolOutput};
use rig_core::message::ToolName;
use serde_json::{Value, json};

use super::{ending, schema};
use crate::plugins::{Tool, ToolContext};

/// A tool the caller runs itself (the OpenAI-compatible API's client tools).
#[derive(Debug, Clone)]
pub struct ClientTool {
    pub name: String,
    pub description: String,
    pub parameters: Value,
}

pub const DELEGATE_DESCRIPTION: &str = "Hand a task to a specialist agent and get its answer.";

/// The `delegate` tool's arguments: one of `delegates`, and the task.
pub fn delegate_parameters(delegates: &[String]) -> Value {
    json!({
        "type": "object",
        "properties": {
            "agent": {"type": "string", "enum": delegates, "description": "The specialist"},
            "task": {"type": "string", "minLength": 1, "description": "What the specialist should do, with everything it needs to know"}
        },
        "required": ["agent", "task"],
        "additionalProperties": false
    })
}

/// A plugin tool as a rig tool: arguments checked against the schema first (the model hears
/// every problem and may try again), then the handler, at most once per arguments in a run.
pub fn checked_tool(
    tool: &Tool,
    context: ToolContext,
    guard: &Arc<ending::Guard>,
) -> Option<DynamicTool> {
    let name = ToolName::new(tool.name.clone()).ok()?;
    let description = tool.description.clone();
    let parameters = tool.parameters.clone();
    let tool = tool.clone();
    let once = guard.once(tool.name.clone(), move |arguments: Value| {
        // Checked and started here, so a call clones neither the tool nor its schema.
        let problems = schema::validate(&tool.parameters, &arguments);
        let call = problems.is_empty().then(|| tool.call(context.clone(), arguments));
        Box::pin(async move {
            let Some(call) = call else {
                return Err(invalid_arguments(&problems));
            };
            match call.await {
                Ok(Value::String(text)) => Ok(ToolOutput::text(text)),
                Ok(value) => Ok(ToolOutput::text(value.to_string())),
                Err(error) => Err(ToolExecutionError::other(error.0)),
            }
        }) as futures::future::BoxFuture<'static, Result<ToolOutput, ToolExecutionError>>
    });
    Some(DynamicTool::new(name, description, parameters, once))
}

/// A client's tool: offered to the model; the hook stops the run before it would run.
pub fn client_tool(tool: &ClientTool) -> Option<DynamicTool> {
    let name = ToolName::new(tool.name.clone()).ok()?;
    Some(DynamicTool::new(name, tool.description.clone(), tool.parameters.clone(), |_| {
        Box::pin(async { Err(ToolExecutionError::other("this tool is run by the client")) })
            as futures::future::BoxFuture<'static, Result<ToolOutput, ToolExecutionError>>
    }))
}

/// What the model hears when its arguments do not match the tool's schema.
pub fn invalid_arguments(problems: &[String]) -> ToolExecutionError {
    ToolExecutionError::invalid_args(format!(
        "invalid arguments: {}. Call the tool again with arguments that match its schema.",
        problems.join("; ")
    ))
}
