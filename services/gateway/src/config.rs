//! The gateway service's configuration, from the environment (see `.env.example`).

use posey_config::{ConfigError, DbConfig, Env, ServiceConfig};

#[derive(Debug, Clone)]
pub struct Config {
    pub service: ServiceConfig,
}

impl Config {
    pub const PORT_VAR: &str = "GATEWAY_PORT";
    pub const DEFAULT_PORT: u16 = 8080;

    /// Standalone: every variable from the process environment; `DATABASE_URL` required.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut env = Env::process();
        let config = Self::read(&mut env);
        env.finish(config)
    }

    /// Reads through `env`, recording problems there.
    pub fn read(env: &mut Env<'_>) -> Option<Self> {
        let service = ServiceConfig::from_env(env, Self::PORT_VAR, Self::DEFAULT_PORT);
        service.map(|service| Self { service })
    }

    /// With the database the caller chose (the launcher's embedded cluster, say).
    pub fn read_with_db(env: &mut Env<'_>, db: DbConfig) -> Self {
        let service = ServiceConfig::with_db(env, Self::PORT_VAR, Self::DEFAULT_PORT, db);
        Self { service }
    }
}
