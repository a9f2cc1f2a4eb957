//! The SQL of the email flows (`/recover`, `/otp`, `/resend`, `/verify`): creating an account
//! on a first magic link, moving a confirmed email change into place, and the decoy statements
//! run for addresses without an account.

use sqlx::PgExecutor;
use uuid::Uuid;

use super::users::{NewUser, User, query_users};

/// A new account, unless the address already has one (then `None`, and nothing is written).
pub async fn insert_user_if_absent(
    db: impl PgExecutor<'_>,
    new: &NewUser<'_>,
) -> sqlx::Result<Option<User>> {
    query_users!(
        "INSERT INTO auth.users (id, email, encrypted_password, role, raw_user_meta_data, \
         raw_app_meta_data, email_confirmed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END) \
         ON CONFLICT ON CONSTRAINT users_email_key DO NOTHING RETURNING",
        "",
        Uuid::now_v7(),
        new.email,
        new.password_hash,
        new.role,
        new.user_metadata,
        new.app_metadata,
        new.confirmed,
    )
    .fetch_optional(db)
    .await
}

/// Makes the pending new address the account's address. Fails with the `users_email_key`
/// unique violation if another account took it meanwhile.
pub async fn complete_email_change(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    new_email: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE auth.users SET email = $2, email_change = NULL, email_change_sent_at = NULL, \
         email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now() \
         WHERE id = $1",
        user_id,
        new_email,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// What is known about a link token that could not be used (wrong, used or expired): where its
/// email said to go, and whether it belonged to a PKCE flow.
#[derive(Debug)]
pub struct SpentToken {
    pub redirect_to: Option<String>,
    pub flow_state_id: Option<Uuid>,
}

pub async fn find_spent_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> sqlx::Result<Option<SpentToken>> {
    sqlx::query_as!(
        SpentToken,
        "SELECT redirect_to, flow_state_id FROM auth.one_time_tokens WHERE token_hash = $1",
        token_hash,
    )
    .fetch_optional(db)
    .await
}

/// The statements of `onetime::issue` for an id with no account: the same delete, and the same
/// insert of the same values, which writes no row.
pub async fn decoy_issue(
    db: &mut sqlx::PgConnection,
    kind: &str,
    token_hash: &[u8],
    otp_hash: &[u8],
    relates_to: &str,
    redirect_to: &str,
) -> sqlx::Result<()> {
    let nobody = Uuid::now_v7();
    sqlx::query!("DELETE FROM auth.one_time_tokens WHERE user_id = $1 AND kind = $2", nobody, kind)
        .execute(&mut *db)
        .await?;
    sqlx::query!(
        "INSERT INTO auth.one_time_tokens \
         (user_id, kind, token_hash, otp_hash, relates_to, redirect_to, flow_state_id, expires_at) \
         SELECT $1, $2, $3, $4, $5, $6, NULL, now() WHERE false",
        nobody,
        kind,
        token_hash,
        otp_hash,
        relates_to,
        redirect_to,
    )
    .execute(&mut *db)
    .await
    .map(|_| ())
}

/// The outbox insert of `Mailer::record`, writing no row.
pub async fn decoy_outbox(
    db: impl PgExecutor<'_>,
    recipient: &str,
    subject: &str,
    body: &str,
    kind: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO auth.outbox (recipient, subject, body, kind) SELECT $1, $2, $3, $4 WHERE false",
        recipient,
        subject,
        body,
        kind,
    )
    .execute(db)
    .await
    .map(|_| ())
}
