//! A life of `posey up`: an embedded cluster created and reused, migrate and doctor beside it,
//! start-up errors that name their variable, reindex, a crashed service restarted while the
//! others serve, and a killed `posey up` that leaves nothing running.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use posey::status::{RunStatus, State};
use posey_vector::VectorStore;
use sqlx::Connection;

use crate::support::{
    Posey, alive, answers_healthz, await_gone, children, ports, service_pid, socket_url,
    status_when_all_up, temp_parent, wait_until_ready,
};

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
    let vectors = format!("Qdrant Edge under {}", data_dir.join("vectors").display());
    assert!(doctor.log().contains(&vectors), "{}", doctor.log());
    assert!(doctor.log().contains("no `posey up` is running"), "{}", doctor.log());
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

/// The postmaster's pid, from the first line of `postmaster.pid`.
fn postmaster_pid(data_dir: &Path) -> u32 {
    let text = std::fs::read_to_string(data_dir.join("postgres/data/postmaster.pid")).unwrap();
    text.lines().next().unwrap().trim().parse().unwrap()
}

/// Processes whose command line names `dir` (the postmaster names its data dir).
fn processes_naming(dir: &Path) -> Vec<(u32, String)> {
    let needle = dir.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(&needle) && alive(pid) {
            found.push((pid, cmdline));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_service_is_restarted_while_the_others_keep_serving() {
    let parent = temp_parent();
    let data_dir = parent.path().join("data");
    let ports = ports();
    let mut posey = Posey::start(&data_dir, &ports, &["up"], "restart.log");
    wait_until_ready(&mut posey, &ports).await;
    let before = status_when_all_up(&mut posey, &data_dir);
    // Each service is its own child process of the supervisor.
    let mut pids: Vec<u32> = ["auth", "agents", "gateway", "cron"]
        .iter()
        .map(|name| service_pid(&before, name))
        .collect();
    let supervisor = posey.child.id();
    for pid in &pids {
        assert!(children(supervisor).contains(pid), "{pid} is not a child of {supervisor}");
    }

    let victim = service_pid(&before, "gateway");
    kill(Pid::from_raw(victim as i32), Signal::SIGKILL).unwrap();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let port = |var: &str| ports.iter().find(|(v, _)| *v == var).unwrap().1;
    let deadline = Instant::now() + Duration::from_secs(60);
    let after = loop {
        // The others answer at every step of the restart.
        for var in ["AUTH_PORT", "AGENTS_PORT", "CRON_PORT"] {
            assert!(
                answers_healthz(&client, port(var)).await,
                "{var} stopped answering while gateway was down; log:\n{}",
                posey.log()
            );
        }
        if answers_healthz(&client, port("GATEWAY_PORT")).await
            && let Some(status) = RunStatus::read_running(&posey::status::path(&data_dir))
        {
            let gateway = status.services.iter().find(|s| s.name == "gateway").unwrap().clone();
            if gateway.state == State::Up && gateway.pid.is_some_and(|p| p != victim) {
                break gateway;
            }
        }
        assert!(Instant::now() < deadline, "gateway never came back; log:\n{}", posey.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(after.restarts, 1, "{after:?}");
    assert_eq!(after.last_exit.as_deref(), Some("killed by signal SIGKILL"), "{after:?}");
    let log = posey.log();
    assert!(
        log.contains(
            "the gateway service exited unexpectedly (killed by signal SIGKILL); restart 1 in 1s"
        ),
        "{log}"
    );
    assert!(log.contains("the gateway service is serving again"), "{log}");

    let mut doctor = Posey::start(&data_dir, &[], &["doctor"], "doctor-restart.log");
    assert!(doctor.wait(Duration::from_secs(30)).success(), "{}", doctor.log());
    let report = doctor.log();
    let gateway_line = report.lines().find(|l| l.contains("service gateway")).unwrap_or_default();
    assert!(gateway_line.starts_with("warning"), "{report}");
    assert!(gateway_line.contains("restarted once"), "{report}");
    assert!(gateway_line.contains("SIGKILL"), "{report}");
    let auth_line = report.lines().find(|l| l.contains("service auth")).unwrap_or_default();
    assert!(auth_line.contains("never restarted"), "{report}");

    // SIGTERM: every service drains and stops, then the cluster.
    pids.push(after.pid.unwrap());
    let postmaster = postmaster_pid(&data_dir);
    posey.signal(Signal::SIGTERM);
    let exit = posey.wait(Duration::from_secs(40));
    assert!(exit.success(), "exit {exit}; log:\n{}", posey.log());
    await_gone(&pids, "a service", Duration::from_secs(1));
    await_gone(&[postmaster], "the postmaster", Duration::from_secs(1));
    assert!(posey.log().contains("embedded PostgreSQL stopped"), "{}", posey.log());
    assert!(!data_dir.join("postgres/data/postmaster.pid").exists(), "the cluster still runs");
    assert!(!posey::status::path(&data_dir).exists(), "the status file outlived the run");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_posey_up_leaves_no_service_or_postgres_behind() {
    let parent = temp_parent();
    let data_dir = parent.path().join("data");
    let ports = ports();
    let mut posey = Posey::start(&data_dir, &ports, &["up"], "killed.log");
    wait_until_ready(&mut posey, &ports).await;
    let status = status_when_all_up(&mut posey, &data_dir);
    let services: Vec<u32> = status.services.iter().filter_map(|s| s.pid).collect();
    let postmaster = postmaster_pid(&data_dir);
    let mut postgres = children(postmaster);
    postgres.push(postmaster);
    assert!(!processes_naming(&data_dir).is_empty(), "the postmaster names its data dir");

    posey.signal(Signal::SIGKILL);
    posey.child.wait().unwrap();
    await_gone(&services, "a service", Duration::from_secs(10));
    await_gone(&postgres, "a PostgreSQL process", Duration::from_secs(20));
    assert_eq!(processes_naming(&data_dir), [], "something still runs on the data dir");
    // A fast shutdown, not a crash: PostgreSQL removed its pid file itself.
    assert!(!data_dir.join("postgres/data/postmaster.pid").exists(), "postgres was not shut down");
    drop(posey);

    // A cluster left running by some earlier run (started by hand here) is stopped, and a new
    // `posey up` starts on the same data.
    start_cluster_by_hand(&data_dir);
    let leftover = postmaster_pid(&data_dir);
    let mut posey = Posey::start(&data_dir, &ports, &["up"], "after-leftover.log");
    wait_until_ready(&mut posey, &ports).await;
    assert!(!alive(leftover), "the leftover cluster still runs; log:\n{}", posey.log());
    assert_ne!(postmaster_pid(&data_dir), leftover);
    assert!(posey.log().contains("stopped the one left running"), "{}", posey.log());
    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(40)).success(), "{}", posey.log());
    assert_eq!(processes_naming(&data_dir), [], "something still runs on the data dir");
}

/// `pg_ctl start` on the data dir's cluster, as the account `posey up` runs it as.
fn start_cluster_by_hand(data_dir: &Path) {
    use std::os::unix::process::CommandExt;
    let bin = posey::embedded::postgres::find_bin_dir(None).unwrap();
    let root = data_dir.join("postgres");
    let mut cmd = Command::new(bin.join("pg_ctl"));
    cmd.arg("-D")
        .arg(root.join("data"))
        .arg("-l")
        .arg(root.join("by-hand.log"))
        .args(["-w", "start"])
        .current_dir(&root)
        .env("LC_ALL", "C");
    if nix::unistd::geteuid().is_root() {
        let user = nix::unistd::User::from_name("postgres").unwrap().unwrap();
        std::fs::File::create(root.join("by-hand.log")).unwrap();
        std::os::unix::fs::chown(root.join("by-hand.log"), Some(user.uid.as_raw()), None).unwrap();
        cmd.uid(user.uid.as_raw()).gid(user.gid.as_raw()).env("HOME", &root);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "pg_ctl start: {}", String::from_utf8_lossy(&out.stderr));
}
