//! `posey admin backup DIR` and `posey admin restore DIR`.
//!
//! A backup is a directory: `database.dump` (PostgreSQL's custom format, from `pg_dump`, which
//! reads one consistent snapshot, so it is taken while `posey up` serves), the files of the data
//! dir that are no copy of the database (the home plugin's seal key, when the install made one),
//! and `manifest.json` with each file's size and SHA-256 and each table's row count. The vector
//! stores are not copied: they are derived from Postgres, and a restore rebuilds them.
//!
//! A restore checks every file against the manifest before it touches anything, refuses a
//! database that already holds tables, restores the dump, checks the row counts, puts the files
//! back (never over a different one), and reindexes every vector collection.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use posey_config::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::process::Command;

use crate::LauncherConfig;
use crate::database::{Database, Sharing};

const MANIFEST: &str = "manifest.json";
const DUMP: &str = "database.dump";
const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    created_at: chrono::DateTime<chrono::Utc>,
    posey_version: String,
    /// Every file of the backup but the manifest: name → its size and SHA-256.
    files: BTreeMap<String, FileSum>,
    /// Rows per table (`schema.table`) in the dump.
    tables: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FileSum {
    bytes: u64,
    sha256: String,
}

/// Writes a backup of the running (or stopped) system into `dir`, which must be empty or new.
pub async fn backup(config: &LauncherConfig, dir: &Path) -> anyhow::Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{} is not empty: a backup goes into a new or empty directory", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("making {}", dir.display()))?;
    let database = Database::open(config, Sharing::Shared).await?;
    let result = async {
        let (url, password) = libpq(database.config.url.expose_secret())?;
        let pool = posey_db::connect(&database.config).await?;
        // The rows are counted in the very snapshot pg_dump reads: exported by a transaction
        // kept open until pg_dump has taken it.
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
        run(pg_tool(config, "pg_dump"), &args, password.as_deref())
            .await
            .context("dumping the database")?;
        snapshot.commit().await?;
        let mut files = BTreeMap::new();
        let seal = crate::home::seal_key_path(&config.data_dir);
        if seal.is_file() {
            let name = crate::home::SEAL_KEY_FILE;
            std::fs::copy(&seal, dir.join(name))
                .with_context(|| format!("copying {}", seal.display()))?;
            restrict(&dir.join(name))?;
        }
        for entry in std::fs::read_dir(dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            files.insert(name.clone(), sum(&dir.join(&name))?);
        }
        pool.close().await;
        let manifest = Manifest {
            format: FORMAT,
            created_at: chrono::Utc::now(),
            posey_version: env!("CARGO_PKG_VERSION").to_owned(),
            files,
            tables,
        };
        std::fs::write(dir.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
        tracing::info!(dir = %dir.display(), tables = manifest.tables.len(), "backup written");
        anyhow::Ok(())
    }
    .await;
    let closed = database.close().await;
    result.and(closed)
}

/// Restores the backup in `dir` into this configuration's database (which must hold no tables)
/// and data dir, then rebuilds the vector collections.
pub async fn restore(config: &LauncherConfig, dir: &Path) -> anyhow::Result<()> {
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(dir.join(MANIFEST))
            .with_context(|| format!("reading {}", dir.join(MANIFEST).display()))?,
    )
    .with_context(|| format!("{}: not a backup's manifest", dir.join(MANIFEST).display()))?;
    if manifest.format != FORMAT {
        bail!("{}: backup format {} (this posey reads {FORMAT})", dir.display(), manifest.format);
    }
    for (name, expected) in &manifest.files {
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
    let database = Database::open(config, Sharing::Exclusive).await?;
    let result = async {
        let (url, password) = libpq(database.config.url.expose_secret())?;
        let pool = posey_db::connect(&database.config).await?;
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
        run(pg_tool(config, "pg_restore"), &args, password.as_deref())
            .await
            .context("restoring the database")?;
        let counts = row_counts(&mut *pool.acquire().await?).await?;
        for (table, rows) in &manifest.tables {
            let restored = counts.get(table).copied().unwrap_or(-1);
            if restored != *rows {
                bail!("{table}: {restored} rows restored, the backup has {rows}");
            }
        }
        pool.close().await;
        for name in manifest.files.keys().filter(|n| n.as_str() != DUMP) {
            put_back(&dir.join(name), &config.data_dir.join(name))?;
        }
        anyhow::Ok(())
    }
    .await;
    database.close().await?;
    result?;
    tracing::info!(
        tables = manifest.tables.len(),
        "database restored; rebuilding the vector collections"
    );
    crate::admin::reindex(config, None).await
}

/// `pg_dump` / `pg_restore` beside the cluster's `initdb` (POSTGRES_BIN_DIR, PATH, or Debian's
/// newest), else whichever PATH has.
fn pg_tool(config: &LauncherConfig, name: &str) -> PathBuf {
    match crate::embedded::postgres::find_bin_dir(config.pg_bin_dir.as_deref()) {
        Ok(dir) if dir.join(name).is_file() => dir.join(name),
        _ => PathBuf::from(name),
    }
}

/// Runs a PostgreSQL client program, the password (if any) in its environment rather than on
/// its command line, where any local user could read it.
async fn run(program: PathBuf, args: &[String], password: Option<&str>) -> anyhow::Result<()> {
    let mut cmd = Command::new(&program);
    cmd.args(args);
    if let Some(password) = password {
        cmd.env("PGPASSWORD", password);
    }
    let out = cmd.output().await.with_context(|| format!("running {}", program.display()))?;
    if !out.status.success() {
        bail!(
            "{} failed ({}):\n{}",
            program.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// `DATABASE_URL` as libpq's programs take it: without its password (returned apart) and
/// without the query parameters only sqlx knows (`statement-cache-capacity`, ...).
fn libpq(url: &str) -> anyhow::Result<(String, Option<String>)> {
    const LIBPQ: &[&str] = &[
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "sslmode",
        "sslcert",
        "sslkey",
        "sslrootcert",
        "sslcrl",
        "application_name",
        "options",
        "connect_timeout",
        "target_session_attrs",
    ];
    let mut url = url::Url::parse(url).context("DATABASE_URL is not a URL")?;
    let password = url.password().map(percent_decode);
    let _ = url.set_password(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| LIBPQ.contains(&key.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok((url.to_string(), password))
}

/// A URL's percent-encoded part as text.
fn percent_decode(part: &str) -> String {
    url::form_urlencoded::parse(format!("p={}", part.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
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

/// Copies `from` to `to` unless `to` exists with other content (a data dir's own key).
fn put_back(from: &Path, to: &Path) -> anyhow::Result<()> {
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
    restrict(to)
}

/// Owner-only, as the data dir keeps secrets.
fn restrict(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("restricting {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_gets_the_url_without_sqlx_parameters_or_the_password() {
        let (url, password) = libpq(
            "postgres://posey:s%40cret+1@db:5432/posey?sslmode=require&statement-cache-capacity=100",
        )
        .unwrap();
        assert_eq!(url, "postgres://posey@db:5432/posey?sslmode=require");
        assert_eq!(password.as_deref(), Some("s@cret+1"));
        let (url, password) = libpq(
            "postgres://posey@localhost/posey?host=/data/postgres/run&statement-cache-capacity=1",
        )
        .unwrap();
        assert_eq!(url, "postgres://posey@localhost/posey?host=%2Fdata%2Fpostgres%2Frun");
        assert_eq!(password, None);
    }
}
