//! Calls the runtime makes itself, not a model (an explicit command, a lookup): streamed and
//! stored as a model's calls would be.

use serde_json::Value;
use uuid::Uuid;

use super::run::{TurnEvent, TurnScope, assistant};
use super::schema;
use crate::db::messages::{NewMessage, Role, ToolCallRecord};
use crate::plugins::Tool;

/// Calls `tool` for `agent` as the runtime's own call, not a model's (an explicit command):
/// arguments checked against its schema, the call and its result sent on the stream as a
/// model's would be, and the two messages that store them. The result, or what failed.
pub(super) async fn call_directly(
    scope: &TurnScope,
    agent: &str,
    depth: usize,
    tool: &Tool,
    arguments: Value,
) -> (Result<Value, String>, [NewMessage; 2]) {
    let problems = schema::validate(&tool.parameters, &arguments);
    let result = if problems.is_empty() {
        tool.call(scope.context.clone(), arguments.clone()).await.map_err(|error| error.0)
    } else {
        Err(format!("invalid arguments: {}", problems.join("; ")))
    };
    let messages = record_call(scope, agent, depth, &tool.name, arguments, &result);
    (result, messages)
}

/// A call the runtime made for `agent` (an explicit command, a lookup) and its result: sent on
/// the stream as a model's would be, and the two messages that store them.
pub(super) fn record_call(
    scope: &TurnScope,
    agent: &str,
    depth: usize,
    name: &str,
    arguments: Value,
    result: &Result<Value, String>,
) -> [NewMessage; 2] {
    let call = ToolCallRecord {
        id: format!("call_{}", Uuid::new_v4().simple()),
        name: name.to_owned(),
        arguments,
    };
    scope.send(TurnEvent::ToolCall {
        agent: agent.to_owned(),
        depth,
        id: call.id.clone(),
        name: call.name.clone(),
        arguments: call.arguments.clone(),
    });
    let (content, is_error) = match result {
        Ok(Value::String(text)) => (text.clone(), false),
        Ok(value) => (value.to_string(), false),
        Err(message) => (message.clone(), true),
    };
    scope.send(TurnEvent::ToolResult {
        agent: agent.to_owned(),
        depth,
        id: call.id.clone(),
        name: call.name.clone(),
        content: content.clone(),
        is_error,
    });
    let answer = NewMessage {
        role: Role::Tool,
        agent: agent.to_owned(),
        depth: depth as i32,
        content,
        tool_calls: Vec::new(),
        tool: Some((call.id.clone(), call.name.clone())),
        is_error,
    };
    [assistant(agent, depth, String::new(), vec![call]), answer]
}
