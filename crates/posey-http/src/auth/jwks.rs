//! `JwksVerifier`: verifies access tokens against the auth service's JWKS. Keys are fetched on
//! first use, refreshed when they grow old, and refetched when a token names an unknown `kid`
//! (no more often than `refresh_min_interval`, so junk tokens cannot hammer the auth service).
//! Only EdDSA and ES256 are accepted: `none`, HMAC and RSA tokens are refused before any key is
//! looked at, and a key is only ever used with the algorithm of its own type.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use posey_domain::clock::{SharedClock, SystemClock};
use tokio::sync::{Mutex, RwLock};

use super::{Claims, RevocationList};

/// The algorithms an access token may be signed with.
const ACCEPTED: [Algorithm; 2] = [Algorithm::EdDSA, Algorithm::ES256];

#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// Where auth publishes its keys, e.g. `http://auth:9000/.well-known/jwks.json`.
    pub jwks_url: url::Url,
    /// The `iss` every token must carry.
    pub issuer: String,
    /// Accepted `aud` values (a token must carry one of them).
    pub audience: Vec<String>,
    /// Clock skew tolerated on `exp`/`nbf`.
    pub leeway: Duration,
    /// Keys older than this are refetched before use.
    pub max_key_age: Duration,
    /// Unknown-`kid` refetches happen at most this often.
    pub refresh_min_interval: Duration,
}

impl VerifierConfig {
    pub fn new(jwks_url: url::Url, issuer: impl Into<String>) -> Self {
        Self {
            jwks_url,
            issuer: issuer.into(),
            audience: vec!["authenticated".into()],
            leeway: Duration::from_secs(30),
            max_key_age: Duration::from_secs(600),
            refresh_min_interval: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed token")]
    Malformed,
    #[error("token algorithm {0} is not accepted")]
    AlgorithmNotAccepted(String),
    #[error("token has no key id")]
    MissingKeyId,
    #[error("token signed by an unknown key")]
    UnknownKey,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("token audience is not accepted")]
    WrongAudience,
    #[error("token issuer is not accepted")]
    WrongIssuer,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token claims are invalid: {0}")]
    InvalidClaims(String),
    #[error("the token's session has been revoked")]
    SessionRevoked,
    #[error("signing keys are unavailable: {0}")]
    KeysUnavailable(String),
}

impl VerifyError {
    /// Whether the token is at fault (401) rather than the key source (503).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::KeysUnavailable(_))
    }
}

struct CachedKey {
    key: DecodingKey,
    alg: Algorithm,
}

#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, CachedKey>,
    fetched_at: Option<Instant>,
}

/// Where the verifier gets its keys: the auth service's JWKS over HTTP, or (inside the auth
/// service itself) straight from its key store.
pub trait JwksSource: Send + Sync + 'static {
    fn fetch(&self) -> futures::future::BoxFuture<'_, Result<JwkSet, String>>;
}

struct HttpSource {
    url: url::Url,
    http: reqwest::Client,
}

impl JwksSource for HttpSource {
    fn fetch(&self) -> futures::future::BoxFuture<'_, Result<JwkSet, String>> {
        Box::pin(async move {
            let url = self.url.as_str();
            let response = self
                .http
                .get(url)
                .send()
                .await
                .and_then(|r| r.error_for_status())
                .map_err(|e| format!("fetching {url}: {e}"))?;
            response.json().await.map_err(|e| format!("reading {url}: {e}"))
        })
    }
}

pub struct JwksVerifier {
    config: VerifierConfig,
    source: Box<dyn JwksSource>,
    revocations: Option<std::sync::Arc<RevocationList>>,
    /// What `exp` and `nbf` are checked against (tests move it instead of sleeping).
    clock: SharedClock,
    verified: VerifiedTokens,
    cache: RwLock<KeyCache>,
    /// One refetch at a time; others wait for it and then use its result.
    refresh: Mutex<()>,
}

impl std::fmt::Debug for JwksVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksVerifier").field("config", &self.config).finish_non_exhaustive()
    }
}

impl JwksVerifier {
    /// Keys from `config.jwks_url` over HTTP.
    pub fn new(config: VerifierConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let source = HttpSource { url: config.jwks_url.clone(), http };
        Self::with_source(config, source)
    }

    /// Keys from any source.
    pub fn with_source(config: VerifierConfig, source: impl JwksSource) -> Self {
        Self {
            config,
            source: Box::new(source),
            revocations: None,
            clock: SystemClock::shared(),
            verified: VerifiedTokens::default(),
            cache: RwLock::default(),
            refresh: Mutex::new(()),
        }
    }

    /// Also refuses tokens whose session has been revoked.
    pub fn with_revocations(mut self, revocations: std::sync::Arc<RevocationList>) -> Self {
        self.revocations = Some(revocations);
        self
    }

    /// Reads "now" from `clock` instead of the machine's.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// Verifies signature, algorithm, expiry, issuer and audience; returns the claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        // A client uses one access token for many requests: after the first, skip the signature.
        let now = self.clock.now().timestamp();
        let claims = match self.verified.get(token, self.config.leeway, now) {
            Some(claims) => claims,
            None => {
                let claims = self.verify_signature(token, now).await?;
                self.verified.put(token, &claims, now);
                claims
            }
        };
        if let (Some(list), Some(session)) = (&self.revocations, claims.session_id)
            && list.is_revoked(session)
        {
            return Err(VerifyError::SessionRevoked);
        }
        Ok(claims)
    }

    /// The full check: algorithm, key, signature, expiry and `nbf` (at `now`, Unix seconds),
    /// issuer, audience.
    async fn verify_signature(&self, token: &str, now: i64) -> Result<Claims, VerifyError> {
        let header = decode_header(token).map_err(|_| match algorithm_name(token) {
            // A header naming an algorithm we do not know (`none`, say) is refused as such.
            Some(alg) if !ACCEPTED.iter().any(|a| format!("{a:?}") == alg) => {
                VerifyError::AlgorithmNotAccepted(alg)
            }
            _ => VerifyError::Malformed,
        })?;
        if !ACCEPTED.contains(&header.alg) {
            return Err(VerifyError::AlgorithmNotAccepted(format!("{:?}", header.alg)));
        }
        let kid = header.kid.ok_or(VerifyError::MissingKeyId)?;
        let (key, alg) = self.key_for(&kid).await?;
        if alg != header.alg {
            // A key is used only with its own algorithm: no algorithm confusion.
            return Err(VerifyError::AlgorithmNotAccepted(format!("{:?}", header.alg)));
        }

        let mut validation = Validation::new(alg);
        validation.leeway = self.config.leeway.as_secs();
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&self.config.audience);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        // Times are checked below against the verifier's clock, with jsonwebtoken's rules.
        validation.validate_exp = false;
        validation.validate_nbf = false;

        use jsonwebtoken::errors::ErrorKind as K;
        let claims = decode::<Claims>(token, &key, &validation).map(|data| data.claims).map_err(
            |e| match e.kind() {
                K::ExpiredSignature => VerifyError::Expired,
                K::ImmatureSignature => VerifyError::NotYetValid,
                K::InvalidAudience => VerifyError::WrongAudience,
                K::InvalidIssuer => VerifyError::WrongIssuer,
                K::InvalidSignature => VerifyError::BadSignature,
                K::MissingRequiredClaim(c) => VerifyError::InvalidClaims(format!("missing {c}")),
                K::Json(e) => VerifyError::InvalidClaims(e.to_string()),
                _ => VerifyError::Malformed,
            },
        )?;
        let leeway = self.config.leeway.as_secs() as i64;
        if claims.exp < now - leeway {
            return Err(VerifyError::Expired);
        }
        if claims.nbf.is_some_and(|nbf| nbf > now + leeway) {
            return Err(VerifyError::NotYetValid);
        }
        if let (Some(list), Some(session)) = (&self.revocations, claims.session_id)
            && list.is_revoked(session)
        {
            return Err(VerifyError::SessionRevoked);
        }
        Ok(claims)
    }

    /// The key for `kid`, refetching the JWKS when it is stale or does not know `kid`.
    async fn key_for(&self, kid: &str) -> Result<(DecodingKey, Algorithm), VerifyError> {
        {
            let cache = self.cache.read().await;
            if !self.is_stale(&cache)
                && let Some(k) = cache.keys.get(kid)
            {
                return Ok((k.key.clone(), k.alg));
            }
        }

        let _guard = self.refresh.lock().await;
        // Someone else may have refreshed while we waited.
        let needs_fetch = {
            let cache = self.cache.read().await;
            match cache.fetched_at {
                None => true,
                Some(_) if self.is_stale(&cache) => true,
                Some(at) => {
                    !cache.keys.contains_key(kid)
                        && at.elapsed() >= self.config.refresh_min_interval
                }
            }
        };
        if needs_fetch {
            match self.fetch().await {
                Ok(keys) => {
                    let mut cache = self.cache.write().await;
                    if cache.keys.keys().ne(keys.keys()) {
                        // A key may have been withdrawn: nothing it signed is trusted unchecked.
                        self.verified.clear();
                    }
                    cache.keys = keys;
                    cache.fetched_at = Some(Instant::now());
                }
                Err(e) => {
                    // Stale keys are better than none while auth is briefly away.
                    let cache = self.cache.read().await;
                    if cache.keys.is_empty() {
                        return Err(VerifyError::KeysUnavailable(e));
                    }
                    tracing::warn!(error = %e, "JWKS refresh failed; using cached keys");
                }
            }
        }
        let cache = self.cache.read().await;
        cache.keys.get(kid).map(|k| (k.key.clone(), k.alg)).ok_or(VerifyError::UnknownKey)
    }

    fn is_stale(&self, cache: &KeyCache) -> bool {
        cache.fetched_at.is_none_or(|at| at.elapsed() > self.config.max_key_age)
    }

    async fn fetch(&self) -> Result<HashMap<String, CachedKey>, String> {
        let set = self.source.fetch().await?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else { continue };
            // Only keys of the accepted types; anything else in the set is ignored.
            let alg = match &jwk.algorithm {
                AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
                AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
                    Algorithm::ES256
                }
                _ => continue,
            };
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    keys.insert(kid, CachedKey { key, alg });
                }
                Err(e) => tracing::warn!(kid, error = %e, "skipping an unusable JWKS key"),
            }
        }
        tracing::debug!(keys = keys.len(), "fetched JWKS");
        Ok(keys)
    }
}

/// Tokens whose signature and claims were checked, until they expire. Bounded: when full, the
/// expired entries go, and if that is not enough, everything (the next request re-verifies).
#[derive(Default)]
struct VerifiedTokens {
    tokens: std::sync::Mutex<HashMap<String, Claims>>,
}

const MAX_VERIFIED: usize = 10_000;

impl VerifiedTokens {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Claims>> {
        self.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The claims of a checked token that has not expired by `now` (Unix seconds).
    fn get(&self, token: &str, leeway: Duration, now: i64) -> Option<Claims> {
        let tokens = self.lock();
        let claims = tokens.get(token)?;
        (claims.exp + leeway.as_secs() as i64 > now).then(|| claims.clone())
    }

    fn put(&self, token: &str, claims: &Claims, now: i64) {
        let mut tokens = self.lock();
        if tokens.len() >= MAX_VERIFIED {
            tokens.retain(|_, c| c.exp > now);
            if tokens.len() >= MAX_VERIFIED {
                tokens.clear();
            }
        }
        tokens.insert(token.to_owned(), claims.clone());
    }

    fn clear(&self) {
        self.lock().clear();
    }
}

/// The `alg` a token's header names (at most 16 characters, for messages).
fn algorithm_name(token: &str) -> Option<String> {
    use base64::Engine;
    token
        .split('.')
        .next()
        .and_then(|h| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|v| v.get("alg").and_then(|a| a.as_str()).map(str::to_owned))
        .map(|a| a.chars().take(16).collect())
}
