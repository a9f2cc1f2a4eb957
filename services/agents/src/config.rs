//! The agents service's configuration, from the environment (see `.env.example`).

use posey_config::{ConfigError, DbConfig, Env, ServiceConfig, TokenVerification};

use crate::knowledge::KnowledgeConfig;
use crate::runtime::catalog::AgentsFile;

#[derive(Debug, Clone)]
pub struct Config {
    pub service: ServiceConfig,
    /// A Qdrant server for vectors; unset means the embedded Qdrant Edge.
    pub qdrant_url: Option<url::Url>,
    /// Checking the access tokens of the API's callers.
    pub tokens: TokenVerification,
    pub runtime: RuntimeSettings,
    /// The agents, their models and plugins, and the MCP servers (`AGENTS_CONFIG`, or the
    /// built-in default).
    pub agents: AgentsFile,
    /// `CRON_URL`: the cron service, for the `schedule` plugin (unset: no such plugin).
    pub cron_url: Option<url::Url>,
    /// The embedding model and the vector store memory and documents search with.
    pub knowledge: KnowledgeConfig,
    /// `AGENTS_MAX_UPLOAD_BYTES`: the largest document a person may upload.
    pub max_upload_bytes: usize,
}

/// How turns run, and how much a person may use per day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeSettings {
    /// `POSEY_MODEL`: the model every agent uses unless its configuration names another.
    pub default_model: String,
    /// Model calls one agent may make in one turn (each tool round is one more).
    pub max_turns: usize,
    /// How deep delegation may nest (the router is depth 0).
    pub max_delegation_depth: usize,
    /// Requests (turns) per person per UTC day; 0: unlimited.
    pub daily_requests: u64,
    /// Tokens (input + output) per person per UTC day; 0: unlimited.
    pub daily_tokens: u64,
    /// `AGENTS_MEMORY_MODEL`: the model that extracts memories after each turn; unset:
    /// `POSEY_MODEL`.
    pub memory_model: String,
}

impl Config {
    pub const PORT_VAR: &str = "AGENTS_PORT";
    pub const DEFAULT_PORT: u16 = 8000;

    /// Standalone: every variable from the process environment; `DATABASE_URL` required.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut env = Env::process();
        let config = Self::read(&mut env);
        env.finish(config)
    }

    /// Reads through `env`, recording problems there.
    pub fn read(env: &mut Env<'_>) -> Option<Self> {
        let service = ServiceConfig::from_env(env, Self::PORT_VAR, Self::DEFAULT_PORT);
        let rest = Rest::read(env);
        service.map(|service| rest.with(service))
    }

    /// Uses the cron service at `url` (the launcher's, in one process) as `CRON_URL` does.
    pub fn use_cron(&mut self, url: url::Url) {
        if self.cron_url.is_none() && self.agents == AgentsFile::builtin() {
            let router = self.agents.router.clone();
            self.agents
                .agents
                .iter_mut()
                .filter(|agent| agent.name == router)
                .for_each(|agent| agent.plugins.push("schedule".to_owned()));
        }
        self.cron_url = Some(url);
    }

    /// With the database the caller chose (the launcher's embedded cluster, say).
    pub fn read_with_db(env: &mut Env<'_>, db: DbConfig) -> Self {
        let service = ServiceConfig::with_db(env, Self::PORT_VAR, Self::DEFAULT_PORT, db);
        Rest::read(env).with(service)
    }
}

/// Everything but the service's own connection settings.
struct Rest {
    qdrant_url: Option<url::Url>,
    tokens: TokenVerification,
    runtime: RuntimeSettings,
    agents: AgentsFile,
    cron_url: Option<url::Url>,
    knowledge: KnowledgeConfig,
    max_upload_bytes: usize,
}

impl Rest {
    fn read(env: &mut Env<'_>) -> Self {
        let qdrant_url = env.url("QDRANT_URL", &["http", "https"]);
        let tokens = TokenVerification::from_env(env);
        let default_model = env.raw("POSEY_MODEL").unwrap_or_else(|| "local".to_owned());
        let max_turns = env.or("AGENTS_MAX_TURNS", 8usize);
        if max_turns == 0 {
            env.problem("AGENTS_MAX_TURNS", "must be at least 1");
        }
        let max_delegation_depth = env.or("AGENTS_MAX_DELEGATION_DEPTH", 2usize);
        let daily_requests = env.or("AGENTS_DAILY_REQUESTS", 1_000u64);
        let daily_tokens = env.or("AGENTS_DAILY_TOKENS", 2_000_000u64);
        let memory_model = env.raw("AGENTS_MEMORY_MODEL").unwrap_or_else(|| default_model.clone());
        let cron_url = env.url("CRON_URL", &["http", "https"]);
        let agents = match env.raw("AGENTS_CONFIG") {
            None => AgentsFile::builtin(),
            Some(path) => match AgentsFile::load(std::path::Path::new(path.trim())) {
                Ok(file) => file,
                Err(error) => {
                    env.problem("AGENTS_CONFIG", format!("{error:#}"));
                    AgentsFile::builtin()
                }
            },
        };
        let runtime = RuntimeSettings {
            default_model,
            max_turns: max_turns.max(1),
            max_delegation_depth,
            daily_requests,
            daily_tokens,
            memory_model,
        };
        let knowledge = KnowledgeConfig::read(env, qdrant_url.clone());
        let max_upload_bytes = env.or("AGENTS_MAX_UPLOAD_BYTES", 20 * 1024 * 1024usize);
        if max_upload_bytes == 0 {
            env.problem("AGENTS_MAX_UPLOAD_BYTES", "must be at least 1");
        }
        let mut rest = Self {
            qdrant_url,
            tokens,
            runtime,
            agents,
            cron_url: None,
            knowledge,
            max_upload_bytes,
        };
        if let Some(url) = cron_url {
            rest.use_cron(url);
        }
        rest
    }

    fn use_cron(&mut self, url: url::Url) {
        // The built-in router schedules when there is a cron service to do it; an agents file
        // names the `schedule` plugin itself.
        if self.agents == AgentsFile::builtin() {
            let router = self.agents.router.clone();
            self.agents
                .agents
                .iter_mut()
                .filter(|agent| agent.name == router)
                .for_each(|agent| agent.plugins.push("schedule".to_owned()));
        }
        self.cron_url = Some(url);
    }

    fn with(self, service: ServiceConfig) -> Config {
        Config {
            service,
            qdrant_url: self.qdrant_url,
            tokens: self.tokens,
            runtime: self.runtime,
            agents: self.agents,
            cron_url: self.cron_url,
            knowledge: self.knowledge,
            max_upload_bytes: self.max_upload_bytes,
        }
    }
}
