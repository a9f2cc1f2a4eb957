//! The cron service's configuration, from the environment (see `.env.example`).

use std::time::Duration;

use posey_config::{ConfigError, DbConfig, Env, ServiceConfig, TokenVerification};

#[derive(Debug, Clone)]
pub struct Config {
    pub service: ServiceConfig,
    /// Checking the access tokens of the REST API's callers.
    pub tokens: TokenVerification,
    pub scheduler: SchedulerSettings,
}

/// How this replica dispatches and runs jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerSettings {
    /// How often the dispatcher looks for due tasks and ready runs.
    pub poll_interval: Duration,
    /// Jobs this replica runs at once.
    pub workers: usize,
    /// How long a worker's claim on a run lasts without a heartbeat; a run whose worker died is
    /// taken over after this.
    pub lease: Duration,
    /// Whether this replica dispatches and runs jobs at all (an API-only replica sets false).
    pub enabled: bool,
}

impl Config {
    pub const PORT_VAR: &str = "CRON_PORT";
    pub const DEFAULT_PORT: u16 = 8090;

    /// Standalone: every variable from the process environment; `DATABASE_URL` required.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut env = Env::process();
        let config = Self::read(&mut env);
        env.finish(config)
    }

    /// Reads through `env`, recording problems there.
    pub fn read(env: &mut Env<'_>) -> Option<Self> {
        let service = ServiceConfig::from_env(env, Self::PORT_VAR, Self::DEFAULT_PORT);
        let rest = Self::read_rest(env);
        service.map(|service| Self { service, tokens: rest.0, scheduler: rest.1 })
    }

    /// With the database the caller chose (the launcher's embedded cluster, say).
    pub fn read_with_db(env: &mut Env<'_>, db: DbConfig) -> Self {
        let service = ServiceConfig::with_db(env, Self::PORT_VAR, Self::DEFAULT_PORT, db);
        let (tokens, scheduler) = Self::read_rest(env);
        Self { service, tokens, scheduler }
    }

    fn read_rest(env: &mut Env<'_>) -> (TokenVerification, SchedulerSettings) {
        let tokens = TokenVerification::from_env(env);
        let poll_ms = env.or("CRON_POLL_INTERVAL_MS", 500u64);
        let workers = env.or("CRON_WORKERS", 8usize);
        let lease = env.seconds("CRON_LEASE_SECONDS", Duration::from_secs(30));
        let enabled = env.or("CRON_SCHEDULER_ENABLED", true);
        if poll_ms == 0 {
            env.problem("CRON_POLL_INTERVAL_MS", "must be at least 1");
        }
        if workers == 0 {
            env.problem("CRON_WORKERS", "must be at least 1");
        }
        if lease < Duration::from_secs(2) {
            env.problem("CRON_LEASE_SECONDS", "must be at least 2");
        }
        let scheduler = SchedulerSettings {
            poll_interval: Duration::from_millis(poll_ms.max(1)),
            workers: workers.max(1),
            lease,
            enabled,
        };
        (tokens, scheduler)
    }
}
