//! The cron service's configuration, from the environment (see `.env.example`).

use std::path::PathBuf;
use std::time::Duration;

use crate::jobs::agent_task::AgentTaskSettings;
use crate::schedule::{Schedule, ScheduleKind};
use posey_backup::PgTools;
use posey_backup::rotation::Rotation;
use posey_config::{DbConfig, Env, ExposeSecret, SecretString, ServiceConfig, TokenVerification};
use posey_domain::TimeZone;
use posey_http::destination::DestinationPolicy;

/// The service's name in logs and spans.
pub const SERVICE: &str = "cron";

#[derive(Debug, Clone)]
pub struct Config {
    pub service: ServiceConfig,
    /// Checking the access tokens of the REST API's callers.
    pub tokens: TokenVerification,
    pub scheduler: SchedulerSettings,
    /// Sending notifications by email and Web Push.
    pub notify: NotifySettings,
    /// Running `agent_task` jobs through the agents service (see [`AgentTaskVars::settings`]).
    pub agent_tasks: AgentTaskVars,
    /// Where webhooks may go besides the public internet (`CRON_WEBHOOK_ALLOW`).
    pub webhooks: DestinationPolicy,
    /// How much one person may schedule.
    pub limits: TaskLimits,
    /// Scheduled backups of the whole system (the `backup` maintenance job).
    pub backup: BackupSettings,
}

/// Scheduled backups: the `backup` maintenance job writes one into `rotation.root` on
/// `schedule` and keeps the newest `rotation.keep` (see `posey_backup::rotation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSettings {
    /// `CRON_BACKUP_DIR`; `None` (unset, or `off`): no scheduled backups. `posey up` defaults
    /// it to `<data dir>/backups`.
    pub dir: Option<PathBuf>,
    /// `CRON_BACKUP_KEEP` (default 7): how many backups are kept.
    pub keep: usize,
    /// `CRON_BACKUP_SCHEDULE` (default daily at 03:30 UTC): a cron expression with seconds, in
    /// UTC.
    pub schedule: String,
    /// `POSTGRES_BIN_DIR`: where `pg_dump` is (else `PATH`'s); it must be at least the
    /// server's version.
    pub tools: PgTools,
    /// Files backed up besides the database where they exist (`posey up` names the home
    /// plugin's seal key kept in its data dir).
    pub files: Vec<PathBuf>,
}

impl BackupSettings {
    pub const DEFAULT_SCHEDULE: &str = "0 30 3 * * *";
    pub const DEFAULT_KEEP: usize = 7;

    fn from_env(env: &mut Env<'_>) -> Self {
        let dir = env.raw("CRON_BACKUP_DIR").filter(|d| !d.trim().is_empty() && d.trim() != "off");
        let keep = env.or("CRON_BACKUP_KEEP", Self::DEFAULT_KEEP);
        if keep == 0 {
            env.problem("CRON_BACKUP_KEEP", "must be at least 1");
        }
        let schedule =
            env.raw("CRON_BACKUP_SCHEDULE").unwrap_or_else(|| Self::DEFAULT_SCHEDULE.to_owned());
        if let Err(e) = Schedule::in_zone(ScheduleKind::Cron, &schedule, TimeZone::UTC) {
            env.problem("CRON_BACKUP_SCHEDULE", format!("not a cron schedule with seconds: {e}"));
        }
        let dir = dir.map(PathBuf::from);
        if let Some(dir) = &dir
            && !dir.is_absolute()
        {
            env.problem("CRON_BACKUP_DIR", "must be an absolute path (or `off`)");
        }
        Self {
            dir,
            keep: keep.max(1),
            schedule,
            tools: PgTools::in_dir(env.optional::<PathBuf>("POSTGRES_BIN_DIR")),
            files: Vec::new(),
        }
    }

    /// Where backups go and how many are kept, when scheduled backups are on.
    pub fn rotation(&self) -> Option<Rotation> {
        self.dir.clone().map(|root| Rotation { root, keep: self.keep })
    }
}

/// Limits on what one person may schedule, so nobody floods the scheduler, the workers or
/// the people their reminders reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskLimits {
    /// `CRON_MIN_INTERVAL_SECS` (default 60): no schedule may run more often than this.
    pub min_interval: Duration,
    /// `CRON_MAX_TASKS_PER_PERSON` (default 1000).
    pub max_tasks_per_person: i64,
    /// `CRON_TASK_CREATE_RATE` (default 30): task creations a person may make per minute
    /// (a burst of that many, then 429 until the minute is over). Updates and run-now requests
    /// count too: each can cause a run.
    pub create_per_minute: u32,
}

impl Default for TaskLimits {
    fn default() -> Self {
        Self {
            min_interval: Duration::from_secs(60),
            max_tasks_per_person: 1000,
            create_per_minute: 30,
        }
    }
}

impl TaskLimits {
    fn from_env(env: &mut Env<'_>) -> Self {
        let defaults = Self::default();
        let min_interval = env.seconds("CRON_MIN_INTERVAL_SECS", defaults.min_interval);
        let max_tasks_per_person =
            env.or("CRON_MAX_TASKS_PER_PERSON", defaults.max_tasks_per_person);
        let create_per_minute = env.or("CRON_TASK_CREATE_RATE", defaults.create_per_minute);
        if min_interval.is_zero() {
            env.problem("CRON_MIN_INTERVAL_SECS", "must be at least 1");
        }
        if max_tasks_per_person < 1 {
            env.problem("CRON_MAX_TASKS_PER_PERSON", "must be at least 1");
        }
        if create_per_minute == 0 {
            env.problem("CRON_TASK_CREATE_RATE", "must be at least 1");
        }
        Self { min_interval, max_tasks_per_person, create_per_minute }
    }
}

/// `CRON_WEBHOOK_ALLOW`: unset, webhooks reach public addresses only.
fn read_webhook_policy(env: &mut Env<'_>) -> DestinationPolicy {
    read_policy(env, "CRON_WEBHOOK_ALLOW")
}

/// An allow-list variable ([`DestinationPolicy::parse`]); unset, public addresses only.
fn read_policy(env: &mut Env<'_>, var: &'static str) -> DestinationPolicy {
    let raw = env.raw(var).unwrap_or_default();
    DestinationPolicy::parse(&raw).unwrap_or_else(|message| {
        env.problem(var, message);
        DestinationPolicy::deny_private()
    })
}

/// How this replica dispatches and runs jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerSettings {
    /// The longest the dispatcher and idle workers wait before looking again (the dispatcher
    /// also wakes at the next due time, workers when runs are recorded).
    pub poll_interval: Duration,
    /// Jobs this replica runs at once (reminders go in batches besides these).
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

    /// Reads through `env`, recording problems there.
    pub fn read(env: &mut Env<'_>) -> Option<Self> {
        let service = ServiceConfig::from_env(env, Self::PORT_VAR, Self::DEFAULT_PORT);
        let rest = Self::read_rest(env);
        let notify = NotifySettings::from_env(env);
        let agent_tasks = read_agent_tasks(env);
        let webhooks = read_webhook_policy(env);
        let limits = TaskLimits::from_env(env);
        let backup = BackupSettings::from_env(env);
        service.map(|service| Self {
            service,
            tokens: rest.0,
            scheduler: rest.1,
            notify,
            agent_tasks,
            webhooks,
            limits,
            backup,
        })
    }

    /// With the database the caller chose (the launcher's embedded cluster, say).
    pub fn read_with_db(env: &mut Env<'_>, db: DbConfig) -> Self {
        let service = ServiceConfig::with_db(env, Self::PORT_VAR, Self::DEFAULT_PORT, db);
        let (tokens, scheduler) = Self::read_rest(env);
        let notify = NotifySettings::from_env(env);
        let agent_tasks = read_agent_tasks(env);
        let webhooks = read_webhook_policy(env);
        let limits = TaskLimits::from_env(env);
        let backup = BackupSettings::from_env(env);
        Self { service, tokens, scheduler, notify, agent_tasks, webhooks, limits, backup }
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

/// `AGENTS_URL`, `AUTH_URL` and cron's service client at auth (`CRON_SERVICE_CLIENT_ID`,
/// `CRON_SERVICE_CLIENT_SECRET`, one of auth's `AUTH_SERVICE_CLIENTS`): all or none.
fn read_agent_tasks(env: &mut Env<'_>) -> AgentTaskVars {
    AgentTaskVars {
        agents_url: env.url("AGENTS_URL", &["http", "https"]),
        auth_url: env.url("AUTH_URL", &["http", "https"]),
        client_id: env.raw("CRON_SERVICE_CLIENT_ID").filter(|id| !id.trim().is_empty()),
        client_secret: env.secret("CRON_SERVICE_CLIENT_SECRET"),
    }
}

/// The agent-task variables as given (the launcher fills in its neighbours' URLs).
#[derive(Debug, Clone, Default)]
pub struct AgentTaskVars {
    pub agents_url: Option<url::Url>,
    pub auth_url: Option<url::Url>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
}

impl AgentTaskVars {
    /// `Ok` when every variable is there, else the names of those missing (creating an agent
    /// task is refused naming them).
    pub fn settings(&self) -> Result<AgentTaskSettings, Vec<&'static str>> {
        match (&self.agents_url, &self.auth_url, &self.client_id, &self.client_secret) {
            (Some(agents_url), Some(auth_url), Some(client_id), Some(client_secret)) => {
                Ok(AgentTaskSettings {
                    agents_url: with_slash(agents_url.clone()),
                    auth_url: with_slash(auth_url.clone()),
                    client_id: client_id.trim().to_owned(),
                    client_secret: client_secret.clone(),
                })
            }
            (agents, auth, id, secret) => {
                let mut missing = Vec::new();
                for (name, given) in [
                    ("AGENTS_URL", agents.is_some()),
                    ("AUTH_URL", auth.is_some()),
                    ("CRON_SERVICE_CLIENT_ID", id.is_some()),
                    ("CRON_SERVICE_CLIENT_SECRET", secret.is_some()),
                ] {
                    if !given {
                        missing.push(name);
                    }
                }
                Err(missing)
            }
        }
    }
}

/// A base URL that `join` appends to rather than replacing its last segment.
fn with_slash(mut url: url::Url) -> url::Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

/// The channels notifications go out on besides the in-app stream.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// `SMTP_URL` (shared with auth); unset: no email deliveries are queued.
    pub smtp_url: Option<SecretString>,
    pub smtp_from: String,
    /// Unset: push subscriptions are kept but their deliveries fail as not configured.
    pub vapid: Option<VapidSettings>,
    /// `CRON_PUSH_ALLOW_INSECURE_LOOPBACK`: also accept push endpoints on loopback addresses,
    /// over `http://` too when the host is a loopback IP (tests, local development). Off: https
    /// to permitted destinations only.
    pub push_allow_insecure_loopback: bool,
    /// Where push endpoints may point besides the public internet: `CRON_PUSH_ALLOW` (its own
    /// list, not the webhooks': trusting an internal webhook receiver does not open it to
    /// anyone's push subscription), plus loopback under `CRON_PUSH_ALLOW_INSECURE_LOOPBACK`.
    pub push_destinations: DestinationPolicy,
}

#[derive(Debug, Clone)]
pub struct VapidSettings {
    pub private_key: SecretString,
    /// Its public key, base64url uncompressed point: what browsers subscribe with.
    pub public_key: String,
    /// `mailto:` or `https:` contact for push services.
    pub subject: String,
}

impl NotifySettings {
    /// The channels new notifications are queued for under these settings.
    pub fn channels(&self) -> crate::notifications::Channels {
        crate::notifications::Channels { email: self.smtp_url.is_some() }
    }

    fn from_env(env: &mut Env<'_>) -> Self {
        let smtp_url = env.smtp_url("SMTP_URL");
        let smtp_from =
            env.raw("CRON_SMTP_FROM").unwrap_or_else(|| "Posey <noreply@localhost>".into());
        if smtp_url.is_some() && smtp_from.parse::<lettre::message::Mailbox>().is_err() {
            env.problem("CRON_SMTP_FROM", "is not an email address");
        }
        let vapid = match (env.secret("CRON_VAPID_PRIVATE_KEY"), env.raw("CRON_VAPID_SUBJECT")) {
            (None, _) => None,
            (Some(key), subject) => match vapid_public_key(key.expose_secret()) {
                Ok(public_key) => {
                    let subject = subject.unwrap_or_default();
                    if !(subject.starts_with("mailto:") || subject.starts_with("https://")) {
                        env.problem("CRON_VAPID_SUBJECT", "must be a mailto: or https: URL");
                    }
                    Some(VapidSettings { private_key: key, public_key, subject })
                }
                Err(message) => {
                    env.problem("CRON_VAPID_PRIVATE_KEY", message);
                    None
                }
            },
        };
        let push_allow_insecure_loopback = env.or("CRON_PUSH_ALLOW_INSECURE_LOOPBACK", false);
        let mut push_destinations = read_policy(env, "CRON_PUSH_ALLOW");
        if push_allow_insecure_loopback {
            push_destinations = push_destinations.with_loopback();
        }
        Self { smtp_url, smtp_from, vapid, push_allow_insecure_loopback, push_destinations }
    }
}

/// The public key of a base64url P-256 private scalar, as browsers want it.
fn vapid_public_key(private_key: &str) -> Result<String, String> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let bytes = URL_SAFE_NO_PAD
        .decode(private_key.trim().trim_end_matches('='))
        .map_err(|_| "is not base64url".to_owned())?;
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let key = p256::SecretKey::from_slice(&bytes)
        .map_err(|_| "is not a P-256 private key (32 bytes, base64url)".to_owned())?;
    Ok(URL_SAFE_NO_PAD.encode(key.public_key().to_encoded_point(false).as_bytes()))
}

impl posey_http::ServiceConfig for Config {
    fn read_env(env: &mut Env<'_>) -> Option<Self> {
        Self::read(env)
    }

    fn common(&self) -> &posey_config::ServiceConfig {
        &self.service
    }
}
