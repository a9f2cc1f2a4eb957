//! A service's own client at auth (client-credentials grant): the tokens one service calls
//! another with (cron running agent tasks, agents handing notices to cron), each cached until
//! shortly before it expires and renewed once when the called service refuses it.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use posey_config::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

/// A token is renewed this long before it expires, so none is sent about to lapse.
const RENEW_BEFORE: Duration = Duration::from_secs(60);

/// A service client's credentials at auth.
#[derive(Debug, Clone)]
pub struct ServiceCredentials {
    /// Auth's base URL (its token endpoint is `{auth_url}/token`).
    pub auth_url: url::Url,
    pub client_id: String,
    pub client_secret: SecretString,
}

/// Gets and caches the service's tokens.
pub struct ServiceClient {
    credentials: ServiceCredentials,
    /// What the credentials are called in the operator's configuration, for errors
    /// (`CRON_SERVICE_CLIENT_ID/SECRET`).
    configured_as: &'static str,
    http: reqwest::Client,
    token: Mutex<Option<(String, Instant)>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

impl ServiceClient {
    /// `configured_as` names the settings the credentials came from, for errors.
    pub fn new(
        credentials: ServiceCredentials,
        configured_as: &'static str,
        http: reqwest::Client,
    ) -> Self {
        Self { credentials, configured_as, http, token: Mutex::new(None) }
    }

    /// The HTTP client calls are made with.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A service token, from the cache unless it is about to expire.
    pub async fn token(&self) -> anyhow::Result<String> {
        let mut cached = self.token.lock().await;
        if let Some((token, renew_at)) = cached.as_ref()
            && Instant::now() < *renew_at
        {
            return Ok(token.clone());
        }
        let url = self.credentials.auth_url.join("token?grant_type=client_credentials")?;
        let response = self
            .http
            .post(url)
            .json(&json!({
                "client_id": self.credentials.client_id,
                "client_secret": self.credentials.client_secret.expose_secret(),
            }))
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!("getting a service token from auth: {}", e.without_url())
            })?;
        let status = response.status();
        anyhow::ensure!(
            status.is_success(),
            "auth refused the service credentials ({}): {status}",
            self.configured_as
        );
        let answer: TokenAnswer =
            response.json().await.context("reading auth's service token answer")?;
        let lifetime = Duration::from_secs(answer.expires_in);
        let renew_at = Instant::now() + lifetime.saturating_sub(RENEW_BEFORE).max(lifetime / 2);
        *cached = Some((answer.access_token.clone(), renew_at));
        Ok(answer.access_token)
    }

    /// Forgets the cached token (after a service refused it).
    pub async fn forget_token(&self) {
        *self.token.lock().await = None;
    }

    /// Sends what `request` builds with a service token, and once more with a new token when
    /// the answer is 401 (a token revoked, or signed with a key rotated out since).
    pub async fn send(
        &self,
        request: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> anyhow::Result<reqwest::Response> {
        let mut attempt = 0;
        loop {
            let token = self.token().await?;
            let response = request(&self.http, &token)
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("calling a Posey service: {}", e.without_url()))?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED && attempt == 0 {
                attempt += 1;
                self.forget_token().await;
                continue;
            }
            return Ok(response);
        }
    }
}

/// The message of a Posey service's error answer (`{"error": {"message": …}}`), else its text.
pub async fn error_message(response: reqwest::Response) -> String {
    let text = response.text().await.unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or(text)
}
