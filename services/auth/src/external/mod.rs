//! Social login: the operator's upstream providers (see `settings` for their configuration),
//! the request Posey sends a person to them with (`state`, `nonce`, PKCE S256), and what it
//! makes of their answer: the code exchanged at the upstream's token endpoint, then the
//! id_token checked (`oidc`) and the userinfo read, or GitHub's user API (`github`).
//! Discovery documents and keys are fetched when first needed and kept for an hour; an
//! id_token under a key id not seen yet fetches the keys again.

mod github;
mod oidc;
pub mod settings;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use posey_config::{Env, ExposeSecret};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

pub use settings::{Protocol, Provider};

/// How long a discovery document and its keys are trusted before they are fetched again.
const CACHE_TTL: Duration = Duration::from_secs(3600);
/// Keys fetched again for an unknown `kid` at most this often.
const JWKS_REFRESH_MIN: Duration = Duration::from_secs(10);
/// What an upstream may answer with (documents, keys, tokens, user records).
const MAX_BODY: usize = 1024 * 1024;

/// The enabled providers and what has been fetched from them.
#[derive(Clone)]
pub struct Upstreams {
    pub providers: Vec<Provider>,
    /// Where upstreams send people back: `<AUTH_EXTERNAL_URL>/callback`.
    pub callback_url: Url,
    http: reqwest::Client,
    cache: Arc<Mutex<HashMap<&'static str, Arc<Fetched>>>>,
}

impl std::fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstreams")
            .field("providers", &self.providers)
            .field("callback_url", &self.callback_url.as_str())
            .finish_non_exhaustive()
    }
}

/// A provider's discovery document and keys, and when they were fetched.
struct Fetched {
    discovery: oidc::Discovery,
    keys: Vec<Jwk>,
    at: Instant,
}

/// An upstream failure: what to tell the person (GoTrue's codes), and the detail for the log.
#[derive(Debug)]
pub enum Failure {
    /// The upstream's answer is not acceptable (a refused id_token, no usable address).
    Refused { code: &'static str, message: String },
    /// The upstream could not be reached or answered nonsense.
    Unavailable(String),
}

impl Failure {
    fn refused(code: &'static str, message: impl Into<String>) -> Self {
        Self::Refused { code, message: message.into() }
    }
}

/// The secrets of one sign-in: what goes to the upstream, and what stays in Posey's state.
pub struct Begun {
    pub state: String,
    pub nonce: String,
    pub code_verifier: String,
}

impl Begun {
    pub fn generate() -> Self {
        Self {
            state: crate::tokens::random_token(),
            nonce: crate::tokens::random_token(),
            code_verifier: crate::tokens::random_token(),
        }
    }
}

/// A person as the upstream vouches for them.
#[derive(Debug, Clone)]
pub struct Person {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    /// What GoTrue keeps as `identity_data`.
    pub claims: Map<String, Value>,
}

impl Upstreams {
    pub fn read(env: &mut Env<'_>, external_url: &Url) -> Self {
        let providers = settings::read(env);
        let mut base = external_url.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let callback_url = base.join("callback").unwrap_or(base);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("posey-auth/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self { providers, callback_url, http, cache: Arc::default() }
    }

    pub fn find(&self, name: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.name == name)
    }

    /// Where to send the person: the upstream's authorization endpoint with `begun`'s state,
    /// nonce and code challenge, and the scopes (the provider's and `extra`).
    pub async fn authorize_url(
        &self,
        provider: &Provider,
        begun: &Begun,
        extra: &[&str],
    ) -> Result<Url, Failure> {
        let mut url = match &provider.protocol {
            Protocol::Oidc { .. } => {
                self.fetched(provider, false).await?.discovery.authorization_endpoint.clone()
            }
            Protocol::GitHub { web, .. } => web
                .join("login/oauth/authorize")
                .map_err(|e| Failure::Unavailable(e.to_string()))?,
        };
        let mut scopes = provider.scopes.clone();
        for scope in extra {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push((*scope).to_owned());
            }
        }
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(begun.code_verifier.as_bytes()));
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &provider.client_id)
                .append_pair("redirect_uri", self.callback_url.as_str())
                .append_pair("scope", &scopes.join(" "))
                .append_pair("state", &begun.state)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
            if matches!(provider.protocol, Protocol::Oidc { .. }) {
                query.append_pair("nonce", &begun.nonce);
            }
            if provider.form_post {
                query.append_pair("response_mode", "form_post");
            }
        }
        Ok(url)
    }

    /// The upstream's answer, checked: the code exchanged (with the PKCE verifier), then the
    /// person from the id_token (whose nonce must be `nonce`) and userinfo, or GitHub's API.
    pub async fn finish(
        &self,
        provider: &Provider,
        code: &str,
        code_verifier: &str,
        nonce: &str,
    ) -> Result<Person, Failure> {
        let token_endpoint = match &provider.protocol {
            Protocol::Oidc { .. } => {
                self.fetched(provider, false).await?.discovery.token_endpoint.clone()
            }
            Protocol::GitHub { web, .. } => web
                .join("login/oauth/access_token")
                .map_err(|e| Failure::Unavailable(e.to_string()))?,
        };
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.callback_url.as_str()),
            ("client_id", provider.client_id.as_str()),
            ("client_secret", provider.secret.expose_secret()),
            ("code_verifier", code_verifier),
        ];
        let request =
            self.http.post(token_endpoint).header("accept", "application/json").form(&form);
        let tokens = self.json(request, "the token endpoint").await?;
        if let Some(error) = tokens.get("error").and_then(Value::as_str) {
            let detail = tokens.get("error_description").and_then(Value::as_str).unwrap_or("");
            return Err(Failure::refused(
                "bad_oauth_callback",
                format!("the provider refused the code: {error} {detail}"),
            ));
        }
        let access_token = tokens.get("access_token").and_then(Value::as_str).unwrap_or_default();
        match &provider.protocol {
            Protocol::Oidc { issuer } => {
                let id_token = tokens.get("id_token").and_then(Value::as_str).ok_or_else(|| {
                    Failure::refused("bad_oauth_callback", "the provider returned no id_token")
                })?;
                self.person_from_oidc(provider, issuer, id_token, access_token, nonce).await
            }
            Protocol::GitHub { api, .. } => self.person_from_github(api, access_token).await,
        }
    }

    async fn person_from_oidc(
        &self,
        provider: &Provider,
        issuer: &str,
        id_token: &str,
        access_token: &str,
        nonce: &str,
    ) -> Result<Person, Failure> {
        let mut fetched = self.fetched(provider, false).await?;
        if !oidc::has_key(&fetched.keys, oidc::token_kid(id_token).as_deref())
            && fetched.at.elapsed() > JWKS_REFRESH_MIN
        {
            fetched = self.fetched(provider, true).await?;
        }
        // Microsoft's multi-tenant issuer carries the tenant placeholder.
        let expected = if fetched.discovery.issuer.contains("{tenantid}") {
            fetched.discovery.issuer.as_str()
        } else {
            issuer
        };
        let mut claims =
            oidc::verify_id_token(id_token, &fetched.keys, expected, &provider.client_id, nonce)
                .map_err(|refused| Failure::refused("bad_oauth_callback", format!("{refused}")))?;
        // Many providers put the address in userinfo only (OIDC Core 5.4 with a code flow).
        if !claims.contains_key("email")
            && let Some(userinfo) = fetched.discovery.userinfo_endpoint.clone()
            && !access_token.is_empty()
        {
            let request = self.http.get(userinfo).bearer_auth(access_token);
            let info = self.json(request, "userinfo").await?;
            if info.get("sub") != claims.get("sub") {
                return Err(Failure::refused(
                    "bad_oauth_callback",
                    "userinfo is about another subject than the id_token",
                ));
            }
            if let Value::Object(info) = info {
                for (key, value) in info {
                    claims.entry(key).or_insert(value);
                }
            }
        }
        for technical in [
            "aud",
            "exp",
            "iat",
            "nbf",
            "nonce",
            "at_hash",
            "c_hash",
            "auth_time",
            "sid",
            "azp",
            "jti",
        ] {
            claims.remove(technical);
        }
        settle_email_verified(provider.name, &mut claims);
        person(claims)
    }

    async fn person_from_github(&self, api: &Url, access_token: &str) -> Result<Person, Failure> {
        let get = |path: &str| {
            let url = api.join(path).map_err(|e| Failure::Unavailable(e.to_string()))?;
            Ok::<_, Failure>(
                self.http
                    .get(url)
                    .bearer_auth(access_token)
                    .header("accept", "application/vnd.github+json"),
            )
        };
        let user = self.json(get("user")?, "GitHub's user API").await?;
        let user: github::GitHubUser = serde_json::from_value(user)
            .map_err(|e| Failure::Unavailable(format!("GitHub's user: {e}")))?;
        let emails = self.json(get("user/emails")?, "GitHub's emails API").await?;
        let emails: Vec<github::GitHubEmail> = serde_json::from_value(emails)
            .map_err(|e| Failure::Unavailable(format!("GitHub's emails: {e}")))?;
        person(github::claims(&user, &emails))
    }

    /// The provider's discovery document and keys, from the cache unless stale or `refresh`.
    async fn fetched(&self, provider: &Provider, refresh: bool) -> Result<Arc<Fetched>, Failure> {
        let Protocol::Oidc { issuer } = &provider.protocol else {
            return Err(Failure::Unavailable(format!("{} has no discovery", provider.name)));
        };
        if !refresh
            && let Some(cached) = self.cache.lock().ok().and_then(|c| c.get(provider.name).cloned())
            && cached.at.elapsed() < CACHE_TTL
        {
            return Ok(cached);
        }
        let base = issuer.trim_end_matches('/');
        let url = format!("{base}/.well-known/openid-configuration");
        let document = self.json(self.http.get(&url), "discovery").await?;
        let discovery: oidc::Discovery = serde_json::from_value(document)
            .map_err(|e| Failure::Unavailable(format!("{url}: {e}")))?;
        discovery.check_issuer(issuer).map_err(Failure::Unavailable)?;
        let keys = self.json(self.http.get(discovery.jwks_uri.clone()), "the keys").await?;
        let fetched =
            Arc::new(Fetched { discovery, keys: oidc::parse_jwks(&keys), at: Instant::now() });
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(provider.name, fetched.clone());
        }
        Ok(fetched)
    }

    /// Sends `request` and reads its JSON answer (any status: OAuth errors come as JSON).
    async fn json(&self, request: reqwest::RequestBuilder, what: &str) -> Result<Value, Failure> {
        let unavailable = |e: String| Failure::Unavailable(format!("{what}: {e}"));
        let response = request.send().await.map_err(|e| unavailable(e.to_string()))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| unavailable(e.to_string()))?;
        if bytes.len() > MAX_BODY {
            return Err(unavailable(format!("an answer of {} bytes", bytes.len())));
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) if status.is_success() || value.get("error").is_some() => Ok(value),
            Ok(_) | Err(_) => Err(unavailable(format!("status {status}, not the JSON expected"))),
        }
    }
}

/// The person of `claims` (`sub`, `email`, `email_verified`).
fn person(claims: Map<String, Value>) -> Result<Person, Failure> {
    let subject = match claims.get("sub") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(Failure::refused("bad_oauth_callback", "the provider gave no subject")),
    };
    let email = claims.get("email").and_then(Value::as_str).map(str::to_owned);
    let email_verified = oidc::truthy(claims.get("email_verified"));
    Ok(Person { subject, email, email_verified, claims })
}

/// Microsoft vouches for an address through the optional claim `xms_edov` (the address's
/// domain is verified by its tenant), never `email_verified`: any tenant of the `common`
/// issuer may write that one, so for `azure` only `xms_edov` decides.
fn settle_email_verified(provider: &str, claims: &mut Map<String, Value>) {
    if provider == "azure" {
        let verified = oidc::truthy(claims.get("xms_edov"));
        claims.insert("email_verified".into(), Value::Bool(verified));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn microsofts_address_is_verified_only_by_xms_edov() {
        let settle = |provider: &str, claims: Value| {
            let mut claims = claims.as_object().unwrap().clone();
            settle_email_verified(provider, &mut claims);
            claims.get("email_verified").cloned()
        };
        // A tenant's own `email_verified` counts for nothing at Microsoft.
        assert_eq!(settle("azure", json!({"email_verified": true})), Some(json!(false)));
        assert_eq!(settle("azure", json!({"xms_edov": true})), Some(json!(true)));
        assert_eq!(
            settle("azure", json!({"xms_edov": "true", "email_verified": false})),
            Some(json!(true))
        );
        // Elsewhere the provider's own claim stands.
        assert_eq!(settle("google", json!({"email_verified": true})), Some(json!(true)));
        assert_eq!(settle("oidc", json!({})), None);
    }
}
