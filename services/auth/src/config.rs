//! The auth service's configuration, from the environment (see `.env.example`).

use std::time::Duration;

use posey_config::{DbConfig, Env, SecretString, ServiceConfig};

use crate::key_encryption::KeyEncryption;

#[derive(Debug, Clone)]
pub struct Config {
    pub service: ServiceConfig,
    pub auth: AuthSettings,
}

/// Everything about accounts, tokens and email that an operator may tune.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// `iss` of every access token; also where clients find `/.well-known/*`.
    pub issuer: String,
    /// This service's public URL, for the links in emails.
    pub external_url: url::Url,
    /// The app's URL: the default `redirect_to` after a confirmation or recovery link.
    pub site_url: url::Url,
    /// The only `redirect_to` values accepted besides `site_url`, matched exactly.
    pub redirect_urls: Vec<String>,
    pub access_token_ttl: Duration,
    /// How long a rotated refresh token may still be presented and get the same successor.
    pub refresh_reuse_interval: Duration,
    /// A session ends this long after its last refresh.
    pub session_inactivity_timeout: Duration,
    /// A session ends this long after sign-in, whatever its activity.
    pub session_timebox: Duration,
    /// A new signing key every so often; the old one stays published until its tokens expire.
    pub key_rotation_interval: Duration,
    /// The operator's key that seals the signing keys at rest, and the previous one while
    /// rotating it.
    pub key_encryption: KeyEncryption,
    /// No sign-up at all, not even the first account's (invites still work), as GoTrue's.
    pub disable_signup: bool,
    /// Once the install has an account (the first is its owner), whether anyone may sign up;
    /// `false` (the default): only the people an admin invited.
    pub open_signup: bool,
    /// How long an invite's link works.
    pub invite_ttl: Duration,
    /// The app's page an invite link opens (with `token_hash`, `type=invite` and `email`), where
    /// the invitee picks a password and signs up with the invite.
    pub invite_url: url::Url,
    /// Sign-up needs no email confirmation (sessions come back from `/signup` at once).
    pub mailer_autoconfirm: bool,
    /// Lifetime of the tokens in confirmation, recovery and magic-link emails.
    pub email_token_ttl: Duration,
    pub password_min_length: usize,
    /// Service clients for the client-credentials grant, with the scopes each is granted.
    pub service_clients: Vec<ServiceClient>,
    /// SMTP server; unset means the outbox table.
    pub smtp_url: Option<SecretString>,
    pub smtp_from: String,
    pub rate_limits: RateLimits,
    pub mfa_lockout: MfaLockout,
    /// The WebAuthn relying party passkeys are bound to.
    pub webauthn: WebauthnSettings,
    /// Social login: the upstream providers (`AUTH_EXTERNAL_<PROVIDER>_*`, see
    /// `external::settings`) and what is fetched from them.
    pub external: crate::external::Upstreams,
    /// Concurrent password hashes (each takes ~19 MiB and a core for tens of milliseconds).
    pub hash_concurrency: usize,
}

/// A client of the client-credentials grant (`AUTH_SERVICE_CLIENTS`) and what its tokens may
/// do (`AUTH_SERVICE_CLIENT_SCOPES`; none: it may act for nobody).
#[derive(Debug, Clone)]
pub struct ServiceClient {
    pub id: String,
    pub secret: SecretString,
    pub scopes: Vec<String>,
}

impl ServiceClient {
    /// A client granted `scopes`.
    pub fn new(id: &str, secret: SecretString, scopes: &[&str]) -> Self {
        Self { id: id.to_owned(), secret, scopes: scopes.iter().map(|s| (*s).to_owned()).collect() }
    }
}

/// Requests allowed per window, per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Per client IP, on every credential and email endpoint, per minute.
    pub per_ip_per_minute: u32,
    /// Per account (email address), on sign-in and email endpoints, per minute.
    pub per_account_per_minute: u32,
    /// Emails sent to one address per hour.
    pub emails_per_hour: u32,
    /// Refresh grants per client IP per minute (apps refresh often; this is a flood guard).
    pub refresh_per_ip_per_minute: u32,
}

/// The WebAuthn relying party: its id (a domain, what credentials are bound to) and the origins
/// whose ceremonies are accepted. Defaults from `AUTH_SITE_URL` (its host, its origin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebauthnSettings {
    pub rp_id: String,
    pub origins: Vec<url::Url>,
    pub rp_name: String,
}

impl WebauthnSettings {
    /// `AUTH_WEBAUTHN_RP_ID`, `AUTH_WEBAUTHN_ORIGINS` (comma-separated) and
    /// `AUTH_WEBAUTHN_RP_NAME`; each origin must be the RP id or a subdomain of it.
    fn read(env: &mut Env<'_>, site_url: &url::Url) -> Self {
        let rp_id = env
            .raw("AUTH_WEBAUTHN_RP_ID")
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_else(|| site_url.host_str().unwrap_or("localhost").to_owned());
        let mut origins = Vec::new();
        match env.raw("AUTH_WEBAUTHN_ORIGINS") {
            Some(raw) => {
                for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                    match url::Url::parse(entry) {
                        Ok(origin) if matches!(origin.scheme(), "http" | "https") => {
                            origins.push(origin)
                        }
                        _ => env.problem(
                            "AUTH_WEBAUTHN_ORIGINS",
                            format!("{entry:?} is not an http(s) origin"),
                        ),
                    }
                }
            }
            None => origins.push(site_url.clone()),
        }
        for origin in &origins {
            let host = origin.host_str().unwrap_or_default();
            if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
                env.problem(
                    "AUTH_WEBAUTHN_RP_ID",
                    format!("{rp_id:?} is not {host:?} or a parent domain of it (a WebAuthn RP id must be)"),
                );
            }
        }
        let rp_name = env.raw("AUTH_WEBAUTHN_RP_NAME").unwrap_or_else(|| "Posey".into());
        Self { rp_id, origins, rp_name }
    }
}

/// Wrong MFA codes allowed within `window` before further attempts get 429 until the oldest of
/// them is `window` old.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaLockout {
    pub per_factor: u32,
    pub per_account: u32,
    pub window: Duration,
}

impl Config {
    pub const PORT_VAR: &str = "AUTH_PORT";
    pub const DEFAULT_PORT: u16 = 9000;

    /// Reads through `env`, recording problems there (a standalone service needs its key
    /// encryption key configured).
    pub fn read(env: &mut Env<'_>) -> Option<Self> {
        let service = ServiceConfig::from_env(env, Self::PORT_VAR, Self::DEFAULT_PORT);
        let port = service.as_ref().map_or(Self::DEFAULT_PORT, |s| s.http.port);
        let auth = AuthSettings::read(env, port);
        auth.key_encryption.require(env);
        service.map(|service| Self { service, auth })
    }

    /// With the database the caller chose (the launcher's embedded cluster, say, which also
    /// gives the key encryption key's file when none is configured).
    pub fn read_with_db(env: &mut Env<'_>, db: DbConfig) -> Self {
        let service = ServiceConfig::with_db(env, Self::PORT_VAR, Self::DEFAULT_PORT, db);
        let auth = AuthSettings::read(env, service.http.port);
        Self { service, auth }
    }
}

impl AuthSettings {
    /// Reads every auth variable; a bad one is recorded in `env` (failing `finish`) and its
    /// default used meanwhile.
    fn read(env: &mut Env<'_>, port: u16) -> Self {
        let port = if port == 0 { Config::DEFAULT_PORT } else { port };
        let local: url::Url =
            format!("http://localhost:{port}").parse().expect("a localhost URL parses");
        let external_url =
            env.url("AUTH_EXTERNAL_URL", &["http", "https"]).unwrap_or(local.clone());
        let issuer = env
            .raw("AUTH_ISSUER")
            .unwrap_or_else(|| local.as_str().trim_end_matches('/').to_owned());
        let site_url = env
            .url("AUTH_SITE_URL", &["http", "https"])
            .unwrap_or_else(|| "http://localhost:3000".parse().expect("a localhost URL parses"));
        let redirect_urls = env
            .raw("AUTH_REDIRECT_URLS")
            .map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let access_token_ttl = env.seconds("AUTH_ACCESS_TOKEN_TTL", Duration::from_secs(3600));
        let refresh_reuse_interval =
            env.seconds("AUTH_REFRESH_REUSE_INTERVAL", Duration::from_secs(10));
        let session_inactivity_timeout =
            env.seconds("AUTH_SESSION_INACTIVITY_TIMEOUT", Duration::from_secs(30 * 86_400));
        let session_timebox =
            env.seconds("AUTH_SESSION_TIMEBOX", Duration::from_secs(365 * 86_400));
        let key_rotation_interval =
            env.seconds("AUTH_KEY_ROTATION_INTERVAL", Duration::from_secs(30 * 86_400));
        let key_encryption = KeyEncryption::read(env);
        let disable_signup = env.or("AUTH_DISABLE_SIGNUP", false);
        let open_signup = env.or("AUTH_OPEN_SIGNUP", false);
        let invite_ttl = env.seconds("AUTH_INVITE_TTL", Duration::from_secs(7 * 86_400));
        let invite_url = env
            .url("AUTH_INVITE_URL", &["http", "https"])
            .unwrap_or_else(|| default_invite_url(&site_url));
        let mailer_autoconfirm = env.or("AUTH_MAILER_AUTOCONFIRM", false);
        let email_token_ttl = env.seconds("AUTH_EMAIL_TOKEN_TTL", Duration::from_secs(3600));
        let password_min_length = env.or("AUTH_PASSWORD_MIN_LENGTH", 8usize);
        let service_clients = Self::read_clients(env);
        let smtp_url = env.smtp_url("SMTP_URL");
        let smtp_from =
            env.raw("AUTH_SMTP_FROM").unwrap_or_else(|| "Posey <noreply@localhost>".into());
        let rate_limits = RateLimits {
            per_ip_per_minute: env.or("AUTH_RATE_LIMIT_PER_IP", 60),
            per_account_per_minute: env.or("AUTH_RATE_LIMIT_PER_ACCOUNT", 10),
            emails_per_hour: env.or("AUTH_RATE_LIMIT_EMAILS_PER_HOUR", 10),
            refresh_per_ip_per_minute: env.or("AUTH_RATE_LIMIT_REFRESH_PER_IP", 1800),
        };
        let mfa_lockout = MfaLockout {
            per_factor: env.or("AUTH_MFA_MAX_FAILURES_PER_FACTOR", 5),
            per_account: env.or("AUTH_MFA_MAX_FAILURES_PER_ACCOUNT", 10),
            window: env.seconds("AUTH_MFA_LOCKOUT_WINDOW", Duration::from_secs(900)),
        };
        if mfa_lockout.per_factor == 0 || mfa_lockout.per_account == 0 {
            env.problem(
                "AUTH_MFA_MAX_FAILURES_PER_FACTOR",
                "the MFA failure limits must be at least 1",
            );
        }
        let webauthn = WebauthnSettings::read(env, &site_url);
        let external = crate::external::Upstreams::read(env, &external_url);
        let hash_concurrency = env.or(
            "AUTH_HASH_CONCURRENCY",
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        );
        if access_token_ttl < Duration::from_secs(30) {
            env.problem("AUTH_ACCESS_TOKEN_TTL", "must be at least 30 seconds");
        }
        if invite_ttl < Duration::from_secs(60) {
            env.problem("AUTH_INVITE_TTL", "must be at least 60 seconds");
        }
        if hash_concurrency == 0 {
            env.problem("AUTH_HASH_CONCURRENCY", "must be at least 1");
        }
        Self {
            issuer,
            external_url,
            site_url,
            redirect_urls,
            access_token_ttl,
            refresh_reuse_interval,
            session_inactivity_timeout,
            session_timebox,
            key_rotation_interval,
            key_encryption,
            disable_signup,
            open_signup,
            invite_ttl,
            invite_url,
            mailer_autoconfirm,
            email_token_ttl,
            password_min_length,
            service_clients,
            smtp_url,
            smtp_from,
            rate_limits,
            mfa_lockout,
            webauthn,
            external,
            hash_concurrency,
        }
    }

    /// `AUTH_SERVICE_CLIENTS=id:secret,id2:secret2`, with their scopes from
    /// `AUTH_SERVICE_CLIENT_SCOPES`.
    fn read_clients(env: &mut Env<'_>) -> Vec<ServiceClient> {
        const VAR: &str = "AUTH_SERVICE_CLIENTS";
        let raw = env.raw(VAR);
        let scopes = env.raw(SCOPES_VAR);
        let mut clients = Vec::new();
        for entry in raw.iter().flat_map(|raw| raw.split(',')).map(str::trim) {
            if entry.is_empty() {
                continue;
            }
            match entry.split_once(':') {
                Some((id, secret)) if !id.is_empty() && secret.len() >= 16 => {
                    clients.push(ServiceClient::new(
                        id,
                        SecretString::from(secret.to_owned()),
                        &[],
                    ));
                }
                _ => {
                    let id = entry.split(':').next().unwrap_or_default();
                    env.problem(
                        VAR,
                        format!(
                            "entry for {id:?} is not `id:secret` with a secret of 16+ characters"
                        ),
                    );
                }
            }
        }
        if let Some(scopes) = scopes {
            read_scopes(env, &scopes, &mut clients);
        }
        clients
    }

    /// Whether `redirect_to` may be used: the site URL or one configured URL, matched exactly.
    pub fn allows_redirect(&self, redirect_to: &str) -> bool {
        redirect_to == self.site_url.as_str()
            || redirect_to == self.site_url.as_str().trim_end_matches('/')
            || self.redirect_urls.iter().any(|u| u == redirect_to)
    }
}

/// The scopes of `AUTH_SERVICE_CLIENTS`' clients.
pub const SCOPES_VAR: &str = "AUTH_SERVICE_CLIENT_SCOPES";

/// `AUTH_SERVICE_CLIENT_SCOPES=id=scope scope,id2=scope`: the scopes each client is granted
/// (space-separated, as OAuth writes them). Each must be one a Posey service checks, and each
/// id one of `AUTH_SERVICE_CLIENTS`'.
fn read_scopes(env: &mut Env<'_>, raw: &str, clients: &mut [ServiceClient]) {
    use posey_http::auth::scopes;
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((id, granted)) = entry.split_once('=') else {
            env.problem(SCOPES_VAR, format!("entry {entry:?} is not `client_id=scope scope`"));
            continue;
        };
        let id = id.trim();
        let Some(client) = clients.iter_mut().find(|c| c.id == id) else {
            env.problem(SCOPES_VAR, format!("{id:?} is not a client of AUTH_SERVICE_CLIENTS"));
            continue;
        };
        for scope in granted.split_ascii_whitespace() {
            if !scopes::ALL.contains(&scope) {
                env.problem(
                    SCOPES_VAR,
                    format!(
                        "{id:?} is given the unknown scope {scope:?} (known: {})",
                        scopes::ALL.join(", ")
                    ),
                );
            } else if !client.scopes.iter().any(|s| s == scope) {
                client.scopes.push(scope.to_owned());
            }
        }
    }
}

/// `<site URL>/invite`, under the site URL's path when it has one.
fn default_invite_url(site_url: &url::Url) -> url::Url {
    let mut base = site_url.clone();
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base.join("invite").unwrap_or(base)
}

impl posey_http::ServiceConfig for Config {
    fn read_env(env: &mut Env<'_>) -> Option<Self> {
        Self::read(env)
    }

    fn common(&self) -> &posey_config::ServiceConfig {
        &self.service
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clients(pairs: &[(&str, &str)]) -> Result<Vec<ServiceClient>, String> {
        let mut env = Env::from_pairs(pairs.iter().copied());
        let clients = AuthSettings::read_clients(&mut env);
        env.finish(Some(clients)).map_err(|e| e.to_string())
    }

    #[test]
    fn service_clients_get_the_scopes_configured_for_them() {
        let secrets =
            ("AUTH_SERVICE_CLIENTS", "cron:cron-secret-0123456789,agents:agents-secret-0123456");
        let read = clients(&[
            secrets,
            (SCOPES_VAR, " cron = agents:turns  cron:act-for-person , agents=cron:act-for-person"),
        ])
        .unwrap();
        let scopes: Vec<_> = read.iter().map(|c| (c.id.as_str(), c.scopes.join(" "))).collect();
        assert_eq!(
            scopes,
            [
                ("cron", "agents:turns cron:act-for-person".into()),
                ("agents", "cron:act-for-person".into())
            ]
        );
        // Unset: no client may act for anyone.
        assert!(clients(&[secrets]).unwrap().iter().all(|c| c.scopes.is_empty()));
        for (bad, named) in [
            ("nobody=agents:turns", "\"nobody\""),
            ("cron=agents:turn", "agents:turn"),
            ("cron", "client_id=scope"),
        ] {
            let error = clients(&[secrets, (SCOPES_VAR, bad)]).unwrap_err();
            assert!(error.contains(SCOPES_VAR) && error.contains(named), "{bad}: {error}");
        }
    }

    #[test]
    fn the_invite_page_sits_under_the_site_url() {
        for (site, invite) in [
            ("http://localhost:3000", "http://localhost:3000/invite"),
            ("https://home.test/posey", "https://home.test/posey/invite"),
            ("https://home.test/posey/", "https://home.test/posey/invite"),
        ] {
            assert_eq!(default_invite_url(&site.parse().unwrap()).as_str(), invite);
        }
    }
}
