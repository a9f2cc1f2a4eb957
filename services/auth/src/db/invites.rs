//! Invites: an invite is an account created by an admin (unconfirmed, without a password) and
//! its unused `invite` token. It is pending until the invitee signs up with it (or follows its
//! link), and expired once the token's time is over; the invited account's id names it.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Invite {
    /// The invited account's id.
    pub id: Uuid,
    pub email: String,
    /// When the current link was made (a new invite to the same address replaces the old link).
    pub invited_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Invite {
    pub fn is_expired(&self) -> bool {
        self.expires_at <= Utc::now()
    }
}

// Pending invites: unused `invite` tokens of accounts that are still unconfirmed (and not
// deleted). The three reads below share that condition.

/// A page of pending invites (expired ones included), newest first.
pub async fn list(db: impl PgExecutor<'_>, limit: i64, offset: i64) -> sqlx::Result<Vec<Invite>> {
    sqlx::query_as!(
        Invite,
        "SELECT u.id, u.email, t.created_at AS invited_at, t.expires_at \
         FROM auth.one_time_tokens t JOIN auth.users u ON u.id = t.user_id \
         WHERE t.kind = 'invite' AND t.used_at IS NULL \
         AND u.email_confirmed_at IS NULL AND u.deleted_at IS NULL \
         ORDER BY t.created_at DESC, t.id DESC LIMIT $1 OFFSET $2",
        limit,
        offset,
    )
    .fetch_all(db)
    .await
}

pub async fn count(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!"
           FROM auth.one_time_tokens t JOIN auth.users u ON u.id = t.user_id
           WHERE t.kind = 'invite' AND t.used_at IS NULL
           AND u.email_confirmed_at IS NULL AND u.deleted_at IS NULL"#
    )
    .fetch_one(db)
    .await
}

/// The pending invite of account `id`, if any.
pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Invite>> {
    sqlx::query_as!(
        Invite,
        "SELECT u.id, u.email, t.created_at AS invited_at, t.expires_at \
         FROM auth.one_time_tokens t JOIN auth.users u ON u.id = t.user_id \
         WHERE t.kind = 'invite' AND t.used_at IS NULL \
         AND u.email_confirmed_at IS NULL AND u.deleted_at IS NULL AND u.id = $1",
        id,
    )
    .fetch_optional(db)
    .await
}

/// What revoking an invite did.
pub struct Revoked {
    pub email: String,
    /// The account existed only for the invite (no password, never signed in) and is gone.
    pub account_deleted: bool,
}

/// Withdraws account `id`'s pending invite: its token stops working, and an account that
/// existed only for it is deleted, so the address is free again. `None` if there was none.
pub async fn revoke(tx: &mut Transaction<'_, Postgres>, id: Uuid) -> sqlx::Result<Option<Revoked>> {
    let email: Option<String> = sqlx::query_scalar!(
        "DELETE FROM auth.one_time_tokens t USING auth.users u \
         WHERE u.id = t.user_id AND t.user_id = $1 AND t.kind = 'invite' AND t.used_at IS NULL \
         AND u.email_confirmed_at IS NULL AND u.deleted_at IS NULL \
         RETURNING u.email",
        id,
    )
    .fetch_optional(&mut **tx)
    .await?;
    let Some(email) = email else { return Ok(None) };
    let deleted = sqlx::query!(
        "DELETE FROM auth.users WHERE id = $1 AND encrypted_password IS NULL \
         AND email_confirmed_at IS NULL AND last_sign_in_at IS NULL AND deleted_at IS NULL",
        id,
    )
    .execute(&mut **tx)
    .await?;
    Ok(Some(Revoked { email, account_deleted: deleted.rows_affected() > 0 }))
}
