//! What auth keeps of one person beside their account, for their export (`GET /user/export`):
//! the upstream identities, passkeys, app passwords, the apps they let in through the OpenID
//! provider, their sessions and the audit entries about them. Read as one snapshot; never a
//! hash, a sealed secret, a public key or a token.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, Postgres, Transaction};
use utoipa::ToSchema;
use uuid::Uuid;

/// A linked account at an upstream provider (social login).
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ExportIdentity {
    pub id: Uuid,
    /// The provider's name in this install (`oidc`, `google`, ...).
    pub provider: String,
    /// The person's id at the provider (its `sub`).
    pub provider_id: String,
    /// The address the provider gave, if any.
    pub email: Option<String>,
    /// What the provider said of the person at the last sign-in (sub, email, name, picture).
    #[schema(value_type = Object)]
    pub identity_data: Value,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A WebAuthn credential: its name and dates, never its key.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ExportPasskey {
    pub id: Uuid,
    pub name: String,
    /// `passkey` (signs in without a password) or `second_factor` (an MFA factor's).
    pub used_as: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// An app password: its name and dates, never its secret or hash.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ExportAppPassword {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// An app the person let act for them (the OpenID provider's consent), with what it may see.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ExportConsent {
    pub client_id: Uuid,
    pub client_name: String,
    pub client_uri: Option<String>,
    pub scopes: Vec<String>,
    pub granted_at: DateTime<Utc>,
}

/// One sign-in of an app as the person (a code exchanged for tokens), never its tokens.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ExportGrant {
    pub id: Uuid,
    pub client_id: Uuid,
    pub client_name: String,
    pub scope: String,
    /// When the person signed in for it.
    pub auth_time: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When it was revoked (its tokens stopped working), if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A signed-in device: no refresh token, only what identifies it to the person.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ExportSession {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    /// The last refresh.
    pub refreshed_at: DateTime<Utc>,
    /// It ends then, whatever its activity.
    pub not_after: DateTime<Utc>,
    pub aal: String,
    /// How the person signed in (`[{method, timestamp}]`).
    #[schema(value_type = Vec<Object>)]
    pub amr: Value,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// An audit entry about the person. Who acted is `you`, `admin` (an admin or a service of the
/// install, not named) or `unknown` (no one signed in: a failed attempt to sign in as them);
/// an admin's address is theirs, not the person's, and is left out.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ExportAuditEntry {
    pub created_at: DateTime<Utc>,
    pub action: String,
    pub by: String,
    pub ip: Option<String>,
    #[schema(value_type = Object)]
    pub payload: Value,
}

/// Everything above for `user`, from one snapshot.
#[derive(Debug)]
pub struct Held {
    pub identities: Vec<ExportIdentity>,
    pub passkeys: Vec<ExportPasskey>,
    pub app_passwords: Vec<ExportAppPassword>,
    pub consents: Vec<ExportConsent>,
    pub grants: Vec<ExportGrant>,
    pub sessions: Vec<ExportSession>,
    pub audit: Vec<ExportAuditEntry>,
}

pub async fn held(tx: &mut Transaction<'_, Postgres>, user: Uuid) -> sqlx::Result<Held> {
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut **tx)
        .await?;
    let db = &mut **tx;
    Ok(Held {
        identities: all(
            db,
            "SELECT id, provider, provider_id, email, identity_data, last_sign_in_at, created_at, \
                    updated_at \
             FROM auth.identities WHERE user_id = $1 ORDER BY created_at, id",
            user,
        )
        .await?,
        passkeys: all(
            db,
            "SELECT id, friendly_name AS name, \
                    CASE WHEN factor_id IS NULL THEN 'passkey' ELSE 'second_factor' END AS used_as, \
                    created_at, last_used_at \
             FROM auth.webauthn_credentials WHERE user_id = $1 ORDER BY created_at, id",
            user,
        )
        .await?,
        app_passwords: all(
            db,
            "SELECT id, name, created_at, last_used_at \
             FROM auth.app_passwords WHERE user_id = $1 ORDER BY created_at, id",
            user,
        )
        .await?,
        consents: all(
            db,
            "SELECT c.client_id, k.client_name, k.client_uri, c.scopes, c.granted_at \
             FROM auth.oauth_consents c JOIN auth.oauth_clients k USING (client_id) \
             WHERE c.user_id = $1 ORDER BY c.granted_at, c.client_id",
            user,
        )
        .await?,
        grants: all(
            db,
            "SELECT g.id, g.client_id, k.client_name, g.scope, g.auth_time, g.created_at, \
                    g.revoked_at \
             FROM auth.oauth_grants g JOIN auth.oauth_clients k USING (client_id) \
             WHERE g.user_id = $1 ORDER BY g.created_at, g.id",
            user,
        )
        .await?,
        sessions: all(
            db,
            "SELECT id, created_at, refreshed_at, not_after, aal, amr, user_agent, host(ip) AS ip \
             FROM auth.sessions WHERE user_id = $1 ORDER BY created_at, id",
            user,
        )
        .await?,
        // The log keeps ids as text (an actor may be `service:<client>`).
        audit: all(
            db,
            "SELECT created_at, action, \
                    CASE WHEN actor_id = $1::text THEN 'you' \
                         WHEN actor_id IS NULL THEN 'unknown' ELSE 'admin' END AS by, \
                    CASE WHEN actor_id IS NULL OR actor_id = $1::text THEN host(ip) END AS ip, \
                    payload \
             FROM auth.audit_log WHERE target_id = $1::text ORDER BY created_at, id",
            user,
        )
        .await?,
    })
}

async fn all<T>(db: &mut PgConnection, sql: &'static str, user: Uuid) -> sqlx::Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as::<_, T>(sql).bind(user).fetch_all(db).await
}
