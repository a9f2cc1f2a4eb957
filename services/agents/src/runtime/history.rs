//! The model's view of a stored conversation: the conversation agent's own messages (depth 0)
//! as rig messages. What specialists said stays out (the delegate call's result carries it),
//! and so do failed turns' error notes. Also the one conversion the other way: a call as the
//! model made it, as stored.

use rig_core::message::{
    AssistantContent, AssistantMessage, CallId, Message, ToolName, ToolResultContent, UserContent,
};

use serde_json::Value;

use crate::db::messages::{StoredMessage, ToolCallRecord};

pub fn to_rig(messages: &[StoredMessage]) -> Vec<Message> {
    let mut history: Vec<Message> = Vec::new();
    for message in
        messages.iter().filter(|m| m.depth == 0 && !(m.role == "assistant" && m.is_error))
    {
        match message.role.as_str() {
            "user" => history.push(Message::user(message.content.clone())),
            "assistant" => {
                let mut content = Vec::new();
                if !message.content.is_empty() {
                    content.push(AssistantContent::text(message.content.clone()));
                }
                for call in &message.tool_calls {
                    if let Ok(name) = ToolName::new(call.name.clone()) {
                        content.push(AssistantContent::tool_call(
                            call.id.clone(),
                            name,
                            call.arguments.clone(),
                        ));
                    }
                }
                if !content.is_empty() {
                    history.push(Message::Assistant(AssistantMessage::new(content)));
                }
            }
            "tool" => {
                let (Some(id), Some(name)) = (&message.tool_call_id, &message.tool_name) else {
                    continue;
                };
                let Ok(name) = ToolName::new(name.clone()) else { continue };
                let mut result = UserContent::tool_result(
                    CallId::from_wire(id.clone()),
                    name,
                    vec![ToolResultContent::text(message.content.clone())],
                );
                if let UserContent::ToolResult(result) = &mut result {
                    result.is_error = message.is_error;
                }
                // Results of one batch travel in one user message, as providers expect.
                match history.last_mut() {
                    Some(Message::User { content })
                        if content
                            .iter()
                            .all(|part| matches!(part, UserContent::ToolResult(_))) =>
                    {
                        content.push(result);
                    }
                    _ => history.push(Message::User { content: vec![result] }),
                }
            }
            _ => {}
        }
    }
    history
}

/// A call as the model made it, in the form messages store it.
pub fn call_record(call: &rig_core::message::ToolCall) -> ToolCallRecord {
    ToolCallRecord {
        id: call.id.wire().into_owned(),
        name: call.function.name.to_string(),
        arguments: Value::Object(call.function.arguments.clone()),
    }
}
