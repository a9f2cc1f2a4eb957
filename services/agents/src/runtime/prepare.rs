//! Before an agent's run streams: its model, system prompt, the plugins' context for the
//! message, the tools its profile allows (checked, delegation and the client's included), and
//! the history that fits its context beside them.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rig_agent::AgentBuilder;
use rig_agent::agent::StreamingResult;
use rig_agent::tool::DynamicTool;
use rig_core::message::Message;

use super::tools::{DELEGATE_DESCRIPTION, checked_tool, client_tool, delegate_parameters};
use super::{DELEGATE_TOOL, Runtime, TurnError, TurnScope, budget, ending, hooks};
use crate::catalog::AgentSpec;
use crate::db::messages::NewMessage;
use crate::sync::lock;
use posey_models::ToolCalling;

/// What the specialists an agent delegated to said, in the order they ran (tools run one at a
/// time), to store before each delegate call's result.
pub(super) type Delegated = Arc<Mutex<VecDeque<Vec<NewMessage>>>>;

/// An agent's run, ready to drive: nothing runs until its stream is polled.
pub(super) struct Prepared {
    pub stream: StreamingResult,
    pub delegated: Delegated,
}

impl Runtime {
    /// Builds `spec`'s run on `prompt` after `history`, for the turn `scope` belongs to.
    pub(super) async fn prepare(
        self: &Arc<Self>,
        scope: &TurnScope,
        spec: &AgentSpec,
        depth: usize,
        history: Vec<Message>,
        prompt: Message,
    ) -> Result<Prepared, TurnError> {
        let TurnScope { context, client_tools, .. } = scope;
        let name = &spec.name;
        let model_spec =
            self.model_for(spec, lock(&scope.shared).chosen_model.as_deref()).to_owned();
        let profile = self.catalog.profile(&model_spec);
        let delegates: Vec<String> =
            if profile.delegation && depth < self.settings.max_delegation_depth {
                self.agents.delegates_of(spec).iter().map(|agent| agent.name.clone()).collect()
            } else {
                Vec::new()
            };
        let model = self.models.model(&model_spec).await.map_err(|error| TurnError {
            code: "model_error",
            message: format!("agent {name}: {error:#}"),
        })?;
        let prepared = async {
            let preamble = self.preamble(spec, context, &delegates).await?;
            let message_context = self.message_context(spec, context).await?;
            anyhow::Ok((preamble, message_context))
        };
        let (preamble, message_context) = prepared.await.map_err(|error| {
            tracing::error!(agent = %name, error = format!("{error:#}"), "building the system prompt");
            TurnError { code: "internal", message: "the agent could not be prepared".into() }
        })?;

        let offered = self.offered_tools(spec, profile.tools, context, depth, &prompt).await;
        let offer_client_tools = depth == 0 && profile.tools != ToolCalling::None;
        // The prompt's fixed part: the system prompt and every tool offered.
        let mut fixed = budget::text_tokens(&preamble);
        for tool in &offered {
            fixed += budget::tool_tokens(&tool.name, &tool.description, &tool.parameters);
        }
        if !delegates.is_empty() {
            let parameters = delegate_parameters(&delegates);
            fixed += budget::tool_tokens(DELEGATE_TOOL, DELEGATE_DESCRIPTION, &parameters);
        }
        if offer_client_tools {
            for tool in client_tools.iter() {
                fixed += budget::tool_tokens(&tool.name, &tool.description, &tool.parameters);
            }
        }
        let with_prompt = fixed
            .saturating_add(budget::message_tokens(&prompt))
            .saturating_add(message_context.as_ref().map_or(0, budget::message_tokens));
        let mut history = budget::fit_history(history, with_prompt, &profile);
        // After the history, right before the message: the start of the prompt stays the same
        // from turn to turn.
        history.extend(message_context);

        let delegated = Delegated::default();
        let guard = ending::Guard::new(self.settings.max_turns, preamble.clone(), profile, fixed);
        let mut tools: Vec<DynamicTool> =
            offered.iter().filter_map(|tool| checked_tool(tool, context.clone(), &guard)).collect();
        if !delegates.is_empty() {
            tools.extend(self.delegate_tool(
                scope.clone(),
                name,
                depth,
                delegates,
                delegated.clone(),
                &guard,
            ));
        }
        if offer_client_tools {
            tools.extend(client_tools.iter().filter_map(client_tool));
        }
        let builder = AgentBuilder::new(model).name(name.clone()).preamble(preamble);
        let agent =
            if tools.is_empty() { builder.build() } else { builder.dynamic_tools(tools).build() };
        let mut runner = agent
            .prompt(prompt)
            .history(history)
            .max_turns(self.settings.max_turns)
            .add_hook(guard.hook())
            .add_hook(hooks::StopWhenAsking::new(context.asks.clone()));
        if depth == 0 && !client_tools.is_empty() {
            runner = runner.add_hook(hooks::StopOnClientTools::new(
                client_tools.iter().map(|tool| tool.name.clone()).collect(),
            ));
        }
        Ok(Prepared { stream: runner.stream(), delegated })
    }
}
