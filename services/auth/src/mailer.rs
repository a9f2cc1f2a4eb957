//! Sending the auth emails: every email is written to the outbox table first (so none is lost);
//! with `SMTP_URL` it is then sent through SMTP and marked sent, else it stays in the outbox for
//! admins to read and its text is logged (that is how `posey up` shows confirmation links).

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use posey_config::ExposeSecret;
use sqlx::PgPool;

#[derive(Clone)]
pub struct Mailer {
    db: PgPool,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

/// One email.
pub struct Email {
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mailer {
    pub fn new(db: PgPool, settings: &crate::config::AuthSettings) -> anyhow::Result<Self> {
        let from: Mailbox = settings
            .smtp_from
            .parse()
            .with_context(|| format!("AUTH_SMTP_FROM ({}): not an address", settings.smtp_from))?;
        let smtp = match &settings.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .context("SMTP_URL: not a usable SMTP URL")?
                    .build(),
            ),
            None => None,
        };
        Ok(Self { db, smtp, from })
    }

    pub fn uses_smtp(&self) -> bool {
        self.smtp.is_some()
    }

    /// Records the email and delivers it. A delivery failure is recorded on the outbox row
    /// (for a retry) and logged; it does not fail the request that caused the email.
    pub async fn send(&self, email: Email) -> anyhow::Result<()> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO auth.outbox (recipient, subject, body, kind) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(&email.to)
        .bind(&email.subject)
        .bind(&email.body)
        .bind(email.kind)
        .fetch_one(&self.db)
        .await
        .context("writing to the outbox")?;
        let Some(smtp) = &self.smtp else {
            tracing::info!(to = %email.to, kind = email.kind, "email kept in the outbox (no SMTP_URL):\n{}", email.body);
            return Ok(());
        };
        let outcome = async {
            let message = Message::builder()
                .from(self.from.clone())
                .to(email.to.parse().context("recipient address")?)
                .subject(&email.subject)
                .body(email.body.clone())
                .context("building the message")?;
            smtp.send(message).await.context("sending through SMTP")?;
            anyhow::Ok(())
        }
        .await;
        match outcome {
            Ok(()) => {
                sqlx::query(
                    "UPDATE auth.outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = $1",
                )
                .bind(id)
                .execute(&self.db)
                .await?;
            }
            Err(e) => {
                tracing::warn!(to = %email.to, error = %format!("{e:#}"), "email not delivered; kept in the outbox");
                sqlx::query(
                    "UPDATE auth.outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
                )
                .bind(id)
                .bind(format!("{e:#}"))
                .execute(&self.db)
                .await?;
            }
        }
        Ok(())
    }
}
