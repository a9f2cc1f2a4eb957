//! HTTP Basic for calendar apps: the person's email and one of their app passwords, exchanged
//! at the auth service (`POST {AUTH_URL}/token?grant_type=app_password`) for an access token.
//! The token is kept per credential until shortly before it expires and verified on every
//! request like any other, so revoking the app password (which ends its session) locks the app
//! out within the verifier's revocation poll, not when the kept token runs out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use posey_http::auth::JwksVerifier;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Credentials kept at most; past this the oldest half goes (an attacker guessing passwords
/// never gets an entry: only accepted credentials are kept).
const MAX_KEPT: usize = 10_000;

/// Why Basic credentials gave no person.
#[derive(Debug, thiserror::Error)]
pub enum BasicError {
    #[error("the Authorization header is not Basic base64(email:password)")]
    Malformed,
    #[error("wrong email or app password")]
    Refused,
    #[error("app passwords are not available: AUTH_URL is not set")]
    NotConfigured,
    #[error("the auth service could not be asked: {0}")]
    Unavailable(String),
}

/// Signs calendar apps in with app passwords.
pub struct AppPasswords {
    auth_url: Option<url::Url>,
    http: reqwest::Client,
    /// SHA-256 of the header → the access token it got and until when it is kept.
    kept: Mutex<HashMap<[u8; 32], (String, Instant)>>,
}

#[derive(Deserialize)]
struct Granted {
    access_token: String,
    expires_in: u64,
}

impl AppPasswords {
    pub fn new(auth_url: Option<url::Url>) -> Self {
        Self { auth_url, http: reqwest::Client::new(), kept: Mutex::new(HashMap::new()) }
    }

    /// The person `Basic <credentials>` signs in.
    pub async fn person(
        &self,
        credentials: &str,
        verifier: &JwksVerifier,
    ) -> Result<Uuid, BasicError> {
        let key: [u8; 32] = Sha256::digest(credentials.trim().as_bytes()).into();
        let kept = self.lock().get(&key).filter(|(_, until)| *until > Instant::now()).cloned();
        let token = match kept {
            Some((token, _)) => token,
            None => {
                let (token, lifetime) = self.exchange(credentials).await?;
                let mut kept = self.lock();
                if kept.len() >= MAX_KEPT {
                    let now = Instant::now();
                    kept.retain(|_, (_, until)| *until > now);
                    if kept.len() >= MAX_KEPT {
                        kept.clear();
                    }
                }
                kept.insert(key, (token.clone(), Instant::now() + lifetime));
                token
            }
        };
        match verifier.verify(&token).await {
            Ok(claims) => claims.user_id().map(|id| id.as_uuid()).ok_or(BasicError::Refused),
            Err(error) if error.is_client_error() => {
                // Revoked or expired: forget it, so the next request asks auth again.
                self.lock().remove(&key);
                Err(BasicError::Refused)
            }
            Err(error) => Err(BasicError::Unavailable(error.to_string())),
        }
    }

    async fn exchange(&self, credentials: &str) -> Result<(String, Duration), BasicError> {
        let auth_url = self.auth_url.as_ref().ok_or(BasicError::NotConfigured)?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(credentials.trim())
            .map_err(|_| BasicError::Malformed)?;
        let decoded = String::from_utf8(decoded).map_err(|_| BasicError::Malformed)?;
        let (email, password) = decoded.split_once(':').ok_or(BasicError::Malformed)?;
        let url = auth_url
            .join("token?grant_type=app_password")
            .map_err(|error| BasicError::Unavailable(error.to_string()))?;
        let response = self
            .http
            .post(url)
            .timeout(Duration::from_secs(10))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .map_err(|error| BasicError::Unavailable(error.to_string()))?;
        let status = response.status();
        if status.is_client_error() {
            return Err(BasicError::Refused);
        }
        if !status.is_success() {
            return Err(BasicError::Unavailable(format!("auth answered {status}")));
        }
        let granted: Granted =
            response.json().await.map_err(|error| BasicError::Unavailable(error.to_string()))?;
        // Kept a little less than it lives, so a kept token never expires mid-request.
        let lifetime = Duration::from_secs(granted.expires_in.saturating_sub(30).max(1));
        Ok((granted.access_token, lifetime))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (String, Instant)>> {
        self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
