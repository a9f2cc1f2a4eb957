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

/// `history` without the calls to the tools named `tools` and their results (a message left
/// with nothing in it goes too). For a model that calls tools weakly these are the runtime's
/// lookups: what one found was context for the message it was made for, as the time was, and
/// a later message that needs it gets its own lookup. Sent again, it would take the prompt's
/// room turn after turn and stand where the cache held that message's context, so the model
/// would evaluate everything after it again.
pub fn without_calls(history: Vec<Message>, tools: &[&str]) -> Vec<Message> {
    if tools.is_empty() {
        return history;
    }
    let named = |name: &ToolName| tools.contains(&name.as_str());
    history
        .into_iter()
        .filter_map(|message| match message {
            Message::Assistant(mut turn) => {
                turn.content.retain(|part| {
                    !matches!(part, AssistantContent::ToolCall(call) if named(&call.function.name))
                });
                (!turn.content.is_empty()).then_some(Message::Assistant(turn))
            }
            Message::User { mut content } => {
                content.retain(
                    |part| !matches!(part, UserContent::ToolResult(result) if named(&result.name)),
                );
                (!content.is_empty()).then_some(Message::User { content })
            }
            other => Some(other),
        })
        .collect()
}

/// A call as the model made it, in the form messages store it.
pub fn call_record(call: &rig_core::message::ToolCall) -> ToolCallRecord {
    ToolCallRecord {
        id: call.id.wire().into_owned(),
        name: call.function.name.to_string(),
        arguments: Value::Object(call.function.arguments.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(id: &str, name: &str) -> AssistantContent {
        AssistantContent::tool_call(id, ToolName::new(name).unwrap(), json!({"query": "rent"}))
    }

    fn result(id: &str, name: &str) -> UserContent {
        UserContent::tool_result(
            CallId::from_wire(id.to_owned()),
            ToolName::new(name).unwrap(),
            vec![ToolResultContent::text("{}")],
        )
    }

    #[test]
    fn calls_to_the_named_tools_and_their_results_are_left_out() {
        let history = vec![
            Message::user("When is my rent due?"),
            Message::Assistant(AssistantMessage::new(vec![call("a", "search_documents")])),
            Message::User { content: vec![result("a", "search_documents")] },
            Message::Assistant(AssistantMessage::new(vec![AssistantContent::text("On the 5th.")])),
            Message::user("And what time is it?"),
            Message::Assistant(AssistantMessage::new(vec![
                AssistantContent::text("Let me see."),
                call("b", "current_time"),
                call("c", "search_documents"),
            ])),
            Message::User {
                content: vec![result("b", "current_time"), result("c", "search_documents")],
            },
        ];
        let kept = without_calls(history.clone(), &["search_documents"]);
        let shown = format!("{kept:?}");
        assert!(!shown.contains("search_documents"), "{shown}");
        assert_eq!(kept.len(), 5, "{shown}");
        assert!(shown.contains("current_time") && shown.contains("Let me see."), "{shown}");
        assert_eq!(without_calls(history.clone(), &[]), history);
    }
}
