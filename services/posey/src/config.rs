//! The launcher's configuration: every service's variables plus where embedded parts keep
//! their data. Everything is read (and every problem reported) before anything starts.

use std::path::PathBuf;

use posey_config::{ConfigError, DbConfig, Env, PoolSettings, SecretString};

#[derive(Debug, Clone)]
pub struct LauncherConfig {
    /// `POSEY_DATA_DIR`: the embedded parts' data.
    pub data_dir: PathBuf,
    /// `POSTGRES_BIN_DIR`: where initdb/pg_ctl are, when not found by themselves.
    pub pg_bin_dir: Option<PathBuf>,
    /// `DATABASE_URL`: a PostgreSQL server; unset means the embedded cluster.
    pub database_url: Option<SecretString>,
    pub pool: PoolSettings,
    pub auth: posey_auth::Config,
    pub agents: posey_agents::Config,
    pub cron: posey_cron::Config,
    pub gateway: posey_gateway::Config,
}

impl LauncherConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::read(Env::process())
    }

    pub fn read(mut env: Env<'_>) -> Result<Self, ConfigError> {
        let config = Self::read_into(&mut env);
        env.finish(config)
    }

    /// Reads through `env`, recording problems (and the variables read) there.
    pub fn read_into(env: &mut Env<'_>) -> Option<Self> {
        let data_dir = env.optional::<PathBuf>("POSEY_DATA_DIR").or_else(default_data_dir);
        if data_dir.is_none() {
            env.problem("POSEY_DATA_DIR", "no user data directory is known here; set it");
        }
        let pg_bin_dir = env.optional::<PathBuf>("POSTGRES_BIN_DIR");
        let database_url = DbConfig::url_from_env(env);
        let pool = PoolSettings::from_env(env);
        // The services read their own variables now, so that a bad one stops us before any
        // cluster starts; their database is filled in once it is known (`with_database`).
        let pending = DbConfig { url: SecretString::from(String::new()), pool: pool.clone() };
        let auth = posey_auth::Config::read_with_db(env, pending.clone());
        let agents = posey_agents::Config::read_with_db(env, pending.clone());
        let cron = posey_cron::Config::read_with_db(env, pending.clone());
        let gateway = posey_gateway::Config::read_with_db(env, pending);
        let mut cron = cron;
        // In one process the token checkers' defaults follow auth's actual port and issuer
        // (a standalone service can only guess auth's defaults).
        if env.raw("AUTH_JWKS_URL").is_none() {
            let http = &auth.service.http;
            let host =
                if http.host.is_unspecified() { "127.0.0.1".into() } else { http.host.to_string() };
            let host = if host.contains(':') { format!("[{host}]") } else { host };
            if let Ok(url) = format!("http://{host}:{}/.well-known/jwks.json", http.port).parse() {
                cron.tokens.jwks_url = url;
            }
        }
        if env.raw("AUTH_ISSUER").is_none() {
            cron.tokens.issuer = auth.auth.issuer.clone();
        }
        data_dir.map(|data_dir| Self {
            data_dir,
            pg_bin_dir,
            database_url,
            pool,
            auth,
            agents,
            cron,
            gateway,
        })
    }

    /// Points every service at the database that was chosen.
    pub fn with_database(mut self, db: &DbConfig) -> Self {
        self.auth.service.db = db.clone();
        self.agents.service.db = db.clone();
        self.cron.service.db = db.clone();
        self.gateway.service.db = db.clone();
        self
    }
}

/// The user's data directory + `posey`; `/var/lib/posey` for root, whose home the unprivileged
/// account that runs PostgreSQL cannot enter.
fn default_data_dir() -> Option<PathBuf> {
    if nix::unistd::geteuid().is_root() {
        Some(PathBuf::from("/var/lib/posey"))
    } else {
        dirs::data_dir().map(|d| d.join("posey"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_variable_is_reported_at_once() {
        let env = Env::from_pairs([
            ("POSEY_DATA_DIR", "/tmp/x"),
            ("AUTH_PORT", "ninety"),
            ("GATEWAY_PORT", "70000"),
            ("DATABASE_URL", "mysql://nope"),
            ("QDRANT_URL", "qdrant:6333"),
        ]);
        let err = LauncherConfig::read(env).unwrap_err();
        let vars: Vec<_> = err.problems.iter().map(|p| p.variable.as_str()).collect();
        assert_eq!(vars, ["DATABASE_URL", "AUTH_PORT", "QDRANT_URL", "GATEWAY_PORT"]);
    }

    #[test]
    fn token_checkers_follow_auths_port_and_issuer() {
        let env = Env::from_pairs([("POSEY_DATA_DIR", "/tmp/x"), ("AUTH_PORT", "19000")]);
        let config = LauncherConfig::read(env).unwrap();
        assert_eq!(
            config.cron.tokens.jwks_url.as_str(),
            "http://127.0.0.1:19000/.well-known/jwks.json"
        );
        assert_eq!(config.cron.tokens.issuer, config.auth.auth.issuer);
        assert_eq!(config.cron.tokens.issuer, "http://localhost:19000");

        let env = Env::from_pairs([
            ("POSEY_DATA_DIR", "/tmp/x"),
            ("AUTH_JWKS_URL", "https://auth.example/.well-known/jwks.json"),
            ("AUTH_ISSUER", "https://auth.example"),
        ]);
        let config = LauncherConfig::read(env).unwrap();
        assert_eq!(config.cron.tokens.issuer, "https://auth.example");
        assert_eq!(config.cron.tokens.jwks_url.host_str(), Some("auth.example"));
    }

    #[test]
    fn defaults_give_the_documented_ports_and_no_database_url() {
        let env = Env::from_pairs([("POSEY_DATA_DIR", "/tmp/x")]);
        let config = LauncherConfig::read(env).unwrap();
        assert!(config.database_url.is_none());
        let ports = [
            config.auth.service.http.port,
            config.agents.service.http.port,
            config.gateway.service.http.port,
            config.cron.service.http.port,
        ];
        assert_eq!(ports, [9000, 8000, 8080, 8090]);
    }
}
