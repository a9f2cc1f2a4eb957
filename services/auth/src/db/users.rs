//! Accounts.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub encrypted_password: Option<String>,
    pub role: String,
    pub email_confirmed_at: Option<DateTime<Utc>>,
    pub confirmation_sent_at: Option<DateTime<Utc>>,
    pub recovery_sent_at: Option<DateTime<Utc>>,
    pub invited_at: Option<DateTime<Utc>>,
    pub email_change: Option<String>,
    pub email_change_sent_at: Option<DateTime<Utc>>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    pub banned_until: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub raw_app_meta_data: Value,
    pub raw_user_meta_data: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    /// What Supabase puts in `app_metadata`: the provider, then the stored metadata.
    pub fn app_metadata(&self) -> Value {
        let mut meta = json!({ "provider": "email", "providers": ["email"] });
        if let (Some(out), Some(stored)) =
            (meta.as_object_mut(), self.raw_app_meta_data.as_object())
        {
            for (k, v) in stored {
                out.insert(k.clone(), v.clone());
            }
        }
        meta
    }

    pub fn is_banned(&self) -> bool {
        self.banned_until.is_some_and(|until| until > Utc::now())
    }

    /// Soft-deleted by an admin: kept for the record, never signed in again.
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// The user as Supabase Auth's API returns it, with their MFA `factors` (GoTrue leaves the
    /// key out when there are none).
    pub fn to_json_with_factors(&self, factors: &[Value]) -> Value {
        let mut user = self.to_json();
        if let (false, Some(map)) = (factors.is_empty(), user.as_object_mut()) {
            map.insert("factors".into(), Value::Array(factors.to_vec()));
        }
        user
    }

    /// The user as Supabase Auth's API returns it.
    pub fn to_json(&self) -> Value {
        let mut identity = json!({
            "identity_id": self.id,
            "id": self.id,
            "user_id": self.id,
            "identity_data": {
                "email": self.email,
                "email_verified": self.email_confirmed_at.is_some(),
                "phone_verified": false,
                "sub": self.id,
            },
            "provider": "email",
            "last_sign_in_at": self.last_sign_in_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "email": self.email,
        });
        // Supabase leaves unset timestamps out rather than sending null.
        strip_nulls(&mut identity);
        let mut user = json!({
            "id": self.id,
            "aud": "authenticated",
            "role": self.role,
            "email": self.email,
            "email_confirmed_at": self.email_confirmed_at,
            "phone": "",
            "confirmation_sent_at": self.confirmation_sent_at,
            "recovery_sent_at": self.recovery_sent_at,
            "email_change_sent_at": self.email_change_sent_at,
            "new_email": self.email_change,
            "invited_at": self.invited_at,
            "confirmed_at": self.email_confirmed_at,
            "last_sign_in_at": self.last_sign_in_at,
            "app_metadata": self.app_metadata(),
            "user_metadata": self.raw_user_meta_data,
            "identities": [identity],
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "is_anonymous": false,
            "banned_until": self.banned_until,
            "deleted_at": self.deleted_at,
        });
        strip_nulls(&mut user);
        user
    }
}

fn strip_nulls(value: &mut Value) {
    if let Some(map) = value.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
}

/// `sqlx::query_as!` reading [`User`] rows: `$before`, the user columns, then `$after`, so the
/// column list is written once (the macro takes only string literals, joined with `+`).
macro_rules! query_users {
    ($before:literal, $after:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            $crate::db::users::User,
            $before
                + " id, email, encrypted_password, role, email_confirmed_at, confirmation_sent_at, \
                   recovery_sent_at, invited_at, email_change, email_change_sent_at, last_sign_in_at, \
                   banned_until, deleted_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at "
                + $after
            $(, $arg)*
        )
    };
}
pub(super) use query_users;

pub async fn find_by_email(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<Option<User>> {
    query_users!("SELECT", "FROM auth.users WHERE email = $1", email).fetch_optional(db).await
}

pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<User>> {
    query_users!("SELECT", "FROM auth.users WHERE id = $1", id).fetch_optional(db).await
}

/// A new account. Fails with the `users_email_key` unique violation if the email is taken.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
    pub user_metadata: &'a Value,
    pub app_metadata: &'a Value,
    pub role: &'a str,
    pub confirmed: bool,
}

pub async fn insert(db: impl PgExecutor<'_>, new: &NewUser<'_>) -> sqlx::Result<User> {
    insert_with_id(db, Uuid::now_v7(), new).await
}

/// A new account with a chosen id (the admin API lets the caller pick it). Fails with the
/// `users_pkey` unique violation if the id is taken.
pub async fn insert_with_id(
    db: impl PgExecutor<'_>,
    id: Uuid,
    new: &NewUser<'_>,
) -> sqlx::Result<User> {
    query_users!(
        "INSERT INTO auth.users (id, email, encrypted_password, role, raw_user_meta_data, \
         raw_app_meta_data, email_confirmed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END) RETURNING",
        "",
        id,
        new.email,
        new.password_hash,
        new.role,
        new.user_metadata,
        new.app_metadata,
        new.confirmed,
    )
    .fetch_one(db)
    .await
}

pub async fn set_password(db: impl PgExecutor<'_>, id: Uuid, hash: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE auth.users SET encrypted_password = $2, updated_at = now() WHERE id = $1",
        id,
        hash,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Which metadata: the person's own, or the app's (set by admins only).
#[derive(Debug, Clone, Copy)]
pub enum Metadata {
    User,
    App,
}

/// Merges `patch` into the metadata (top-level keys; `null` removes one).
pub async fn merge_metadata(
    db: impl PgExecutor<'_>,
    id: Uuid,
    which: Metadata,
    patch: &Value,
) -> sqlx::Result<()> {
    match which {
        Metadata::User => {
            sqlx::query!(
                "UPDATE auth.users SET raw_user_meta_data = jsonb_strip_nulls(raw_user_meta_data || $2), \
                 updated_at = now() WHERE id = $1",
                id,
                patch,
            )
            .execute(db)
            .await
        }
        Metadata::App => {
            sqlx::query!(
                "UPDATE auth.users SET raw_app_meta_data = jsonb_strip_nulls(raw_app_meta_data || $2), \
                 updated_at = now() WHERE id = $1",
                id,
                patch,
            )
            .execute(db)
            .await
        }
    }
    .map(|_| ())
}

pub async fn touch_sign_in(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("UPDATE auth.users SET last_sign_in_at = now() WHERE id = $1", id)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn roles(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!("SELECT role FROM auth.user_roles WHERE user_id = $1 ORDER BY role", id)
        .fetch_all(db)
        .await
}

// The admin API's account operations.

/// `ILIKE` pattern matching `filter` anywhere, its wildcards taken literally.
fn contains_pattern(filter: &str) -> String {
    let escaped = filter.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// A page of accounts, newest first; `filter` matches part of the address.
pub async fn list(
    db: impl PgExecutor<'_>,
    filter: Option<&str>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<User>> {
    query_users!(
        "SELECT",
        "FROM auth.users WHERE ($1::text IS NULL OR email ILIKE $1) \
         ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
        filter.map(contains_pattern),
        limit,
        offset,
    )
    .fetch_all(db)
    .await
}

pub async fn count(db: impl PgExecutor<'_>, filter: Option<&str>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM auth.users WHERE ($1::text IS NULL OR email ILIKE $1)"#,
        filter.map(contains_pattern),
    )
    .fetch_one(db)
    .await
}

pub async fn set_role(db: impl PgExecutor<'_>, id: Uuid, role: &str) -> sqlx::Result<()> {
    sqlx::query!("UPDATE auth.users SET role = $2, updated_at = now() WHERE id = $1", id, role)
        .execute(db)
        .await
        .map(|_| ())
}

/// Marks the address confirmed (the first confirmation time stays); `false` if it already was.
pub async fn confirm_email(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE auth.users SET email_confirmed_at = now(), updated_at = now() \
         WHERE id = $1 AND email_confirmed_at IS NULL",
        id,
    )
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Sets the address outright, dropping any pending change. Fails with the `users_email_key`
/// unique violation if another account has it.
pub async fn set_email(db: impl PgExecutor<'_>, id: Uuid, email: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE auth.users SET email = $2, email_change = NULL, email_change_sent_at = NULL, \
         updated_at = now() WHERE id = $1",
        id,
        email,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Bans until `until`; `None` lifts a ban.
pub async fn set_banned_until(
    db: impl PgExecutor<'_>,
    id: Uuid,
    until: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE auth.users SET banned_until = $2, updated_at = now() WHERE id = $1",
        id,
        until,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Soft delete, as Supabase does it: the row stays, marked deleted, with its address replaced
/// (so the address is free again and no email flow can reach the row), and its password,
/// metadata, roles, upstream identities and pending tokens gone. Sessions are the caller's to
/// revoke.
pub async fn soft_delete(db: &mut sqlx::PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE auth.users SET email = 'deleted:' || id::text, encrypted_password = NULL, \
         email_change = NULL, email_change_sent_at = NULL, raw_user_meta_data = '{}', \
         raw_app_meta_data = '{}', deleted_at = now(), updated_at = now() WHERE id = $1",
        id,
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!("DELETE FROM auth.one_time_tokens WHERE user_id = $1", id)
        .execute(&mut *db)
        .await?;
    sqlx::query!("DELETE FROM auth.user_roles WHERE user_id = $1", id).execute(&mut *db).await?;
    // Its upstream identities too: the person may sign up again with them.
    sqlx::query("DELETE FROM auth.identities WHERE user_id = $1")
        .bind(id)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Deletes the account and everything hanging off it (sessions, tokens, roles cascade).
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM auth.users WHERE id = $1", id).execute(db).await.map(|_| ())
}

/// What an email (or an admin-generated link) was sent for, recorded on the account.
#[derive(Debug, Clone, Copy)]
pub enum Sent {
    Confirmation,
    Invite,
    Recovery,
    EmailChange,
}

pub async fn mark_sent(db: impl PgExecutor<'_>, id: Uuid, sent: Sent) -> sqlx::Result<()> {
    match sent {
        Sent::Confirmation => {
            sqlx::query!("UPDATE auth.users SET confirmation_sent_at = now() WHERE id = $1", id)
                .execute(db)
                .await
        }
        Sent::Invite => sqlx::query!(
            "UPDATE auth.users SET confirmation_sent_at = now(), invited_at = now() WHERE id = $1",
            id,
        )
        .execute(db)
        .await,
        Sent::Recovery => {
            sqlx::query!("UPDATE auth.users SET recovery_sent_at = now() WHERE id = $1", id)
                .execute(db)
                .await
        }
        Sent::EmailChange => {
            sqlx::query!("UPDATE auth.users SET email_change_sent_at = now() WHERE id = $1", id)
                .execute(db)
                .await
        }
    }
    .map(|_| ())
}

/// Records a pending change of address, confirmed by a link.
pub async fn request_email_change(
    db: impl PgExecutor<'_>,
    id: Uuid,
    new_email: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE auth.users SET email_change = $2, email_change_sent_at = now(), updated_at = now() \
         WHERE id = $1",
        id,
        new_email,
    )
    .execute(db)
    .await
    .map(|_| ())
}
