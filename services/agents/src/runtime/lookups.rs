//! Lookups for a model that calls tools weakly: of the tools chosen for a message, those that
//! can be asked about the message itself ([`Tool::looks_up`], a search of the person's
//! documents) are called by the runtime before the model runs, and what they found goes next to
//! the message. What a search finds then never rests on a small model deciding to search; the
//! calls are on the stream and in the history as a model's would be.

use super::run::TurnScope;
use super::tools::call_directly;
use crate::db::messages::NewMessage;
use crate::plugins::Tool;

/// What the lookups for one message gave.
pub(super) struct Lookups<'a> {
    /// The chosen tools that are no lookups: still offered to the model.
    pub offered: Vec<&'a Tool>,
    /// The calls and their results, to store before the model's messages.
    pub messages: Vec<NewMessage>,
    /// What they found, for the model, next to the message.
    pub found: Option<String>,
}

impl<'a> Lookups<'a> {
    /// No lookups: every chosen tool is offered (a model that calls tools well decides).
    pub fn none(chosen: Vec<&'a Tool>) -> Self {
        Self { offered: chosen, messages: Vec::new(), found: None }
    }
}

/// Calls the lookups among `chosen` with `message`.
pub(super) async fn look_up<'a>(
    scope: &TurnScope,
    agent: &str,
    depth: usize,
    chosen: Vec<&'a Tool>,
    message: Option<&str>,
) -> Lookups<'a> {
    let mut lookups = Lookups { offered: Vec::new(), messages: Vec::new(), found: None };
    let mut found = Vec::new();
    for tool in chosen {
        let (Some(arguments), Some(message)) = (tool.lookup, message) else {
            lookups.offered.push(tool);
            continue;
        };
        let (result, messages) = call_directly(scope, agent, depth, tool, arguments(message)).await;
        found.push(match result {
            Ok(value) => format!("{} found, for this message: {value}", tool.name),
            Err(error) => format!("{} could not look this message up: {error}", tool.name),
        });
        lookups.messages.extend(messages);
    }
    lookups.found = (!found.is_empty()).then(|| found.join("\n\n"));
    lookups
}
