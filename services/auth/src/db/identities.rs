//! Social login's rows: people's upstream identities (GoTrue's `identities`) and the sign-ins
//! sent upstream and not back yet (`external_states`).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

/// A sign-in sent to an upstream, kept under the hash of its `state`.
pub struct NewState<'a> {
    pub state_hash: &'a [u8],
    pub provider: &'a str,
    pub nonce: &'a str,
    pub code_verifier: &'a str,
    pub redirect_to: &'a str,
    pub flow_state_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_state(db: impl PgExecutor<'_>, new: &NewState<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auth.external_states (state_hash, provider, nonce, code_verifier, \
         redirect_to, flow_state_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new.state_hash)
    .bind(new.provider)
    .bind(new.nonce)
    .bind(new.code_verifier)
    .bind(new.redirect_to)
    .bind(new.flow_state_id)
    .bind(new.expires_at)
    .execute(db)
    .await
    .map(|_| ())
}

/// Sign-ins abandoned upstream, a day past their expiry.
pub async fn purge_states(db: impl PgExecutor<'_>, now: DateTime<Utc>) -> sqlx::Result<u64> {
    let done =
        sqlx::query("DELETE FROM auth.external_states WHERE expires_at < $1 - interval '1 day'")
            .bind(now)
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}

/// A sign-in back from upstream, taken (deleted: a state works once), with whether it was
/// still live at `now`.
#[derive(Debug, sqlx::FromRow)]
pub struct TakenState {
    pub provider: String,
    pub nonce: String,
    pub code_verifier: String,
    pub redirect_to: String,
    pub flow_state_id: Option<Uuid>,
    pub live: bool,
}

pub async fn take_state(
    db: impl PgExecutor<'_>,
    state_hash: &[u8],
    now: DateTime<Utc>,
) -> sqlx::Result<Option<TakenState>> {
    sqlx::query_as(
        "DELETE FROM auth.external_states WHERE state_hash = $1 RETURNING provider, nonce, \
         code_verifier, redirect_to, flow_state_id, expires_at > $2 AS live",
    )
    .bind(state_hash)
    .bind(now)
    .fetch_optional(db)
    .await
}

/// The person an upstream identity belongs to.
pub async fn find_user(
    db: impl PgExecutor<'_>,
    provider: &str,
    provider_id: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "SELECT user_id FROM auth.identities WHERE provider = $1 AND provider_id = $2",
    )
    .bind(provider)
    .bind(provider_id)
    .fetch_optional(db)
    .await
}

pub struct NewIdentity<'a> {
    pub user_id: Uuid,
    pub provider: &'a str,
    pub provider_id: &'a str,
    pub identity_data: &'a Value,
    pub email: Option<&'a str>,
}

/// Records the identity, or refreshes what the upstream says of it, and notes the sign-in.
/// False, changing nothing, when it is another person's (a race with a link).
pub async fn upsert(db: impl PgExecutor<'_>, new: &NewIdentity<'_>) -> sqlx::Result<bool> {
    sqlx::query(
        "INSERT INTO auth.identities (id, user_id, provider, provider_id, identity_data, email, \
         last_sign_in_at) VALUES ($1, $2, $3, $4, $5, $6, now()) \
         ON CONFLICT (provider, provider_id) DO UPDATE SET identity_data = EXCLUDED.identity_data, \
         email = EXCLUDED.email, last_sign_in_at = now(), updated_at = now() \
         WHERE auth.identities.user_id = EXCLUDED.user_id",
    )
    .bind(Uuid::now_v7())
    .bind(new.user_id)
    .bind(new.provider)
    .bind(new.provider_id)
    .bind(new.identity_data)
    .bind(new.email)
    .execute(db)
    .await
    .map(|done| done.rows_affected() == 1)
}

/// Adds `provider` to the account's `app_metadata.providers` (GoTrue's list of the ways the
/// person signs in; an account made by sign-up had `email`), and makes it `provider` when the
/// account had none recorded.
pub async fn add_provider(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    provider: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE auth.users SET raw_app_meta_data = raw_app_meta_data \
           || jsonb_build_object('provider', coalesce(raw_app_meta_data->>'provider', 'email')) \
           || jsonb_build_object('providers', ( \
                SELECT jsonb_agg(DISTINCT p) FROM jsonb_array_elements_text( \
                  coalesce(raw_app_meta_data->'providers', '[\"email\"]'::jsonb) || to_jsonb($2::text) \
                ) AS p)), \
           updated_at = now() \
         WHERE id = $1",
    )
    .bind(user_id)
    .bind(provider)
    .execute(db)
    .await
    .map(|_| ())
}

/// The upstream verified the account's address: it is confirmed now. A password set on the
/// account before its address was confirmed is dropped, since whoever set it never proved the
/// address (GoTrue's guard against pre-registered accounts taking over a social login).
pub async fn confirm_by_upstream(db: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE auth.users SET \
           encrypted_password = CASE WHEN email_confirmed_at IS NULL THEN NULL ELSE encrypted_password END, \
           email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now() \
         WHERE id = $1",
    )
    .bind(user_id)
    .execute(db)
    .await
    .map(|_| ())
}
