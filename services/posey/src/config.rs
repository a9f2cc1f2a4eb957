//! The launcher's configuration: every service's variables, the web app's, and where embedded
//! parts keep their data. Everything is read (and every problem reported) before anything starts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use posey_agents::config::ServiceClientSettings;
use posey_auth::config::ServiceClient;
use posey_auth::key_encryption::KeySource;
use posey_config::{
    ConfigError, DbConfig, Env, ExposeSecret, HttpConfig, PoolSettings, SecretString,
};
use posey_http::auth::scopes;

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
    /// The web app, served as one more child when it is built.
    pub web: WebConfig,
    /// `POSEY_MQTT_LISTEN`: where the embedded MQTT broker listens when no `MQTT_URL` is set
    /// (`127.0.0.1:1883`); `None`: `off`, or a broker is configured.
    pub mqtt_listen: Option<SocketAddr>,
    /// What `posey up` made for the agents' home plugin in this run (`home.rs`).
    pub home_made: HomeMade,
}

/// Made by `posey up` for the home plugin, when the operator configured none: the embedded
/// broker's URL (`MQTT_URL`) and the key kept in the data dir (`HOME_SEAL_KEY`).
#[derive(Debug, Clone, Default)]
pub struct HomeMade {
    pub mqtt_url: Option<String>,
    pub seal_key: Option<SecretString>,
}

/// The file under the data dir that keeps the home plugin's generated seal key (base64, mode
/// 0600; `home.rs` makes it).
pub const SEAL_KEY_FILE: &str = "home-seal-key";

pub fn seal_key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SEAL_KEY_FILE)
}

/// The file under the data dir that keeps the key auth seals its signing keys with (base64,
/// mode 0600), which auth makes on its first start when neither `AUTH_KEY_ENCRYPTION_KEY` nor
/// `AUTH_KEY_ENCRYPTION_KEY_FILE` is set.
pub const AUTH_KEY_FILE: &str = "auth-key-encryption-key";
/// Where auth's email links lead the mobile app (its `posey://` deep link).
pub const MOBILE_AUTH_CALLBACK: &str = "posey://auth-callback";

pub fn auth_key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(AUTH_KEY_FILE)
}

/// The files of the data dir that are no copy of the database, which backups take: the home
/// plugin's seal key and auth's key encryption key (when the install made them).
pub fn data_files(data_dir: &Path) -> Vec<PathBuf> {
    vec![seal_key_path(data_dir), auth_key_path(data_dir)]
}

/// Where `posey up`'s scheduled backups go in the data dir unless `CRON_BACKUP_DIR` says.
pub const DEFAULT_BACKUP_DIR: &str = "backups";

/// `POSEY_MQTT_LISTEN`'s default: loopback only, since the embedded broker takes any client.
pub const DEFAULT_MQTT_LISTEN: &str = "127.0.0.1:1883";

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
        let data_dir = posey_config::data_dir(env);
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
        let web = WebConfig::from_env(env);
        let mqtt_listen = read_mqtt_listen(env, &agents);
        let (mut auth, mut agents, mut cron, mut gateway) = (auth, agents, cron, gateway);
        // Auth's email links lead to the web app `posey up` serves, at its actual port (its
        // invite links to the app's invite page there), and its PKCE callback is an allowed
        // redirect, unless the operator said otherwise.
        if web.server().is_some() {
            let site = format!("http://localhost:{}", web.http.port);
            if env.raw("AUTH_SITE_URL").is_none()
                && let Ok(url) = site.parse()
            {
                auth.auth.site_url = url;
            }
            // Auth derived it from the site URL it read, not the one set here.
            if env.raw("AUTH_SITE_URL").is_none()
                && env.raw("AUTH_INVITE_URL").is_none()
                && let Ok(url) = format!("{site}/invite").parse()
            {
                auth.auth.invite_url = url;
            }
            if env.raw("AUTH_REDIRECT_URLS").is_none() {
                auth.auth.redirect_urls.push(format!("{site}/auth/callback"));
            }
        }
        // The mobile app's link for auth's emails (apps/mobile), unless the operator listed
        // their own: a sign-in or reset link opened on the phone comes back to the app.
        if env.raw("AUTH_REDIRECT_URLS").is_none() {
            auth.auth.redirect_urls.push(MOBILE_AUTH_CALLBACK.to_owned());
        }
        // In one process the token checkers' defaults follow auth's actual port and issuer
        // (a standalone service can only guess auth's defaults).
        let jwks_url = match env.raw("AUTH_JWKS_URL") {
            None => local_url(&auth.service.http, "/.well-known/jwks.json"),
            Some(_) => None,
        };
        let issuer = env.raw("AUTH_ISSUER").is_none().then(|| auth.auth.issuer.clone());
        for tokens in [&mut agents.tokens, &mut cron.tokens, &mut gateway.tokens] {
            if let Some(url) = &jwks_url {
                tokens.jwks_url = url.clone();
            }
            if let Some(issuer) = &issuer {
                tokens.issuer = issuer.clone();
            }
        }
        // Agents and cron call each other (the schedule plugin, agent tasks) at their actual
        // ports, and cron gets service tokens from auth's, unless told otherwise.
        if env.raw("CRON_URL").is_none()
            && let Some(url) = local_url(&cron.service.http, "/")
        {
            agents.use_cron(url);
        }
        if env.raw("AGENTS_URL").is_none() {
            cron.agent_tasks.agents_url = local_url(&agents.service.http, "/");
        }
        if env.raw("AUTH_URL").is_none() {
            cron.agent_tasks.auth_url = local_url(&auth.service.http, "/");
            agents.auth_url = local_url(&auth.service.http, "/");
        }
        // Cron's agent tasks need a service client at auth. In one process the launcher makes
        // one up for this run (a fresh random secret: tokens it got live only minutes, and
        // nothing outside the process uses it), unless the operator configured cron's.
        if env.raw("CRON_SERVICE_CLIENT_ID").is_none()
            && env.raw("CRON_SERVICE_CLIENT_SECRET").is_none()
        {
            // Its tokens run agent turns, and those turns' schedule tools act at cron.
            let scopes = [scopes::AGENTS_TURNS, scopes::CRON_ACT_FOR_PERSON];
            let secret = in_process_client(&mut auth, IN_PROCESS_CRON_CLIENT, &scopes);
            cron.agent_tasks.client_id = Some(IN_PROCESS_CRON_CLIENT.to_owned());
            cron.agent_tasks.client_secret = Some(secret);
        }
        // Likewise the agents service's client, which hands notices (calendar alarms) to cron.
        if env.raw(ServiceClientSettings::ID_VAR).is_none()
            && env.raw(ServiceClientSettings::SECRET_VAR).is_none()
        {
            let scopes = [scopes::CRON_ACT_FOR_PERSON];
            let secret = in_process_client(&mut auth, IN_PROCESS_AGENTS_CLIENT, &scopes);
            agents.service_client = Some(ServiceClientSettings {
                client_id: IN_PROCESS_AGENTS_CLIENT.to_owned(),
                client_secret: secret,
            });
        }
        // Auth seals its signing keys with a key kept in the data dir (made on its first start),
        // unless the operator gave one.
        if auth.auth.key_encryption.source.is_none()
            && let Some(data_dir) = &data_dir
        {
            auth.auth.key_encryption.source = Some(KeySource::File(auth_key_path(data_dir)));
        }
        // Scheduled backups go into the data dir unless the operator said where (or `off`),
        // with the data dir's seal key. Their pg_dump is POSTGRES_BIN_DIR's, else PATH's (on
        // Debian its wrapper runs the newest client, as the embedded cluster is the newest).
        if let Some(data_dir) = &data_dir {
            if env.raw("CRON_BACKUP_DIR").is_none() {
                cron.backup.dir = Some(data_dir.join(DEFAULT_BACKUP_DIR));
            }
            cron.backup.files = data_files(data_dir);
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
            web,
            mqtt_listen,
            home_made: HomeMade::default(),
        })
    }

    /// Hands the agents service what `posey up` made for its home plugin (the embedded
    /// broker's URL, the generated seal key); an error names what did not parse.
    pub fn with_home_made(mut self, made: HomeMade) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        if let Some(url) = &made.mqtt_url {
            let url = posey_home_plugin::mqtt::BrokerUrl::parse(url)
                .context("the embedded MQTT broker's URL")?;
            self.agents.home.broker = Some(url);
        }
        if let Some(key) = &made.seal_key {
            let key = posey_home_plugin::SealKey::parse(key.expose_secret())
                .context("the generated HOME_SEAL_KEY")?;
            self.agents.home.seal_key = Some(key);
        }
        self.home_made = made;
        Ok(self)
    }

    /// Points every service at the database that was chosen.
    pub fn with_database(mut self, db: &DbConfig) -> Self {
        self.auth.service.db = db.clone();
        self.agents.service.db = db.clone();
        self.cron.service.db = db.clone();
        self.gateway.service.db = db.clone();
        self
    }

    /// What the service processes of this run must agree on beyond the environment they
    /// inherit: the database chosen and the service clients' secrets made up for this run.
    pub fn run_facts(&self, db: &DbConfig) -> RunFacts {
        let tasks = &self.cron.agent_tasks;
        let cron_client_secret = (tasks.client_id.as_deref() == Some(IN_PROCESS_CRON_CLIENT))
            .then(|| tasks.client_secret.as_ref().map(|s| s.expose_secret().to_owned()))
            .flatten();
        let agents_client_secret = self
            .agents
            .service_client
            .as_ref()
            .filter(|client| client.client_id == IN_PROCESS_AGENTS_CLIENT)
            .map(|client| client.client_secret.expose_secret().to_owned());
        RunFacts {
            supervisor_pid: std::process::id(),
            database_url: db.url.expose_secret().to_owned(),
            cron_client_secret,
            agents_client_secret,
            mqtt_url: self.home_made.mqtt_url.clone(),
            home_seal_key: self.home_made.seal_key.as_ref().map(|k| k.expose_secret().to_owned()),
        }
    }

    /// This configuration, read again from the same environment by a service process, made
    /// the same as its supervisor's: same database, same made-up service client secrets.
    pub fn with_run_facts(mut self, facts: &RunFacts) -> anyhow::Result<Self> {
        if let Some(secret) = &facts.cron_client_secret {
            let secret = SecretString::from(secret.clone());
            if self.cron.agent_tasks.client_id.as_deref() == Some(IN_PROCESS_CRON_CLIENT) {
                self.cron.agent_tasks.client_secret = Some(secret.clone());
            }
            set_client_secret(&mut self.auth, IN_PROCESS_CRON_CLIENT, &secret);
        }
        if let Some(secret) = &facts.agents_client_secret {
            let secret = SecretString::from(secret.clone());
            if let Some(client) = self
                .agents
                .service_client
                .as_mut()
                .filter(|client| client.client_id == IN_PROCESS_AGENTS_CLIENT)
            {
                client.client_secret = secret.clone();
            }
            set_client_secret(&mut self.auth, IN_PROCESS_AGENTS_CLIENT, &secret);
        }
        let db = DbConfig {
            url: SecretString::from(facts.database_url.clone()),
            pool: self.pool.clone(),
        };
        let made = HomeMade {
            mqtt_url: facts.mqtt_url.clone(),
            seal_key: facts.home_seal_key.clone().map(SecretString::from),
        };
        self.with_database(&db).with_home_made(made)
    }
}

/// The file of a Next.js standalone build that serves the app.
pub const SERVER_FILE: &str = "server.js";

/// The web app's settings; `web.rs` runs it.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// `POSEY_WEB_DIR`: the standalone build's folder (the one holding `server.js`); unset:
    /// no web app.
    pub dir: Option<PathBuf>,
    /// `BIND_ADDRESS` and `WEB_PORT` (3000).
    pub http: HttpConfig,
    /// `POSEY_NODE`: the Node.js program (`node` on PATH).
    pub node: PathBuf,
}

impl WebConfig {
    pub fn from_env(env: &mut Env<'_>) -> Self {
        let dir = env.optional::<PathBuf>("POSEY_WEB_DIR");
        if let Some(dir) = &dir
            && !dir.join(SERVER_FILE).is_file()
        {
            env.problem(
                "POSEY_WEB_DIR",
                format!(
                    "{} has no {SERVER_FILE}: point it at the web app's standalone build \
                     (apps/web/.next/standalone/..., which scripts/up builds)",
                    dir.display()
                ),
            );
        }
        Self {
            dir,
            http: HttpConfig::from_env(env, "WEB_PORT", 3000),
            node: env.or("POSEY_NODE", PathBuf::from("node")),
        }
    }

    /// The build to serve, when there is one.
    pub fn server(&self) -> Option<&Path> {
        self.dir.as_deref()
    }
}

/// Handed by `posey up` to each service process on its stdin (not in its environment, which
/// `ps e` shows): what one run decided that every process must share.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct RunFacts {
    /// The supervisor, to check that it is still this process's parent.
    pub supervisor_pid: u32,
    pub database_url: String,
    /// The secret of [`IN_PROCESS_CRON_CLIENT`], when the launcher made that client up.
    pub cron_client_secret: Option<String>,
    /// The secret of [`IN_PROCESS_AGENTS_CLIENT`], likewise.
    #[serde(default)]
    pub agents_client_secret: Option<String>,
    /// The embedded MQTT broker's URL, when `posey up` runs one (no `MQTT_URL` set).
    #[serde(default)]
    pub mqtt_url: Option<String>,
    /// The `HOME_SEAL_KEY` kept in the data dir, when none is set.
    #[serde(default)]
    pub home_seal_key: Option<String>,
}

/// `POSEY_MQTT_LISTEN` (an address, or `off`), read only when no broker is configured
/// (`MQTT_URL`, which the agents service reads).
fn read_mqtt_listen(env: &mut Env<'_>, agents: &posey_agents::Config) -> Option<SocketAddr> {
    let raw = env.raw("POSEY_MQTT_LISTEN");
    if agents.home.broker.is_some() {
        return None;
    }
    let raw = raw.map(|raw| raw.trim().to_owned()).filter(|raw| !raw.is_empty());
    let text = raw.as_deref().unwrap_or(DEFAULT_MQTT_LISTEN);
    if text.eq_ignore_ascii_case("off") {
        return None;
    }
    match text.parse() {
        Ok(addr) => Some(addr),
        Err(_) => {
            env.problem(
                "POSEY_MQTT_LISTEN",
                format!(
                    "{text:?} is not an address and port (like {DEFAULT_MQTT_LISTEN}) or `off`"
                ),
            );
            None
        }
    }
}

/// The service client `posey up` gives cron at auth when none is configured.
pub const IN_PROCESS_CRON_CLIENT: &str = "posey-cron";

/// The service client `posey up` gives the agents service at auth when none is configured.
pub const IN_PROCESS_AGENTS_CLIENT: &str = "posey-agents";

/// A service client at `auth` for one service of this run, granted `scopes`, with a fresh
/// random secret (tokens it gets live only minutes, and nothing outside the run uses it);
/// returns the secret.
fn in_process_client(auth: &mut posey_auth::Config, id: &str, scopes: &[&str]) -> SecretString {
    let secret = SecretString::from(random_secret());
    auth.auth.service_clients.push(ServiceClient::new(id, secret.clone(), scopes));
    secret
}

/// Gives auth's service client `id` the secret a service process was handed.
fn set_client_secret(auth: &mut posey_auth::Config, id: &str, secret: &SecretString) {
    for known in &mut auth.auth.service_clients {
        if known.id == id {
            known.secret = secret.clone();
        }
    }
}

/// 32 random bytes from the OS, hex-encoded.
fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `path` on a service of this process, as its neighbours reach it (loopback when it listens
/// on every address).
pub fn local_url(http: &posey_config::HttpConfig, path: &str) -> Option<url::Url> {
    let host = if http.host.is_unspecified() { "127.0.0.1".into() } else { http.host.to_string() };
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    format!("http://{host}:{}{path}", http.port).parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A service process reads the environment again; with the run's facts it must end up
    /// with exactly the configuration the supervisor has (and had in one process).
    #[test]
    fn a_service_process_gets_the_supervisors_configuration() {
        let pairs = [("POSEY_DATA_DIR", "/tmp/x"), ("AUTH_PORT", "19001"), ("CRON_PORT", "19002")];
        let supervisor = LauncherConfig::read(Env::from_pairs(pairs)).unwrap();
        let url = "postgres://posey@localhost/posey?host=%2Ftmp%2Fx".to_owned();
        let db = DbConfig { url: SecretString::from(url), pool: supervisor.pool.clone() };
        let made = HomeMade {
            mqtt_url: Some("mqtt://127.0.0.1:18830".to_owned()),
            seal_key: Some(SecretString::from(
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_owned(),
            )),
        };
        let supervisor = supervisor.with_database(&db).with_home_made(made).unwrap();
        let facts = supervisor.run_facts(&db);
        let wire = serde_json::to_string(&facts).unwrap();
        let facts: RunFacts = serde_json::from_str(&wire).unwrap();
        let child =
            LauncherConfig::read(Env::from_pairs(pairs)).unwrap().with_run_facts(&facts).unwrap();

        // Debug shows everything but secrets, which are compared one by one.
        assert_eq!(format!("{child:?}"), format!("{supervisor:?}"));
        let secret = |c: &LauncherConfig| {
            let cron = c.cron.agent_tasks.client_secret.as_ref().unwrap().expose_secret();
            let auth = c.auth.auth.service_clients.iter().find(|k| k.id == IN_PROCESS_CRON_CLIENT);
            (cron.to_owned(), auth.unwrap().secret.expose_secret().to_owned())
        };
        assert_eq!(secret(&child), secret(&supervisor));
        assert_eq!(secret(&child).0, secret(&child).1);
        let agents_secret = |c: &LauncherConfig| {
            let agents = c.agents.service_client.as_ref().unwrap().client_secret.expose_secret();
            let auth =
                c.auth.auth.service_clients.iter().find(|k| k.id == IN_PROCESS_AGENTS_CLIENT);
            (agents.to_owned(), auth.unwrap().secret.expose_secret().to_owned())
        };
        assert_eq!(agents_secret(&child), agents_secret(&supervisor));
        assert_eq!(agents_secret(&child).0, agents_secret(&child).1);
        assert_ne!(agents_secret(&child).0, secret(&child).0, "one secret per client");
        assert_eq!(child.gateway.service.db.url.expose_secret(), db.url.expose_secret());
        // The embedded broker and the generated seal key reach the agents service.
        let home = &child.agents.home;
        assert_eq!(home.broker.as_ref().unwrap().to_string(), "mqtt://127.0.0.1:18830");
        let probe = uuid::Uuid::nil();
        let secret = posey_home::Secret::new("a Home Assistant token".to_owned());
        let sealed =
            supervisor.agents.home.seal_key.as_ref().unwrap().seal(probe, &secret).unwrap();
        let opened = home.seal_key.as_ref().unwrap().open(probe, &sealed).unwrap();
        assert_eq!(opened.expose(), "a Home Assistant token");
    }

    #[test]
    fn the_embedded_broker_listens_on_loopback_unless_told_otherwise() {
        let read = |pairs: &[(&str, &str)]| {
            let pairs = [("POSEY_DATA_DIR", "/tmp/x")].into_iter().chain(pairs.iter().copied());
            LauncherConfig::read(Env::from_pairs(pairs))
        };
        let config = read(&[]).unwrap();
        assert_eq!(config.mqtt_listen, Some(DEFAULT_MQTT_LISTEN.parse().unwrap()));
        assert!(config.agents.home.broker.is_none() && config.agents.home.seal_key.is_none());
        let config = read(&[("POSEY_MQTT_LISTEN", "0.0.0.0:1884")]).unwrap();
        assert_eq!(config.mqtt_listen, Some("0.0.0.0:1884".parse().unwrap()));
        assert_eq!(read(&[("POSEY_MQTT_LISTEN", "off")]).unwrap().mqtt_listen, None);
        // A broker of the operator's: none embedded.
        let config = read(&[("MQTT_URL", "mqtt://broker.lan:1883")]).unwrap();
        assert_eq!(config.mqtt_listen, None);
        assert_eq!(config.agents.home.broker.unwrap().host(), "broker.lan");
        let error = read(&[("POSEY_MQTT_LISTEN", "1883")]).unwrap_err().to_string();
        assert!(error.contains("POSEY_MQTT_LISTEN") && error.contains("off"), "{error}");
    }

    #[test]
    fn auths_links_lead_to_the_served_web_app_at_its_port() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SERVER_FILE), "").unwrap();
        let web_dir = dir.path().to_str().unwrap().to_owned();
        let base = [("POSEY_DATA_DIR", "/tmp/x"), ("POSEY_WEB_DIR", web_dir.as_str())];
        let config =
            LauncherConfig::read(Env::from_pairs(base.into_iter().chain([("WEB_PORT", "3107")])))
                .unwrap();
        let auth = &config.auth.auth;
        assert_eq!(auth.site_url.as_str(), "http://localhost:3107/");
        assert_eq!(auth.invite_url.as_str(), "http://localhost:3107/invite");
        assert!(auth.redirect_urls.contains(&"http://localhost:3107/auth/callback".to_owned()));
        assert!(auth.redirect_urls.contains(&MOBILE_AUTH_CALLBACK.to_owned()), "{auth:?}");

        // What the operator set stays.
        let config = LauncherConfig::read(Env::from_pairs(base.into_iter().chain([
            ("WEB_PORT", "3107"),
            ("AUTH_SITE_URL", "https://posey.example.org"),
            ("AUTH_INVITE_URL", "https://posey.example.org/join"),
        ])))
        .unwrap();
        assert_eq!(config.auth.auth.site_url.as_str(), "https://posey.example.org/");
        assert_eq!(config.auth.auth.invite_url.as_str(), "https://posey.example.org/join");
        let config = LauncherConfig::read(Env::from_pairs(
            base.into_iter().chain([("AUTH_SITE_URL", "https://posey.example.org/app")]),
        ))
        .unwrap();
        assert_eq!(config.auth.auth.invite_url.as_str(), "https://posey.example.org/app/invite");
        let listed = "https://posey.example.org/auth/callback";
        let config = LauncherConfig::read(Env::from_pairs(
            base.into_iter().chain([("AUTH_REDIRECT_URLS", listed)]),
        ))
        .unwrap();
        assert_eq!(config.auth.auth.redirect_urls, [listed], "the operator's list only");
    }

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
        for tokens in [&config.agents.tokens, &config.cron.tokens, &config.gateway.tokens] {
            assert_eq!(tokens.jwks_url.as_str(), "http://127.0.0.1:19000/.well-known/jwks.json");
            assert_eq!(tokens.issuer, config.auth.auth.issuer);
            assert_eq!(tokens.issuer, "http://localhost:19000");
        }
        assert_eq!(
            config.agents.cron_url.as_ref().unwrap().port(),
            Some(config.cron.service.http.port)
        );
        for url in [&config.cron.agent_tasks.agents_url, &config.cron.agent_tasks.auth_url] {
            assert!(url.as_ref().unwrap().as_str().starts_with("http://127.0.0.1:"), "{url:?}");
        }

        let env = Env::from_pairs([
            ("POSEY_DATA_DIR", "/tmp/x"),
            ("AUTH_JWKS_URL", "https://auth.example/.well-known/jwks.json"),
            ("AUTH_ISSUER", "https://auth.example"),
        ]);
        let config = LauncherConfig::read(env).unwrap();
        for tokens in [&config.agents.tokens, &config.cron.tokens, &config.gateway.tokens] {
            assert_eq!(tokens.issuer, "https://auth.example");
            assert_eq!(tokens.jwks_url.host_str(), Some("auth.example"));
        }
    }

    #[test]
    fn cron_gets_a_service_client_at_auth_unless_one_is_configured() {
        let config = LauncherConfig::read(Env::from_pairs([("POSEY_DATA_DIR", "/tmp/x")])).unwrap();
        let vars = &config.cron.agent_tasks;
        assert_eq!(vars.client_id.as_deref(), Some(IN_PROCESS_CRON_CLIENT));
        let secret = vars.client_secret.as_ref().unwrap().expose_secret().to_owned();
        assert_eq!(secret.len(), 64);
        let known = &config.auth.auth.service_clients;
        let client = known.iter().find(|k| k.id == IN_PROCESS_CRON_CLIENT).unwrap();
        assert_eq!(client.secret.expose_secret(), secret);
        // Cron's tokens run turns at agents, whose schedule tools act at cron with them.
        assert_eq!(client.scopes, [scopes::AGENTS_TURNS, scopes::CRON_ACT_FOR_PERSON]);
        assert!(vars.settings().is_ok(), "agent tasks are fully configured under posey up");
        // Another run, another secret.
        let again = LauncherConfig::read(Env::from_pairs([("POSEY_DATA_DIR", "/tmp/x")])).unwrap();
        let other = again.cron.agent_tasks.client_secret.unwrap().expose_secret().to_owned();
        assert_ne!(secret, other);

        let config = LauncherConfig::read(Env::from_pairs([
            ("POSEY_DATA_DIR", "/tmp/x"),
            ("AUTH_SERVICE_CLIENTS", "cron:a-long-enough-s3cret"),
            ("CRON_SERVICE_CLIENT_ID", "cron"),
            ("CRON_SERVICE_CLIENT_SECRET", "a-long-enough-s3cret"),
        ]))
        .unwrap();
        assert_eq!(config.cron.agent_tasks.client_id.as_deref(), Some("cron"));
        assert!(!config.auth.auth.service_clients.iter().any(|k| k.id == IN_PROCESS_CRON_CLIENT));
    }

    #[test]
    fn agents_get_a_service_client_at_auth_unless_one_is_configured() {
        let config = LauncherConfig::read(Env::from_pairs([("POSEY_DATA_DIR", "/tmp/x")])).unwrap();
        let client = config.agents.service_client.as_ref().unwrap();
        assert_eq!(client.client_id, IN_PROCESS_AGENTS_CLIENT);
        let known = &config.auth.auth.service_clients;
        let known = known.iter().find(|k| k.id == IN_PROCESS_AGENTS_CLIENT).unwrap();
        assert_eq!(known.secret.expose_secret(), client.client_secret.expose_secret());
        assert_eq!(known.scopes, [scopes::CRON_ACT_FOR_PERSON]);
        assert!(config.agents.cron_url.is_some() && config.agents.auth_url.is_some());

        let config = LauncherConfig::read(Env::from_pairs([
            ("POSEY_DATA_DIR", "/tmp/x"),
            ("AUTH_SERVICE_CLIENTS", "agents:a-long-enough-s3cret"),
            ("AGENTS_SERVICE_CLIENT_ID", "agents"),
            ("AGENTS_SERVICE_CLIENT_SECRET", "a-long-enough-s3cret"),
        ]))
        .unwrap();
        assert_eq!(config.agents.service_client.as_ref().unwrap().client_id, "agents");
        assert!(!config.auth.auth.service_clients.iter().any(|k| k.id == IN_PROCESS_AGENTS_CLIENT));
    }

    #[test]
    fn auth_keeps_its_key_encryption_key_in_the_data_dir_unless_one_is_given() {
        let config = LauncherConfig::read(Env::from_pairs([("POSEY_DATA_DIR", "/tmp/x")])).unwrap();
        let path = PathBuf::from("/tmp/x").join(AUTH_KEY_FILE);
        assert!(
            matches!(&config.auth.auth.key_encryption.source, Some(KeySource::File(p)) if *p == path)
        );
        assert!(data_files(&config.data_dir).contains(&path), "backups take it");
        assert!(config.cron.backup.files.contains(&path));

        let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let config = LauncherConfig::read(Env::from_pairs([
            ("POSEY_DATA_DIR", "/tmp/x"),
            ("AUTH_KEY_ENCRYPTION_KEY", key),
        ]))
        .unwrap();
        assert!(matches!(config.auth.auth.key_encryption.source, Some(KeySource::Given(_))));
        let config = LauncherConfig::read(Env::from_pairs([
            ("POSEY_DATA_DIR", "/tmp/x"),
            ("AUTH_KEY_ENCRYPTION_KEY_FILE", "/srv/kek"),
        ]))
        .unwrap();
        assert!(
            matches!(&config.auth.auth.key_encryption.source, Some(KeySource::File(p)) if p.as_os_str() == "/srv/kek")
        );
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

    #[test]
    fn unset_dir_means_no_web_app_on_the_default_port() {
        let mut env = Env::from_pairs([("AUTH_PORT", "9000")]);
        let config = WebConfig::from_env(&mut env);
        assert!(config.server().is_none());
        assert_eq!(config.http.port, 3000);
        assert_eq!(config.node, PathBuf::from("node"));
        env.finish(Some(())).unwrap();
    }

    #[test]
    fn a_dir_without_a_server_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap().to_owned();
        let mut env = Env::from_pairs([("POSEY_WEB_DIR", path.as_str()), ("WEB_PORT", "3100")]);
        let _ = WebConfig::from_env(&mut env);
        let error = env.finish(Some(())).unwrap_err().to_string();
        assert!(error.contains("POSEY_WEB_DIR") && error.contains("server.js"), "{error}");

        std::fs::write(dir.path().join(SERVER_FILE), "").unwrap();
        let mut env = Env::from_pairs([("POSEY_WEB_DIR", path.as_str()), ("WEB_PORT", "3100")]);
        let config = WebConfig::from_env(&mut env);
        env.finish(Some(())).unwrap();
        assert_eq!((config.server(), config.http.port), (Some(dir.path()), 3100));
    }
}
