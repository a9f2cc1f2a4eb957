//! An agent's run as its stream delivers it: the assistant message being built, the events
//! sent as they happen, the messages to store in order, and how the run ends (an answer, a
//! question for the person, a stop for the client's tools, a limit, an error, the service
//! stopping).

use rig_agent::agent::MultiTurnStreamItem;
use rig_agent::completion::PromptError;
use rig_core::message::AssistantContent;
use rig_core::streaming::{Item, StreamEvent};
use serde_json::Value;

use super::run::{
    AgentRun, DELEGATE_TOOL, Delegated, TurnError, TurnEvent, TurnScope, asking, assistant, flush,
    interrupted, render_result, stopping_message, turn_error,
};
use super::{ending, history};
use crate::db::messages::{NewMessage, Role, ToolCallRecord};
use crate::sync::lock;

/// What the run does after an item.
pub(super) enum Flow {
    /// Take the next item.
    Next,
    /// The stream is done (or cut short): end the run with [`Drive::finish`].
    Finish,
    /// The run already ended (asking the person, or stopped for the client's tools).
    Ended,
}

pub(super) struct Drive<'a> {
    name: &'a str,
    depth: usize,
    scope: &'a TurnScope,
    delegated: Delegated,
    client_names: Vec<String>,
    pub run: AgentRun,
    /// The assistant message being built: text so far and the calls it made.
    text: String,
    calls: Vec<ToolCallRecord>,
    /// The calls of the newest assistant message still waiting for their results.
    open_calls: Vec<String>,
    /// A limit the run hit before its model answered.
    limit: Option<ending::Limit>,
}

impl<'a> Drive<'a> {
    pub fn new(name: &'a str, depth: usize, scope: &'a TurnScope, delegated: Delegated) -> Self {
        Self {
            name,
            depth,
            scope,
            delegated,
            client_names: scope.client_tools.iter().map(|tool| tool.name.clone()).collect(),
            run: AgentRun::default(),
            text: String::new(),
            calls: Vec::new(),
            open_calls: Vec::new(),
            limit: None,
        }
    }

    fn is_client_tool(&self, name: &str) -> bool {
        self.client_names.iter().any(|client| client == name)
    }

    fn send(&self, event: TurnEvent) {
        self.scope.send(event);
    }

    pub fn on_item(&mut self, item: Result<MultiTurnStreamItem, PromptError>) -> Flow {
        let (name, depth) = (self.name, self.depth);
        match item {
            Ok(MultiTurnStreamItem::StreamAssistantItem(Item::Event(event))) => match event {
                StreamEvent::Text { text: delta, .. } => {
                    self.text.push_str(&delta);
                    self.send(TurnEvent::Text { agent: name.to_owned(), depth, delta });
                }
                StreamEvent::End { content: AssistantContent::ToolCall(call), .. } => {
                    self.send(TurnEvent::ToolCall {
                        agent: name.to_owned(),
                        depth,
                        id: call.id.wire().into_owned(),
                        name: call.function.name.to_string(),
                        arguments: Value::Object(call.function.arguments.clone()),
                    });
                }
                _ => {}
            },
            Ok(MultiTurnStreamItem::ToolCall { tool_call }) => {
                let record = history::call_record(&tool_call);
                if self.is_client_tool(&record.name) {
                    lock(&self.scope.shared).client_calls.push(record.clone());
                }
                self.calls.push(record);
            }
            Ok(MultiTurnStreamItem::ToolResult { tool_result }) => {
                let id = tool_result.call.wire().into_owned();
                if !self.calls.is_empty() {
                    self.open_calls = self.calls.iter().map(|call| call.id.clone()).collect();
                }
                let Some(at) = self.open_calls.iter().position(|open| *open == id) else {
                    // rig's answer to a call of a tool the model was not offered: the call
                    // never came as an item, so neither is stored.
                    tracing::debug!(agent = %name, tool = %tool_result.name, "a call of an unknown tool");
                    return Flow::Next;
                };
                self.open_calls.remove(at);
                flush(&mut self.run.messages, name, depth, &mut self.text, &mut self.calls);
                let tool_name = tool_result.name.to_string();
                if self.is_client_tool(&tool_name) {
                    // Held back by the hook: the client runs it and sends the result.
                    return Flow::Next;
                }
                let content = render_result(&tool_result.content);
                if tool_name == DELEGATE_TOOL
                    && let Some(inner) = lock(&self.delegated).pop_front()
                {
                    self.run.messages.extend(inner);
                }
                self.send(TurnEvent::ToolResult {
                    agent: name.to_owned(),
                    depth,
                    id: id.clone(),
                    name: tool_name.clone(),
                    content: content.clone(),
                    is_error: tool_result.is_error,
                });
                self.run.messages.push(NewMessage {
                    role: Role::Tool,
                    agent: name.to_owned(),
                    depth: depth as i32,
                    content,
                    tool_calls: Vec::new(),
                    tool: Some((id, tool_name)),
                    is_error: tool_result.is_error,
                });
            }
            Ok(MultiTurnStreamItem::CompletionCall(call)) => {
                let mut shared = lock(&self.scope.shared);
                shared.input_tokens += call.usage.input_tokens.unwrap_or(0);
                shared.output_tokens += call.usage.output_tokens.unwrap_or(0);
            }
            Ok(MultiTurnStreamItem::ModelTurnRetried { .. }) => {
                // The deltas of a rejected turn were provisional.
                self.text.clear();
                self.calls.clear();
            }
            Ok(MultiTurnStreamItem::FinalResponse(response)) => {
                self.run.text = response.output().to_owned();
                if self.text.is_empty() {
                    self.text = self.run.text.clone();
                }
            }
            Ok(_) => {}
            Err(_) if !self.scope.context.asks.is_empty() => {
                // Not a failure: a tool asked the person, and the turn ends asking.
                flush(&mut self.run.messages, name, depth, &mut self.text, &mut self.calls);
                asking(
                    &mut self.run,
                    &self.scope.events,
                    name,
                    depth,
                    &self.scope.context.asks.all(),
                );
                return Flow::Ended;
            }
            Err(error) => {
                let client_stop = !lock(&self.scope.shared).client_calls.is_empty();
                if client_stop {
                    // Not a failure: the turn stops for the client to run its tools.
                    flush(&mut self.run.messages, name, depth, &mut self.text, &mut self.calls);
                    let client_names: Vec<&str> =
                        self.client_names.iter().map(String::as_str).collect();
                    let (said, server_calls) =
                        stopping_message(&self.run.messages, depth, &client_names);
                    self.run.text = said;
                    lock(&self.scope.shared).server_calls = server_calls;
                    return Flow::Ended;
                }
                self.limit = ending::cut_short(&error);
                if self.limit.is_none() {
                    self.run.error = Some(turn_error(name, &error));
                }
                return Flow::Finish;
            }
        }
        Flow::Next
    }

    /// Ends the run once its stream is done or cut short: the answer, else a plain reply saying
    /// what it could not do, else the error, else the interruption's marker.
    pub fn finish(self) -> AgentRun {
        let Self { name, depth, scope, mut run, mut text, mut calls, mut limit, .. } = self;
        if run.interrupted {
            interrupted(&mut run, &scope.shared, &scope.events, name, depth, text);
            return run;
        }
        if run.error.is_none() && limit.is_none() && run.text.trim().is_empty() {
            limit = Some(ending::Limit::Empty);
        }
        if let Some(limit) = limit {
            // Not an error: the turn ends with a plain reply saying what it could not do.
            tracing::warn!(agent = %name, ?limit, "a run ended without an answer from its model");
            if !text.trim().is_empty() {
                // Calls whose results never came are not history: only the text stays.
                run.messages.push(assistant(name, depth, text, Vec::new()));
            }
            let reply = ending::cut_short_reply(limit);
            scope.send(TurnEvent::Text { agent: name.to_owned(), depth, delta: reply.clone() });
            run.messages.push(assistant(name, depth, reply.clone(), Vec::new()));
            run.text = reply;
        } else if let Some(TurnError { message, .. }) = &run.error {
            let message = message.clone();
            // Calls whose results never came are not history: only the text stays.
            if !text.is_empty() {
                run.messages.push(assistant(name, depth, text, Vec::new()));
            }
            run.messages.push(NewMessage {
                role: Role::Assistant,
                agent: name.to_owned(),
                depth: depth as i32,
                content: message,
                tool_calls: Vec::new(),
                tool: None,
                is_error: true,
            });
        } else {
            flush(&mut run.messages, name, depth, &mut text, &mut calls);
        }
        run
    }
}
