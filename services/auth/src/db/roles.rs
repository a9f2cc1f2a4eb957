//! RBAC: roles and their permissions, and which users hold which roles.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl Role {
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "description": self.description,
            "permissions": self.permissions,
            "created_at": self.created_at,
        })
    }
}

pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Role>> {
    sqlx::query_as!(
        Role,
        "SELECT name, description, permissions, created_at FROM auth.roles ORDER BY name"
    )
    .fetch_all(db)
    .await
}

pub async fn find(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<Role>> {
    sqlx::query_as!(
        Role,
        "SELECT name, description, permissions, created_at FROM auth.roles WHERE name = $1",
        name,
    )
    .fetch_optional(db)
    .await
}

/// A new role. Fails with the `roles_pkey` unique violation if the name is taken.
pub async fn insert(
    db: impl PgExecutor<'_>,
    name: &str,
    description: &str,
    permissions: &[String],
) -> sqlx::Result<Role> {
    sqlx::query_as!(
        Role,
        "INSERT INTO auth.roles (name, description, permissions) VALUES ($1, $2, $3) \
         RETURNING name, description, permissions, created_at",
        name,
        description,
        permissions,
    )
    .fetch_one(db)
    .await
}

/// Deletes a role (its grants go with it); returns the users who held it, or `None` if there
/// was no such role.
pub async fn delete(db: &mut sqlx::PgConnection, name: &str) -> sqlx::Result<Option<Vec<Uuid>>> {
    let holders: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT user_id FROM auth.user_roles WHERE role = $1 ORDER BY user_id FOR UPDATE",
        name,
    )
    .fetch_all(&mut *db)
    .await?;
    let deleted =
        sqlx::query!("DELETE FROM auth.roles WHERE name = $1", name).execute(&mut *db).await?;
    Ok((deleted.rows_affected() > 0).then_some(holders))
}

/// Those of `names` that are not roles.
pub async fn unknown(db: impl PgExecutor<'_>, names: &[String]) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"SELECT n AS "n!" FROM unnest($1::text[]) AS n
           WHERE NOT EXISTS (SELECT 1 FROM auth.roles WHERE name = n) ORDER BY n"#,
        names,
    )
    .fetch_all(db)
    .await
}

/// Grants `role`; `false` if the user held it already. Fails with the `user_roles_role_fkey`
/// (no such role) or `user_roles_user_id_fkey` (no such user) violations.
pub async fn grant(db: impl PgExecutor<'_>, user_id: Uuid, role: &str) -> sqlx::Result<bool> {
    sqlx::query!(
        "INSERT INTO auth.user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        user_id,
        role,
    )
    .execute(db)
    .await
    .map(|r| r.rows_affected() > 0)
}

/// Revokes `role`; `false` if the user did not hold it.
pub async fn revoke(db: impl PgExecutor<'_>, user_id: Uuid, role: &str) -> sqlx::Result<bool> {
    sqlx::query!("DELETE FROM auth.user_roles WHERE user_id = $1 AND role = $2", user_id, role)
        .execute(db)
        .await
        .map(|r| r.rows_affected() > 0)
}

/// Whether the user holds `role` and may act on it now: the account exists, is not deleted and
/// is not banned.
pub async fn active_holder(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    role: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM auth.user_roles r JOIN auth.users u ON u.id = r.user_id
           WHERE r.user_id = $1 AND r.role = $2 AND u.deleted_at IS NULL
           AND (u.banned_until IS NULL OR u.banned_until <= now())) AS "exists!""#,
        user_id,
        role,
    )
    .fetch_one(db)
    .await
}
