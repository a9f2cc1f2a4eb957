//! Secrets the service makes for itself on first start, shared by all replicas.

use sqlx::PgExecutor;

/// Stores `secret` under `name` unless a secret of that name exists (the first replica wins).
pub async fn insert_if_absent(
    db: impl PgExecutor<'_>,
    name: &str,
    secret: &[u8],
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO auth.instance_secrets (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        name,
        secret,
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// The secret stored under `name` (`RowNotFound` if none is).
pub async fn get(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Vec<u8>> {
    sqlx::query_scalar!("SELECT secret FROM auth.instance_secrets WHERE name = $1", name)
        .fetch_one(db)
        .await
}
