//! The gateway service's configuration, from the environment (see `.env.example`).

use std::path::PathBuf;
use std::time::Duration;

use posey_config::{DbConfig, Env, ExposeSecret, SecretString, ServiceConfig, TokenVerification};

#[derive(Debug, Clone)]
pub struct Config {
    pub service: ServiceConfig,
    /// Checking the access tokens of callers.
    pub tokens: TokenVerification,
    pub engine: EngineSettings,
    pub limits: Limits,
}

/// What the engine exposes and how it keeps up with the database and the metadata.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// `GATEWAY_SCHEMAS`: the Postgres schemas whose tables are tracked. Tables of the first keep
    /// their bare names; the others are prefixed `schema_` (Hasura's convention).
    pub schemas: Vec<String>,
    /// `GATEWAY_METADATA`: the permissions file; unset: the default metadata built into the binary.
    pub metadata_path: Option<PathBuf>,
    /// `GATEWAY_ADMIN_SECRET`: the `x-hasura-admin-secret` operators send; unset: no admin access.
    pub admin_secret: Option<SecretString>,
    /// `GATEWAY_UNAUTHORIZED_ROLE`: the role of requests without a token; unset: they are refused.
    pub unauthorized_role: Option<String>,
    /// `GATEWAY_RELOAD_INTERVAL_MS`: how often the database schema and the metadata file are
    /// checked for changes.
    pub reload_interval: Duration,
    /// `GATEWAY_SUBSCRIPTION_INTERVAL_MS`: how often a live query is polled.
    pub subscription_interval: Duration,
    /// `GATEWAY_ROLE_INTROSPECTION`: let non-admin roles introspect their own schema.
    pub role_introspection: bool,
}

/// Limits applied to every request of a non-admin role.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `GATEWAY_MAX_DEPTH`: the deepest selection.
    pub max_depth: usize,
    /// `GATEWAY_MAX_COST`: fields counted, multiplied by each list's limit.
    pub max_cost: u64,
    /// `GATEWAY_MAX_ROWS`: a cap on the rows of any list for non-admin roles (a role's own
    /// `limit` may be lower).
    pub max_rows: u64,
    /// `GATEWAY_MAX_BATCH`: operations in one batched request.
    pub max_batch: usize,
    /// `GATEWAY_MAX_BODY_BYTES`: request body size.
    pub max_body_bytes: usize,
    /// `GATEWAY_STATEMENT_TIMEOUT_MS`: Postgres `statement_timeout` of the engine's connections.
    pub statement_timeout: Duration,
    /// `GATEWAY_MAX_NESTING`: how deep a request may nest (brackets in the query text, levels of
    /// a variable's JSON, selections with fragments expanded). Checked before anything recurses
    /// over the request, for every role: it is what keeps the stack safe.
    pub max_nesting: usize,
    /// `GATEWAY_MAX_QUERY_BYTES`: the GraphQL query text of one operation.
    pub max_query_bytes: usize,
    /// `GATEWAY_MAX_NODES`: fields and argument values of one operation once its fragments and
    /// variables are expanded, for every role (a wide query costs like a deep one).
    pub max_nodes: u64,
}

/// The defaults of the `GATEWAY_*` limits, as `.env.example` documents them.
impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 10,
            max_cost: 100_000,
            max_rows: 10_000,
            max_batch: 10,
            max_body_bytes: 1024 * 1024,
            statement_timeout: Duration::from_secs(10),
            max_nesting: 64,
            max_query_bytes: 128 * 1024,
            max_nodes: 50_000,
        }
    }
}

/// The highest `GATEWAY_MAX_NESTING` accepted: parsing and compiling recurse once per level,
/// and this many levels stay far inside a 2 MiB thread stack.
pub const NESTING_CEILING: usize = 256;

impl Config {
    pub const PORT_VAR: &str = "GATEWAY_PORT";
    pub const DEFAULT_PORT: u16 = 8080;

    /// Reads through `env`, recording problems there.
    pub fn read(env: &mut Env<'_>) -> Option<Self> {
        let service = ServiceConfig::from_env(env, Self::PORT_VAR, Self::DEFAULT_PORT);
        let (tokens, engine, limits) = Self::read_rest(env);
        service.map(|service| Self { service, tokens, engine, limits })
    }

    /// With the database the caller chose (the launcher's embedded cluster, say).
    pub fn read_with_db(env: &mut Env<'_>, db: DbConfig) -> Self {
        let service = ServiceConfig::with_db(env, Self::PORT_VAR, Self::DEFAULT_PORT, db);
        let (tokens, engine, limits) = Self::read_rest(env);
        Self { service, tokens, engine, limits }
    }

    fn read_rest(env: &mut Env<'_>) -> (TokenVerification, EngineSettings, Limits) {
        let tokens = TokenVerification::from_env(env);
        let schemas: Vec<String> = env
            .raw("GATEWAY_SCHEMAS")
            .unwrap_or_else(|| "app,cron,calendar,finance,home".into())
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if schemas.is_empty() {
            env.problem("GATEWAY_SCHEMAS", "must name at least one schema");
        }
        if schemas.iter().any(|s| !is_identifier(s)) {
            env.problem("GATEWAY_SCHEMAS", "schema names are letters, digits and underscores");
        }
        let metadata_path =
            env.raw("GATEWAY_METADATA").filter(|p| !p.is_empty()).map(PathBuf::from);
        let admin_secret = env.secret("GATEWAY_ADMIN_SECRET");
        if admin_secret.as_ref().is_some_and(|s| s.expose_secret().len() < 16) {
            env.problem("GATEWAY_ADMIN_SECRET", "must be at least 16 characters");
        }
        let unauthorized_role = env.raw("GATEWAY_UNAUTHORIZED_ROLE").filter(|r| !r.is_empty());
        let reload_ms = env.or("GATEWAY_RELOAD_INTERVAL_MS", 2000u64);
        let subscription_ms = env.or("GATEWAY_SUBSCRIPTION_INTERVAL_MS", 1000u64);
        let role_introspection = env.or("GATEWAY_ROLE_INTROSPECTION", false);
        let defaults = Limits::default();
        let limits =
            Limits {
                max_depth: env.or("GATEWAY_MAX_DEPTH", defaults.max_depth),
                max_cost: env.or("GATEWAY_MAX_COST", defaults.max_cost),
                max_rows: env.or("GATEWAY_MAX_ROWS", defaults.max_rows),
                max_batch: env.or("GATEWAY_MAX_BATCH", defaults.max_batch),
                max_body_bytes: env.or("GATEWAY_MAX_BODY_BYTES", defaults.max_body_bytes),
                statement_timeout: Duration::from_millis(env.or(
                    "GATEWAY_STATEMENT_TIMEOUT_MS",
                    defaults.statement_timeout.as_millis() as u64,
                )),
                max_nesting: env.or("GATEWAY_MAX_NESTING", defaults.max_nesting),
                max_query_bytes: env.or("GATEWAY_MAX_QUERY_BYTES", defaults.max_query_bytes),
                max_nodes: env.or("GATEWAY_MAX_NODES", defaults.max_nodes),
            };
        if limits.max_nesting > NESTING_CEILING {
            env.problem(
                "GATEWAY_MAX_NESTING",
                format!("must be at most {NESTING_CEILING} (deeper requests risk the stack)"),
            );
        }
        for (name, zero) in [
            ("GATEWAY_RELOAD_INTERVAL_MS", reload_ms == 0),
            ("GATEWAY_SUBSCRIPTION_INTERVAL_MS", subscription_ms == 0),
            ("GATEWAY_MAX_DEPTH", limits.max_depth == 0),
            ("GATEWAY_MAX_COST", limits.max_cost == 0),
            ("GATEWAY_MAX_ROWS", limits.max_rows == 0),
            ("GATEWAY_MAX_BATCH", limits.max_batch == 0),
            ("GATEWAY_MAX_BODY_BYTES", limits.max_body_bytes == 0),
            ("GATEWAY_STATEMENT_TIMEOUT_MS", limits.statement_timeout.is_zero()),
            ("GATEWAY_MAX_NESTING", limits.max_nesting == 0),
            ("GATEWAY_MAX_QUERY_BYTES", limits.max_query_bytes == 0),
            ("GATEWAY_MAX_NODES", limits.max_nodes == 0),
        ] {
            if zero {
                env.problem(name, "must be at least 1");
            }
        }
        let engine = EngineSettings {
            schemas,
            metadata_path,
            admin_secret,
            unauthorized_role,
            reload_interval: Duration::from_millis(reload_ms.max(1)),
            subscription_interval: Duration::from_millis(subscription_ms.max(1)),
            role_introspection,
        };
        (tokens, engine, limits)
    }
}

/// A Postgres identifier we accept unquoted in configuration (and a GraphQL name).
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl posey_http::ServiceConfig for Config {
    fn read_env(env: &mut Env<'_>) -> Option<Self> {
        Self::read(env)
    }

    fn common(&self) -> &posey_config::ServiceConfig {
        &self.service
    }
}
