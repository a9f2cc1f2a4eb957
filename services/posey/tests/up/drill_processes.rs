//! Fault drills of issue 21, at one `posey up`: the agents process killed (SIGKILL) in the
//! middle of a chat turn and in the middle of a document's ingestion, with the supervisor
//! restarting it; and the data dir's filesystem full (a small tmpfs holding the embedded
//! PostgreSQL, the vector store and everything else), then freed. Each drill prints what it
//! held, what it checked and the times it measured (`-- --nocapture` to see them).

// The figures printed are the drills' report.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use posey::status::{RunStatus, ServiceStatus, State};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{
    Person, Posey, Turn, answers_healthz, consistent, json_of, messages, model, ports, service_pid,
    socket_url, status_when_all_up, temp_parent, wait_until_ready,
};

/// Waits until the supervisor shows `name` up again in a process other than `victim`, and it
/// answers `/healthz` on `port`.
async fn restarted(
    posey: &mut Posey,
    data_dir: &Path,
    name: &str,
    victim: u32,
    port: u16,
) -> ServiceStatus {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = RunStatus::read_running(&posey::status::path(data_dir)) {
            let service = status.services.iter().find(|s| s.name == name).unwrap().clone();
            if service.state == State::Up
                && service.pid.is_some_and(|p| p != victim)
                && answers_healthz(&client, port).await
            {
                return service;
            }
        }
        if let Some(exit) = posey.child.try_wait().unwrap() {
            panic!("posey exited ({exit}); log:\n{}", posey.log());
        }
        assert!(Instant::now() < deadline, "{name} never came back; log:\n{}", posey.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The conversation's lease as Postgres holds it: (holder, seconds until it lapses).
async fn lease(db: &PgPool, conversation: &str) -> (Option<uuid::Uuid>, Option<f64>) {
    sqlx::query_as(
        "SELECT turn_holder, extract(epoch FROM turn_lease_until - now())::float8 \
         FROM agents.conversations WHERE id = $1::uuid",
    )
    .bind(conversation)
    .fetch_one(db)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn agents_killed_mid_turn_loses_only_that_turn_and_the_conversation_goes_on() {
    let chat_model = model("POSEY_LOCAL_MODEL");
    let embedding_model = model("POSEY_LOCAL_EMBEDDING_MODEL");
    let db = posey_testkit::TestDatabase::empty().await;
    let parent = temp_parent();
    let data_dir = parent.path().join("data");
    let ports = ports();
    let listen = format!("127.0.0.1:{}", posey_testkit::free_port());
    let vars = [
        ("DATABASE_URL", db.url.as_str()),
        ("AUTH_MAILER_AUTOCONFIRM", "true"),
        ("POSEY_MQTT_LISTEN", listen.as_str()),
        ("POSEY_LOCAL_MODEL", chat_model.as_str()),
        ("POSEY_LOCAL_EMBEDDING_MODEL", embedding_model.as_str()),
    ];
    let mut posey = Posey::start_with(&data_dir, &ports, &["up"], "drill-turn.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    let ada = Person::sign_up(&ports, "ada@example.com").await;
    let made = ada.post(ada.agents, "/v1/conversations").json(&json!({"title": "drill"}));
    let conversation = json_of(made.send().await.unwrap(), 201).await;
    let conversation = conversation["id"].as_str().unwrap().to_owned();

    // A turn to its end, so the conversation has a history before the kill.
    let first = "Hello! Please answer in one short sentence: what is a lighthouse?";
    let started = Instant::now();
    let (last, data) =
        Turn::start(&ada, &conversation, first).await.finish(Duration::from_secs(300)).await;
    assert_eq!(last, "done", "{data}");
    let whole_turn = started.elapsed();
    let before = messages(&ada, &conversation).await;
    assert_eq!(consistent(&before), [first]);

    // A long answer, killed once the model is speaking.
    let killed = "Write a very long story, at least 800 words, about a lighthouse keeper and \
                  the ships she guides through a winter storm.";
    let mut turn = Turn::start(&ada, &conversation, killed).await;
    let speaking = Instant::now();
    let mut seen = Vec::new();
    let until_speaking = async {
        loop {
            let (name, data) = turn.next().await.expect("the turn ended before the model spoke");
            assert!(name != "done" && name != "error", "the turn ended early: {name} {data}");
            seen.push(name.clone());
            if name == "text" || name == "tool_call" {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(300), until_speaking)
        .await
        .expect("the model never spoke");
    let (holder, _) = lease(&db.pool, &conversation).await;
    let holder = holder.expect("a running turn holds the conversation's lease");
    let status = status_when_all_up(&mut posey, &data_dir);
    let victim = service_pid(&status, "agents");
    kill(Pid::from_raw(victim as i32), Signal::SIGKILL).unwrap();
    let killed_at = Instant::now();
    println!(
        "drill turn: a whole turn took {whole_turn:.1?}; the killed turn's model spoke after \
         {:.1?} (events {seen:?}); agents (pid {victim}) killed with SIGKILL holding lease {holder}",
        killed_at - speaking
    );

    // The client's stream is cut: no `done`, nothing said to be stored.
    let cut = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match turn.next().await {
                Ok((name, data)) => {
                    assert!(name != "done", "a killed turn said it was stored: {data}")
                }
                Err(how) => return how,
            }
        }
    })
    .await
    .expect("the killed turn's stream did not end");

    let agents = restarted(&mut posey, &data_dir, "agents", victim, ada.agents).await;
    let back_after = killed_at.elapsed();
    assert_eq!(agents.restarts, 1, "{agents:?}");
    assert_eq!(agents.last_exit.as_deref(), Some("killed by signal SIGKILL"), "{agents:?}");

    // Back up, the conversation is as it was before the killed turn: that turn's messages are
    // stored in one transaction at its end, so nothing of it (not half an answer) is kept. Its
    // lease is still the dead turn's, until it lapses.
    let after_restart = messages(&ada, &conversation).await;
    assert_eq!(after_restart, before, "the killed turn left something behind");
    let (still, lapses_in) = lease(&db.pool, &conversation).await;
    println!(
        "drill turn: the client saw \"{cut}\"; agents served again {back_after:.1?} after the \
         kill (pid {}); the history is unchanged ({} messages); the dead turn's lease lapses \
         in {:.1}s",
        agents.pid.unwrap(),
        before.len(),
        lapses_in.unwrap_or(0.0)
    );

    // A new turn in the same conversation takes the lapsed lease over and completes.
    let next = "Thank you. Now, in one sentence, what colour is a lighthouse usually?";
    let asked = Instant::now();
    let (last, data) =
        Turn::start(&ada, &conversation, next).await.finish(Duration::from_secs(300)).await;
    assert_eq!(last, "done", "{data}");
    let waited = asked.elapsed();
    if still == Some(holder) {
        let log = posey.log();
        assert!(log.contains("took over a lapsed turn lease"), "{log}");
        assert!(log.contains(&format!("lapsed={holder}")), "{log}");
    }
    let (free, _) = lease(&db.pool, &conversation).await;
    assert_eq!(free, None, "the new turn left the lease taken");

    let history = messages(&ada, &conversation).await;
    assert_eq!(consistent(&history), [first, next], "{history:#?}");
    assert_eq!(&history[..before.len()], &before[..]);
    assert!(history.iter().all(|m| m["turn_id"] != holder.to_string().as_str()));
    let answer = history.last().unwrap();
    assert_eq!(answer["role"], "assistant", "{history:#?}");
    assert!(!answer["content"].as_str().unwrap().trim().is_empty(), "{history:#?}");
    let turns: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT turn_id) FROM agents.messages WHERE conversation_id = $1::uuid",
    )
    .bind(&conversation)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(turns, 2, "turns stored");
    println!(
        "drill turn: the next turn finished {waited:.1?} after it was sent (it waited for the \
         dead turn's lease to lapse and took it over); the history reads back in order: {} \
         messages in 2 turns, none of the killed turn",
        history.len()
    );

    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(60)).success(), "{}", posey.log());
}

/// A Markdown document of `sections` sections of about 1,000 characters: a chunk each.
fn long_document(sections: usize) -> Vec<u8> {
    let mut text = String::from("# The keeper's log\n\n");
    for n in 0..sections {
        text.push_str(&format!("## Night {n}\n\n"));
        for line in 0..9 {
            text.push_str(&format!(
                "On night {n}, hour {line}, the keeper trimmed wick number {} and logged ship \
                 {} passing the northern reef. ",
                n * 7 + line,
                n * 13 + line
            ));
        }
        text.push_str("\n\n");
    }
    text.into_bytes()
}

/// (status, attempts, chunks_total, chunks_done) of a document, from Postgres.
async fn ingestion(db: &PgPool, id: &str) -> (String, i32, i32, i32) {
    sqlx::query_as(
        "SELECT status, attempts, chunks_total, chunks_done FROM agents.documents \
         WHERE id = $1::uuid",
    )
    .bind(id)
    .fetch_one(db)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn agents_killed_mid_ingestion_picks_the_document_up_again_without_duplicates() {
    let embedding_model = model("POSEY_LOCAL_EMBEDDING_MODEL");
    let db = posey_testkit::TestDatabase::empty().await;
    let parent = temp_parent();
    let data_dir = parent.path().join("data");
    let ports = ports();
    let listen = format!("127.0.0.1:{}", posey_testkit::free_port());
    let vars = [
        ("DATABASE_URL", db.url.as_str()),
        ("AUTH_MAILER_AUTOCONFIRM", "true"),
        ("POSEY_MQTT_LISTEN", listen.as_str()),
        ("POSEY_LOCAL_EMBEDDING_MODEL", embedding_model.as_str()),
    ];
    let mut posey = Posey::start_with(&data_dir, &ports, &["up"], "drill-ingest.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    let ada = Person::sign_up(&ports, "ada@example.com").await;

    // More chunks than one embedding batch (64 with the local model), so the kill falls
    // between batches.
    let bytes = long_document(130);
    let size = bytes.len();
    let uploaded = Instant::now();
    let id = ada.upload("log.md", bytes).await;
    // Killed once part of it is embedded (and so part of its vectors written).
    let deadline = Instant::now() + Duration::from_secs(300);
    let (total, done) = loop {
        let (status, _, total, done) = ingestion(&db.pool, &id).await;
        assert_ne!(status, "ready", "ingested before the kill: use a longer document");
        if status == "embedding" && done > 0 {
            break (total, done);
        }
        assert!(Instant::now() < deadline, "never embedding: {status}; log:\n{}", posey.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let status = status_when_all_up(&mut posey, &data_dir);
    let victim = service_pid(&status, "agents");
    kill(Pid::from_raw(victim as i32), Signal::SIGKILL).unwrap();
    let killed_at = Instant::now();
    println!(
        "drill ingestion: a {size}-byte Markdown document of {total} chunks; agents (pid \
         {victim}) killed with SIGKILL {:.1?} after the upload, {done} chunks embedded",
        killed_at - uploaded
    );

    let agents = restarted(&mut posey, &data_dir, "agents", victim, ada.agents).await;
    let back_after = killed_at.elapsed();
    assert_eq!(agents.restarts, 1, "{agents:?}");
    // Taken over once the dead worker's lease lapses, then embedded again from the start (the
    // local embedder in a debug build is slow: minutes, not seconds).
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut taken_over = None;
    let document = loop {
        if taken_over.is_none() && ingestion(&db.pool, &id).await.1 == 2 {
            taken_over = Some(killed_at.elapsed());
        }
        let document =
            json_of(ada.get(ada.agents, &format!("/v1/documents/{id}")).send().await.unwrap(), 200)
                .await;
        if matches!(document["status"].as_str(), Some("ready" | "failed")) {
            break document;
        }
        assert!(Instant::now() < deadline, "never settled: {document}; log:\n{}", posey.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let settled_after = killed_at.elapsed();
    assert_eq!(document["status"], "ready", "{document}");
    assert_eq!(document["chunks_total"], total, "{document}");
    assert_eq!(document["chunks_done"], total, "{document}");
    // Each chunk once: in Postgres, and in the vector store.
    assert_eq!(document["vectors"], total, "{document}");
    let (_, attempts, ..) = ingestion(&db.pool, &id).await;
    assert_eq!(attempts, 2, "the killed claim and the one that finished");
    let (rows, ordinals, first, last): (i64, i64, Option<i32>, Option<i32>) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT ordinal), min(ordinal), max(ordinal) \
         FROM agents.document_chunks WHERE document_id = $1::uuid",
    )
    .bind(&id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((rows, ordinals), (i64::from(total), i64::from(total)));
    assert_eq!((first, last), (Some(0), Some(total - 1)));
    println!(
        "drill ingestion: agents served again {back_after:.1?} after the kill; the document \
         was claimed again {taken_over:.1?} and ready {settled_after:.1?} after the kill: {rows} chunk rows with \
         {ordinals} distinct ordinals, {} vectors",
        document["vectors"]
    );

    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(60)).success(), "{}", posey.log());
}

/// A tmpfs of `megabytes` mounted at `dir` until dropped (lazily unmounted then, so a test
/// that fails still leaves nothing mounted once its processes are gone).
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn mount(dir: &Path, megabytes: u32) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let options = format!("size={megabytes}m,mode=0755");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &options, "tmpfs"])
            .arg(dir)
            .output()
            .expect("running mount (util-linux)");
        assert!(
            out.status.success(),
            "mounting a {megabytes} MB tmpfs at {} needs root (CAP_SYS_ADMIN): {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Self { dir: dir.to_owned() }
    }

    /// Writes `filler` until the filesystem refuses; the bytes written.
    fn fill(&self, filler: &Path) -> u64 {
        use std::io::Write;
        let mut file = std::fs::File::create(filler).unwrap();
        let mut written = 0;
        for size in [1 << 20, 64 << 10, 4 << 10, 512] {
            let block = vec![0x5a_u8; size];
            loop {
                match file.write(&block) {
                    Ok(n) => written += n as u64,
                    Err(error) if error.kind() == std::io::ErrorKind::StorageFull => break,
                    Err(error) => panic!("filling {}: {error}", filler.display()),
                }
            }
        }
        // What the page cache holds must be on the disk too (tmpfs: it is).
        let _ = file.sync_all();
        written
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// `df` of `dir`: (free bytes, total bytes).
fn space(dir: &Path) -> (u64, u64) {
    let out = Command::new("df")
        .args(["--block-size=1", "--output=avail,size"])
        .arg(dir)
        .output()
        .expect("running df (coreutils)");
    let text = String::from_utf8_lossy(&out.stdout);
    let numbers: Vec<u64> =
        text.lines().nth(1).unwrap().split_whitespace().map(|n| n.parse().unwrap()).collect();
    (numbers[0], numbers[1])
}

/// What a write answered while the disk was full.
#[derive(Debug)]
struct Answer {
    what: &'static str,
    status: u16,
    body: Value,
    took: Duration,
}

async fn attempt(posey: &Posey, what: &'static str, request: reqwest::RequestBuilder) -> Answer {
    let started = Instant::now();
    let response = request.timeout(Duration::from_secs(60)).send().await.unwrap_or_else(|error| {
        // What the supervisor says of it comes a moment later.
        std::thread::sleep(Duration::from_secs(3));
        panic!("{what}: no answer (a hang or a crash): {error:?}; log:\n{}", posey.log())
    });
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| json!({"not json": text}));
    Answer { what, status, body, took: started.elapsed() }
}

/// The embedded PostgreSQL's directory (`<data dir>/postgres`) on a small filesystem that
/// fills: writes that reach Postgres get a 507 naming the problem, the rest goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_postgres_disk_gives_507s_and_nothing_is_lost_when_space_returns() {
    full_disk("postgres").await;
}

/// The whole data dir (the embedded PostgreSQL, the vector store, the status file) on a small
/// filesystem that fills.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_data_dir_gives_clear_errors_and_nothing_is_lost_when_space_returns() {
    full_disk("").await;
}

/// The vector store's directory (`<data dir>/vectors`) on a small filesystem that fills while
/// PostgreSQL has room: a memory is refused with a 507 and not half-kept, a document waits for
/// space instead of failing, and nothing dies of the store's memory-mapped writes (SIGBUS).
#[tokio::test(flavor = "multi_thread")]
async fn a_full_vector_store_disk_gives_507s_and_documents_wait_for_space() {
    full_disk("vectors").await;
}

/// The disk drill with `<data dir>/<part>` on a filesystem of its own (`""`: the whole data
/// dir).
async fn full_disk(part: &str) {
    let embedding_model = model("POSEY_LOCAL_EMBEDDING_MODEL");
    let parent = temp_parent();
    let data_dir = parent.path().join("data");
    let small = data_dir.join(part);
    // Dropped after posey (declared before it).
    let disk = SmallDisk::mount(&small, 256);
    let ports = ports();
    let listen = format!("127.0.0.1:{}", posey_testkit::free_port());
    let vars = [
        ("AUTH_MAILER_AUTOCONFIRM", "true"),
        ("POSEY_MQTT_LISTEN", listen.as_str()),
        ("POSEY_LOCAL_EMBEDDING_MODEL", embedding_model.as_str()),
    ];
    let mut posey = Posey::start_with(&data_dir, &ports, &["up"], "drill-disk.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    let ada = Person::sign_up(&ports, "ada@example.com").await;
    let agents = ada.agents;

    // What is there before the disk fills.
    let kept = json!({"text": "Ada's boat is moored at pier 7"});
    let kept =
        json_of(ada.post(agents, "/v1/memories").json(&kept).send().await.unwrap(), 201).await;
    let manual = b"# The boat\n\nIts winter berth is paid in October.\n".to_vec();
    let document = ada.upload("boat.md", manual).await;
    let boat = ada.settled(&document).await;
    assert_eq!(boat["status"], "ready", "{boat}");
    let chunks_path = format!("/v1/documents/{document}/chunks");
    let boat_chunks = json_of(ada.get(agents, &chunks_path).send().await.unwrap(), 200).await;
    let (free, total) = space(&small);

    let filler = small.join("filler");
    let filled = Instant::now();
    let written = disk.fill(&filler);
    assert_eq!(space(&small).0, 0, "the disk is not full");
    println!(
        "drill disk: {} on a {} MB tmpfs with {} MB free after start-up; filled with {} \
         MB in {:.1?}",
        small.display(),
        total >> 20,
        free >> 20,
        written >> 20,
        filled.elapsed()
    );

    // Writes while it is full: each answers, in time, with an error that names the problem.
    // Large enough that PostgreSQL cannot fit it into space it already holds; with only the
    // vector store full, PostgreSQL takes it and it waits to be embedded, so a smaller one
    // keeps the wait for its embedding short.
    let big = long_document(if part == "vectors" { 40 } else { 300 });
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(big).file_name("log.md"));
    let answers = vec![
        attempt(&posey, "upload a document", ada.post(agents, "/v1/documents").multipart(form))
            .await,
        attempt(
            &posey,
            "add a memory",
            ada.post(agents, "/v1/memories").json(&json!({"text": "Ada sails on Sundays"})),
        )
        .await,
    ];
    for answer in &answers {
        println!(
            "drill disk: while full, {} answered {} in {:.2?}: {}",
            answer.what, answer.status, answer.took, answer.body
        );
    }
    let refused: Vec<&Answer> = answers.iter().filter(|a| a.status >= 500).collect();
    assert!(!refused.is_empty(), "every write succeeded on a full disk: {answers:?}");
    for answer in &answers {
        assert!(
            answer.status < 300 || answer.status == 507,
            "{} on a full disk: {} {} (want 507 Insufficient Storage); log:\n{}",
            answer.what,
            answer.status,
            answer.body,
            posey.log()
        );
        if answer.status == 507 {
            assert_eq!(answer.body["error"]["code"], "insufficient_storage", "{answer:?}");
            let message = answer.body["error"]["message"].as_str().unwrap();
            assert!(message.contains("out of disk space"), "{answer:?}");
        }
    }
    // A refused memory was not half-kept (a row that search could never find).
    if answers[1].status == 507 {
        let memories = json_of(ada.get(agents, "/v1/memories").send().await.unwrap(), 200).await;
        assert!(!memories.to_string().contains("Ada sails on Sundays"), "{memories}");
    }
    // Nothing crashed or crash-loops meanwhile: every service is the process it was.
    let status = status_when_all_up(&mut posey, &data_dir);
    assert!(status.services.iter().all(|s| s.restarts == 0), "{status:?}");
    // A document taken while the disk was full waits for space: tried, and put back with the
    // try not counted (in ingestion with no attempt against it), so it never fails of it.
    let waiting =
        (answers[0].status < 300).then(|| answers[0].body["id"].as_str().unwrap().to_owned());
    if let Some(id) = &waiting {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&socket_url(&data_dir))
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, attempts): (String, i32) = sqlx::query_as(
                "SELECT status, attempts FROM agents.documents WHERE id = $1::text::uuid",
            )
            .bind(id)
            .fetch_one(&mut conn)
            .await
            .unwrap();
            if status != "queued" && attempts == 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the document was not put back uncounted: {status}, attempt {attempts}; log:\n{}",
                posey.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let document =
            json_of(ada.get(agents, &format!("/v1/documents/{id}")).send().await.unwrap(), 200)
                .await;
        assert_ne!(document["status"], "failed", "{document}");
    }

    // Space returns: writes succeed, and what was there reads back intact.
    std::fs::remove_file(&filler).unwrap();
    let freed = Instant::now();
    let again = json!({"text": "Ada sails on Sundays"});
    let deadline = Instant::now() + Duration::from_secs(60);
    let added = loop {
        let answer =
            attempt(&posey, "add a memory", ada.post(agents, "/v1/memories").json(&again)).await;
        if answer.status == 201 {
            break answer;
        }
        assert!(Instant::now() < deadline, "writes still fail with space back: {answer:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let writes_back = freed.elapsed();
    if let Some(id) = &waiting {
        let document = ada.settled(id).await;
        assert_eq!(document["status"], "ready", "the document that waited for space: {document}");
        println!(
            "drill disk: the document taken while full was ready {:.2?} after space returned",
            freed.elapsed()
        );
    }
    let later = ada.upload("log.md", long_document(30)).await;
    assert_eq!(ada.settled(&later).await["status"], "ready");
    let read = json_of(
        ada.get(agents, &format!("/v1/memories/{}", kept["id"].as_str().unwrap()))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(read["text"], kept["text"]);
    let after = ada.settled(&document).await;
    assert_eq!((&after["status"], &after["sha256"]), (&boat["status"], &boat["sha256"]));
    assert_eq!(
        json_of(ada.get(agents, &chunks_path).send().await.unwrap(), 200).await,
        boat_chunks
    );
    let memories = json_of(ada.get(agents, "/v1/memories").send().await.unwrap(), 200).await;
    println!(
        "drill disk: with space back, the first write succeeded {writes_back:.2?} after the \
         filler was removed (memory {}); memories now: {}",
        added.body["id"],
        memories["memories"].as_array().map_or(0, Vec::len)
    );

    // A clean stop and a start on the same data: nothing was corrupted on the full disk.
    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(60)).success(), "{}", posey.log());
    let mut posey = Posey::start_with(&data_dir, &ports, &["up"], "drill-disk-again.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    let ada = Person::sign_in(&ports, "ada@example.com").await;
    let read = json_of(
        ada.get(agents, &format!("/v1/memories/{}", kept["id"].as_str().unwrap()))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(read["text"], kept["text"]);
    assert_eq!(ada.settled(&document).await["sha256"], boat["sha256"]);
    assert_eq!(
        json_of(ada.get(agents, &chunks_path).send().await.unwrap(), 200).await,
        boat_chunks
    );
    let mut conn =
        <sqlx::PgConnection as sqlx::Connection>::connect(&socket_url(&data_dir)).await.unwrap();
    let chunks: i64 = sqlx::query_scalar("SELECT count(*) FROM agents.document_chunks")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(chunks > 0);
    println!("drill disk: restarted on the same data: memory and documents read back intact");
    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(60)).success(), "{}", posey.log());
}
