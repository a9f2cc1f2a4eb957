//! Sessions, their refresh-token families, and revocation.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub refreshed_at: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub aal: String,
    pub amr: Value,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

pub struct NewSession<'a> {
    pub user_id: Uuid,
    /// When it starts (the service's clock): its creation and first activity.
    pub now: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub amr: &'a Value,
    pub user_agent: Option<&'a str>,
    pub ip: Option<std::net::IpAddr>,
}

pub async fn insert(db: impl PgExecutor<'_>, new: &NewSession<'_>) -> sqlx::Result<Session> {
    // The address goes as text (`$6::text::inet`): sqlx maps `inet` to a Rust type only with a
    // feature this workspace leaves off.
    sqlx::query_as!(
        Session,
        r#"INSERT INTO auth.sessions (id, user_id, not_after, amr, user_agent, ip, created_at, refreshed_at)
           VALUES ($1, $2, $3, $4, $5, $6::text::inet, $7, $7)
           RETURNING id, user_id, created_at, refreshed_at, not_after, aal, amr, user_agent, host(ip) AS ip"#,
        Uuid::now_v7(),
        new.user_id,
        new.not_after,
        new.amr,
        new.user_agent,
        new.ip.map(|ip| ip.to_string()),
        new.now,
    )
    .fetch_one(db)
    .await
}

pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Session>> {
    sqlx::query_as!(
        Session,
        "SELECT id, user_id, created_at, refreshed_at, not_after, aal, amr, user_agent, host(ip) AS ip \
         FROM auth.sessions WHERE id = $1",
        id,
    )
    .fetch_optional(db)
    .await
}

pub async fn list_for_user(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Vec<Session>> {
    sqlx::query_as!(
        Session,
        "SELECT id, user_id, created_at, refreshed_at, not_after, aal, amr, user_agent, host(ip) AS ip \
         FROM auth.sessions WHERE user_id = $1 ORDER BY refreshed_at DESC",
        user_id,
    )
    .fetch_all(db)
    .await
}

pub async fn insert_refresh_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    session_id: Uuid,
    user_id: Uuid,
    parent_id: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO auth.refresh_tokens (token_hash, session_id, user_id, parent_id) VALUES ($1, $2, $3, $4)",
        token_hash,
        session_id,
        user_id,
        parent_id,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// A refresh token with what the grant needs of its session, locked for the exchange.
#[derive(Debug)]
pub struct LockedToken {
    pub id: i64,
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub revoked: bool,
    pub rotated_at: Option<DateTime<Utc>>,
    pub refreshed_at: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub aal: String,
    pub amr: Value,
}

pub async fn lock_refresh_token(
    tx: &mut Transaction<'_, Postgres>,
    token_hash: &[u8],
) -> sqlx::Result<Option<LockedToken>> {
    sqlx::query_as!(
        LockedToken,
        "SELECT rt.id, rt.session_id, rt.user_id, rt.revoked, rt.rotated_at, s.refreshed_at, \
                s.not_after, s.aal, s.amr \
         FROM auth.refresh_tokens rt JOIN auth.sessions s ON s.id = rt.session_id \
         WHERE rt.token_hash = $1 FOR UPDATE OF rt",
        token_hash,
    )
    .fetch_optional(&mut **tx)
    .await
}

/// Marks the token used and records its successor, and notes the session's activity, `now`.
pub async fn rotate(
    tx: &mut Transaction<'_, Postgres>,
    token: &LockedToken,
    successor_hash: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE auth.refresh_tokens SET revoked = true, rotated_at = $2 WHERE id = $1",
        token.id,
        now,
    )
    .execute(&mut **tx)
    .await?;
    insert_refresh_token(
        &mut **tx,
        successor_hash,
        token.session_id,
        token.user_id,
        Some(token.id),
    )
    .await?;
    sqlx::query!("UPDATE auth.sessions SET refreshed_at = $2 WHERE id = $1", token.session_id, now)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Whether a token with this hash exists (a successor handed out within the reuse interval).
pub async fn refresh_token_exists(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM auth.refresh_tokens WHERE token_hash = $1) AS "exists!""#,
        token_hash,
    )
    .fetch_one(db)
    .await
}

/// Ends sessions (their refresh tokens go with them) and publishes their revocation so every
/// service refuses their access tokens from its next poll; returns the ids ended.
pub async fn revoke(
    tx: &mut Transaction<'_, Postgres>,
    filter: Revoke,
    access_token_ttl: std::time::Duration,
) -> sqlx::Result<Vec<Uuid>> {
    let ids: Vec<Uuid> = match filter {
        Revoke::One(id) => {
            sqlx::query_scalar!("DELETE FROM auth.sessions WHERE id = $1 RETURNING id", id)
                .fetch_all(&mut **tx)
                .await?
        }
        Revoke::AllOfUser(user) => {
            sqlx::query_scalar!("DELETE FROM auth.sessions WHERE user_id = $1 RETURNING id", user)
                .fetch_all(&mut **tx)
                .await?
        }
        Revoke::OthersOfUser { user, keep } => {
            sqlx::query_scalar!(
                "DELETE FROM auth.sessions WHERE user_id = $1 AND id <> $2 RETURNING id",
                user,
                keep,
            )
            .fetch_all(&mut **tx)
            .await?
        }
    };
    if !ids.is_empty() {
        let ttl =
            chrono::Duration::from_std(access_token_ttl).unwrap_or(chrono::Duration::hours(1));
        // An interval: chrono's Duration encodes as one (`as _` skips the macro's PgInterval check).
        let lifetime = ttl + chrono::Duration::minutes(1);
        sqlx::query!(
            "INSERT INTO auth.revoked_sessions (session_id, expires_at) \
             SELECT unnest($1::uuid[]), now() + $2 ON CONFLICT (session_id) DO NOTHING",
            &ids[..],
            lifetime as _,
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(ids)
}

#[derive(Debug, Clone, Copy)]
pub enum Revoke {
    One(Uuid),
    AllOfUser(Uuid),
    OthersOfUser { user: Uuid, keep: Uuid },
}

/// What the refresh grant's fast path returns: the session and its person, with roles.
#[derive(Debug)]
pub struct Rotated {
    pub session_id: Uuid,
    pub aal: String,
    pub amr: Value,
    pub roles: Vec<String>,
    /// Whether the person has MFA factors (read only then, to keep this one round trip).
    pub has_factors: bool,
    pub user: super::users::User,
}

/// The refresh grant's usual case in one statement: a live, unused token of a live session is
/// marked used, its successor stored, the session's activity noted, and the person and their
/// roles read back. `None` for everything else (unknown, used, expired), which the caller
/// sorts out on the careful path. Two requests racing with one token serialise on its row: the
/// second finds it used and takes the careful path. `now` is the service's clock, not the
/// database's, like every other time the grant compares.
pub async fn rotate_fast(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    successor_hash: &[u8],
    inactivity: chrono::Duration,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<Rotated>> {
    // `roles` is an ARRAY(...), never null (Postgres cannot tell). `$3` is an interval, which
    // chrono's Duration encodes as (`as _` skips the macro's PgInterval check).
    let row = sqlx::query!(
        r#"WITH used AS (
               UPDATE auth.refresh_tokens rt SET revoked = true, rotated_at = $4
               FROM auth.sessions s
               WHERE rt.token_hash = $1 AND NOT rt.revoked AND s.id = rt.session_id
                 AND s.not_after > $4 AND s.refreshed_at + $3 > $4
               RETURNING rt.id AS token_id, rt.session_id, rt.user_id, s.aal, s.amr),
           child AS (
               INSERT INTO auth.refresh_tokens (token_hash, session_id, user_id, parent_id)
               SELECT $2, session_id, user_id, token_id FROM used),
           touched AS (
               UPDATE auth.sessions SET refreshed_at = $4
               WHERE id = (SELECT session_id FROM used))
           SELECT used.session_id, used.aal, used.amr,
                  ARRAY(SELECT role FROM auth.user_roles r WHERE r.user_id = u.id ORDER BY role) AS "roles!",
                  EXISTS (SELECT 1 FROM auth.mfa_factors f WHERE f.user_id = u.id) AS "has_factors!",
                  u.id, u.email, u.encrypted_password, u.role, u.email_confirmed_at,
                  u.confirmation_sent_at, u.recovery_sent_at, u.invited_at, u.email_change,
                  u.email_change_sent_at, u.last_sign_in_at, u.banned_until, u.deleted_at,
                  u.raw_app_meta_data, u.raw_user_meta_data, u.created_at, u.updated_at
           FROM used JOIN auth.users u ON u.id = used.user_id"#,
        token_hash,
        successor_hash,
        inactivity as _,
        now,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| Rotated {
        session_id: row.session_id,
        aal: row.aal,
        amr: row.amr,
        roles: row.roles,
        has_factors: row.has_factors,
        user: super::users::User {
            id: row.id,
            email: row.email,
            encrypted_password: row.encrypted_password,
            role: row.role,
            email_confirmed_at: row.email_confirmed_at,
            confirmation_sent_at: row.confirmation_sent_at,
            recovery_sent_at: row.recovery_sent_at,
            invited_at: row.invited_at,
            email_change: row.email_change,
            email_change_sent_at: row.email_change_sent_at,
            last_sign_in_at: row.last_sign_in_at,
            banned_until: row.banned_until,
            deleted_at: row.deleted_at,
            raw_app_meta_data: row.raw_app_meta_data,
            raw_user_meta_data: row.raw_user_meta_data,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
    }))
}
