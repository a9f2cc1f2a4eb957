//! `posey admin backup DIR` and `posey admin restore DIR`, on `posey_backup` (which cron's
//! scheduled backups use too, so either kind restores here).
//!
//! A restore checks every file against the manifest before it touches anything, refuses a
//! database that already holds tables, restores the dump, checks the row counts, puts the files
//! back into the data dir (never over a different one), and reindexes every vector collection.

use std::path::Path;

use posey_backup::PgTools;

use crate::LauncherConfig;
use crate::database::{Database, Sharing};

/// Writes a backup of the running (or stopped) system into `dir`, which must be empty or new.
pub async fn backup(config: &LauncherConfig, dir: &Path) -> anyhow::Result<()> {
    let database = Database::open(config, Sharing::Shared).await?;
    let result = posey_backup::write(
        dir,
        &database.config,
        &pg_tools(config),
        &crate::config::data_files(&config.data_dir),
        env!("CARGO_PKG_VERSION"),
    )
    .await;
    let closed = database.close().await;
    let manifest = result?;
    closed?;
    tracing::info!(dir = %dir.display(), tables = manifest.tables.len(), "backup written");
    Ok(())
}

/// Restores the backup in `dir` into this configuration's database (which must hold no tables)
/// and data dir, then rebuilds the vector collections.
pub async fn restore(config: &LauncherConfig, dir: &Path) -> anyhow::Result<()> {
    let manifest = posey_backup::verify(dir)?;
    let database = Database::open(config, Sharing::Exclusive).await?;
    let result =
        posey_backup::restore_database(dir, &manifest, &database.config, &pg_tools(config)).await;
    database.close().await?;
    result?;
    for name in manifest.copied_files() {
        posey_backup::put_back(&dir.join(name), &config.data_dir.join(name))?;
    }
    tracing::info!(
        tables = manifest.tables.len(),
        "database restored; rebuilding the vector collections"
    );
    crate::admin::reindex(config, None).await
}

/// `pg_dump` / `pg_restore` beside the cluster's `initdb` (POSTGRES_BIN_DIR, PATH, or Debian's
/// newest), else whichever PATH has.
pub fn pg_tools(config: &LauncherConfig) -> PgTools {
    PgTools::in_dir(crate::embedded::postgres::find_bin_dir(config.pg_bin_dir.as_deref()).ok())
}
