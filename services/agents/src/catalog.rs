//! The agents file: which agents exist (the router and its specialists), each one's prompt,
//! model and plugins, the MCP servers that become plugins, and the chat models people may
//! choose from. Read from `AGENTS_CONFIG` (YAML) or the built-in default below.
//!
//! ```yaml
//! router: posey
//! agents:
//!   - name: posey
//!     description: The companion people talk to.
//!     prompt: You are Posey, a warm, concise personal companion.
//!     model: ollama:llama3.2          # optional; unset: POSEY_MODEL (or the person's choice)
//!     plugins: [time, profile, memory, documents]
//!     delegates: [timekeeper]         # optional; unset: every other agent, for the router
//! mcp_servers:
//!   - name: files
//!     command: mcp-server-files       # stdio (with args, env), or `url:` for streamable HTTP
//! models:                             # optional: more models people may choose, and profiles
//!   - id: openai:gpt-4o-mini          # POSEY_MODEL's syntax
//!     description: Hosted, fast and capable
//!   - id: local                       # corrects what was derived for a model
//!     profile: {context_tokens: 8192, max_output_tokens: 1024, tools: weak, delegation: false}
//! ```
//!
//! A model's profile (context size, `tools`: `full`, `weak` or `none`, `delegation`) is derived
//! from the model (posey-models' `ModelProfile`); `profile:` here overrides any part of it, on
//! top of `POSEY_MODEL_*` for the default model.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgentsFile {
    /// The agent a conversation talks to unless it names another.
    #[serde(default = "default_router")]
    pub router: String,
    pub agents: Vec<AgentSpec>,
    #[serde(default)]
    pub mcp_servers: Vec<McpServerSpec>,
    /// Chat models people may choose besides `POSEY_MODEL` and the agents' own, and corrections
    /// to any model's derived profile.
    #[serde(default)]
    pub models: Vec<ModelEntry>,
}

/// A chat model people may choose, or whose profile the operator corrects.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// The model in `POSEY_MODEL`'s syntax: `local`, `local:<file>.gguf`, `provider:model`.
    pub id: String,
    /// What people choosing it see.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub profile: posey_models::ProfileOverride,
}

/// One agent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSpec {
    pub name: String,
    /// What it is for: shown in `/v1/agents` and to the router choosing whom to delegate to.
    #[serde(default)]
    pub description: String,
    /// Its system prompt.
    pub prompt: String,
    /// `provider:model` (as `POSEY_MODEL`); unset: `POSEY_MODEL`.
    #[serde(default)]
    pub model: Option<String>,
    /// The plugins whose tools and instructions it gets.
    #[serde(default)]
    pub plugins: Vec<String>,
    /// The agents it may delegate to; unset: every other agent for the router, none otherwise.
    #[serde(default)]
    pub delegates: Option<Vec<String>>,
}

/// An MCP server whose tools become the plugin `name`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct McpServerSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// stdio: the program to start, its arguments and extra environment.
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Streamable HTTP: the server's URL.
    #[serde(default)]
    pub url: Option<String>,
}

fn default_router() -> String {
    "posey".to_owned()
}

const BUILTIN: &str = r#"
router: posey
agents:
  - name: posey
    description: The companion people talk to; answers itself or hands a task to a specialist.
    prompt: >-
      You are Posey, a warm, concise personal companion. Use your tools when they help, and
      hand a task to a specialist when one fits it better.
    plugins: [time, profile, memory, documents]
  - name: timekeeper
    description: Dates, times and time zones, and the person's calendar and to-dos.
    prompt: >-
      You answer questions about dates, times and time zones precisely, using the time tool,
      and keep the person's calendar and to-dos: read the agenda before saying what is on,
      and make, move or cancel events and to-dos when asked.
    plugins: [time, calendar]
  - name: biographer
    description: Remembers and updates what the person told about themselves (name, time zone, preferences).
    prompt: >-
      You keep the person's profile: read it before answering and update it when they tell you
      something new about themselves.
    plugins: [profile]
  - name: bookkeeper
    description: The person's money - accounts and balances, spending by category or payee, transactions, budgets.
    prompt: >-
      You keep the person's books. Look amounts up with your finance tools before answering,
      and quote them exactly as the tools give them, with their currency; never estimate or
      round a figure. Record, find and categorise transactions when asked.
    plugins: [time, finance]
  - name: steward
    description: The person's home - lights, switches, climate, covers, locks and alarms by area, their states, scenes, and watches that tell the person when something changes.
    prompt: >-
      You run the person's home with your home tools: look entities up before acting, say exactly
      what you changed and the state the tool reports, and never claim a lock, door or alarm
      changed unless the tool says so. Unlocking, disarming and opening entrances wait for the
      person's confirmation: tell them it is waiting for their yes.
    plugins: [time, home]
"#;

impl AgentsFile {
    /// The default agents: the `posey` router and its specialists.
    pub fn builtin() -> Self {
        // The text above is a constant checked by the tests; it always parses.
        Self::parse(BUILTIN).unwrap_or_else(|_| Self {
            router: default_router(),
            agents: Vec::new(),
            mcp_servers: Vec::new(),
            models: Vec::new(),
        })
    }

    /// Reads and checks a YAML file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses and checks the names (plugins are checked against the registry at start).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: Self = serde_yaml_ng::from_str(text).context("not a valid agents file")?;
        file.check()?;
        Ok(file)
    }

    fn check(&self) -> anyhow::Result<()> {
        let mut names = BTreeSet::new();
        for agent in &self.agents {
            check_name("agent", &agent.name)?;
            if !names.insert(agent.name.as_str()) {
                bail!("agent {:?} is defined twice", agent.name);
            }
            if agent.prompt.trim().is_empty() {
                bail!("agent {:?} has an empty prompt", agent.name);
            }
        }
        if !names.contains(self.router.as_str()) {
            bail!("the router {:?} is not one of the agents", self.router);
        }
        for agent in &self.agents {
            for delegate in agent.delegates.iter().flatten() {
                if !names.contains(delegate.as_str()) || *delegate == agent.name {
                    bail!("agent {:?} delegates to unknown agent {delegate:?}", agent.name);
                }
            }
        }
        let mut servers = BTreeSet::new();
        for server in &self.mcp_servers {
            check_name("MCP server", &server.name)?;
            if !servers.insert(server.name.as_str()) {
                bail!("MCP server {:?} is defined twice", server.name);
            }
            match (&server.command, &server.url) {
                (Some(_), None) | (None, Some(_)) => {}
                _ => bail!("MCP server {:?} needs exactly one of command or url", server.name),
            }
        }
        let mut models = BTreeSet::new();
        for model in &self.models {
            let id = model.id.trim();
            if id.is_empty() || id != model.id {
                bail!("model id {:?} must be non-empty, without surrounding spaces", model.id);
            }
            if !models.insert(id) {
                bail!("model {id:?} is listed twice");
            }
        }
        Ok(())
    }

    pub fn agent(&self, name: &str) -> Option<&AgentSpec> {
        self.agents.iter().find(|agent| agent.name == name)
    }

    /// Whom `agent` may delegate to.
    pub fn delegates_of(&self, agent: &AgentSpec) -> Vec<&AgentSpec> {
        match &agent.delegates {
            Some(names) => names.iter().filter_map(|name| self.agent(name)).collect(),
            None if agent.name == self.router => {
                self.agents.iter().filter(|other| other.name != agent.name).collect()
            }
            None => Vec::new(),
        }
    }
}

fn check_name(what: &str, name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !ok {
        bail!("{what} name {name:?} must be 1 to 40 of a-z, 0-9, _ and -");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_file_parses() {
        let file = AgentsFile::parse(BUILTIN).unwrap();
        assert_eq!(file.router, "posey");
        let router = file.agent("posey").unwrap();
        let delegates: Vec<_> = file.delegates_of(router).iter().map(|a| a.name.clone()).collect();
        assert_eq!(delegates, ["timekeeper", "biographer", "bookkeeper", "steward"]);
    }

    #[test]
    fn bad_files_are_named() {
        let unknown_router = "router: x\nagents: [{name: a, prompt: p}]";
        assert!(format!("{:#}", AgentsFile::parse(unknown_router).unwrap_err()).contains("router"));
        let twice = "agents: [{name: posey, prompt: p}, {name: posey, prompt: q}]";
        assert!(format!("{:#}", AgentsFile::parse(twice).unwrap_err()).contains("twice"));
        let both = "agents: [{name: posey, prompt: p}]\nmcp_servers: [{name: m}]";
        assert!(format!("{:#}", AgentsFile::parse(both).unwrap_err()).contains("exactly one"));
        let twice = "agents: [{name: posey, prompt: p}]\nmodels: [{id: test}, {id: test}]";
        assert!(format!("{:#}", AgentsFile::parse(twice).unwrap_err()).contains("twice"));
        let bad =
            "agents: [{name: posey, prompt: p}]\nmodels: [{id: test, profile: {tools: some}}]";
        assert!(AgentsFile::parse(bad).is_err());
    }

    #[test]
    fn models_take_a_description_and_profile_corrections() {
        let file = AgentsFile::parse(
            "agents: [{name: posey, prompt: p}]\nmodels:\n  - id: openai:gpt-4o-mini\n    \
             description: Hosted\n  - id: local\n    profile: {context_tokens: 2048, tools: \
             none, delegation: false}",
        )
        .unwrap();
        assert_eq!(file.models[0].description, "Hosted");
        assert!(file.models[0].profile.is_empty());
        let local = &file.models[1].profile;
        assert_eq!(local.context_tokens, Some(2048));
        assert_eq!(local.tools, Some(posey_models::ToolCalling::None));
        assert_eq!(local.delegation, Some(false));
    }
}
