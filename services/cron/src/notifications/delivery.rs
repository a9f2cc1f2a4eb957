//! Sending queued deliveries (`cron.deliveries`) with retries: each replica claims due rows for a
//! while (so others skip them), sends, and records the outcome. A failure is retried with
//! exponential backoff and given up as `failed` after `MAX_ATTEMPTS`; the notification stays.

use std::time::Duration;

use anyhow::Context;
use chrono::TimeDelta;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use posey_config::ExposeSecret;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::config::NotifySettings;

/// Attempts per delivery before it is given up as `failed`.
pub const MAX_ATTEMPTS: i32 = 6;
/// How long a claimed delivery is left to its sender before another replica may retry it.
const CLAIM: TimeDelta = TimeDelta::minutes(5);
const BATCH: i64 = 20;

pub struct Deliverer {
    db: PgPool,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    web_push: bool,
    poll: Duration,
}

/// A claimed delivery with what sending it needs.
#[derive(Debug, sqlx::FromRow)]
struct Due {
    id: i64,
    channel: String,
    target: Option<String>,
    attempts: i32,
    title: String,
    body: String,
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
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&transport_url(
                    url.expose_secret(),
                )?)
                .context("SMTP_URL: not a usable SMTP URL")?
                .timeout(Some(Duration::from_secs(20)))
                .build(),
            ),
            None => None,
        };
        Ok(Self { db, smtp, from, web_push: settings.vapid.is_some(), poll })
    }

    /// Sends due deliveries until `cancel` fires.
    pub async fn run(self, cancel: CancellationToken) {
        loop {
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
        let due: Vec<Due> = sqlx::query_as(
            "UPDATE cron.deliveries d SET next_attempt_at = now() + $1 \
             FROM cron.notifications n \
             WHERE d.notification_id = n.id AND d.id IN ( \
                 SELECT id FROM cron.deliveries WHERE status = 'pending' AND next_attempt_at <= now() \
                 ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
             RETURNING d.id, d.channel, d.target, d.attempts, n.title, n.body",
        )
        .bind(CLAIM)
        .bind(BATCH)
        .fetch_all(&self.db)
        .await
        .context("claiming due deliveries")?;
        let count = due.len();
        for delivery in due {
            let outcome = self.send(&delivery).await;
            self.record(&delivery, outcome).await?;
        }
        Ok(count)
    }

    async fn send(&self, delivery: &Due) -> Result<(), Failure> {
        match delivery.channel.as_str() {
            "email" => self.send_email(delivery).await,
            "web_push" if !self.web_push => Err(Failure {
                error: "web push is not configured (CRON_VAPID_PRIVATE_KEY)".into(),
                permanent: true,
            }),
            // RFC 8291 payload encryption is not built yet; see the service's notes.
            "web_push" => Err(Failure {
                error: "web push sending is not implemented yet".into(),
                permanent: true,
            }),
            other => Err(Failure { error: format!("unknown channel {other:?}"), permanent: true }),
        }
    }

    async fn send_email(&self, delivery: &Due) -> Result<(), Failure> {
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

    async fn record(&self, delivery: &Due, outcome: Result<(), Failure>) -> anyhow::Result<()> {
        let attempts = delivery.attempts + 1;
        match outcome {
            Ok(()) => {
                sqlx::query(
                    "UPDATE cron.deliveries SET status = 'delivered', attempts = $2, \
                     delivered_at = now(), last_error = NULL WHERE id = $1",
                )
                .bind(delivery.id)
                .bind(attempts)
                .execute(&self.db)
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
                sqlx::query(
                    "UPDATE cron.deliveries SET status = CASE WHEN $3 THEN 'failed' ELSE 'pending' END, \
                     attempts = $2, last_error = $4, next_attempt_at = now() + $5 WHERE id = $1",
                )
                .bind(delivery.id)
                .bind(attempts)
                .bind(give_up)
                .bind(&failure.error)
                .bind(backoff(attempts))
                .execute(&self.db)
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

/// `SMTP_URL` as lettre wants it: `?tls=none` (plain) drops the parameter, `required` and
/// `opportunistic` pass through (the same reading as the auth service's mailer).
fn transport_url(raw: &str) -> anyhow::Result<String> {
    let mut url = url::Url::parse(raw).context("SMTP_URL: not a valid URL")?;
    let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.to_ascii_lowercase());
    let others: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "tls")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let tls = match (url.scheme(), tls.as_deref()) {
        (_, None) | ("smtps", Some(_)) => None,
        (_, Some("none" | "off" | "false" | "no" | "disabled")) => None,
        (_, Some("required" | "starttls" | "true" | "on" | "yes")) => Some("required"),
        (_, Some("opportunistic")) => Some("opportunistic"),
        (_, Some(other)) => anyhow::bail!(
            "SMTP_URL: tls={other:?} is not one of none, required (starttls), opportunistic"
        ),
    };
    url.set_query(None);
    if !others.is_empty() || tls.is_some() {
        let mut query = url.query_pairs_mut();
        query.extend_pairs(others);
        if let Some(tls) = tls {
            query.append_pair("tls", tls);
        }
    }
    Ok(url.to_string())
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

    #[test]
    fn tls_none_is_plain_smtp() {
        assert_eq!(
            transport_url("smtp://127.0.0.1:25?tls=none").ok().as_deref(),
            Some("smtp://127.0.0.1:25")
        );
    }
}
