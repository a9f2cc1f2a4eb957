//! Scheduled backups kept in one directory with retention: each is written under a hidden
//! `.partial-` name and renamed into place only when whole, so a backup that is listed is
//! complete; then all but the newest `keep` are removed. A backup's name comes from the time it
//! was scheduled for, so a retried run finds its backup already there and does not write a
//! second one.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use chrono::{DateTime, Utc};
use posey_config::DbConfig;
use serde::Serialize;

use crate::{MANIFEST, PgTools};

const PREFIX: &str = "posey-";
const PARTIAL: &str = ".partial-";
/// A partial backup this old is left over from a run that died (a run times out well before).
const STALE_PARTIAL: Duration = Duration::from_secs(24 * 3600);

/// Where scheduled backups go and how many are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub root: PathBuf,
    pub keep: usize,
}

/// What one scheduled backup did (a run's output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Taken {
    /// The backup's directory name under the root.
    pub name: String,
    pub bytes: u64,
    pub tables: usize,
    /// False when a backup of this name was already whole (a retried run).
    pub written: bool,
    /// Older backups (and dead runs' partial ones) removed for retention.
    pub removed: Vec<String>,
}

/// The backup's directory name for a run scheduled for `at`.
pub fn name_for(at: DateTime<Utc>) -> String {
    format!("{PREFIX}{}", at.format("%Y%m%dT%H%M%SZ"))
}

/// Takes the backup scheduled for `at` into `rotation.root`, then applies the retention.
pub async fn take(
    rotation: &Rotation,
    at: DateTime<Utc>,
    db: &DbConfig,
    tools: &PgTools,
    files: &[PathBuf],
    posey_version: &str,
) -> anyhow::Result<Taken> {
    let root = &rotation.root;
    std::fs::create_dir_all(root).with_context(|| format!("making {}", root.display()))?;
    let name = name_for(at);
    let dir = root.join(&name);
    let (manifest, written) = if dir.join(MANIFEST).is_file() {
        (crate::verify(&dir)?, false)
    } else {
        let partial = root.join(format!("{PARTIAL}{name}"));
        if partial.exists() {
            std::fs::remove_dir_all(&partial)
                .with_context(|| format!("removing {}, an earlier attempt's", partial.display()))?;
        }
        let result = crate::write(&partial, db, tools, files, posey_version).await;
        let manifest = match result {
            Ok(manifest) => manifest,
            Err(e) => {
                // A failed attempt leaves nothing that looks like a backup.
                let _ = std::fs::remove_dir_all(&partial);
                return Err(e);
            }
        };
        std::fs::rename(&partial, &dir)
            .with_context(|| format!("renaming {} into place", partial.display()))?;
        (manifest, true)
    };
    let removed = prune(root, rotation.keep, &name)?;
    Ok(Taken { name, bytes: manifest.bytes(), tables: manifest.tables.len(), written, removed })
}

/// The whole backups in `root`, oldest first (their names sort by time).
pub fn list(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(root).with_context(|| format!("listing {}", root.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(PREFIX) && entry.path().join(MANIFEST).is_file() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Removes all but the newest `keep` backups (never `current`, the one just taken) and partial
/// backups old enough to be a dead run's; returns what went.
fn prune(root: &Path, keep: usize, current: &str) -> anyhow::Result<Vec<String>> {
    let whole = list(root)?;
    let surplus = whole.len().saturating_sub(keep.max(1));
    let mut doomed: Vec<String> =
        whole.into_iter().take(surplus).filter(|name| name != current).collect();
    let now = SystemTime::now();
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let age = entry.metadata()?.modified().ok().and_then(|m| now.duration_since(m).ok());
        if name.starts_with(PARTIAL) && age.is_some_and(|age| age > STALE_PARTIAL) {
            doomed.push(name);
        }
    }
    for name in &doomed {
        let path = root.join(name);
        std::fs::remove_dir_all(&path).with_context(|| format!("removing {}", path.display()))?;
        tracing::info!(backup = %name, "old backup removed (retention)");
    }
    Ok(doomed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backup(root: &Path, name: &str) {
        std::fs::create_dir_all(root.join(name)).unwrap();
        std::fs::write(root.join(name).join(MANIFEST), "{}").unwrap();
    }

    #[test]
    fn names_sort_by_the_time_scheduled() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(name_for(at("2027-01-02T03:04:05Z")), "posey-20270102T030405Z");
        assert!(name_for(at("2027-01-02T03:04:05Z")) < name_for(at("2027-10-01T00:00:00Z")));
    }

    #[test]
    fn prune_keeps_the_newest_whole_backups_and_nothing_else_of_the_operators() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        for name in ["posey-20270101T000000Z", "posey-20270102T000000Z", "posey-20270103T000000Z"] {
            backup(root, name);
        }
        // Not whole (no manifest), a fresh partial, and the operator's own files: all kept.
        std::fs::create_dir_all(root.join("posey-20261231T000000Z")).unwrap();
        std::fs::create_dir_all(root.join(".partial-posey-20270104T000000Z")).unwrap();
        std::fs::write(root.join("notes.txt"), "mine").unwrap();

        let removed = prune(root, 2, "posey-20270103T000000Z").unwrap();
        assert_eq!(removed, ["posey-20270101T000000Z"]);
        assert_eq!(list(root).unwrap(), ["posey-20270102T000000Z", "posey-20270103T000000Z"]);
        for kept in ["posey-20261231T000000Z", ".partial-posey-20270104T000000Z", "notes.txt"] {
            assert!(root.join(kept).exists(), "{kept}");
        }
    }

    #[test]
    fn prune_never_removes_the_backup_just_taken() {
        let root = tempfile::tempdir().unwrap();
        // A clock set back: the one just taken sorts oldest.
        backup(root.path(), "posey-20270105T000000Z");
        backup(root.path(), "posey-20270101T000000Z");
        let removed = prune(root.path(), 1, "posey-20270101T000000Z").unwrap();
        assert!(removed.is_empty(), "{removed:?}");
    }
}
