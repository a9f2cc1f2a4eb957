//! The email outbox: every email the service sends, and whether it went out.

use sqlx::PgExecutor;

/// Writes an email; returns its id.
pub async fn insert(
    db: impl PgExecutor<'_>,
    recipient: &str,
    subject: &str,
    body: &str,
    kind: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO auth.outbox (recipient, subject, body, kind) VALUES ($1, $2, $3, $4) RETURNING id",
        recipient,
        subject,
        body,
        kind,
    )
    .fetch_one(db)
    .await
}

/// The SMTP server took the email.
pub async fn mark_sent(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE auth.outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = $1",
        id,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Sending failed with `error`; the email stays unsent.
pub async fn mark_failed(db: impl PgExecutor<'_>, id: i64, error: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE auth.outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
        id,
        error,
    )
    .execute(db)
    .await
    .map(|_| ())
}
