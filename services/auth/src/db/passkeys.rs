//! WebAuthn credentials (a `webauthn` MFA factor's, or a passkey for passwordless sign-in) and
//! the state of the ceremonies between their two requests.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

/// The name of the unique index on credential ids: one credential, one account.
pub const CREDENTIAL_ID_KEY: &str = "webauthn_credentials_credential_id_key";

/// Which ceremony a challenge belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    /// Registering a credential (a factor's first verification, or a new passkey).
    Registration,
    /// Proving a known account's credential (a factor's challenge).
    Authentication,
    /// Usernameless sign-in: any passkey, the account found from it.
    Discoverable,
}

impl Ceremony {
    fn as_str(self) -> &'static str {
        match self {
            Self::Registration => "registration",
            Self::Authentication => "authentication",
            Self::Discoverable => "discoverable",
        }
    }
}

pub struct NewChallenge<'a> {
    pub id: Uuid,
    pub ceremony: Ceremony,
    pub user_id: Option<Uuid>,
    pub factor_id: Option<Uuid>,
    pub state: &'a Value,
    pub now: DateTime<Utc>,
}

/// Stores a challenge; challenges made before `forget_before` (long unanswerable) go.
pub async fn insert_challenge(
    db: impl PgExecutor<'_>,
    challenge: &NewChallenge<'_>,
    forget_before: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "WITH old AS (DELETE FROM auth.webauthn_challenges WHERE created_at < $7) \
         INSERT INTO auth.webauthn_challenges (id, ceremony, user_id, factor_id, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(challenge.id)
    .bind(challenge.ceremony.as_str())
    .bind(challenge.user_id)
    .bind(challenge.factor_id)
    .bind(challenge.state)
    .bind(challenge.now)
    .bind(forget_before)
    .execute(db)
    .await
    .map(|_| ())
}

pub struct TakenChallenge {
    /// When it was answered before, if it was: a replay.
    pub previously_used: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub state: Value,
}

/// Marks the challenge used `now` and returns it as it was, if it is one of `ceremony` and of
/// `user_id` / `factor_id` (a usernameless one has neither). The row lock makes two racing
/// answers see each other: only the first finds it unused.
pub async fn take_challenge(
    db: impl PgExecutor<'_>,
    id: Uuid,
    ceremony: Ceremony,
    user_id: Option<Uuid>,
    factor_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<TakenChallenge>> {
    let row = sqlx::query(
        "WITH prior AS ( \
             SELECT id, used_at FROM auth.webauthn_challenges \
             WHERE id = $1 AND ceremony = $2 \
               AND user_id IS NOT DISTINCT FROM $3 AND factor_id IS NOT DISTINCT FROM $4 \
             FOR UPDATE) \
         UPDATE auth.webauthn_challenges c SET used_at = COALESCE(c.used_at, $5) \
         FROM prior WHERE c.id = prior.id \
         RETURNING prior.used_at AS previously_used, c.created_at, c.state",
    )
    .bind(id)
    .bind(ceremony.as_str())
    .bind(user_id)
    .bind(factor_id)
    .bind(now)
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(TakenChallenge {
            previously_used: r.try_get("previously_used")?,
            created_at: r.try_get("created_at")?,
            state: r.try_get("state")?,
        })
    })
    .transpose()
}

/// A stored credential: `passkey` is webauthn-rs's `Passkey` (public key, counter, flags).
#[derive(Debug, Clone)]
pub struct Credential {
    pub id: Uuid,
    pub user_id: Uuid,
    pub passkey: Value,
    pub sign_count: i64,
    pub friendly_name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, user_id, passkey, sign_count, friendly_name, created_at, last_used_at";

fn credential(row: sqlx::postgres::PgRow) -> sqlx::Result<Credential> {
    Ok(Credential {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        passkey: row.try_get("passkey")?,
        sign_count: row.try_get("sign_count")?,
        friendly_name: row.try_get("friendly_name")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

pub struct NewCredential<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub factor_id: Option<Uuid>,
    pub credential_id: &'a [u8],
    pub passkey: &'a Value,
    pub sign_count: i64,
    pub friendly_name: &'a str,
    pub now: DateTime<Utc>,
}

pub async fn insert_credential(
    db: impl PgExecutor<'_>,
    new: &NewCredential<'_>,
) -> sqlx::Result<Credential> {
    let sql = format!(
        "INSERT INTO auth.webauthn_credentials \
             (id, user_id, factor_id, credential_id, passkey, sign_count, friendly_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(new.id)
        .bind(new.user_id)
        .bind(new.factor_id)
        .bind(new.credential_id)
        .bind(new.passkey)
        .bind(new.sign_count)
        .bind(new.friendly_name)
        .bind(new.now)
        .fetch_one(db)
        .await?;
    credential(row)
}

/// The credential of a `webauthn` factor.
pub async fn for_factor(
    db: impl PgExecutor<'_>,
    factor_id: Uuid,
) -> sqlx::Result<Option<Credential>> {
    let sql = format!("SELECT {COLUMNS} FROM auth.webauthn_credentials WHERE factor_id = $1");
    sqlx::query(&sql).bind(factor_id).fetch_optional(db).await?.map(credential).transpose()
}

/// The passkey (for sign-in, not a factor's) with this credential id.
pub async fn passkey_by_credential_id(
    db: impl PgExecutor<'_>,
    credential_id: &[u8],
) -> sqlx::Result<Option<Credential>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM auth.webauthn_credentials \
         WHERE credential_id = $1 AND factor_id IS NULL"
    );
    sqlx::query(&sql).bind(credential_id).fetch_optional(db).await?.map(credential).transpose()
}

/// Every credential id of the person's (factors' and passkeys'), so an authenticator is not
/// registered twice.
pub async fn credential_ids(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<Vec<Vec<u8>>> {
    sqlx::query_scalar("SELECT credential_id FROM auth.webauthn_credentials WHERE user_id = $1")
        .bind(user_id)
        .fetch_all(db)
        .await
}

/// The person's passkeys for sign-in, oldest first.
pub async fn list_passkeys(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> sqlx::Result<Vec<Credential>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM auth.webauthn_credentials \
         WHERE user_id = $1 AND factor_id IS NULL ORDER BY created_at, id"
    );
    sqlx::query(&sql).bind(user_id).fetch_all(db).await?.into_iter().map(credential).collect()
}

/// Deletes the person's passkey `id`; `false` when they have none such.
pub async fn delete_passkey(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "DELETE FROM auth.webauthn_credentials WHERE id = $1 AND user_id = $2 AND factor_id IS NULL",
    )
    .bind(id)
    .bind(user_id)
    .execute(db)
    .await?
    .rows_affected()
        > 0)
}

/// Renames the person's passkey `id`; `None` when they have none such.
pub async fn rename_passkey(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user_id: Uuid,
    friendly_name: &str,
) -> sqlx::Result<Option<Credential>> {
    let sql = format!(
        "UPDATE auth.webauthn_credentials SET friendly_name = $3 \
         WHERE id = $1 AND user_id = $2 AND factor_id IS NULL RETURNING {COLUMNS}"
    );
    let row =
        sqlx::query(&sql).bind(id).bind(user_id).bind(friendly_name).fetch_optional(db).await?;
    row.map(credential).transpose()
}

/// Records a use: the updated `passkey` and its signature counter, but only if the counter
/// moved on from `seen_count` (or the authenticator keeps none: 0 stays 0), so two racing uses
/// of one counter value cannot both pass. `false` when it did not.
pub async fn record_use(
    db: impl PgExecutor<'_>,
    id: Uuid,
    passkey: &Value,
    seen_count: i64,
    new_count: i64,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE auth.webauthn_credentials SET passkey = $2, sign_count = $4, last_used_at = $5 \
         WHERE id = $1 AND sign_count = $3 AND ($4 > $3 OR ($4 = 0 AND $3 = 0))",
    )
    .bind(id)
    .bind(passkey)
    .bind(seen_count)
    .bind(new_count)
    .bind(now)
    .execute(db)
    .await?
    .rows_affected()
        > 0)
}

/// The session of a refresh token (by its hash): a passkey sign-in raises the session it has
/// just started to `aal2`.
pub async fn session_of_refresh_token(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT session_id FROM auth.refresh_tokens WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(db)
        .await
}
