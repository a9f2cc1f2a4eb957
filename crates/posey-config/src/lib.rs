//! Configuration from the environment: one reader that parses every variable a service needs,
//! collects every problem (each naming its variable) and records which variables were read, so
//! deployment files can be checked against what the code really reads.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

pub use secrecy::{ExposeSecret, SecretString};

pub mod key_file;

/// Everything wrong with a configuration, one line per variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

/// One bad or missing variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub variable: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration:")?;
        for p in &self.problems {
            write!(f, "\n  {}: {}", p.variable, p.message)?;
        }
        Ok(())
    }
}

type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

/// Reads variables through a lookup function (the process environment in production, a map in
/// tests), keeping going after a bad value so that one run reports every problem.
pub struct Env<'a> {
    lookup: Lookup<'a>,
    problems: Vec<Problem>,
    read: BTreeSet<String>,
}

impl fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env").field("problems", &self.problems).finish_non_exhaustive()
    }
}

impl Env<'static> {
    /// The process environment.
    pub fn process() -> Self {
        Self::new(|name| std::env::var(name).ok())
    }
}

impl<'a> Env<'a> {
    pub fn new(lookup: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Self { lookup: Box::new(lookup), problems: Vec::new(), read: BTreeSet::new() }
    }

    /// An environment made of `(name, value)` pairs, for tests.
    pub fn from_pairs<I, K, V>(pairs: I) -> Env<'static>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let map: std::collections::HashMap<String, String> =
            pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        Env::new(move |name| map.get(name).cloned())
    }

    /// The raw value; empty strings count as unset, as in most `.env` files.
    pub fn raw(&mut self, name: &str) -> Option<String> {
        self.read.insert(name.to_owned());
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    /// Records a problem with `name`; used by callers for checks across variables.
    pub fn problem(&mut self, name: &str, message: impl Into<String>) {
        self.problems.push(Problem { variable: name.to_owned(), message: message.into() });
    }

    /// An optional value parsed with `FromStr`.
    pub fn optional<T>(&mut self, name: &str) -> Option<T>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        let raw = self.raw(name)?;
        match raw.trim().parse() {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(name, format!("cannot parse {raw:?}: {e}"));
                None
            }
        }
    }

    /// A value with a default when unset.
    pub fn or<T>(&mut self, name: &str, default: T) -> T
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        self.optional(name).unwrap_or(default)
    }

    /// A value that must be set. Returns `None` (and records the problem) when missing or bad.
    pub fn required<T>(&mut self, name: &str) -> Option<T>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        if (self.lookup)(name).filter(|v| !v.trim().is_empty()).is_none() {
            self.read.insert(name.to_owned());
            self.problem(name, "is required but not set");
            return None;
        }
        self.optional(name)
    }

    /// A TCP port; 0 asks the OS for a free one.
    pub fn port(&mut self, name: &str, default: u16) -> u16 {
        self.or(name, default)
    }

    /// A duration given in whole seconds.
    pub fn seconds(&mut self, name: &str, default: Duration) -> Duration {
        self.optional::<u64>(name).map(Duration::from_secs).unwrap_or(default)
    }

    /// A secret: kept out of `Debug` and logs.
    pub fn secret(&mut self, name: &str) -> Option<SecretString> {
        self.raw(name).map(SecretString::from)
    }

    /// A URL whose scheme must be one of `schemes`.
    pub fn url(&mut self, name: &str, schemes: &[&str]) -> Option<url::Url> {
        let raw = self.raw(name)?;
        match url::Url::parse(raw.trim()) {
            Ok(u) if schemes.contains(&u.scheme()) => Some(u),
            Ok(u) => {
                let want = schemes.join(", ");
                self.problem(name, format!("scheme {:?} is not one of: {want}", u.scheme()));
                None
            }
            Err(e) => {
                self.problem(name, format!("not a valid URL: {e}"));
                None
            }
        }
    }

    /// An SMTP server URL (`smtp://` or `smtps://`), as lettre's `from_url` reads it: `tls=none`
    /// (or off/false/no/disabled) means plain SMTP (lettre's default without `tls`),
    /// `tls=starttls` (or true/on/yes) is lettre's `required`; `smtps://` is always TLS. Kept
    /// secret: it usually carries a password.
    pub fn smtp_url(&mut self, name: &str) -> Option<SecretString> {
        let mut url = self.url(name, &["smtp", "smtps"])?;
        let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.to_ascii_lowercase());
        let others: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "tls")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let tls = match (url.scheme(), tls.as_deref()) {
            (_, None) | ("smtps", Some(_)) => None,
            (_, Some("none" | "off" | "false" | "no" | "disabled")) => None,
            (_, Some("required" | "starttls" | "true" | "on" | "yes")) => Some("required"),
            (_, Some("opportunistic")) => Some("opportunistic"),
            (_, Some(other)) => {
                self.problem(
                    name,
                    format!("tls={other:?} is not one of none, required (starttls), opportunistic"),
                );
                return None;
            }
        };
        url.set_query(None);
        if !others.is_empty() || tls.is_some() {
            let mut query = url.query_pairs_mut();
            query.extend_pairs(others);
            if let Some(tls) = tls {
                query.append_pair("tls", tls);
            }
        }
        Some(SecretString::from(url.to_string()))
    }

    /// The variables read so far, for checking deployment files against the code.
    pub fn variables(&self) -> &BTreeSet<String> {
        &self.read
    }

    /// Ends reading: every problem found, or the value built from the reads.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, ConfigError> {
        match value {
            Some(v) if self.problems.is_empty() => Ok(v),
            _ => {
                let mut problems = self.problems;
                if problems.is_empty() {
                    // A caller returned None without saying why; never hide that.
                    problems.push(Problem {
                        variable: "(configuration)".into(),
                        message: "incomplete".into(),
                    });
                }
                Err(ConfigError { problems })
            }
        }
    }
}

/// Where an HTTP listener binds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    pub host: IpAddr,
    pub port: u16,
    /// The variable the port came from, for error messages.
    pub port_var: String,
}

impl HttpConfig {
    /// `BIND_ADDRESS` (shared) and the service's own port variable.
    pub fn from_env(env: &mut Env<'_>, port_var: &str, default_port: u16) -> Self {
        let host = env.or("BIND_ADDRESS", IpAddr::from([127, 0, 0, 1]));
        let port = env.port(port_var, default_port);
        Self { host, port, port_var: port_var.to_owned() }
    }
}

/// Postgres connection settings.
#[derive(Debug, Clone)]
pub struct DbConfig {
    /// Kept secret: it usually carries a password.
    pub url: SecretString,
    pub pool: PoolSettings,
}

/// How a service sizes and waits for its pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub connect_timeout: Duration,
}

impl DbConfig {
    pub const URL_VAR: &'static str = "DATABASE_URL";

    /// `DATABASE_URL` must be set.
    pub fn from_env(env: &mut Env<'_>) -> Option<Self> {
        let url = Self::url_from_env(env);
        if url.is_none() && env.raw(Self::URL_VAR).is_none() {
            env.problem(Self::URL_VAR, "is required but not set");
        }
        let pool = PoolSettings::from_env(env);
        url.map(|url| Self { url, pool })
    }

    /// `DATABASE_URL` if set and valid; `None` when unset (the launcher then provides an
    /// embedded cluster) or invalid (recorded as a problem).
    pub fn url_from_env(env: &mut Env<'_>) -> Option<SecretString> {
        let raw = env.raw(Self::URL_VAR)?;
        match url::Url::parse(raw.trim()) {
            Ok(u) if matches!(u.scheme(), "postgres" | "postgresql") => {
                Some(SecretString::from(raw))
            }
            Ok(u) => {
                let scheme = u.scheme().to_owned();
                env.problem(
                    Self::URL_VAR,
                    format!("scheme {scheme:?} is not postgres:// or postgresql://"),
                );
                None
            }
            // The URL parser's message never includes the input, so no password leaks here.
            Err(e) => {
                env.problem(Self::URL_VAR, format!("not a valid URL: {e}"));
                None
            }
        }
    }

    /// The URL with any password replaced, for logs and error messages.
    pub fn redacted_url(&self) -> String {
        redact_url(self.url.expose_secret())
    }
}

impl PoolSettings {
    pub fn from_env(env: &mut Env<'_>) -> Self {
        let max_connections = env.or("DATABASE_MAX_CONNECTIONS", 10u32);
        if max_connections == 0 {
            env.problem("DATABASE_MAX_CONNECTIONS", "must be at least 1");
        }
        let connect_timeout = env.seconds("DATABASE_CONNECT_TIMEOUT", Duration::from_secs(5));
        Self { max_connections, connect_timeout }
    }
}

/// Redis, when configured; otherwise services use in-process equivalents.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    pub url: SecretString,
}

impl RedisConfig {
    pub fn from_env(env: &mut Env<'_>) -> Option<Self> {
        env.url("REDIS_URL", &["redis", "rediss", "redis+unix", "unix"])
            .map(|u| Self { url: SecretString::from(u.to_string()) })
    }

    pub fn redacted_url(&self) -> String {
        redact_url(self.url.expose_secret())
    }
}

/// What every service reads: where it listens, its database and (optionally) Redis.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub http: HttpConfig,
    pub db: DbConfig,
    pub redis: Option<RedisConfig>,
}

impl ServiceConfig {
    /// For a standalone service: `DATABASE_URL` is required.
    pub fn from_env(env: &mut Env<'_>, port_var: &str, default_port: u16) -> Option<Self> {
        let db = DbConfig::from_env(env);
        let http = HttpConfig::from_env(env, port_var, default_port);
        let redis = RedisConfig::from_env(env);
        db.map(|db| Self { http, db, redis })
    }

    /// With a database the caller chose (the launcher's embedded cluster or its own URL).
    pub fn with_db(env: &mut Env<'_>, port_var: &str, default_port: u16, db: DbConfig) -> Self {
        let http = HttpConfig::from_env(env, port_var, default_port);
        let redis = RedisConfig::from_env(env);
        Self { http, db, redis }
    }
}

/// How a service checks access tokens: the auth service's JWKS and the issuer it signs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenVerification {
    pub jwks_url: url::Url,
    pub issuer: String,
}

impl TokenVerification {
    /// `AUTH_JWKS_URL` (default: auth on this machine) and `AUTH_ISSUER` (default: auth's own
    /// default, `http://localhost:9000`).
    pub fn from_env(env: &mut Env<'_>) -> Self {
        let jwks_url = env.url("AUTH_JWKS_URL", &["http", "https"]).unwrap_or_else(|| {
            url::Url::parse("http://127.0.0.1:9000/.well-known/jwks.json").expect("a valid URL")
        });
        let issuer = env.raw("AUTH_ISSUER").unwrap_or_else(|| "http://localhost:9000".into());
        Self { jwks_url, issuer }
    }
}

/// `POSEY_DATA_DIR`: where the embedded parts (the PostgreSQL cluster, models, vectors) keep
/// their data.
pub const DATA_DIR_VAR: &str = "POSEY_DATA_DIR";

/// `POSEY_DATA_DIR`, else [`default_data_dir`]. Every reader of the data dir goes through
/// this, so the launcher, the models and the vector store agree on where things are.
pub fn data_dir(env: &mut Env<'_>) -> Option<std::path::PathBuf> {
    env.optional::<std::path::PathBuf>(DATA_DIR_VAR).or_else(default_data_dir)
}

/// The user's data directory + `posey`; `/var/lib/posey` for root, whose home the unprivileged
/// account that runs PostgreSQL cannot enter.
pub fn default_data_dir() -> Option<std::path::PathBuf> {
    if nix::unistd::geteuid().is_root() {
        Some(std::path::PathBuf::from("/var/lib/posey"))
    } else {
        dirs::data_dir().map(|dir| dir.join("posey"))
    }
}

/// A URL with its password (if any) replaced by `***`, for logs and messages.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            if u.password().is_some() {
                // set_password only fails for URLs that cannot have one, which has a password.
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "(unparseable URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_variable_is_named_in_one_error() {
        let mut env = Env::from_pairs([("AUTH_PORT", "ninety"), ("DATABASE_URL", "mysql://x")]);
        let http = HttpConfig::from_env(&mut env, "AUTH_PORT", 9000);
        let db = DbConfig::from_env(&mut env);
        let err = env.finish(db.map(|d| (http, d))).unwrap_err();
        let vars: Vec<_> = err.problems.iter().map(|p| p.variable.as_str()).collect();
        assert_eq!(vars, ["AUTH_PORT", "DATABASE_URL"]);
        let text = err.to_string();
        assert!(text.contains("AUTH_PORT: cannot parse \"ninety\""), "{text}");
        assert!(text.contains("DATABASE_URL: scheme \"mysql\""), "{text}");
    }

    #[test]
    fn defaults_apply_and_empty_means_unset() {
        let mut env = Env::from_pairs([("BIND_ADDRESS", ""), ("DATABASE_URL", "postgres://a@b/c")]);
        let http = HttpConfig::from_env(&mut env, "AGENTS_PORT", 8000);
        let db = DbConfig::from_env(&mut env).expect("db config");
        env.finish(Some(())).expect("valid");
        assert_eq!((http.host, http.port), (IpAddr::from([127, 0, 0, 1]), 8000));
        assert_eq!(
            db.pool,
            PoolSettings { max_connections: 10, connect_timeout: Duration::from_secs(5) }
        );
    }

    #[test]
    fn missing_required_database_url_is_reported() {
        let mut env = Env::from_pairs::<_, String, String>([]);
        let db = DbConfig::from_env(&mut env);
        let err = env.finish(db).unwrap_err();
        assert_eq!(err.problems[0].variable, "DATABASE_URL");
        assert_eq!(err.problems[0].message, "is required but not set");
    }

    #[test]
    fn secrets_stay_out_of_debug_and_messages() {
        let mut env = Env::from_pairs([("DATABASE_URL", "postgres://u:hunter2@db:5432/posey")]);
        let db = DbConfig::from_env(&mut env).expect("db config");
        assert!(!format!("{db:?}").contains("hunter2"));
        assert_eq!(db.redacted_url(), "postgres://u:***@db:5432/posey");
    }

    #[test]
    fn records_every_variable_it_reads() {
        let mut env = Env::from_pairs::<_, String, String>([]);
        let _ = HttpConfig::from_env(&mut env, "CRON_PORT", 8090);
        let _ = DbConfig::from_env(&mut env);
        let _ = RedisConfig::from_env(&mut env);
        let read: Vec<_> = env.variables().iter().cloned().collect();
        assert_eq!(
            read,
            [
                "BIND_ADDRESS",
                "CRON_PORT",
                "DATABASE_CONNECT_TIMEOUT",
                "DATABASE_MAX_CONNECTIONS",
                "DATABASE_URL",
                "REDIS_URL"
            ]
        );
    }

    #[test]
    fn smtp_tls_spellings_become_what_lettre_reads() {
        let cases = [
            ("smtp://127.0.0.1:2525", "smtp://127.0.0.1:2525"),
            ("smtp://127.0.0.1:2525?tls=none", "smtp://127.0.0.1:2525"),
            ("smtp://127.0.0.1:2525?tls=false", "smtp://127.0.0.1:2525"),
            (
                "smtp://u:p%40ss@mail.test:587?tls=STARTTLS",
                "smtp://u:p%40ss@mail.test:587?tls=required",
            ),
            ("smtp://mail.test?tls=opportunistic", "smtp://mail.test?tls=opportunistic"),
            ("smtps://u:p@mail.test", "smtps://u:p@mail.test"),
        ];
        for (raw, want) in cases {
            let mut env = Env::from_pairs([("SMTP_URL", raw)]);
            let got = env.smtp_url("SMTP_URL").expect(raw);
            assert_eq!(got.expose_secret(), want, "{raw}");
        }
        let mut env = Env::from_pairs([("SMTP_URL", "smtp://mail.test?tls=maybe")]);
        assert!(env.smtp_url("SMTP_URL").is_none());
        let err = env.finish(Some(())).unwrap_err();
        assert!(err.to_string().contains("SMTP_URL: tls=\"maybe\""), "{err}");
    }

    #[test]
    fn zero_connections_is_refused() {
        let mut env = Env::from_pairs([
            ("DATABASE_URL", "postgres://a@b/c"),
            ("DATABASE_MAX_CONNECTIONS", "0"),
        ]);
        let db = DbConfig::from_env(&mut env);
        let err = env.finish(db).unwrap_err();
        assert_eq!(err.problems[0].variable, "DATABASE_MAX_CONNECTIONS");
    }
}
