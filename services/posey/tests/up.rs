//! End to end: the real `posey` binary with no DATABASE_URL creates and starts a private
//! PostgreSQL cluster, serves all four services until Ctrl-C, stops the cluster, and reuses its
//! data on the next run.

// A failed unwrap in a test helper fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use posey_vector::VectorStore;
use sqlx::Connection;

const SERVICES: [&str; 4] = ["AUTH_PORT", "AGENTS_PORT", "GATEWAY_PORT", "CRON_PORT"];

struct Posey {
    child: Child,
    log: PathBuf,
}

impl Posey {
    /// `posey <args>` with a clean environment of backing-service variables.
    fn start(data_dir: &Path, ports: &[(&str, u16)], args: &[&str], log_name: &str) -> Self {
        let log = data_dir.parent().unwrap().join(log_name);
        let out = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_posey"));
        cmd.args(args)
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env_remove("QDRANT_URL")
            .env_remove("POSTGRES_BIN_DIR")
            .env("POSEY_DATA_DIR", data_dir)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        for (var, port) in ports {
            cmd.env(var, port.to_string());
        }
        Self { child: cmd.spawn().expect("starting posey"), log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn interrupt(&self) {
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGINT).expect("sending SIGINT");
    }

    fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("posey did not exit within {limit:?}; log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Posey {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.interrupt();
            let _ = self.wait(Duration::from_secs(30));
        }
    }
}

async fn wait_until_ready(posey: &mut Posey, ports: &[(&str, u16)]) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    for (var, port) in ports {
        loop {
            if let Some(status) = posey.child.try_wait().unwrap() {
                panic!("posey exited early ({status}); log:\n{}", posey.log());
            }
            let url = format!("http://127.0.0.1:{port}/readyz");
            if let Ok(r) = client.get(&url).send().await
                && r.status() == 200
            {
                break;
            }
            assert!(Instant::now() < deadline, "{var} never got ready; log:\n{}", posey.log());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn socket_url(data_dir: &Path) -> String {
    let run = data_dir.join("postgres/run");
    format!("postgres://posey@localhost/posey?host={}", run.display())
}

fn ports() -> Vec<(&'static str, u16)> {
    SERVICES.iter().map(|var| (*var, posey_testkit::free_port())).collect()
}

/// A temp dir that the unprivileged account running PostgreSQL (when tests run as root) can
/// enter, as a real data dir's parent would be.
fn temp_parent() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(dir.path(), mode).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn posey_up_runs_everything_on_an_embedded_cluster_and_reuses_it() {
    let parent = temp_parent();
    let data_dir = parent.path().join("data");
    let ports = ports();

    // First run: the cluster is created.
    let mut posey = Posey::start(&data_dir, &ports, &["up"], "first.log");
    wait_until_ready(&mut posey, &ports).await;
    assert!(posey.log().contains("embedded PostgreSQL: created and started"), "{}", posey.log());
    let mut conn = sqlx::PgConnection::connect(&socket_url(&data_dir)).await.unwrap();
    sqlx::raw_sql("CREATE TABLE app.marker (note text); INSERT INTO app.marker VALUES ('kept')")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    posey.interrupt();
    let status = posey.wait(Duration::from_secs(60));
    assert!(status.success(), "exit {status}; log:\n{}", posey.log());
    assert!(posey.log().contains("embedded PostgreSQL stopped"), "{}", posey.log());
    assert!(!data_dir.join("postgres/data/postmaster.pid").exists(), "the cluster still runs");
    for (_, port) in &ports {
        assert!(std::net::TcpStream::connect(("127.0.0.1", *port)).is_err(), "port {port} open");
    }

    // Second run: the same data.
    let mut posey = Posey::start(&data_dir, &ports, &["up"], "second.log");
    wait_until_ready(&mut posey, &ports).await;
    assert!(posey.log().contains("reused existing data"), "{}", posey.log());
    let mut conn = sqlx::PgConnection::connect(&socket_url(&data_dir)).await.unwrap();
    let note: String =
        sqlx::query_scalar("SELECT note FROM app.marker").fetch_one(&mut conn).await.unwrap();
    assert_eq!(note, "kept");
    conn.close().await.unwrap();
    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(60)).success(), "{}", posey.log());
    assert!(!data_dir.join("postgres/data/postmaster.pid").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_and_doctor_work_against_the_embedded_cluster() {
    let parent = temp_parent();
    let data_dir = parent.path().join("data");

    let mut doctor = Posey::start(&data_dir, &[], &["doctor"], "doctor-before.log");
    assert!(doctor.wait(Duration::from_secs(30)).success(), "{}", doctor.log());
    assert!(doctor.log().contains("created on first `posey up`"), "{}", doctor.log());

    let mut migrate = Posey::start(&data_dir, &[], &["migrate"], "migrate.log");
    assert!(migrate.wait(Duration::from_secs(90)).success(), "{}", migrate.log());
    assert!(migrate.log().contains("migrations applied"), "{}", migrate.log());
    assert!(!data_dir.join("postgres/data/postmaster.pid").exists(), "migrate left it running");

    let mut doctor = Posey::start(&data_dir, &[], &["doctor"], "doctor-after.log");
    assert!(doctor.wait(Duration::from_secs(30)).success(), "{}", doctor.log());
    assert!(doctor.log().contains("data present"), "{}", doctor.log());
}

/// Runs `posey` with `vars` and expects a quick failure whose message names `variable`.
fn fails_naming(args: &[&str], vars: &[(&str, &str)], variable: &str) -> String {
    let parent = temp_parent();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_posey"));
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env_remove("QDRANT_URL")
        .env("POSEY_DATA_DIR", parent.path().join("data"))
        .stdin(Stdio::null());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "expected failure; stderr:\n{stderr}");
    assert!(stderr.contains(variable), "expected {variable} in:\n{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
    stderr
}

#[test]
fn bad_configuration_exits_non_zero_naming_the_variable() {
    let stderr = fails_naming(&["up"], &[("AUTH_PORT", "ninety")], "AUTH_PORT");
    assert!(stderr.contains("cannot parse \"ninety\""), "{stderr}");
    fails_naming(&["up"], &[("LOG_FORMAT", "xml")], "LOG_FORMAT");
    fails_naming(&["up"], &[("DATABASE_URL", "mysql://x")], "DATABASE_URL");
}

#[test]
fn an_unreachable_database_exits_non_zero_naming_the_variable() {
    let port = posey_testkit::free_port();
    let url = format!("postgres://posey:secret@127.0.0.1:{port}/posey");
    let stderr = fails_naming(
        &["up"],
        &[("DATABASE_URL", &url), ("DATABASE_CONNECT_TIMEOUT", "2")],
        "DATABASE_URL",
    );
    assert!(!stderr.contains("secret"), "password leaked: {stderr}");
    let doctor = fails_naming(
        &["doctor"],
        &[("DATABASE_URL", &url), ("DATABASE_CONNECT_TIMEOUT", "2")],
        "DATABASE_URL",
    );
    assert!(doctor.contains("MISSING"), "{doctor}");
}

#[test]
fn missing_postgres_programs_say_how_to_install_them() {
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().to_str().unwrap();
    let stderr = fails_naming(&["up"], &[("POSTGRES_BIN_DIR", dir)], "POSTGRES_BIN_DIR");
    assert!(stderr.contains("apt-get install postgresql"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_port_in_use_names_its_variable() {
    let db = posey_testkit::TestDatabase::empty().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let others = ports();
    let mut vars: Vec<(&str, &str)> = vec![("DATABASE_URL", &db.url), ("CRON_PORT", &port)];
    let other_ports: Vec<String> = others.iter().map(|(_, p)| p.to_string()).collect();
    for ((var, _), p) in others.iter().zip(&other_ports).filter(|((v, _), _)| *v != "CRON_PORT") {
        vars.push((var, p));
    }
    fails_naming(&["up"], &vars, "CRON_PORT");
}

/// Vectors are derived data: memories kept in Postgres come back into a lost vector store with
/// `posey admin reindex` (current memories only, not their history).
#[tokio::test(flavor = "multi_thread")]
async fn admin_reindex_rebuilds_a_lost_vector_store_from_postgres() {
    let parent = temp_parent();
    let data_dir = parent.path().join("data");
    let ports = ports();
    let mut posey = Posey::start(&data_dir, &ports, &["up"], "up.log");
    wait_until_ready(&mut posey, &ports).await;
    let mut conn = sqlx::PgConnection::connect(&socket_url(&data_dir)).await.unwrap();
    let person = uuid::Uuid::new_v4();
    let old = uuid::Uuid::new_v4();
    for (id, text, superseded) in [
        (old, "Prefers tea", true),
        (uuid::Uuid::new_v4(), "Prefers coffee in the morning", false),
        (uuid::Uuid::new_v4(), "Has a sister, Alma, in Lisbon", false),
    ] {
        sqlx::query(
            "INSERT INTO agents.memories (id, user_id, text, kind, origin, superseded_at) \
             VALUES ($1, $2, $3, 'preference', 'person', CASE WHEN $4 THEN now() END)",
        )
        .bind(id)
        .bind(person)
        .bind(text)
        .bind(superseded)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    conn.close().await.unwrap();
    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(60)).success(), "{}", posey.log());
    std::fs::remove_dir_all(data_dir.join("vectors")).unwrap();

    let mut bad = Posey::start(&data_dir, &[], &["admin", "reindex", "nosuch"], "bad.log");
    assert!(!bad.wait(Duration::from_secs(90)).success(), "{}", bad.log());
    assert!(bad.log().contains("no collection \"nosuch\""), "{}", bad.log());
    assert!(bad.log().contains("memories"), "{}", bad.log());

    let mut reindex = Posey::start(&data_dir, &[], &["admin", "reindex"], "reindex.log");
    assert!(reindex.wait(Duration::from_secs(120)).success(), "{}", reindex.log());
    assert!(reindex.log().contains("reindexed"), "{}", reindex.log());
    assert!(!data_dir.join("postgres/data/postmaster.pid").exists(), "reindex left it running");

    let embedder = posey_models::testing::local_embedder().await;
    let store = posey_vector::EdgeStore::open(data_dir.join("vectors")).unwrap();
    let spec =
        posey_vector::CollectionSpec::new("memories", embedder.model_name(), embedder.dimension())
            .unwrap()
            .with_keyword_index("kind")
            .unwrap();
    store.ensure_collection(&spec).await.unwrap();
    let scope = posey_vector::PointScope::All;
    assert_eq!(store.count("memories", &scope).await.unwrap(), 2);
}
