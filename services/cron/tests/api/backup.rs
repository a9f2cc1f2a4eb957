//! The scheduled backup (`backup` maintenance job): registered on the operator's schedule only
//! while configured, run by the worker like any maintenance task, each backup whole and
//! verifiable (a real `pg_dump` of the test database), retention keeping the newest, a retried
//! run writing nothing twice.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use posey_backup::PgTools;
use posey_backup::rotation::{self, Rotation};
use posey_config::{DbConfig, PoolSettings, SecretString};
use posey_cron::db::RunStatus;
use posey_cron::jobs::maintenance::{self, BACKUP_TASK, Backups};

use crate::scheduler::{Harness, utc};

fn backups(h: &Harness, root: &Path, keep: usize, files: Vec<std::path::PathBuf>) -> Backups {
    Backups {
        rotation: Rotation { root: root.to_owned(), keep },
        db: DbConfig {
            url: SecretString::from(h.db.url.clone()),
            pool: PoolSettings { max_connections: 2, connect_timeout: Duration::from_secs(5) },
        },
        tools: PgTools::default(),
        files,
    }
}

async fn schedule_of(h: &Harness) -> Option<String> {
    sqlx::query_scalar("SELECT schedule FROM cron.tasks WHERE id = $1")
        .bind(BACKUP_TASK)
        .fetch_optional(&h.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn backup_task_follows_the_configured_schedule_and_goes_when_backups_are_off() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let pool = &h.db.pool;
    maintenance::register_system_tasks(pool, h.now(), Some("0 30 3 * * *")).await.unwrap();
    maintenance::register_system_tasks(pool, h.now(), Some("0 30 3 * * *")).await.unwrap();
    assert_eq!(schedule_of(&h).await.as_deref(), Some("0 30 3 * * *"));
    assert_eq!(
        h.task_row(BACKUP_TASK).await.next_run_at,
        Some(utc("2027-01-01T03:30:00Z")),
        "first due at the schedule's next time"
    );

    // The operator changed CRON_BACKUP_SCHEDULE: the task follows at the next start.
    maintenance::register_system_tasks(pool, h.now(), Some("0 0 */6 * * *")).await.unwrap();
    assert_eq!(schedule_of(&h).await.as_deref(), Some("0 0 */6 * * *"));
    assert_eq!(h.task_row(BACKUP_TASK).await.next_run_at, Some(utc("2027-01-01T06:00:00Z")));

    // Turned off: no backup task is left to fail.
    maintenance::register_system_tasks(pool, h.now(), None).await.unwrap();
    assert_eq!(schedule_of(&h).await, None);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM cron.tasks WHERE user_id IS NULL")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(left, 2, "the two cleanup tasks stay");
}

#[tokio::test]
async fn the_worker_runs_the_backup_task_into_a_whole_verified_backup() {
    // Just before the backup's time, when no other maintenance task is due.
    let h = Harness::at("2027-01-01T03:29:00Z").await;
    let root = tempfile::tempdir().unwrap();
    let extra = tempfile::tempdir().unwrap();
    let key = extra.path().join("home-seal-key");
    std::fs::write(&key, "k1").unwrap();
    let missing = extra.path().join("not-made");
    let backups = Arc::new(backups(&h, root.path(), 7, vec![key, missing]));
    maintenance::register_system_tasks(&h.db.pool, h.now(), Some("0 30 3 * * *")).await.unwrap();

    assert_eq!(h.dispatch_at(utc("2027-01-01T03:30:00Z")).await, 1);
    let done = h.worker().with_backups(Some(backups)).run_ready().await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].1, Some(RunStatus::Succeeded), "{done:?}");

    let run = h.runs(BACKUP_TASK).await.remove(0);
    let output = run.output.unwrap();
    assert_eq!(output["name"], "posey-20270101T033000Z", "{output}");
    assert_eq!(output["written"], true);
    assert_eq!(rotation::list(root.path()).unwrap(), ["posey-20270101T033000Z"]);
    let dir = root.path().join("posey-20270101T033000Z");
    let manifest = posey_backup::verify(&dir).unwrap();
    assert_eq!(manifest.copied_files().collect::<Vec<_>>(), ["home-seal-key"]);
    assert_eq!(std::fs::read_to_string(dir.join("home-seal-key")).unwrap(), "k1");
    // The dump's snapshot counted the run itself, running then.
    assert_eq!(manifest.tables["cron.runs"], 1);
    assert_eq!(manifest.tables["cron.tasks"], 3);
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "a backup is its owner's only");
    assert!(
        !std::fs::read_dir(root.path())
            .unwrap()
            .any(|e| { e.unwrap().file_name().to_string_lossy().starts_with(".partial-") })
    );
}

#[tokio::test]
async fn retention_keeps_the_newest_and_a_retried_run_writes_nothing_twice() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let root = tempfile::tempdir().unwrap();
    let backups = backups(&h, root.path(), 2, Vec::new());
    let days = ["2027-01-01T03:30:00Z", "2027-01-02T03:30:00Z", "2027-01-03T03:30:00Z"];
    for day in days {
        let out = maintenance::back_up(&backups, utc(day)).await.unwrap();
        assert_eq!(out["written"], true, "{out}");
    }
    assert_eq!(
        rotation::list(root.path()).unwrap(),
        ["posey-20270102T033000Z", "posey-20270103T033000Z"]
    );

    // The last run retried (its first attempt died after the rename): nothing new is written.
    let before = std::fs::metadata(root.path().join("posey-20270103T033000Z/database.dump"))
        .unwrap()
        .modified()
        .unwrap();
    let out = maintenance::back_up(&backups, utc(days[2])).await.unwrap();
    assert_eq!(out["written"], false, "{out}");
    assert_eq!(out["removed"], serde_json::json!([]));
    let after = std::fs::metadata(root.path().join("posey-20270103T033000Z/database.dump"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);

    // A backup that cannot be taken (no database there) leaves no partial one behind.
    let mut broken = backups.clone();
    broken.db.url = SecretString::from("postgres://postgres@127.0.0.1:1/gone".to_owned());
    maintenance::back_up(&broken, utc("2027-01-04T03:30:00Z")).await.unwrap_err();
    let names: Vec<String> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}
