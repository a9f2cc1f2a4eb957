//! `/admin/users`: Supabase Auth's user administration — list (paged), create, read, update,
//! delete (hard, or soft: the account is kept but can never sign in again) and the user's MFA
//! factors (list, and delete for a person who lost their authenticator).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use posey_domain::Email;
use posey_domain::UserId;
use posey_http::PathId;
use posey_http::params::path_id;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::ban;
use super::common::{load_user, object_field, optional_json, record, user_not_found};
use super::paging::{Page, query_param};
use crate::db::erasure;
use crate::db::sessions::{self, Revoke};
use crate::db::users::{self, NewUser, User};
use crate::db::{factors, oauth};
use crate::error::{AuthError, AuthResult};
use crate::extract::{Admin, AuthJson, Client, SERVICE_ROLE};
use crate::policy;
use crate::routes::openapi::{BadInput, NeedsAdmin, schemas};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(list_factors))
        .routes(routes!(delete_factor))
}

/// List users, newest first
#[utoipa::path(get, path = "/admin/users", tag = "admin", operation_id = "admin_list_users",
    security(("bearer" = [])),
    params(("page" = Option<u64>, Query, description = "From 1"), ("per_page" = Option<u64>, Query, description = "Default 50, at most 1000"), ("filter" = Option<String>, Query, description = "Part of the address")),
    responses((status = 200, description = "A page of users", body = schemas::UserList, headers(("x-total-count" = i64, description = "How many there are in all"), ("link" = String, description = "The next (`rel=\"next\"`) and last (`rel=\"last\"`) pages"))), BadInput, NeedsAdmin))]
async fn list_users(
    State(state): State<AppState>,
    _: Admin,
    uri: Uri,
) -> AuthResult<impl IntoResponse> {
    let page = Page::parse(uri.query())?;
    let filter = query_param(uri.query(), "filter");
    let total = users::count(state.db(), filter.as_deref()).await?;
    let found = users::list(state.db(), filter.as_deref(), page.limit(), page.offset()).await?;
    let list: Vec<Value> = found.iter().map(User::to_json).collect();
    Ok((page.headers(&uri, total)?, Json(json!({ "users": list, "aud": "authenticated" }))))
}

/// A user
#[utoipa::path(get, path = "/admin/users/{id}", tag = "admin", operation_id = "admin_get_user",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id")),
    responses((status = 200, description = "The user", body = schemas::User), (status = 404, description = "No such user (`user_not_found`)", body = schemas::GoTrueError), NeedsAdmin))]
async fn get_user(
    State(state): State<AppState>,
    _: Admin,
    PathId(id, ..): PathId<UserId, AuthError>,
) -> AuthResult<Json<Value>> {
    let user = load_user(state.db(), id).await?;
    let factors = factors::json_for_user(state.db(), user.id).await?;
    Ok(Json(user.to_json_with_factors(&factors)))
}

/// What auth-js's `createUser` and `updateUserById` send (`AdminUserAttributes`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
struct UserAttributes {
    id: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    password: Option<String>,
    password_hash: Option<String>,
    email_confirm: Option<bool>,
    #[schema(value_type = Option<Object>)]
    user_metadata: Option<Value>,
    #[schema(value_type = Option<Object>)]
    app_metadata: Option<Value>,
    role: Option<String>,
    ban_duration: Option<String>,
}

/// The attributes, checked, with the password already hashed.
struct Changes {
    email: Option<Email>,
    password_hash: Option<String>,
    email_confirm: bool,
    user_metadata: Option<Value>,
    app_metadata: Option<Value>,
    role: Option<String>,
    /// `Some(None)` lifts a ban.
    ban: Option<Option<DateTime<Utc>>>,
}

/// Checks every attribute before anything is written (empty strings mean "not given", as in
/// Supabase); the password is hashed last, once everything else has passed.
async fn check(state: &AppState, attrs: UserAttributes) -> AuthResult<Changes> {
    let given = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    if given(attrs.phone).is_some() {
        return Err(AuthError::validation("Phone numbers are not supported: use an email address"));
    }
    let email = match given(attrs.email) {
        Some(raw) => Some(policy::email(Some(&raw))?),
        None => None,
    };
    let role = match given(attrs.role) {
        Some(role) => Some(token_role(role.trim())?),
        None => None,
    };
    let ban = match given(attrs.ban_duration) {
        Some(raw) => Some(ban::banned_until(&raw, Utc::now())?),
        None => None,
    };
    let user_metadata = object_field("user_metadata", attrs.user_metadata)?;
    let app_metadata = object_field("app_metadata", attrs.app_metadata)?;
    let password = attrs.password.filter(|p| !p.is_empty());
    let password_hash = match (password, given(attrs.password_hash)) {
        (Some(_), Some(_)) => {
            return Err(AuthError::validation(
                "Only a password or a password hash should be provided",
            ));
        }
        (Some(password), None) => {
            policy::check_password(state.settings(), &password)?;
            Some(state.hasher.hash(&password).await?)
        }
        (None, Some(hash)) => Some(imported_hash(hash)?),
        (None, None) => None,
    };
    Ok(Changes {
        email,
        password_hash,
        email_confirm: attrs.email_confirm.unwrap_or(false),
        user_metadata,
        app_metadata,
        role,
        ban,
    })
}

/// A hash brought from another system: only Argon2 (PHC strings) can be checked at sign-in.
fn imported_hash(hash: String) -> AuthResult<String> {
    let parsed = argon2::password_hash::PasswordHash::new(&hash).map_err(|_| {
        AuthError::validation("password_hash must be an Argon2 hash in PHC form ($argon2id$...)")
    })?;
    if !parsed.algorithm.as_str().starts_with("argon2") {
        return Err(AuthError::validation(
            "password_hash must be an Argon2 hash in PHC form ($argon2id$...)",
        ));
    }
    Ok(hash)
}

/// The `role` claim of the user's tokens. `service_role` is reserved: it would make the user's
/// tokens look like a service client's to code that checks only the claim.
fn token_role(role: &str) -> AuthResult<String> {
    if role == SERVICE_ROLE || role == "supabase_admin" {
        return Err(AuthError::validation(format!(
            "role {role:?} is reserved for service clients"
        )));
    }
    let well_formed =
        role.len() <= 63 && role.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !well_formed {
        return Err(AuthError::validation("role must be at most 63 letters, digits, '_' or '-'"));
    }
    Ok(role.to_owned())
}

/// A JSON object without its `null` members (which, in an update, mean "remove").
fn without_nulls(value: Option<Value>) -> Value {
    match value {
        Some(Value::Object(mut map)) => {
            map.retain(|_, v| !v.is_null());
            Value::Object(map)
        }
        _ => json!({}),
    }
}

fn email_exists() -> AuthError {
    AuthError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "email_exists",
        "A user with this email address has already been registered",
    )
}

/// Create a user
///
/// auth-js's `admin.createUser`: `email_confirm` confirms the address at once; `password` or an
/// Argon2 `password_hash`; `role` is the tokens' database role; `ban_duration` as Go's durations
/// (`24h`, or `none`).
#[utoipa::path(post, path = "/admin/users", tag = "admin", operation_id = "admin_create_user",
    security(("bearer" = [])),
    request_body = UserAttributes,
    responses((status = 200, description = "The new user", body = schemas::User),
        (status = 422, description = "The address or id is taken (`email_exists`, `user_already_exists`), or a weak password (`weak_password`)", body = schemas::GoTrueError),
        BadInput, NeedsAdmin))]
async fn create_user(
    State(state): State<AppState>,
    admin: Admin,
    client: Client,
    AuthJson(attrs): AuthJson<UserAttributes>,
) -> AuthResult<Json<Value>> {
    let id = match attrs.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => {
            let id: Uuid = raw
                .parse()
                .map_err(|_| AuthError::validation("ID must conform to the uuid v4 format"))?;
            if id.is_nil() {
                return Err(AuthError::validation("ID cannot be a nil uuid"));
            }
            id
        }
        None => Uuid::now_v7(),
    };
    let changes = check(&state, attrs).await?;
    let email = changes.email.ok_or_else(|| {
        AuthError::validation("Cannot create a user without either an email or phone")
    })?;

    let mut tx = state.db().begin().await?;
    let inserted = users::insert_with_id(
        &mut *tx,
        id,
        &NewUser {
            email: email.as_str(),
            password_hash: changes.password_hash.as_deref(),
            user_metadata: &without_nulls(changes.user_metadata),
            app_metadata: &without_nulls(changes.app_metadata),
            role: changes.role.as_deref().unwrap_or("authenticated"),
            confirmed: changes.email_confirm,
        },
    )
    .await;
    let user = match inserted {
        Ok(user) => user,
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_email_key") => {
            return Err(email_exists());
        }
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_pkey") => {
            return Err(AuthError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "user_already_exists",
                "A user with this ID already exists",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(until) = changes.ban {
        users::set_banned_until(&mut *tx, user.id, until).await?;
    }
    record(
        &mut *tx,
        &admin,
        &client,
        "user_signedup",
        Some(user.id),
        json!({ "user_id": user.id, "user_email": user.email, "provider": "email", "by_admin": true }),
    )
    .await?;
    tx.commit().await?;
    let user = users::find(state.db(), user.id).await?.unwrap_or(user);
    Ok(Json(user.to_json()))
}

/// Change a user
///
/// auth-js's `admin.updateUserById`. A new password, or a ban, ends the user's sessions.
#[utoipa::path(put, path = "/admin/users/{id}", tag = "admin", operation_id = "admin_update_user",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id")),
    request_body = UserAttributes,
    responses((status = 200, description = "The user as it is now", body = schemas::User), (status = 404, description = "No such user (`user_not_found`)", body = schemas::GoTrueError),
        (status = 422, description = "The address is taken (`email_exists`), or a weak password (`weak_password`)", body = schemas::GoTrueError),
        BadInput, NeedsAdmin))]
async fn update_user(
    State(state): State<AppState>,
    admin: Admin,
    client: Client,
    PathId(id, ..): PathId<UserId, AuthError>,
    AuthJson(attrs): AuthJson<UserAttributes>,
) -> AuthResult<Json<Value>> {
    let user = load_user(state.db(), id).await?;
    let changes = check(&state, attrs).await?;
    let ttl = state.settings().access_token_ttl;

    let mut tx = state.db().begin().await?;
    let mut changed: Vec<&str> = Vec::new();
    let mut revoked: Vec<Uuid> = Vec::new();
    if let Some(role) = &changes.role {
        users::set_role(&mut *tx, user.id, role).await?;
        changed.push("role");
    }
    if changes.email_confirm && user.email_confirmed_at.is_none() {
        users::confirm_email(&mut *tx, user.id).await?;
        changed.push("email_confirm");
    }
    if let Some(email) = changes.email.as_ref().filter(|e| e.as_str() != user.email) {
        match users::set_email(&mut *tx, user.id, email.as_str()).await {
            Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_email_key") => {
                return Err(email_exists());
            }
            other => other?,
        }
        changed.push("email");
    }
    if let Some(hash) = &changes.password_hash {
        users::set_password(&mut *tx, user.id, hash).await?;
        // Whoever held the old password may hold a session, or have let an app in through the
        // OpenID provider: end them all.
        revoked.extend(sessions::revoke(&mut tx, Revoke::AllOfUser(user.id), ttl).await?);
        oauth::end_browser_sessions_of(&mut *tx, user.id).await?;
        oauth::revoke_grants_of(&mut *tx, user.id).await?;
        changed.push("password");
    }
    if let Some(patch) = &changes.app_metadata {
        users::merge_metadata(&mut *tx, user.id, users::Metadata::App, patch).await?;
        changed.push("app_metadata");
    }
    if let Some(patch) = &changes.user_metadata {
        users::merge_metadata(&mut *tx, user.id, users::Metadata::User, patch).await?;
        changed.push("user_metadata");
    }
    if let Some(until) = changes.ban {
        users::set_banned_until(&mut *tx, user.id, until).await?;
        // Supabase only refuses a banned user's refreshes; ending the sessions also stops the
        // access tokens already out, everywhere, within seconds.
        if until.is_some() {
            revoked.extend(sessions::revoke(&mut tx, Revoke::AllOfUser(user.id), ttl).await?);
        }
        changed.push("ban_duration");
    }
    record(
        &mut *tx,
        &admin,
        &client,
        "user_modified",
        Some(user.id),
        json!({ "user_id": user.id, "user_email": user.email, "changed": changed, "sessions_revoked": revoked }),
    )
    .await?;
    tx.commit().await?;
    let user = users::find(state.db(), user.id).await?.ok_or_else(user_not_found)?;
    Ok(Json(user.to_json()))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
struct DeleteParams {
    should_soft_delete: Option<bool>,
}

/// Delete a user
///
/// For good, or with `should_soft_delete` kept but never signed in again (the address is freed).
/// Either way the user's sessions end and everything Posey holds of them is erased in every
/// service within seconds (rows, files, vectors; the audit log keeps only that their id was
/// deleted, and by whom).
#[utoipa::path(delete, path = "/admin/users/{id}", tag = "admin", operation_id = "admin_delete_user",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id")),
    request_body(content = Option<DeleteParams>, description = "Optional"),
    responses((status = 200, description = "Deleted", body = schemas::Empty), (status = 404, description = "No such user (`user_not_found`)", body = schemas::GoTrueError), BadInput, NeedsAdmin))]
async fn delete_user(
    State(state): State<AppState>,
    admin: Admin,
    client: Client,
    PathId(id, ..): PathId<UserId, AuthError>,
    body: Result<Bytes, BytesRejection>,
) -> AuthResult<Json<Value>> {
    let user = load_user(state.db(), id).await?;
    let params: DeleteParams = optional_json(body)?;
    let soft = params.should_soft_delete.unwrap_or(false);
    let mut tx = state.db().begin().await?;
    // Ending the sessions first publishes their revocation, so other services refuse the
    // user's access tokens too (a cascade would delete the rows silently).
    let revoked = if soft && user.is_deleted() {
        Vec::new()
    } else {
        sessions::revoke(&mut tx, Revoke::AllOfUser(user.id), state.settings().access_token_ttl)
            .await?
    };
    if soft {
        if !user.is_deleted() {
            users::soft_delete(&mut tx, user.id).await?;
        }
    } else {
        users::delete(&mut *tx, user.id).await?;
    }
    // Either way the person's data goes, in every service; a soft delete keeps only the
    // account's row, unreachable, and the audit entry below keeps only their id.
    if !(soft && user.is_deleted()) {
        erasure::forget(&mut tx, user.id, &user.email).await?;
    }
    record(
        &mut *tx,
        &admin,
        &client,
        "user_deleted",
        Some(user.id),
        json!({ "user_id": user.id, "soft": soft, "sessions_revoked": revoked }),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({})))
}

/// A user's MFA factors
#[utoipa::path(get, path = "/admin/users/{id}/factors", tag = "admin", operation_id = "admin_list_factors",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id")),
    responses((status = 200, description = "The factors (never their secrets)", body = Vec<schemas::Factor>), (status = 404, description = "No such user (`user_not_found`)", body = schemas::GoTrueError), NeedsAdmin))]
async fn list_factors(
    State(state): State<AppState>,
    _: Admin,
    PathId(id, ..): PathId<UserId, AuthError>,
) -> AuthResult<Json<Value>> {
    let user = load_user(state.db(), id).await?;
    Ok(Json(Value::Array(factors::json_for_user(state.db(), user.id).await?)))
}

/// Delete a user's MFA factor
///
/// For a person who lost their authenticator. Once no verified factor is left, their sessions
/// are `aal1` again.
#[utoipa::path(delete, path = "/admin/users/{id}/factors/{factor_id}", tag = "admin", operation_id = "admin_delete_factor",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id"), ("factor_id" = String, Path, description = "The factor's id")),
    responses((status = 200, description = "The factor deleted", body = schemas::Factor), (status = 404, description = "No such user (`user_not_found`) or factor of theirs (`mfa_factor_not_found`)", body = schemas::GoTrueError), NeedsAdmin))]
async fn delete_factor(
    State(state): State<AppState>,
    admin: Admin,
    client: Client,
    Path((id, factor_id)): Path<(String, String)>,
) -> AuthResult<Json<Value>> {
    let user = load_user(state.db(), path_id::<UserId>(&id)?).await?;
    let not_found = || AuthError::not_found("mfa_factor_not_found", "Factor not found");
    let factor_id: Uuid = factor_id.parse().map_err(|_| not_found())?;
    let factor =
        factors::find_for_user(state.db(), factor_id, user.id).await?.ok_or_else(not_found)?;
    let mut tx = state.db().begin().await?;
    if !factors::delete(&mut tx, factor.id, user.id).await? {
        return Err(not_found());
    }
    record(
        &mut *tx,
        &admin,
        &client,
        "factor_deleted",
        Some(user.id),
        json!({ "factor_id": factor.id, "factor_status": factor.status }),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(factor.to_json()))
}
