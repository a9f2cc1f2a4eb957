//! Backups of the whole system, used by `posey admin backup|restore` and by cron's scheduled
//! `backup` maintenance job ([`rotation`]).
//!
//! A backup is a directory: `database.dump` (PostgreSQL's custom format, from `pg_dump`, which
//! reads one consistent snapshot, so it is taken while the services serve), copies of the few
//! files that are no copy of the database (the home plugin's seal key, when the install made
//! one), and `manifest.json` with each file's size and SHA-256 and each table's row count. The
//! vector stores are not copied: they are derived from Postgres, and a restore rebuilds them.
//!
//! Everything in it is a person's data or a key, so the directory and its files are the
//! owner's only.

pub mod rotation;
mod tools;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use posey_config::{DbConfig, ExposeSecret};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use tools::PgTools;
use tools::libpq;

pub const MANIFEST: &str = "manifest.json";
pub const DUMP: &str = "database.dump";
const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub posey_version: String,
    /// Every file of the backup but the manifest: name → its size and SHA-256.
    pub files: BTreeMap<String, FileSum>,
    /// Rows per table (`schema.table`) in the dump.
    pub tables: BTreeMap<String, i64>,
}

impl Manifest {
    /// The backup's size in bytes (its files but the manifest).
    pub fn bytes(&self) -> u64 {
        self.files.values().map(|f| f.bytes).sum()
    }

    /// The names of the copied files (all but the dump), which go back into the data dir.
    pub fn copied_files(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str).filter(|n| *n != DUMP)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSum {
    pub bytes: u64,
    pub sha256: String,
}

/// Writes a backup of the database `db` and of those of `files` that exist into `dir`, which
/// must be empty or new; `posey_version` is the writer's, kept in the manifest.
pub async fn write(
    dir: &Path,
    db: &DbConfig,
    tools: &PgTools,
    files: &[PathBuf],
    posey_version: &str,
) -> anyhow::Result<Manifest> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{} is not empty: a backup goes into a new or empty directory", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("making {}", dir.display()))?;
    restrict(dir, 0o700)?;
    let (url, password) = libpq(db.url.expose_secret())?;
    let pool = posey_db::connect(db).await?;
    // The rows are counted in the very snapshot pg_dump reads: exported by a transaction kept
    // open until pg_dump has taken it.
    let mut snapshot = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *snapshot)
        .await?;
    let id: String =
        sqlx::query_scalar("SELECT pg_export_snapshot()").fetch_one(&mut *snapshot).await?;
    let tables = row_counts(&mut snapshot).await?;
    let dump = dir.join(DUMP);
    let args = [
        "--format=custom".into(),
        "--no-owner".into(),
        "--no-privileges".into(),
        format!("--snapshot={id}"),
        format!("--file={}", dump.display()),
        format!("--dbname={url}"),
    ];
    tools.run("pg_dump", &args, password.as_deref()).await.context("dumping the database")?;
    snapshot.commit().await?;
    pool.close().await;
    restrict(&dump, 0o600)?;
    for file in files.iter().filter(|f| f.is_file()) {
        let name = file.file_name().with_context(|| format!("{} names no file", file.display()))?;
        std::fs::copy(file, dir.join(name))
            .with_context(|| format!("copying {}", file.display()))?;
        restrict(&dir.join(name), 0o600)?;
    }
    let mut sums = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        sums.insert(name.clone(), sum(&dir.join(&name))?);
    }
    let manifest = Manifest {
        format: FORMAT,
        created_at: chrono::Utc::now(),
        posey_version: posey_version.to_owned(),
        files: sums,
        tables,
    };
    let path = dir.join(MANIFEST);
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest)?)
        .with_context(|| format!("writing {}", path.display()))?;
    restrict(&path, 0o600)?;
    Ok(manifest)
}

/// Reads the manifest of the backup in `dir` without checking the files (see [`verify`]).
pub fn read_manifest(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join(MANIFEST);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a backup's manifest", path.display()))
}

/// Reads the manifest of the backup in `dir` and checks every file against it.
pub fn verify(dir: &Path) -> anyhow::Result<Manifest> {
    let path = dir.join(MANIFEST);
    let manifest = read_manifest(dir)?;
    if manifest.format != FORMAT {
        bail!("{}: backup format {} (this posey reads {FORMAT})", dir.display(), manifest.format);
    }
    for (name, expected) in &manifest.files {
        // A name is one plain file of the backup, never a path out of it.
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            bail!("{}: the manifest names {name:?}, which is no file of a backup", path.display());
        }
        let found = sum(&dir.join(name)).with_context(|| format!("the backup's {name}"))?;
        if &found != expected {
            bail!(
                "the backup's {name} is not the file that was backed up (size or SHA-256 differs): refusing to restore"
            );
        }
    }
    if !manifest.files.contains_key(DUMP) {
        bail!("{}: the manifest names no {DUMP}", dir.display());
    }
    Ok(manifest)
}

/// Restores the verified backup in `dir` into the database `db`, which must hold no tables,
/// in one transaction, and checks every table's row count against the manifest.
pub async fn restore_database(
    dir: &Path,
    manifest: &Manifest,
    db: &DbConfig,
    tools: &PgTools,
) -> anyhow::Result<()> {
    let (url, password) = libpq(db.url.expose_secret())?;
    let pool = posey_db::connect(db).await?;
    let taken = user_tables(&mut *pool.acquire().await?).await?;
    if !taken.is_empty() {
        bail!(
            "the database already holds {} tables ({}, ...): restore goes into an empty database",
            taken.len(),
            taken.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
        );
    }
    let args = [
        "--no-owner".into(),
        "--no-privileges".into(),
        "--exit-on-error".into(),
        "--single-transaction".into(),
        format!("--dbname={url}"),
        dir.join(DUMP).display().to_string(),
    ];
    tools.run("pg_restore", &args, password.as_deref()).await.context("restoring the database")?;
    let counts = row_counts(&mut *pool.acquire().await?).await?;
    pool.close().await;
    for (table, rows) in &manifest.tables {
        let restored = counts.get(table).copied().unwrap_or(-1);
        if restored != *rows {
            bail!("{table}: {restored} rows restored, the backup has {rows}");
        }
    }
    Ok(())
}

/// Copies the backup's file `from` to `to` unless `to` exists with other content (a data dir's
/// own key).
pub fn put_back(from: &Path, to: &Path) -> anyhow::Result<()> {
    if to.exists() {
        if sum(to)? == sum(from)? {
            return Ok(());
        }
        bail!(
            "{} exists and differs from the backup's: move it away to restore the backup's",
            to.display()
        );
    }
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(from, to).with_context(|| format!("restoring {}", to.display()))?;
    restrict(to, 0o600)
}

/// Tables outside the system's schemas.
async fn user_tables(db: &mut sqlx::PgConnection) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\\_%' \
           AND n.nspname <> 'information_schema' ORDER BY 1",
    )
    .fetch_all(db)
    .await?)
}

/// Rows per table outside the system's schemas.
async fn row_counts(db: &mut sqlx::PgConnection) -> anyhow::Result<BTreeMap<String, i64>> {
    let mut counts = BTreeMap::new();
    for table in user_tables(db).await? {
        let (schema, name) = table.split_once('.').context("a table name")?;
        let sql = format!(
            "SELECT count(*) FROM \"{}\".\"{}\"",
            schema.replace('"', "\"\""),
            name.replace('"', "\"\"")
        );
        counts.insert(table, sqlx::query_scalar(&sql).fetch_one(&mut *db).await?);
    }
    Ok(counts)
}

fn sum(path: &Path) -> anyhow::Result<FileSum> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hasher)
        .with_context(|| format!("reading {}", path.display()))?;
    let sha256 = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(FileSum { bytes, sha256 })
}

/// Owner-only (`mode`), as a backup holds everyone's data and the keys.
fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("restricting {}", path.display()))
}
