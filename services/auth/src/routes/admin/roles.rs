//! Posey's RBAC: roles with permissions (`/admin/roles`) and who holds them
//! (`/admin/users/{id}/roles`). A user's roles reach their next access token (`roles`, and
//! Hasura's `x-hasura-allowed-roles`); the admin API itself checks the database, so granting or
//! revoking `admin` counts at once.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use posey_domain::UserId;
use posey_http::PathId;
use posey_http::params::path_id;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::common::{load_user, record, user_not_found};
use crate::db::{roles, users};
use crate::error::{AuthError, AuthResult};
use crate::extract::{ADMIN_ROLE, Admin, AuthJson, Client};
use crate::routes::openapi::{BadInput, NeedsAdmin, schemas};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_role, delete_role))
        .routes(routes!(user_roles, replace_user_roles, grant_user_role))
        .routes(routes!(revoke_user_role))
}

/// 1 to 63 of `a-z`, `0-9`, `_`, `-` (the database checks it too).
pub fn valid_role_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// A permission such as `users:manage` or `notes:*`.
fn valid_permission(permission: &str) -> bool {
    (1..=128).contains(&permission.len())
        && permission
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-:.*".contains(&b))
}

fn role_not_found(name: &str) -> AuthError {
    AuthError::not_found("role_not_found", format!("Role {name:?} not found"))
}

fn unknown_roles(names: &[String]) -> AuthError {
    let list = names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ");
    AuthError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "role_not_found",
        format!("Unknown role: {list}"),
    )
}

/// The roles and their permissions
#[utoipa::path(get, path = "/admin/roles", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "Every role", body = schemas::RoleList), NeedsAdmin))]
async fn list_roles(State(state): State<AppState>, _: Admin) -> AuthResult<Json<Value>> {
    let list: Vec<Value> =
        roles::list(state.db()).await?.iter().map(roles::Role::to_json).collect();
    Ok(Json(json!({ "roles": list })))
}

/// A role
#[utoipa::path(get, path = "/admin/roles/{name}", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path, description = "The role's name")),
    responses((status = 200, description = "The role", body = schemas::Role), (status = 404, description = "No such role (`role_not_found`)", body = schemas::GoTrueError), NeedsAdmin))]
async fn get_role(
    State(state): State<AppState>,
    _: Admin,
    Path(name): Path<String>,
) -> AuthResult<Json<Value>> {
    let role = roles::find(state.db(), &name).await?.ok_or_else(|| role_not_found(&name))?;
    Ok(Json(role.to_json()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct NewRole {
    name: Option<String>,
    description: Option<String>,
    permissions: Option<Vec<String>>,
}

/// Create a role
#[utoipa::path(post, path = "/admin/roles", tag = "admin", security(("bearer" = [])),
    request_body = NewRole,
    responses((status = 201, description = "The new role", body = schemas::Role),
        (status = 409, description = "The name is taken (`role_already_exists`)", body = schemas::GoTrueError),
        BadInput, NeedsAdmin))]
async fn create_role(
    State(state): State<AppState>,
    admin: Admin,
    client: Client,
    AuthJson(body): AuthJson<NewRole>,
) -> AuthResult<(StatusCode, Json<Value>)> {
    let name = body.name.unwrap_or_default();
    if !valid_role_name(&name) {
        return Err(AuthError::validation(format!(
            "name {name:?} must be 1 to 63 characters of a-z, 0-9, '_' and '-'"
        )));
    }
    let description = body.description.unwrap_or_default();
    if description.chars().count() > 500 {
        return Err(AuthError::validation("description must be at most 500 characters"));
    }
    let permissions: BTreeSet<String> = body.permissions.unwrap_or_default().into_iter().collect();
    if let Some(bad) = permissions.iter().find(|p| !valid_permission(p)) {
        return Err(AuthError::validation(format!(
            "permission {bad:?} must be 1 to 128 characters of a-z, 0-9, '_', '-', ':', '.' and '*'"
        )));
    }
    let permissions: Vec<String> = permissions.into_iter().collect();

    let mut tx = state.db().begin().await?;
    let role = match roles::insert(&mut *tx, &name, &description, &permissions).await {
        Ok(role) => role,
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("roles_pkey") => {
            return Err(AuthError::new(
                StatusCode::CONFLICT,
                "role_already_exists",
                format!("A role named {name:?} already exists"),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    record(
        &mut *tx,
        &admin,
        &client,
        "role_created",
        None,
        json!({ "role": name, "permissions": permissions }),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(role.to_json())))
}

/// Delete a role (its holders lose it; the built-in `admin` cannot be deleted)
#[utoipa::path(delete, path = "/admin/roles/{name}", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path, description = "The role's name")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such role (`role_not_found`)", body = schemas::GoTrueError), BadInput, NeedsAdmin))]
async fn delete_role(
    State(state): State<AppState>,
    admin: Admin,
    client: Client,
    Path(name): Path<String>,
) -> AuthResult<StatusCode> {
    if name == ADMIN_ROLE {
        // Without it no user could reach the admin API again; only service clients could.
        return Err(AuthError::validation("The built-in admin role cannot be deleted"));
    }
    let mut tx = state.db().begin().await?;
    let holders = roles::delete(&mut tx, &name).await?.ok_or_else(|| role_not_found(&name))?;
    record(
        &mut *tx,
        &admin,
        &client,
        "role_deleted",
        None,
        json!({ "role": name, "revoked_from": holders }),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn roles_of(state: &AppState, user_id: Uuid) -> AuthResult<Json<Value>> {
    let held = users::roles(state.db(), user_id).await?;
    Ok(Json(json!({ "user_id": user_id, "roles": held })))
}

/// The roles a user holds
#[utoipa::path(get, path = "/admin/users/{id}/roles", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id")),
    responses((status = 200, description = "The user's roles", body = schemas::UserRoles), (status = 404, description = "No such user (`user_not_found`)", body = schemas::GoTrueError), NeedsAdmin))]
async fn user_roles(
    State(state): State<AppState>,
    _: Admin,
    PathId(id, ..): PathId<UserId, AuthError>,
) -> AuthResult<Json<Value>> {
    let user = load_user(state.db(), id).await?;
    roles_of(&state, user.id).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = RoleNames)]
struct RoleList {
    roles: Vec<String>,
}

/// Replaces the user's roles with exactly `roles`.
/// Replace a user's roles with exactly these
#[utoipa::path(put, path = "/admin/users/{id}/roles", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id")),
    request_body = RoleList,
    responses((status = 200, description = "The user's roles now", body = schemas::UserRoles), (status = 404, description = "No such user (`user_not_found`)", body = schemas::GoTrueError), (status = 422, description = "A role that does not exist (`role_not_found`)", body = schemas::GoTrueError), BadInput, NeedsAdmin))]
async fn replace_user_roles(
    State(state): State<AppState>,
    admin: Admin,
    client: Client,
    PathId(id, ..): PathId<UserId, AuthError>,
    AuthJson(body): AuthJson<RoleList>,
) -> AuthResult<Json<Value>> {
    let user = load_user(state.db(), id).await?;
    let wanted: BTreeSet<String> = body.roles.into_iter().map(|r| r.trim().to_owned()).collect();
    let wanted: Vec<String> = wanted.into_iter().collect();
    let unknown = roles::unknown(state.db(), &wanted).await?;
    if !unknown.is_empty() {
        return Err(unknown_roles(&unknown));
    }
    let mut tx = state.db().begin().await?;
    let held = users::roles(&mut *tx, user.id).await?;
    for role in held.iter().filter(|r| !wanted.contains(r)) {
        roles::revoke(&mut *tx, user.id, role).await?;
        record(
            &mut *tx,
            &admin,
            &client,
            "role_revoked",
            Some(user.id),
            json!({ "user_id": user.id, "role": role }),
        )
        .await?;
    }
    for role in wanted.iter().filter(|r| !held.contains(r)) {
        grant(&mut tx, user.id, role).await?;
        record(
            &mut *tx,
            &admin,
            &client,
            "role_granted",
            Some(user.id),
            json!({ "user_id": user.id, "role": role }),
        )
        .await?;
    }
    tx.commit().await?;
    roles_of(&state, user.id).await
}

/// Grants a role, mapping the foreign keys to the client's mistakes (a role or user deleted
/// meanwhile).
async fn grant(tx: &mut sqlx::PgConnection, user_id: Uuid, role: &str) -> AuthResult<bool> {
    match roles::grant(&mut *tx, user_id, role).await {
        Ok(granted) => Ok(granted),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("user_roles_role_fkey") => {
            Err(unknown_roles(&[role.to_owned()]))
        }
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("user_roles_user_id_fkey") => {
            Err(user_not_found())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct OneRole {
    role: String,
}

/// Grant a user a role
#[utoipa::path(post, path = "/admin/users/{id}/roles", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id")),
    request_body = OneRole,
    responses((status = 200, description = "The user's roles now", body = schemas::UserRoles), (status = 404, description = "No such user (`user_not_found`)", body = schemas::GoTrueError), (status = 422, description = "A role that does not exist (`role_not_found`)", body = schemas::GoTrueError), BadInput, NeedsAdmin))]
async fn grant_user_role(
    State(state): State<AppState>,
    admin: Admin,
    client: Client,
    PathId(id, ..): PathId<UserId, AuthError>,
    AuthJson(body): AuthJson<OneRole>,
) -> AuthResult<Json<Value>> {
    let user = load_user(state.db(), id).await?;
    let role = body.role.trim();
    if !valid_role_name(role) {
        return Err(unknown_roles(&[role.to_owned()]));
    }
    let mut tx = state.db().begin().await?;
    if grant(&mut tx, user.id, role).await? {
        record(
            &mut *tx,
            &admin,
            &client,
            "role_granted",
            Some(user.id),
            json!({ "user_id": user.id, "role": role }),
        )
        .await?;
    }
    tx.commit().await?;
    roles_of(&state, user.id).await
}

/// Take a role from a user
#[utoipa::path(delete, path = "/admin/users/{id}/roles/{role}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "The user's id"), ("role" = String, Path, description = "The role's name")),
    responses((status = 200, description = "The user's roles now", body = schemas::UserRoles),
        (status = 404, description = "No such user (`user_not_found`), or the user does not hold the role (`role_not_found`)", body = schemas::GoTrueError),
        NeedsAdmin))]
async fn revoke_user_role(
    State(state): State<AppState>,
    admin: Admin,
    client: Client,
    Path((id, role)): Path<(String, String)>,
) -> AuthResult<Json<Value>> {
    let user = load_user(state.db(), path_id::<UserId>(&id)?).await?;
    let mut tx = state.db().begin().await?;
    if !roles::revoke(&mut *tx, user.id, &role).await? {
        return Err(AuthError::not_found(
            "role_not_found",
            format!("The user does not hold role {role:?}"),
        ));
    }
    record(
        &mut *tx,
        &admin,
        &client,
        "role_revoked",
        Some(user.id),
        json!({ "user_id": user.id, "role": role }),
    )
    .await?;
    tx.commit().await?;
    roles_of(&state, user.id).await
}
