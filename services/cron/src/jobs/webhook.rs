//! `webhook`: POSTs `{task_id, scheduled_for, body}` to the payload's `url`, signed with the
//! task's secret so the receiver can trust it, and keyed so the receiver can drop a retry it
//! already handled:
//!
//! - `X-Posey-Idempotency-Key: <task_id>:<scheduled_for>`
//! - `X-Posey-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
//!
//! A 2xx answer is success; anything else, a redirect included, is a failed attempt. Only
//! public destinations and the operator's allow-list are reached ([`posey_http::destination`]).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use posey_http::destination;
pub use posey_http::destination::{DestinationPolicy, REFUSED};
use serde_json::{Value, json};
use sha2::Sha256;

use super::completion::Completion;
use crate::db::ClaimedRun;

pub const IDEMPOTENCY_HEADER: &str = "X-Posey-Idempotency-Key";
pub const SIGNATURE_HEADER: &str = "X-Posey-Signature";

/// The longest one request may take; the task's own timeout may cut it shorter.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends webhooks to the destinations `policy` permits.
#[derive(Debug, Clone)]
pub struct Webhooks {
    policy: Arc<DestinationPolicy>,
}

impl Webhooks {
    pub fn new(policy: DestinationPolicy) -> Self {
        Self { policy: Arc::new(policy) }
    }

    /// The client for one call to `url`: only what the policy permits, no redirects, a
    /// per-request timeout ([`destination::client_builder`]). Built per call because the
    /// resolver must know the port; that costs far less than the call.
    fn client(&self, url: &url::Url) -> anyhow::Result<reqwest::Client> {
        destination::client_builder(&self.policy, url)
            .map_err(|_| anyhow::anyhow!(REFUSED))?
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("posey-cron/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the webhook HTTP client")
    }
}

/// `t=<unix>,v1=<hex HMAC-SHA256(secret, "<unix>.<body>")>`.
pub fn signature(secret: &[u8], unix: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(unix.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={unix},v1={hex}")
}

/// Sends `run`'s webhook through `webhooks`, signed at `now`.
pub async fn run(
    webhooks: &Webhooks,
    now: DateTime<Utc>,
    run: &ClaimedRun,
) -> anyhow::Result<Completion> {
    let url = run
        .payload
        .get("url")
        .and_then(Value::as_str)
        .context("the webhook task has no payload.url")?;
    let url = url::Url::parse(url).context("payload.url is not a URL")?;
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https"),
        "payload.url must be http or https, not {}",
        url.scheme()
    );
    // Signing with an empty key would look signed and prove nothing: refuse instead.
    let secret = run
        .payload
        .get("secret")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .context("the webhook task has no payload.secret to sign with")?;
    let body = json!({
        "task_id": run.task_id,
        "scheduled_for": run.scheduled_for,
        "body": run.payload.get("body").cloned().unwrap_or(Value::Null),
    });
    let body = serde_json::to_vec(&body).context("encoding the webhook body")?;
    let unix = now.timestamp();

    let response = webhooks
        .client(&url)?
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(IDEMPOTENCY_HEADER, run.idempotency_key())
        .header(SIGNATURE_HEADER, signature(secret.as_bytes(), unix, &body))
        .body(body)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!(failure(&e)))?;
    let status = response.status();
    anyhow::ensure!(status.is_success(), "webhook answered {status}");
    Ok(Completion::Output(json!({ "status": status.as_u16() })))
}

/// What run history says about a request that got no answer: a refused destination, or only
/// the kind of failure (never the URL, which may carry a token, nor the lower layers' detail).
fn failure(error: &reqwest::Error) -> &'static str {
    if destination::was_refused(error) {
        REFUSED
    } else if error.is_timeout() {
        "webhook request failed: timed out"
    } else if error.is_connect() {
        "webhook request failed: connection failed"
    } else {
        "webhook request failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_of_time_and_body() {
        // Expected value from Python's hmac module over "1700000000.{}".
        assert_eq!(
            signature(b"secret", 1_700_000_000, b"{}"),
            "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
    }
}
