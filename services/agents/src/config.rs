//! The agents service's configuration, from the environment (see `.env.example`).

use posey_calendar_plugin::{CalendarSettings, SubscriptionSettings};
use posey_config::{DbConfig, Env, ServiceConfig, TokenVerification};
use posey_home_plugin::{HomeSettings, SealKey};
use posey_http::destination::DestinationPolicy;

use crate::catalog::AgentsFile;
use crate::documents::extract::Limits;
use crate::knowledge::KnowledgeConfig;

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
    /// `AUTH_URL`: the auth service, where calendar apps' app passwords (HTTP Basic) are
    /// checked (unset: they sign in with access tokens only).
    pub auth_url: Option<url::Url>,
    /// `AGENTS_SERVICE_CLIENT_ID` / `_SECRET`: the service's own client at auth, which it hands
    /// people's notices to cron with (calendar alarms). Unset: notices wait undelivered.
    pub service_client: Option<ServiceClientSettings>,
    /// Calendar subscriptions: where their feeds may be fetched from besides the public
    /// internet (`CALENDAR_SUBSCRIPTION_ALLOW`), and how often due ones are looked for
    /// (`CALENDAR_SUBSCRIPTION_POLL_SECS`).
    pub calendar_subscriptions: SubscriptionSettings,
    /// The home plugin: the instance's MQTT broker (`MQTT_URL`), the key that seals Home
    /// Assistant tokens (`HOME_SEAL_KEY`) and how long states are kept (`HOME_HISTORY_DAYS`).
    pub home: HomeSettings,
    /// The embedding model and the vector store memory and documents search with.
    pub knowledge: KnowledgeConfig,
    /// Documents: uploads, the ingestion workers and the limits on reading a file.
    pub documents: DocumentSettings,
    /// Where chat models come from besides their specs, and how a weak one's tools are chosen.
    pub models: ModelSettings,
}

/// The agents service's client at auth (client-credentials grant).
#[derive(Debug, Clone)]
pub struct ServiceClientSettings {
    pub client_id: String,
    pub client_secret: posey_config::SecretString,
}

impl ServiceClientSettings {
    pub const ID_VAR: &str = "AGENTS_SERVICE_CLIENT_ID";
    pub const SECRET_VAR: &str = "AGENTS_SERVICE_CLIENT_SECRET";

    /// Both variables, else `None`: an id without its secret (compose names the id by default)
    /// leaves notices undelivered, which the service logs at start.
    fn read(env: &mut Env<'_>) -> Option<Self> {
        let client_id =
            env.raw(Self::ID_VAR).map(|id| id.trim().to_owned()).filter(|id| !id.is_empty());
        let secret = env.raw(Self::SECRET_VAR).filter(|secret| !secret.trim().is_empty());
        let (client_id, secret) = (client_id?, secret?);
        Some(Self {
            client_id,
            client_secret: posey_config::SecretString::from(secret.trim().to_owned()),
        })
    }
}

/// What the model catalog needs beyond the specs: how local GGUFs run, where more of them may
/// be dropped, the operator's view of the default model, and how tools are chosen for a model
/// that calls them weakly.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSettings {
    /// `POSEY_LOCAL_MODEL`, `_CONTEXT_TOKENS`, `_THREADS`: the `local` model, and how every
    /// `local:<file>` GGUF runs. `None`: no data directory is known and no path is set.
    pub local: Option<posey_models::LocalModelConfig>,
    /// `<POSEY_DATA_DIR>/models`: every GGUF in it may be chosen as `local:<file>`.
    pub models_dir: Option<std::path::PathBuf>,
    /// `POSEY_MODEL_CONTEXT_TOKENS`, `_MAX_OUTPUT_TOKENS`, `_TOOLS`, `_DELEGATION`: corrections
    /// to the default model's derived profile.
    pub default_profile: posey_models::ProfileOverride,
    /// `AGENTS_TOOL_MIN_SIMILARITY`: how close (cosine, -1 to 1) a tool's description must be
    /// to the message for a weak model to be offered it.
    pub tool_min_similarity: f32,
    /// `AGENTS_TOOLS_PER_MESSAGE`: the most tools a weak model is offered for one message.
    pub tools_per_message: usize,
    /// `AGENTS_MAX_EXTRA_MODELS`: the most models loaded on first use (GGUFs people chose, say)
    /// kept loaded at once, besides those the service loads at start.
    pub max_extra_models: usize,
}

impl ModelSettings {
    /// The defaults, tuned on the local all-MiniLM-L6-v2 (see `runtime::selection`).
    pub const DEFAULT_TOOL_MIN_SIMILARITY: f32 = 0.3;
    pub const DEFAULT_TOOLS_PER_MESSAGE: usize = 2;
    pub const DEFAULT_MAX_EXTRA_MODELS: usize = 2;

    fn read(env: &mut Env<'_>) -> Self {
        let local = posey_models::LocalModelConfig::from_env(env);
        let models_dir = posey_config::data_dir(env).map(|dir| dir.join("models"));
        let default_profile = posey_models::ProfileOverride::from_env(env);
        let tool_min_similarity =
            env.or("AGENTS_TOOL_MIN_SIMILARITY", Self::DEFAULT_TOOL_MIN_SIMILARITY);
        if !(-1.0..=1.0).contains(&tool_min_similarity) {
            env.problem("AGENTS_TOOL_MIN_SIMILARITY", "must be between -1 and 1");
        }
        let tools_per_message = env.or("AGENTS_TOOLS_PER_MESSAGE", Self::DEFAULT_TOOLS_PER_MESSAGE);
        let max_extra_models = env.or("AGENTS_MAX_EXTRA_MODELS", Self::DEFAULT_MAX_EXTRA_MODELS);
        if max_extra_models == 0 {
            env.problem("AGENTS_MAX_EXTRA_MODELS", "must be at least 1");
        }
        Self {
            local,
            models_dir,
            default_profile,
            tool_min_similarity,
            tools_per_message,
            max_extra_models: max_extra_models.max(1),
        }
    }
}

/// How documents are taken in. Every file is untrusted: it is read in a child process with
/// its own memory and time, and what it may inflate to, its text and its chunks are bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSettings {
    /// `AGENTS_MAX_UPLOAD_BYTES`: the largest document a person may upload.
    pub max_upload_bytes: usize,
    /// `AGENTS_DOCUMENTS_QUOTA_BYTES`: what a person's stored documents may add up to.
    pub quota_bytes: u64,
    /// `AGENTS_DOCUMENT_WORKERS`: documents ingested at once.
    pub workers: usize,
    /// `AGENTS_DOCUMENT_MAX_QUEUED`: a person's documents waiting or being ingested at once.
    pub max_queued: usize,
    /// `AGENTS_DOCUMENT_EXTRACTOR`: the program run to read a file (`posey` or
    /// `posey-agents`); unset: this program.
    pub extractor: Option<std::path::PathBuf>,
    /// `AGENTS_DOCUMENT_MAX_MEMORY_MB`: the address space of the process reading one file.
    pub max_memory_mb: u64,
    /// `AGENTS_DOCUMENT_EXTRACT_TIMEOUT_SECS`: how long reading one file may take.
    pub extract_timeout: std::time::Duration,
    /// `AGENTS_DOCUMENT_MAX_INFLATED_BYTES`, `_MAX_TEXT_BYTES`, `_MAX_CHUNKS`.
    pub limits: Limits,
}

/// The defaults; `.env.example` says why each is what it is.
impl Default for DocumentSettings {
    fn default() -> Self {
        Self {
            max_upload_bytes: 20 * 1024 * 1024,
            quota_bytes: 2 * 1024 * 1024 * 1024,
            workers: 2,
            max_queued: 20,
            extractor: None,
            max_memory_mb: 1024,
            extract_timeout: std::time::Duration::from_secs(60),
            limits: Limits::default(),
        }
    }
}

impl DocumentSettings {
    fn read(env: &mut Env<'_>) -> Self {
        let defaults = Self::default();
        fn positive(env: &mut Env<'_>, name: &str, default: u64) -> u64 {
            let value = env.or(name, default);
            if value == 0 {
                env.problem(name, "must be at least 1");
            }
            value.max(1)
        }
        let max_upload_bytes =
            positive(env, "AGENTS_MAX_UPLOAD_BYTES", defaults.max_upload_bytes as u64) as usize;
        let quota_bytes = positive(env, "AGENTS_DOCUMENTS_QUOTA_BYTES", defaults.quota_bytes);
        let workers = positive(env, "AGENTS_DOCUMENT_WORKERS", defaults.workers as u64) as usize;
        let max_queued =
            positive(env, "AGENTS_DOCUMENT_MAX_QUEUED", defaults.max_queued as u64) as usize;
        let max_memory_mb = positive(env, "AGENTS_DOCUMENT_MAX_MEMORY_MB", defaults.max_memory_mb);
        let extract_timeout = std::time::Duration::from_secs(positive(
            env,
            "AGENTS_DOCUMENT_EXTRACT_TIMEOUT_SECS",
            defaults.extract_timeout.as_secs(),
        ));
        let limits = Limits {
            max_inflated_bytes: positive(
                env,
                "AGENTS_DOCUMENT_MAX_INFLATED_BYTES",
                defaults.limits.max_inflated_bytes,
            ),
            max_text_bytes: positive(
                env,
                "AGENTS_DOCUMENT_MAX_TEXT_BYTES",
                defaults.limits.max_text_bytes,
            ),
            max_chunks: positive(
                env,
                "AGENTS_DOCUMENT_MAX_CHUNKS",
                defaults.limits.max_chunks as u64,
            ) as usize,
        };
        let extractor = env.raw("AGENTS_DOCUMENT_EXTRACTOR").map(std::path::PathBuf::from);
        Self {
            max_upload_bytes,
            quota_bytes,
            workers,
            max_queued,
            extractor,
            max_memory_mb,
            extract_timeout,
            limits,
        }
    }
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
    /// `AGENTS_SHUTDOWN_GRACE_SECS`: how long turns in progress may go on once the service is
    /// told to stop; then their models are cancelled and each stores what it has, marked
    /// interrupted.
    pub shutdown_grace: std::time::Duration,
    /// `AGENTS_EXPLICIT_COMMANDS` (default true): a message that is only "remind me to … at …"
    /// or "remember that …" is carried out without the model (`runtime::commands`).
    pub explicit_commands: bool,
}

impl Config {
    pub const PORT_VAR: &str = "AGENTS_PORT";
    pub const DEFAULT_PORT: u16 = 8000;

    /// Reads through `env`, recording problems there.
    pub fn read(env: &mut Env<'_>) -> Option<Self> {
        let service = ServiceConfig::from_env(env, Self::PORT_VAR, Self::DEFAULT_PORT);
        let rest = Rest::read(env);
        service.map(|service| rest.with(service))
    }

    /// Uses the cron service at `url` (the launcher's, in one process) as `CRON_URL` does.
    pub fn use_cron(&mut self, url: url::Url) {
        if self.cron_url.is_none() {
            schedule_on_the_builtin_router(&mut self.agents);
        }
        self.cron_url = Some(url);
    }

    /// With the database the caller chose (the launcher's embedded cluster, say).
    pub fn read_with_db(env: &mut Env<'_>, db: DbConfig) -> Self {
        let service = ServiceConfig::with_db(env, Self::PORT_VAR, Self::DEFAULT_PORT, db);
        Rest::read(env).with(service)
    }

    /// What the calendar plugin is made with.
    pub fn calendar_settings(&self) -> CalendarSettings {
        CalendarSettings {
            auth_url: self.auth_url.clone(),
            subscriptions: self.calendar_subscriptions.clone(),
        }
    }
}

/// The built-in router schedules when there is a cron service to do it (the `schedule`
/// plugin); an agents file names the plugin itself.
fn schedule_on_the_builtin_router(agents: &mut AgentsFile) {
    if *agents == AgentsFile::builtin() {
        let router = agents.router.clone();
        agents
            .agents
            .iter_mut()
            .filter(|agent| agent.name == router)
            .for_each(|agent| agent.plugins.push("schedule".to_owned()));
    }
}

/// Everything but the service's own connection settings.
struct Rest {
    qdrant_url: Option<url::Url>,
    tokens: TokenVerification,
    runtime: RuntimeSettings,
    agents: AgentsFile,
    cron_url: Option<url::Url>,
    auth_url: Option<url::Url>,
    service_client: Option<ServiceClientSettings>,
    calendar_subscriptions: SubscriptionSettings,
    home: HomeSettings,
    knowledge: KnowledgeConfig,
    documents: DocumentSettings,
    models: ModelSettings,
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
        let shutdown_grace =
            std::time::Duration::from_secs(env.or("AGENTS_SHUTDOWN_GRACE_SECS", 5u64));
        let cron_url = env.url("CRON_URL", &["http", "https"]);
        let auth_url = env.url("AUTH_URL", &["http", "https"]);
        let service_client = ServiceClientSettings::read(env);
        let calendar_subscriptions = read_calendar_subscriptions(env);
        let home = read_home(env);
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
            shutdown_grace,
            explicit_commands: env.or("AGENTS_EXPLICIT_COMMANDS", true),
        };
        let knowledge = KnowledgeConfig::read(env, qdrant_url.clone());
        let documents = DocumentSettings::read(env);
        let models = ModelSettings::read(env);
        let mut rest = Self {
            qdrant_url,
            tokens,
            runtime,
            agents,
            cron_url: None,
            auth_url,
            service_client,
            calendar_subscriptions,
            home,
            knowledge,
            documents,
            models,
        };
        if let Some(url) = cron_url {
            rest.use_cron(url);
        }
        rest
    }

    fn use_cron(&mut self, url: url::Url) {
        schedule_on_the_builtin_router(&mut self.agents);
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
            auth_url: self.auth_url,
            service_client: self.service_client,
            calendar_subscriptions: self.calendar_subscriptions,
            home: self.home,
            knowledge: self.knowledge,
            documents: self.documents,
            models: self.models,
        }
    }
}

/// `MQTT_URL`, `HOME_SEAL_KEY` (32 bytes, base64) and `HOME_HISTORY_DAYS`.
fn read_home(env: &mut Env<'_>) -> HomeSettings {
    let mut home = HomeSettings::default();
    if let Some(url) = env.raw("MQTT_URL").filter(|url| !url.trim().is_empty()) {
        match posey_home_plugin::mqtt::BrokerUrl::parse(&url) {
            Ok(url) => home.broker = Some(url),
            Err(error) => env.problem("MQTT_URL", error.to_string()),
        }
    }
    if let Some(key) = env.raw("HOME_SEAL_KEY").filter(|key| !key.trim().is_empty()) {
        match SealKey::parse(&key) {
            Ok(key) => home.seal_key = Some(key),
            Err(error) => env.problem("HOME_SEAL_KEY", format!("{error:#}")),
        }
    }
    home.history_days = env.or("HOME_HISTORY_DAYS", HomeSettings::DEFAULT_HISTORY_DAYS);
    if home.history_days == 0 {
        env.problem("HOME_HISTORY_DAYS", "must be at least 1");
    }
    home
}

/// `CALENDAR_SUBSCRIPTION_ALLOW` (in `CRON_WEBHOOK_ALLOW`'s syntax; unset: public addresses
/// only) and `CALENDAR_SUBSCRIPTION_POLL_SECS`.
fn read_calendar_subscriptions(env: &mut Env<'_>) -> SubscriptionSettings {
    let defaults = SubscriptionSettings::default();
    let var = "CALENDAR_SUBSCRIPTION_ALLOW";
    let allow =
        DestinationPolicy::parse(&env.raw(var).unwrap_or_default()).unwrap_or_else(|message| {
            env.problem(var, message);
            DestinationPolicy::deny_private()
        });
    let poll = env.seconds("CALENDAR_SUBSCRIPTION_POLL_SECS", defaults.poll);
    if poll.is_zero() {
        env.problem("CALENDAR_SUBSCRIPTION_POLL_SECS", "must be at least 1");
    }
    SubscriptionSettings { allow, poll: poll.max(std::time::Duration::from_secs(1)) }
}

impl posey_http::ServiceConfig for Config {
    fn read_env(env: &mut Env<'_>) -> Option<Self> {
        Self::read(env)
    }

    fn common(&self) -> &posey_config::ServiceConfig {
        &self.service
    }
}
