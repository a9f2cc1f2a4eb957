//! The OpenID provider's tables: registered clients, the provider's browser sessions,
//! remembered consents, authorization codes, grants and their refresh tokens (`crate::oidc`
//! holds the rules).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// A registered client.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Client {
    pub client_id: Uuid,
    pub client_name: String,
    pub client_type: String,
    pub token_endpoint_auth_method: String,
    pub client_secret_hash: Option<Vec<u8>>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub scope: String,
    pub client_uri: Option<String>,
    pub logo_uri: Option<String>,
    /// The client's public keys (a JWK set), as registered.
    pub jwks: Option<serde_json::Value>,
    /// How its id tokens are encrypted (`crate::oidc::jwe`); none: only signed.
    pub id_token_encrypted_response_alg: Option<String>,
    pub id_token_encrypted_response_enc: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Client {
    pub fn is_confidential(&self) -> bool {
        self.client_type == "confidential"
    }

    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    pub fn scopes(&self) -> Vec<&str> {
        self.scope.split_ascii_whitespace().collect()
    }
}

const CLIENT_COLUMNS: &str = "client_id, client_name, client_type, token_endpoint_auth_method, \
    client_secret_hash, redirect_uris, post_logout_redirect_uris, grant_types, scope, client_uri, \
    logo_uri, jwks, id_token_encrypted_response_alg, id_token_encrypted_response_enc, created_at, \
    updated_at";

pub async fn insert_client(db: impl PgExecutor<'_>, c: &Client) -> sqlx::Result<Client> {
    sqlx::query_as(&format!(
        "INSERT INTO auth.oauth_clients (client_id, client_name, client_type, \
         token_endpoint_auth_method, client_secret_hash, redirect_uris, post_logout_redirect_uris, \
         grant_types, scope, client_uri, logo_uri, jwks, id_token_encrypted_response_alg, \
         id_token_encrypted_response_enc) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         RETURNING {CLIENT_COLUMNS}"
    ))
    .bind(c.client_id)
    .bind(&c.client_name)
    .bind(&c.client_type)
    .bind(&c.token_endpoint_auth_method)
    .bind(&c.client_secret_hash)
    .bind(&c.redirect_uris)
    .bind(&c.post_logout_redirect_uris)
    .bind(&c.grant_types)
    .bind(&c.scope)
    .bind(&c.client_uri)
    .bind(&c.logo_uri)
    .bind(&c.jwks)
    .bind(&c.id_token_encrypted_response_alg)
    .bind(&c.id_token_encrypted_response_enc)
    .fetch_one(db)
    .await
}

/// Writes every changeable field of `c` (not its type, method or id).
pub async fn update_client(db: impl PgExecutor<'_>, c: &Client) -> sqlx::Result<Option<Client>> {
    sqlx::query_as(&format!(
        "UPDATE auth.oauth_clients SET client_name = $2, client_secret_hash = $3, \
         redirect_uris = $4, post_logout_redirect_uris = $5, grant_types = $6, scope = $7, \
         client_uri = $8, logo_uri = $9, jwks = $10, id_token_encrypted_response_alg = $11, \
         id_token_encrypted_response_enc = $12, updated_at = now() WHERE client_id = $1 \
         RETURNING {CLIENT_COLUMNS}"
    ))
    .bind(c.client_id)
    .bind(&c.client_name)
    .bind(&c.client_secret_hash)
    .bind(&c.redirect_uris)
    .bind(&c.post_logout_redirect_uris)
    .bind(&c.grant_types)
    .bind(&c.scope)
    .bind(&c.client_uri)
    .bind(&c.logo_uri)
    .bind(&c.jwks)
    .bind(&c.id_token_encrypted_response_alg)
    .bind(&c.id_token_encrypted_response_enc)
    .fetch_optional(db)
    .await
}

pub async fn find_client(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Client>> {
    sqlx::query_as(&format!("SELECT {CLIENT_COLUMNS} FROM auth.oauth_clients WHERE client_id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn list_clients(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Client>> {
    sqlx::query_as(&format!("SELECT {CLIENT_COLUMNS} FROM auth.oauth_clients ORDER BY created_at"))
        .fetch_all(db)
        .await
}

pub async fn delete_client(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM auth.oauth_clients WHERE client_id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A provider browser session: who signed in, and when.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BrowserSession {
    pub user_id: Uuid,
    pub auth_time: DateTime<Utc>,
}

pub async fn insert_browser_session(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    user_id: Uuid,
    auth_time: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auth.oauth_browser_sessions (token_hash, user_id, auth_time, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(auth_time)
    .bind(expires_at)
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn find_browser_session(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<Option<BrowserSession>> {
    sqlx::query_as(
        "SELECT user_id, auth_time FROM auth.oauth_browser_sessions \
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db)
    .await
}

pub async fn delete_browser_session(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM auth.oauth_browser_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db)
        .await
        .map(|_| ())
}

/// The scopes `user_id` has consented to for `client_id`.
pub async fn consented_scopes(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    client_id: Uuid,
) -> sqlx::Result<Vec<String>> {
    let scopes: Option<Vec<String>> = sqlx::query_scalar(
        "SELECT scopes FROM auth.oauth_consents WHERE user_id = $1 AND client_id = $2",
    )
    .bind(user_id)
    .bind(client_id)
    .fetch_optional(db)
    .await?;
    Ok(scopes.unwrap_or_default())
}

/// Remembers consent to `scopes` (added to what was consented to before).
pub async fn add_consent(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    client_id: Uuid,
    scopes: &[String],
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auth.oauth_consents (user_id, client_id, scopes) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, client_id) DO UPDATE SET granted_at = now(), scopes = \
         ARRAY(SELECT DISTINCT unnest(auth.oauth_consents.scopes || EXCLUDED.scopes))",
    )
    .bind(user_id)
    .bind(client_id)
    .bind(scopes)
    .execute(db)
    .await
    .map(|_| ())
}

pub struct NewCode<'a> {
    pub code_hash: &'a [u8],
    pub client_id: Uuid,
    pub user_id: Uuid,
    pub redirect_uri: &'a str,
    pub scope: &'a str,
    pub nonce: Option<&'a str>,
    pub code_challenge: Option<&'a str>,
    pub auth_time: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_code(db: impl PgExecutor<'_>, c: &NewCode<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auth.oauth_codes (code_hash, client_id, user_id, redirect_uri, scope, nonce, \
         code_challenge, auth_time, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(c.code_hash)
    .bind(c.client_id)
    .bind(c.user_id)
    .bind(c.redirect_uri)
    .bind(c.scope)
    .bind(c.nonce)
    .bind(c.code_challenge)
    .bind(c.auth_time)
    .bind(c.expires_at)
    .execute(db)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Code {
    pub client_id: Uuid,
    pub user_id: Uuid,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub grant_id: Option<Uuid>,
}

/// The code, locked until the transaction ends (two exchanges of one code serialise here).
pub async fn lock_code(db: &mut PgConnection, code_hash: &[u8]) -> sqlx::Result<Option<Code>> {
    sqlx::query_as(
        "SELECT client_id, user_id, redirect_uri, scope, nonce, code_challenge, auth_time, \
         expires_at, used_at, grant_id FROM auth.oauth_codes WHERE code_hash = $1 FOR UPDATE",
    )
    .bind(code_hash)
    .fetch_optional(db)
    .await
}

pub async fn use_code(
    db: impl PgExecutor<'_>,
    code_hash: &[u8],
    grant_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE auth.oauth_codes SET used_at = $3, grant_id = $2 WHERE code_hash = $1")
        .bind(code_hash)
        .bind(grant_id)
        .bind(now)
        .execute(db)
        .await
        .map(|_| ())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grant {
    pub id: Uuid,
    pub client_id: Uuid,
    pub user_id: Option<Uuid>,
    pub scope: String,
    pub auth_time: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn insert_grant(db: impl PgExecutor<'_>, g: &Grant) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auth.oauth_grants (id, client_id, user_id, scope, auth_time) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(g.id)
    .bind(g.client_id)
    .bind(g.user_id)
    .bind(&g.scope)
    .bind(g.auth_time)
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn find_grant(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Grant>> {
    sqlx::query_as(
        "SELECT id, client_id, user_id, scope, auth_time, revoked_at FROM auth.oauth_grants \
         WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Ends a grant: its access tokens stop being accepted, its refresh tokens stop working.
pub async fn revoke_grant(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE auth.oauth_grants SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1",
    )
    .bind(id)
    .execute(db)
    .await
    .map(|_| ())
}

/// Ends the person's sign-ins at the provider (its cookie sessions), as a global sign-out or a
/// new password does; how many.
pub async fn end_browser_sessions_of(db: impl PgExecutor<'_>, user: Uuid) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM auth.oauth_browser_sessions WHERE user_id = $1")
        .bind(user)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Revokes every grant the person gave apps (their access and refresh tokens stop working), as
/// a new password does: whoever had the old one may have let an app in; how many.
pub async fn revoke_grants_of(db: impl PgExecutor<'_>, user: Uuid) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE auth.oauth_grants SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

pub async fn insert_refresh_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    grant_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO auth.oauth_refresh_tokens (token_hash, grant_id) VALUES ($1, $2)")
        .bind(token_hash)
        .bind(grant_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// A refresh token, with its grant.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshToken {
    pub grant_id: Uuid,
    pub used_at: Option<DateTime<Utc>>,
}

/// The refresh token, locked until the transaction ends.
pub async fn lock_refresh_token(
    db: &mut PgConnection,
    token_hash: &[u8],
) -> sqlx::Result<Option<RefreshToken>> {
    sqlx::query_as(
        "SELECT grant_id, used_at FROM auth.oauth_refresh_tokens WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

pub async fn find_refresh_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> sqlx::Result<Option<RefreshToken>> {
    sqlx::query_as("SELECT grant_id, used_at FROM auth.oauth_refresh_tokens WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(db)
        .await
}

pub async fn use_refresh_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE auth.oauth_refresh_tokens SET used_at = $2 WHERE token_hash = $1")
        .bind(token_hash)
        .bind(now)
        .execute(db)
        .await
        .map(|_| ())
}
