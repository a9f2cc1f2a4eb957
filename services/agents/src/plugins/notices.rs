//! Where plugins' notices go (a calendar alarm that fell due): `POST {CRON_URL}/v1/notifications`
//! with the agents service's own token from auth (`AGENTS_SERVICE_CLIENT_ID/SECRET`), naming the
//! person in `X-Posey-Person`. Cron keeps one notification per key, so a notice sent again after
//! a lost answer is not delivered twice.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use futures::future::BoxFuture;
use posey_http::auth::{ACTING_FOR_HEADER, ServiceClient, ServiceCredentials, error_message};
use posey_plugin::{Notice, Notifier};
use serde_json::json;

use crate::config::Config;

/// A notice's whole round trip may take this long before it counts as not delivered.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Hands notices to cron.
#[derive(Clone)]
pub struct CronNotices(Arc<Inner>);

struct Inner {
    notifications: url::Url,
    client: ServiceClient,
}

impl CronNotices {
    /// From `CRON_URL`, `AUTH_URL` and the service client; `None` (logged, with what is missing)
    /// when one is not configured: plugins' notices then wait undelivered.
    pub fn configured(config: &Config) -> anyhow::Result<Option<Self>> {
        let (Some(cron), Some(auth), Some(client)) =
            (&config.cron_url, &config.auth_url, &config.service_client)
        else {
            let missing: Vec<&str> = [
                ("CRON_URL", config.cron_url.is_none()),
                ("AUTH_URL", config.auth_url.is_none()),
                ("AGENTS_SERVICE_CLIENT_ID/SECRET", config.service_client.is_none()),
            ]
            .into_iter()
            .filter_map(|(name, missing)| missing.then_some(name))
            .collect();
            tracing::warn!(
                missing = %missing.join(", "),
                "notices (calendar alarms) are not delivered: the agents service cannot reach \
                 cron as itself"
            );
            return Ok(None);
        };
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .user_agent(concat!("posey-agents/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the notices' HTTP client")?;
        let credentials = ServiceCredentials {
            auth_url: auth.clone(),
            client_id: client.client_id.clone(),
            client_secret: client.client_secret.clone(),
        };
        let client = ServiceClient::new(credentials, "AGENTS_SERVICE_CLIENT_ID/SECRET", http);
        let notifications = cron.join("v1/notifications").context("CRON_URL")?;
        Ok(Some(Self(Arc::new(Inner { notifications, client }))))
    }
}

impl Notifier for CronNotices {
    fn notify(&self, notice: Notice) -> BoxFuture<'static, anyhow::Result<()>> {
        let inner = self.0.clone();
        Box::pin(async move {
            let body = json!({
                "key": notice.key,
                "title": notice.title,
                "body": notice.body,
                "data": notice.data,
            });
            let person = notice.person.to_string();
            let response = inner
                .client
                .send(|http, token| {
                    http.post(inner.notifications.clone())
                        .bearer_auth(token)
                        .header(ACTING_FOR_HEADER, &person)
                        .json(&body)
                })
                .await?;
            let status = response.status();
            if !status.is_success() {
                let message = error_message(response).await;
                anyhow::bail!("cron answered {status}: {message}");
            }
            Ok(())
        })
    }
}
