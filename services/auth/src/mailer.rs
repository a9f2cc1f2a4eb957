//! Sending the auth emails: every email is written to the outbox table first (so none is lost);
//! with `SMTP_URL` it is then sent through SMTP and marked sent, else it stays in the outbox for
//! admins to read and its text is logged (that is how `posey up` shows confirmation links).

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use posey_config::ExposeSecret;
use sqlx::{PgExecutor, PgPool};

use crate::db::outbox;

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

/// An email written to the outbox, not yet delivered.
pub struct Recorded {
    id: i64,
    email: Email,
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

    /// Writes the email to the outbox through `db`: inside the transaction that issues the token
    /// it carries, the email exists exactly when the token does.
    pub async fn record(&self, db: impl PgExecutor<'_>, email: Email) -> anyhow::Result<Recorded> {
        let id = outbox::insert(db, &email.to, &email.subject, &email.body, email.kind)
            .await
            .context("writing to the outbox")?;
        Ok(Recorded { id, email })
    }

    /// Delivers a recorded email after the request has been answered: how long SMTP takes must
    /// not tell a caller whether an email was sent at all (see `routes::email_flow`).
    pub fn deliver_in_background(&self, recorded: Recorded) {
        let mailer = self.clone();
        tokio::spawn(async move {
            let to = recorded.email.to.clone();
            if let Err(e) = mailer.deliver(recorded).await {
                tracing::warn!(to = %to, error = %format!("{e:#}"), "recording an email's delivery failed");
            }
        });
    }

    /// Sends a recorded email through SMTP (or leaves it in the outbox without `SMTP_URL`);
    /// `true` when the SMTP server took it.
    pub async fn deliver(&self, recorded: Recorded) -> anyhow::Result<bool> {
        let Recorded { id, email } = recorded;
        let Some(smtp) = &self.smtp else {
            tracing::info!(to = %email.to, kind = email.kind, "email kept in the outbox (no SMTP_URL):\n{}", email.body);
            return Ok(false);
        };
        let outcome = async {
            let message = Message::builder()
                .from(self.from.clone())
                .to(email.to.parse().context("recipient address")?)
                .subject(&email.subject)
                // Says UTF-8, so names and addresses outside ASCII read right.
                .header(ContentType::TEXT_PLAIN)
                .body(email.body.clone())
                .context("building the message")?;
            smtp.send(message).await.context("sending through SMTP")?;
            anyhow::Ok(())
        }
        .await;
        let sent = outcome.is_ok();
        match outcome {
            Ok(()) => {
                outbox::mark_sent(&self.db, id).await?;
            }
            Err(e) => {
                tracing::warn!(to = %email.to, error = %format!("{e:#}"), "email not delivered; kept in the outbox");
                outbox::mark_failed(&self.db, id, &format!("{e:#}")).await?;
            }
        }
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// posey-config normalises SMTP_URL's `tls=`; lettre must accept every result.
    #[test]
    fn lettre_accepts_every_normalised_smtp_url() {
        for raw in [
            "smtp://127.0.0.1:2525?tls=none",
            "smtp://u:p%40ss@mail.test:587?tls=STARTTLS",
            "smtp://mail.test?tls=opportunistic",
            "smtps://mail.test?tls=none",
        ] {
            let mut env = posey_config::Env::from_pairs([("SMTP_URL", raw)]);
            let url = env.smtp_url("SMTP_URL").expect(raw);
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                .unwrap_or_else(|e| panic!("lettre refuses {raw}: {e}"));
        }
    }
}
