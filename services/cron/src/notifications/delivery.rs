//! Sending queued deliveries (`cron.deliveries`) with retries: each replica claims due rows for a
//! while (so others skip them), sends, and records the outcome. A failure is retried with
//! exponential backoff and given up as `failed` after `MAX_ATTEMPTS`; the notification stays.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::TimeDelta;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use posey_config::ExposeSecret;
use posey_http::destination::DestinationPolicy;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::config::NotifySettings;
use crate::db::deliveries::{self, ClaimedDelivery};
use crate::db::push_subscriptions;

use super::webpush::{self, PushError, VapidKey};

/// Attempts per delivery before it is given up as `failed`.
pub const MAX_ATTEMPTS: i32 = 6;
/// How long a claimed delivery is left to its sender before another replica may retry it.
const CLAIM: TimeDelta = TimeDelta::minutes(5);
const BATCH: i64 = 20;

/// How many times an auth email is tried in all (auth's own attempt included).
pub const OUTBOX_MAX_ATTEMPTS: i32 = 6;

pub struct Deliverer {
    db: PgPool,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    web_push: Option<WebPush>,
    poll: Duration,
}

/// What sending Web Push needs: the signing key and where push endpoints may point.
struct WebPush {
    vapid: VapidKey,
    destinations: Arc<DestinationPolicy>,
    allow_insecure_loopback: bool,
}

/// Why a send failed, and whether trying again can help.
struct Failure {
    error: String,
    permanent: bool,
}

impl Deliverer {
    pub fn new(db: PgPool, settings: &NotifySettings, poll: Duration) -> anyhow::Result<Self> {
        let from: Mailbox = settings
            .smtp_from
            .parse()
            .with_context(|| format!("CRON_SMTP_FROM ({}): not an address", settings.smtp_from))?;
        let smtp = match &settings.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .context("SMTP_URL: not a usable SMTP URL")?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            ),
            None => None,
        };
        let web_push = match &settings.vapid {
            Some(vapid) => Some(WebPush {
                vapid: VapidKey::new(vapid.private_key.expose_secret(), &vapid.subject)?,
                destinations: Arc::new(settings.push_destinations.clone()),
                allow_insecure_loopback: settings.push_allow_insecure_loopback,
            }),
            None => None,
        };
        Ok(Self { db, smtp, from, web_push, poll })
    }

    /// Sends due deliveries until `cancel` fires.
    pub async fn run(self, cancel: CancellationToken) {
        loop {
            if let Err(error) = self.retry_auth_outbox().await {
                tracing::warn!(error = %format!("{error:#}"), "retrying auth's undelivered emails");
            }
            match self.deliver_due().await {
                // A full batch: there may be more right away.
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "delivering notifications")
                }
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// One batch; returns how many were attempted.
    pub async fn deliver_due(&self) -> anyhow::Result<usize> {
        let due = deliveries::claim_due(&self.db, CLAIM, BATCH)
            .await
            .context("claiming due deliveries")?;
        let count = due.len();
        for delivery in due {
            let outcome = self.send(&delivery).await;
            self.record(&delivery, outcome).await?;
        }
        Ok(count)
    }

    /// Emails the auth service tried to send and could not (its SMTP attempt failed, recorded
    /// in `auth.outbox`): retried here with backoff (1 min × 2^(attempts−1)), up to
    /// `OUTBOX_MAX_ATTEMPTS` in all. Rows auth never tried (no SMTP there: the outbox is the
    /// channel) are left alone. Returns how many were attempted.
    pub async fn retry_auth_outbox(&self) -> anyhow::Result<usize> {
        let Some(smtp) = &self.smtp else { return Ok(0) };
        let mut tx = self.db.begin().await.context("starting an outbox retry")?;
        let due = deliveries::claim_outbox_retries(&mut tx, OUTBOX_MAX_ATTEMPTS, BATCH)
            .await
            .context("claiming undelivered auth emails")?;
        for email in &due {
            let sent = async {
                let message = Message::builder()
                    .from(self.from.clone())
                    .to(email.recipient.parse().context("recipient address")?)
                    .subject(&email.subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(email.body.clone())
                    .context("building the email")?;
                smtp.send(message).await.context("sending through SMTP")?;
                anyhow::Ok(())
            }
            .await;
            let error = sent.as_ref().err().map(|e| format!("{e:#}"));
            deliveries::record_outbox_retry(&mut tx, email.id, error.as_deref())
                .await
                .context("recording an auth email's retry")?;
        }
        tx.commit().await.context("committing an outbox retry")?;
        Ok(due.len())
    }

    async fn send(&self, delivery: &ClaimedDelivery) -> Result<(), Failure> {
        match delivery.channel.as_str() {
            "email" => self.send_email(delivery).await,
            "web_push" => self.send_web_push(delivery).await,
            other => Err(Failure { error: format!("unknown channel {other:?}"), permanent: true }),
        }
    }

    async fn send_email(&self, delivery: &ClaimedDelivery) -> Result<(), Failure> {
        let permanent = |error: String| Failure { error, permanent: true };
        let Some(smtp) = &self.smtp else {
            return Err(permanent("email is not configured (SMTP_URL)".into()));
        };
        let to: Mailbox = delivery
            .target
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|e| permanent(format!("not an email address: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(delivery.title.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(delivery.body.clone())
            .map_err(|e| permanent(format!("building the email: {e}")))?;
        smtp.send(message).await.map(drop).map_err(|e| Failure {
            error: format!("sending the email: {e}"),
            permanent: e.is_permanent(),
        })
    }

    async fn send_web_push(&self, delivery: &ClaimedDelivery) -> Result<(), Failure> {
        let permanent = |error: String| Failure { error, permanent: true };
        let Some(push) = &self.web_push else {
            return Err(permanent("web push is not configured (CRON_VAPID_PRIVATE_KEY)".into()));
        };
        let Some(subscription_id) =
            delivery.target.as_deref().and_then(|t| t.parse::<uuid::Uuid>().ok())
        else {
            return Err(permanent("the delivery names no push subscription".into()));
        };
        let subscription =
            push_subscriptions::find(&self.db, subscription_id).await.map_err(|e| Failure {
                error: format!("loading the push subscription: {e}"),
                permanent: false,
            })?;
        let Some(subscription) = subscription else {
            return Err(permanent("the push subscription is gone".into()));
        };
        // The destination itself is checked by `webpush::send`, on the address it connects to.
        let endpoint = url::Url::parse(&subscription.endpoint)
            .ok()
            .filter(|url| webpush::scheme_allowed(url, push.allow_insecure_loopback))
            .ok_or_else(|| permanent("the push endpoint is not an allowed URL".into()))?;
        let payload = serde_json::to_vec(&serde_json::json!({
            "id": delivery.notification_id,
            "title": delivery.title,
            "body": delivery.body,
            "data": delivery.data,
        }))
        .map_err(|e| permanent(format!("serializing the push payload: {e}")))?;
        match webpush::send(&push.destinations, &push.vapid, &subscription, &endpoint, &payload)
            .await
        {
            Ok(()) => Ok(()),
            Err(gone @ PushError::Gone(_)) => {
                // The browser unsubscribed: forget it so later notifications skip it.
                push_subscriptions::delete(&self.db, subscription_id).await.map_err(|e| {
                    Failure {
                        error: format!("{gone}; deleting the subscription: {e}"),
                        permanent: false,
                    }
                })?;
                Err(permanent(gone.to_string()))
            }
            Err(error @ PushError::Transient(_)) => {
                Err(Failure { error: error.to_string(), permanent: false })
            }
            // The same policy would refuse it again.
            Err(error @ (PushError::Rejected(_) | PushError::Refused)) => {
                Err(permanent(error.to_string()))
            }
        }
    }

    async fn record(
        &self,
        delivery: &ClaimedDelivery,
        outcome: Result<(), Failure>,
    ) -> anyhow::Result<()> {
        let attempts = delivery.attempts + 1;
        match outcome {
            Ok(()) => {
                deliveries::mark_delivered(&self.db, delivery.id, attempts)
                    .await
                    .context("recording a delivery")?;
            }
            Err(failure) => {
                let give_up = failure.permanent || attempts >= MAX_ATTEMPTS;
                tracing::warn!(
                    delivery = delivery.id,
                    channel = %delivery.channel,
                    attempts,
                    give_up,
                    error = %failure.error,
                    "a notification's delivery failed"
                );
                deliveries::mark_failed(
                    &self.db,
                    delivery.id,
                    attempts,
                    give_up,
                    &failure.error,
                    backoff(attempts),
                )
                .await
                .context("recording a failed delivery")?;
            }
        }
        Ok(())
    }
}

/// 30 s, 1 min, 2 min, ... capped at an hour.
pub fn backoff(attempts: i32) -> TimeDelta {
    let exponent = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(7);
    (TimeDelta::seconds(30) * 2i32.pow(exponent)).min(TimeDelta::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1), TimeDelta::seconds(30));
        assert_eq!(backoff(2), TimeDelta::seconds(60));
        assert_eq!(backoff(20), TimeDelta::hours(1));
    }
}
