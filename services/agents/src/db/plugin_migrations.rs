//! `agents.plugin_migrations`: each plugin's own migrations, applied once each, in order, when
//! the service starts (replicas starting together take turns: a lock per plugin).

use anyhow::Context;
use posey_plugin::Migration;
use sqlx::PgPool;

/// Applies `plugin`'s migrations not applied yet; how many it applied.
pub async fn apply(db: &PgPool, plugin: &str, migrations: &[Migration]) -> anyhow::Result<usize> {
    if migrations.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await.context("starting a plugin's migrations")?;
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('plugin_migrations:' || $1, 0))",
        plugin
    )
    .execute(&mut *tx)
    .await
    .context("locking a plugin's migrations")?;
    let done: Vec<String> =
        sqlx::query_scalar!("SELECT name FROM agents.plugin_migrations WHERE plugin = $1", plugin)
            .fetch_all(&mut *tx)
            .await
            .context("reading a plugin's applied migrations")?;
    let mut applied = 0;
    for migration in migrations.iter().filter(|m| !done.iter().any(|name| name == m.name)) {
        // The plugin's own SQL, known only at run time: not checkable against the schema.
        sqlx::raw_sql(migration.sql)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("plugin {plugin:?}: migration {:?}", migration.name))?;
        sqlx::query!(
            "INSERT INTO agents.plugin_migrations (plugin, name) VALUES ($1, $2)",
            plugin,
            migration.name
        )
        .execute(&mut *tx)
        .await
        .context("recording a plugin's migration")?;
        applied += 1;
    }
    tx.commit().await.context("committing a plugin's migrations")?;
    Ok(applied)
}
