//! Lookups for a model that calls tools weakly or not at all: the tools that can look the
//! message itself up ([`Tool::looks_up`], a search of the person's documents) are run by the
//! runtime on each message instead of being offered, and what they found relevant goes next to
//! the message. What a search finds then never rests on a small model deciding to search; the
//! calls are on the stream and in the history as a model's would be.

use super::direct::record_call;
use super::run::TurnScope;
use crate::db::messages::NewMessage;
use crate::plugins::Tool;

/// What the lookups for one message gave.
#[derive(Default)]
pub(super) struct Lookups {
    /// The calls that found something and their results, to store before the model's messages.
    pub messages: Vec<NewMessage>,
    /// What they found, for the model, next to the message.
    pub found: Option<String>,
}

/// Runs `lookups` on `message`.
pub(super) async fn look_up(
    scope: &TurnScope,
    agent: &str,
    depth: usize,
    lookups: &[&Tool],
    message: Option<&str>,
) -> Lookups {
    let mut done = Lookups::default();
    let Some(message) = message else { return done };
    let mut found = Vec::new();
    for tool in lookups {
        let Some(lookup) = tool.look_up(scope.context.clone(), message) else { continue };
        match lookup.await {
            Ok(Some(what)) => {
                let shown = what.shown.unwrap_or_else(|| what.result.to_string());
                found.push(format!("{} found, for this message:\n{shown}", tool.name));
                let result = Ok(what.result);
                done.messages.extend(record_call(
                    scope,
                    agent,
                    depth,
                    &tool.name,
                    what.arguments,
                    &result,
                ));
            }
            Ok(None) => {}
            // The model answers without it; the tool logged an internal failure already.
            Err(error) => tracing::debug!(tool = %tool.name, error = %error.0, "a lookup failed"),
        }
    }
    done.found = (!found.is_empty()).then(|| found.join("\n\n"));
    done
}
