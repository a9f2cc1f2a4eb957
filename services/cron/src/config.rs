//! The cron service's configuration, from the environment (see `.env.example`).

use std::time::Duration;

use posey_config::{
    ConfigError, DbConfig, Env, ExposeSecret, SecretString, ServiceConfig, TokenVerification,
};

#[derive(Debug, Clone)]
pub struct Config {
    pub service: ServiceConfig,
    /// Checking the access tokens of the REST API's callers.
    pub tokens: TokenVerification,
    pub scheduler: SchedulerSettings,
    /// Sending notifications by email and Web Push.
    pub notify: NotifySettings,
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
        let notify = NotifySettings::from_env(env);
        service.map(|service| Self { service, tokens: rest.0, scheduler: rest.1, notify })
    }

    /// With the database the caller chose (the launcher's embedded cluster, say).
    pub fn read_with_db(env: &mut Env<'_>, db: DbConfig) -> Self {
        let service = ServiceConfig::with_db(env, Self::PORT_VAR, Self::DEFAULT_PORT, db);
        let (tokens, scheduler) = Self::read_rest(env);
        let notify = NotifySettings::from_env(env);
        Self { service, tokens, scheduler, notify }
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

/// The channels notifications go out on besides the in-app stream.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// `SMTP_URL` (shared with auth); unset: no email deliveries are queued.
    pub smtp_url: Option<SecretString>,
    pub smtp_from: String,
    /// Unset: push subscriptions are kept but their deliveries fail as not configured.
    pub vapid: Option<VapidSettings>,
    /// `CRON_PUSH_ALLOW_INSECURE_LOOPBACK`: also accept `http://` push endpoints on loopback IP
    /// addresses (tests, local development). Off: https only.
    pub push_allow_insecure_loopback: bool,
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
        Self { smtp_url, smtp_from, vapid, push_allow_insecure_loopback }
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
