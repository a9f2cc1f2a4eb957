//! How far a person's export has got, for `GET /v1/me/export/progress` (the web app shows it
//! while a large account downloads): the part being written, parts done of all, files and
//! bytes handed to the download so far; after the end, how it ended. One export per person
//! runs at a time in a process, and the last one's summary stays until the next starts.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// Every person's current or last export in this process.
static EXPORTS: LazyLock<Mutex<BTreeMap<Uuid, Arc<Progress>>>> = LazyLock::new(Mutex::default);

fn exports() -> MutexGuard<'static, BTreeMap<Uuid, Arc<Progress>>> {
    EXPORTS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where an export stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportState {
    /// No export of theirs since this service started.
    None,
    Running,
    /// The zip was finished (the download may still be reading its last bytes).
    Finished,
    /// It stopped part-way: the download was cut off, or a part could not be read.
    Failed,
}

/// What `GET /v1/me/export/progress` answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExportProgress {
    pub state: ExportState,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The part being written (`posey` for the account, conversations and reminders, then
    /// each plugin's name).
    pub part: Option<String>,
    pub parts_done: usize,
    pub parts_total: usize,
    /// Files written into the zip so far.
    pub files: u64,
    /// Bytes of the zip handed to the download so far.
    pub bytes: u64,
}

impl ExportProgress {
    fn none() -> Self {
        Self {
            state: ExportState::None,
            started_at: None,
            finished_at: None,
            part: None,
            parts_done: 0,
            parts_total: 0,
            files: 0,
            bytes: 0,
        }
    }
}

/// One export's progress, updated by its writers.
#[derive(Debug)]
pub struct Progress(Mutex<ExportProgress>);

impl Progress {
    fn with(&self, change: impl FnOnce(&mut ExportProgress)) {
        change(&mut self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    }

    pub fn part(&self, name: &str) {
        self.with(|p| p.part = Some(name.to_owned()));
    }

    pub fn part_done(&self) {
        self.with(|p| p.parts_done += 1);
    }

    pub fn file_written(&self) {
        self.with(|p| p.files += 1);
    }

    pub fn sent(&self, bytes: usize) {
        self.with(|p| p.bytes += bytes as u64);
    }

    pub fn failed(&self) {
        self.with(|p| p.state = ExportState::Failed);
    }

    /// The zip was finished: what is left is the download reading it.
    pub fn finished(&self) {
        self.with(|p| {
            if p.state == ExportState::Running {
                p.state = ExportState::Finished;
                p.part = None;
            }
        });
    }

    /// Progress kept by no registry (the archive's own tests).
    #[cfg(test)]
    pub fn for_test() -> Self {
        Self(Mutex::new(ExportProgress { state: ExportState::Running, ..ExportProgress::none() }))
    }

    fn snapshot(&self) -> ExportProgress {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

/// A person's export being written; it ends (as failed, unless the zip was finished) when
/// dropped, which lets the next one start.
pub struct Running {
    pub progress: Arc<Progress>,
}

impl Running {
    /// Starts `person`'s export of `parts_total` parts, unless one of theirs is running.
    pub fn start(person: Uuid, parts_total: usize) -> Option<Self> {
        let mut exports = exports();
        if exports.get(&person).is_some_and(|p| p.snapshot().state == ExportState::Running) {
            return None;
        }
        let progress = Arc::new(Progress(Mutex::new(ExportProgress {
            state: ExportState::Running,
            started_at: Some(Utc::now()),
            parts_total,
            ..ExportProgress::none()
        })));
        exports.insert(person, progress.clone());
        Some(Self { progress })
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Under the registry's lock, so a new start sees either running or ended.
        let _exports = exports();
        self.progress.with(|p| {
            if p.state == ExportState::Running {
                p.state = ExportState::Failed;
            }
            p.finished_at = Some(Utc::now());
        });
    }
}

/// `person`'s current or last export.
pub fn of(person: Uuid) -> ExportProgress {
    exports().get(&person).map(|p| p.snapshot()).unwrap_or_else(ExportProgress::none)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_export_at_a_time_per_person_and_the_last_ones_summary_stays() {
        let (ada, bob) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(of(ada).state, ExportState::None);
        let first = Running::start(ada, 3).expect("the first");
        assert!(Running::start(ada, 3).is_none(), "a second while the first is written");
        let other = Running::start(bob, 3).expect("someone else's is theirs");

        first.progress.part("posey");
        first.progress.file_written();
        first.progress.sent(1000);
        first.progress.part_done();
        let now = of(ada);
        assert_eq!(now.state, ExportState::Running);
        assert_eq!((now.part.as_deref(), now.parts_done, now.parts_total), (Some("posey"), 1, 3));
        assert_eq!((now.files, now.bytes), (1, 1000));
        assert_eq!(of(bob).files, 0, "each person's own");

        first.progress.finished();
        drop(first);
        let done = of(ada);
        assert_eq!(done.state, ExportState::Finished);
        assert!(done.finished_at.is_some());
        assert_eq!(done.bytes, 1000, "the last one's summary stays");
        assert!(Running::start(ada, 3).is_some(), "again once the first has ended");

        // Dropped without finishing: it failed.
        drop(other);
        assert_eq!(of(bob).state, ExportState::Failed);
    }
}
