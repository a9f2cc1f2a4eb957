//! `posey admin backup` while `posey up` serves, and `posey admin restore` into an empty
//! database and data dir: every table comes back with the same rows (each table's rows hashed
//! in order), the seal key comes back, the person signs in with their old password, finds
//! their memory by meaning (the vectors were rebuilt) and goes on chatting in their old
//! conversation with the local model; a backup altered by one byte, or a
//! database that is not empty, is refused before anything is written. Meanwhile cron's
//! scheduled backups (every two seconds here) land whole in `<data dir>/backups`, the newest
//! two kept.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{
    Person, Posey, Turn, consistent, messages, model, ports, tables, temp_parent, wait_until_ready,
};

/// Each table outside the system's schemas: its rows, hashed in a fixed order.
async fn fingerprint(db: &PgPool) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for (schema, table) in tables(db).await {
        let sql = format!(
            "SELECT count(*)::text || ':' || coalesce(md5(string_agg(r::text, '|' ORDER BY r::text)), '') \
             FROM \"{schema}\".\"{table}\" AS r"
        );
        found.insert(
            format!("{schema}.{table}"),
            sqlx::query_scalar(&sql).fetch_one(db).await.unwrap(),
        );
    }
    found
}

/// Cron's backup task has run at least three times since now (after the person's memory was
/// made); the newest two backups are left, each whole (every file matches its manifest) with
/// that memory and the seal key in it.
async fn scheduled_backups_rotate(db: &PgPool, root: &Path) {
    let since: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT now()").fetch_one(db).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let succeeded = loop {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM cron.runs r JOIN cron.tasks t ON t.id = r.task_id \
             WHERE t.payload->>'job' = 'backup' AND r.status = 'succeeded' AND r.scheduled_for > $1",
        )
        .bind(since)
        .fetch_one(db)
        .await
        .unwrap();
        if n >= 3 || Instant::now() > deadline {
            break n;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(succeeded >= 3, "{succeeded} scheduled backups in 120 s");
    let kept = posey_backup::rotation::list(root).unwrap();
    assert_eq!(kept.len(), 2, "retention keeps two: {kept:?}");
    for name in kept {
        let manifest = posey_backup::verify(&root.join(&name)).unwrap();
        assert_eq!(manifest.tables["agents.memories"], 1, "{name}");
        assert_eq!(
            manifest.copied_files().collect::<Vec<_>>(),
            ["auth-key-encryption-key", "home-seal-key"],
            "{name}"
        );
    }
}

/// `posey admin <task> <dir>` run to its end with `vars`; its success and output.
fn admin(
    task: &str,
    dir: &Path,
    data_dir: &Path,
    vars: &[(&str, &str)],
    log: &str,
) -> (bool, String) {
    let mut run =
        Posey::start_with(data_dir, &[], &["admin", task, dir.to_str().unwrap()], log, vars);
    let status = run.wait(Duration::from_secs(300));
    (status.success(), run.log())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_taken_while_serving_restores_into_an_empty_install_identically() {
    let chat_model = model("POSEY_LOCAL_MODEL");
    let embedding_model = model("POSEY_LOCAL_EMBEDDING_MODEL");
    let parent = temp_parent();
    let (before, after) =
        (posey_testkit::TestDatabase::empty().await, posey_testkit::TestDatabase::empty().await);
    let (data_dir, restored_dir, backup) =
        (parent.path().join("data"), parent.path().join("restored"), parent.path().join("backup"));
    let ports = ports();
    let listen = format!("127.0.0.1:{}", posey_testkit::free_port());
    let vars = [
        ("DATABASE_URL", before.url.as_str()),
        ("AUTH_MAILER_AUTOCONFIRM", "true"),
        ("POSEY_MQTT_LISTEN", listen.as_str()),
        ("CRON_BACKUP_SCHEDULE", "*/2 * * * * *"),
        ("CRON_BACKUP_KEEP", "2"),
        ("POSEY_LOCAL_MODEL", chat_model.as_str()),
        ("POSEY_LOCAL_EMBEDDING_MODEL", embedding_model.as_str()),
    ];
    let mut posey = Posey::start_with(&data_dir, &ports, &["up"], "backup-up.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    let ada = Person::sign_up(&ports, "ada@example.com").await;
    let memory = json!({"text": "Ada keeps her sailing boat at Lake Constance"});
    let made = ada.post(ada.agents, "/v1/memories").json(&memory).send().await.unwrap();
    assert_eq!(made.status(), 201);
    let document = ada
        .upload("boat.md", b"# The boat\n\nIts winter berth is paid in October.\n".to_vec())
        .await;
    assert_eq!(ada.settled(&document).await["status"], "ready");
    let made = ada.post(ada.agents, "/v1/conversations").json(&json!({"title": "Sailing"}));
    let conversation: Value = made.send().await.unwrap().json().await.unwrap();
    let conversation = conversation["id"].as_str().unwrap().to_owned();
    let first = "Hello! Reply with one word.";
    let (last, data) =
        Turn::start(&ada, &conversation, first).await.finish(Duration::from_secs(300)).await;
    assert_eq!(last, "done", "{data}");

    // Taken while posey up serves. Its background work (cron's maintenance, links, leases) may
    // change a table between the backup's snapshot and the stop: only the tables alike before
    // the backup and after the stop are compared row by row, and the person's must be among them.
    let serving = fingerprint(&before.pool).await;
    let (ok, log) = admin("backup", &backup, &data_dir, &vars[..1], "backup.log");
    assert!(ok, "{log}");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap();
    assert!(manifest["files"]["database.dump"]["sha256"].is_string(), "{manifest}");
    assert!(manifest["files"]["home-seal-key"].is_object(), "the seal key is kept: {manifest}");
    assert!(
        manifest["files"]["auth-key-encryption-key"].is_object(),
        "the key the signing keys are sealed under is kept: {manifest}"
    );
    assert_eq!(manifest["tables"]["agents.memories"], 1, "{manifest}");
    let (ok, log) = admin("backup", &backup, &data_dir, &vars[..1], "backup-again.log");
    assert!(!ok && log.contains("is not empty"), "{log}");
    scheduled_backups_rotate(&before.pool, &data_dir.join("backups")).await;
    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(60)).success(), "{}", posey.log());
    let stopped = fingerprint(&before.pool).await;
    let steady: BTreeMap<&String, &String> =
        stopped.iter().filter(|(table, rows)| serving.get(*table) == Some(*rows)).collect();
    for table in [
        "auth.users",
        "agents.memories",
        "agents.documents",
        "agents.document_chunks",
        "public._sqlx_migrations",
    ] {
        assert!(
            steady.contains_key(&table.to_owned()),
            "{table} changed while serving: {stopped:?}"
        );
    }

    // A backup whose dump lost or changed a byte is refused, naming the file; nothing written.
    let tampered = parent.path().join("tampered");
    std::fs::create_dir(&tampered).unwrap();
    for entry in std::fs::read_dir(&backup).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), tampered.join(entry.file_name())).unwrap();
    }
    let mut dump = std::fs::read(tampered.join("database.dump")).unwrap();
    let middle = dump.len() / 2;
    dump[middle] ^= 1;
    std::fs::write(tampered.join("database.dump"), dump).unwrap();
    let restore_vars = [("DATABASE_URL", after.url.as_str())];
    let (ok, log) =
        admin("restore", &tampered, &restored_dir, &restore_vars, "restore-tampered.log");
    assert!(!ok && log.contains("database.dump is not the file that was backed up"), "{log}");
    assert!(fingerprint(&after.pool).await.is_empty(), "a refused restore wrote something");

    // Restored into the empty database and a new data dir.
    let (ok, log) = admin("restore", &backup, &restored_dir, &restore_vars, "restore.log");
    assert!(ok, "{log}");
    let restored = fingerprint(&after.pool).await;
    assert_eq!(restored.keys().collect::<Vec<_>>(), stopped.keys().collect::<Vec<_>>());
    for (table, rows) in steady {
        assert_eq!(&restored[table], rows, "{table} is not as it was");
    }
    assert_eq!(
        std::fs::read(restored_dir.join("home-seal-key")).unwrap(),
        std::fs::read(data_dir.join("home-seal-key")).unwrap()
    );
    // Again into what is now a full database: refused.
    let (ok, log) = admin("restore", &backup, &restored_dir, &restore_vars, "restore-again.log");
    assert!(!ok && log.contains("restore goes into an empty database"), "{log}");

    // The restored install serves Ada with her old password and finds her memory by meaning.
    let ports = crate::support::ports();
    let vars = [
        ("DATABASE_URL", after.url.as_str()),
        ("POSEY_MQTT_LISTEN", listen.as_str()),
        ("POSEY_LOCAL_MODEL", chat_model.as_str()),
        ("POSEY_LOCAL_EMBEDDING_MODEL", embedding_model.as_str()),
    ];
    let mut posey = Posey::start_with(&restored_dir, &ports, &["up"], "restored-up.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    let ada = Person::sign_in(&ports, "ada@example.com").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let found = loop {
        let found = ada.json(ada.agents, "/v1/memories/search?q=where%20is%20the%20sailboat").await;
        if found.to_string().contains("Lake Constance") || Instant::now() > deadline {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(found.to_string().contains("Lake Constance"), "{found}");
    // Her old conversation goes on: a turn answered and stored after the one from before.
    let again = "Hello again! Reply with one word.";
    let (last, data) =
        Turn::start(&ada, &conversation, again).await.finish(Duration::from_secs(300)).await;
    assert_eq!(last, "done", "{data}");
    assert_eq!(consistent(&messages(&ada, &conversation).await), [first, again]);
    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(60)).success(), "{}", posey.log());
}
