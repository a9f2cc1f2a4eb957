//! Fault drills for the backing stores (issue 21), at one `posey up` under load.
//!
//! Postgres: `posey up` on a PostgreSQL server of the test's own (over TCP, as a real server),
//! which is shut down fast and started again while people refresh their sessions, chat with the
//! local model, write conversations, memories and reminders, read through the gateway, and cron
//! dispatches reminders every second. Afterwards every write that was acknowledged is there
//! (each chat turn that ended `done` is stored whole, once), no reminder ran or notified twice,
//! every service is ready again and requests stop failing within a bound, and no service had to
//! be restarted.
//!
//! Redis: `posey up` with `REDIS_URL` at a `redis-server` of the test's own, which is killed:
//! sign-in, refresh and task writes go on, rate limits still hold (counted in each process until
//! Redis answers), no request waits long, readiness names Redis; once Redis is back it is used
//! again.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{
    Person, Posey, Turn, consistent, messages, model, ports, status_when_all_up, temp_parent,
    wait_until_ready,
};

/// Longest any one request may take before it counts as hanging.
const REQUEST_LIMIT: Duration = Duration::from_secs(20);
/// Correctness bounds, not speed claims: ready again, and no more failures, this soon after
/// the database is back.
const READY_BOUND: Duration = Duration::from_secs(30);
const RECOVERY_BOUND: Duration = Duration::from_secs(30);
/// Longest a chat turn may take, from its request to its last event (the local model answers a
/// few words in seconds; three people chat at once on a loaded machine).
const CHAT_LIMIT: Duration = Duration::from_secs(180);
/// The load's kind for chat turns.
const CHAT: &str = "agents chat";
/// How far ahead each one-off reminder is set: some fall due during the outage.
const REMINDER_LEAD: Duration = Duration::from_secs(8);

/// A PostgreSQL server of the test's own on a free TCP port, run with the system's `pg_ctl` as
/// the unprivileged `postgres` account when the test runs as root (PostgreSQL refuses root).
struct Cluster {
    bin: PathBuf,
    root: PathBuf,
    port: u16,
    owner: Option<nix::unistd::User>,
}

impl Cluster {
    fn create(parent: &Path) -> Self {
        let bin = posey::embedded::postgres::find_bin_dir(None)
            .expect("the drill runs PostgreSQL's initdb and pg_ctl: apt-get install postgresql");
        let owner = nix::unistd::geteuid().is_root().then(|| {
            nix::unistd::User::from_name("postgres").unwrap().expect(
                "running as root, the drill runs PostgreSQL as the 'postgres' user: \
                 apt-get install postgresql creates it",
            )
        });
        let root = parent.join("pg");
        std::fs::create_dir(&root).unwrap();
        if let Some(user) = &owner {
            std::os::unix::fs::chown(&root, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
                .unwrap();
        }
        let cluster = Self { bin, root, port: posey_testkit::free_port(), owner };
        let data = cluster.data();
        cluster.run("initdb", &["-D", &data, "-U", "posey", "--auth=trust", "--no-instructions"]);
        cluster
    }

    fn data(&self) -> String {
        self.root.join("data").display().to_string()
    }

    fn url(&self) -> String {
        format!("postgres://posey@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.env_remove("PGDATA")
            .env("LC_ALL", "C")
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(user) = &self.owner {
            cmd.uid(user.uid.as_raw()).gid(user.gid.as_raw()).env("HOME", &self.root);
        }
        cmd
    }

    fn run(&self, program: &str, args: &[&str]) {
        let status = self.command(program).args(args).status().unwrap();
        let log = std::fs::read_to_string(self.root.join("postgres.log")).unwrap_or_default();
        assert!(status.success(), "{program} {args:?}: {status}; server log:\n{log}");
    }

    /// `pg_ctl start`, waiting until it accepts connections.
    fn start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=200",
            self.port,
            self.root.display()
        );
        let (data, log) = (self.data(), self.root.join("postgres.log").display().to_string());
        self.run("pg_ctl", &["-D", &data, "-l", &log, "-o", &options, "-w", "-t", "60", "start"]);
    }

    /// `pg_ctl stop -m fast`: sessions are ended, transactions in flight roll back.
    fn stop_fast(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "-t", "60", "stop"]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.command("pg_ctl").args(["-D", &data, "-m", "immediate", "stop"]).status();
    }
}

/// One request of the load: what it was, when it ended, and whether it was answered well.
struct Outcome {
    what: &'static str,
    ended: Instant,
    took: Duration,
    /// `None`: no answer (refused, reset, timed out).
    status: Option<u16>,
    ok: bool,
    note: String,
}

#[derive(Default)]
struct Tally {
    outcomes: Mutex<Vec<Outcome>>,
}

impl Tally {
    /// Sends `request`, records how it went, and gives its JSON body when it succeeded.
    async fn send(&self, what: &'static str, request: reqwest::RequestBuilder) -> Option<Value> {
        let sent = Instant::now();
        let answer = request.timeout(REQUEST_LIMIT).send().await;
        let (status, body) = match answer {
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                (Some(status), body)
            }
            Err(e) => (None, format!("{e}")),
        };
        let json: Option<Value> = serde_json::from_str(&body).ok();
        // GraphQL answers a failed query with 200 and `errors`.
        let ok = status.is_some_and(|s| s.is_success())
            && json.as_ref().is_some_and(|j| j.get("errors").is_none());
        let mut note = body;
        note.truncate(300);
        self.outcomes.lock().unwrap().push(Outcome {
            what,
            ended: Instant::now(),
            took: sent.elapsed(),
            status: status.map(|s| s.as_u16()),
            ok,
            note,
        });
        if ok { json } else { None }
    }

    /// A chat turn, read to its end: acknowledged (`true`) when it ends with `done`.
    async fn chat(&self, person: &Person, conversation: &str, content: &str) -> bool {
        let sent = Instant::now();
        let (status, ok, mut note) = match Turn::begin(person, conversation, content, CHAT_LIMIT)
            .await
        {
            Err((status, body)) => (status, false, body),
            Ok(turn) => {
                let left = CHAT_LIMIT.saturating_sub(sent.elapsed());
                match tokio::time::timeout(left, turn.end()).await {
                    Ok(Ok((name, data))) => (Some(200), name == "done", format!("{name}: {data}")),
                    Ok(Err(how)) => (Some(200), false, how),
                    Err(_) => (Some(200), false, format!("no last event in {CHAT_LIMIT:?}")),
                }
            }
        };
        note.truncate(300);
        self.outcomes.lock().unwrap().push(Outcome {
            what: CHAT,
            ended: Instant::now(),
            took: sent.elapsed(),
            status,
            ok,
            note,
        });
        ok
    }
}

/// What the load's workers had acknowledged (2xx) when they stopped.
#[derive(Default)]
struct Acknowledged {
    conversations: Vec<String>,
    memories: Vec<String>,
    reminders: Vec<String>,
    /// The messages of chat turns that ended `done`.
    turns: Vec<String>,
    refreshes: usize,
    /// Each refresh chain's last acknowledged token.
    tokens: Vec<String>,
}

/// Runs the load of one person until `stop`: one worker per kind of request; the chat turns
/// one after another in `conversation`.
async fn load(
    person: Arc<Person>,
    refresh_token: String,
    conversation: String,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) -> Acknowledged {
    let pause = Duration::from_millis(20);
    let chatter = {
        let (person, tally, stop) = (person.clone(), tally.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut turns, mut n) = (Vec::new(), 0);
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let content = format!("Drill message {n}. Reply with one word.");
                if tally.chat(&person, &conversation, &content).await {
                    turns.push(content);
                }
                tokio::time::sleep(pause).await;
            }
            turns
        })
    };
    let refresher = {
        let (person, tally, stop) = (person.clone(), tally.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut token, mut done) = (refresh_token, 0);
            while !stop.load(Ordering::Relaxed) {
                let request = person
                    .client
                    .post(format!(
                        "http://127.0.0.1:{}/token?grant_type=refresh_token",
                        person.auth
                    ))
                    .json(&json!({"refresh_token": token}));
                // An unanswered refresh is retried with the same token, as a client would.
                if let Some(session) = tally.send("auth refresh", request).await {
                    token = session["refresh_token"].as_str().unwrap().to_owned();
                    done += 1;
                }
                tokio::time::sleep(pause).await;
            }
            (token, done)
        })
    };
    let writer = |what: &'static str, method: Method, port: u16, path: &'static str| {
        let (person, tally, stop) = (person.clone(), tally.clone(), stop.clone());
        tokio::spawn(async move {
            let mut ids = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let body = match what {
                    "agents conversation" => json!({"title": format!("drill {n}")}),
                    "agents memory" => {
                        json!({"text": format!("drill note {n} of {}", person.email)})
                    }
                    "cron reminder" => {
                        let at = chrono::Utc::now() + REMINDER_LEAD;
                        json!({"name": format!("drill {n}"), "kind": "reminder",
                               "payload": {"title": format!("drill {n}")},
                               "schedule": {"kind": "once", "spec": at.to_rfc3339()}})
                    }
                    _ => json!({"query": "{ cron_notifications(limit: 1) { id } }"}),
                };
                let request = person.request(method.clone(), port, path).json(&body);
                if let Some(made) = tally.send(what, request).await
                    && let Some(id) = made["id"].as_str()
                {
                    ids.push(id.to_owned());
                }
                tokio::time::sleep(pause).await;
            }
            ids
        })
    };
    let conversations =
        writer("agents conversation", Method::POST, person.agents, "/v1/conversations");
    let memories = writer("agents memory", Method::POST, person.agents, "/v1/memories");
    let reminders = writer("cron reminder", Method::POST, person.cron, "/v1/tasks");
    let reads = writer("gateway read", Method::POST, person.gateway, "/v1/graphql");
    let (token, refreshes) = refresher.await.unwrap();
    reads.await.unwrap();
    Acknowledged {
        conversations: conversations.await.unwrap(),
        memories: memories.await.unwrap(),
        reminders: reminders.await.unwrap(),
        turns: chatter.await.unwrap(),
        refreshes,
        tokens: vec![token],
    }
}

/// Every service's `/readyz`, each polled on its own until `stop` (a look may take the
/// readiness check's whole deadline): (service, ended, status) per look.
async fn watch_readiness(
    ports: Vec<(&'static str, u16)>,
    stop: Arc<AtomicBool>,
) -> Vec<(&'static str, Instant, Option<u16>)> {
    let client = reqwest::Client::new();
    let watchers: Vec<_> = ports
        .into_iter()
        .map(|(var, port)| {
            let (client, stop) = (client.clone(), stop.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let answer = client
                        .get(format!("http://127.0.0.1:{port}/readyz"))
                        .timeout(REQUEST_LIMIT)
                        .send()
                        .await;
                    seen.push((var, Instant::now(), answer.ok().map(|r| r.status().as_u16())));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                seen
            })
        })
        .collect();
    let mut seen = Vec::new();
    for watcher in watchers {
        seen.extend(watcher.await.unwrap());
    }
    seen
}

/// The last error lines of a log, for messages.
fn errors_in(log: &str) -> String {
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    errors[errors.len().saturating_sub(20)..].join("\n")
}

async fn count(db: &PgPool, sql: &str, ids: &[String]) -> i64 {
    sqlx::query_scalar(sql).bind(ids).fetch_one(db).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_restarted_under_load_loses_no_acknowledged_write_and_runs_nothing_twice() {
    let chat_model = model("POSEY_LOCAL_MODEL");
    let embedding_model = model("POSEY_LOCAL_EMBEDDING_MODEL");
    let parent = temp_parent();
    let cluster = Cluster::create(parent.path());
    cluster.start();
    let url = cluster.url();
    let data_dir = parent.path().join("data");
    let ports = ports();
    let listen = format!("127.0.0.1:{}", posey_testkit::free_port());
    let vars = [
        ("DATABASE_URL", url.as_str()),
        ("AUTH_MAILER_AUTOCONFIRM", "true"),
        ("AUTH_OPEN_SIGNUP", "true"),
        ("AUTH_RATE_LIMIT_REFRESH_PER_IP", "1000000"),
        ("AUTH_RATE_LIMIT_PER_IP", "1000000"),
        ("CRON_MIN_INTERVAL_SECS", "1"),
        ("CRON_TASK_CREATE_RATE", "1000000"),
        ("CRON_MAX_TASKS_PER_PERSON", "1000000"),
        ("POSEY_MQTT_LISTEN", listen.as_str()),
        ("POSEY_LOCAL_MODEL", chat_model.as_str()),
        ("POSEY_LOCAL_EMBEDDING_MODEL", embedding_model.as_str()),
    ];
    let mut posey = Posey::start_with(&data_dir, &ports, &["up"], "drill-postgres.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    let before = status_when_all_up(&mut posey, &data_dir);

    // Three people, each with a reminder every second (cron dispatches all along) and a
    // conversation they chat in.
    let mut people = Vec::new();
    for name in ["ada", "bea", "cy"] {
        let email = format!("{name}@example.com");
        let person = Person::sign_up(&ports, &email).await;
        let every_second = json!({"name": "tick", "kind": "reminder", "payload": {"title": "tick"},
                                  "schedule": {"kind": "interval", "spec": 1}});
        let made = person.post(person.cron, "/v1/tasks").json(&every_second).send().await.unwrap();
        assert_eq!(made.status(), StatusCode::CREATED, "{}", made.text().await.unwrap());
        let made = person.post(person.agents, "/v1/conversations").json(&json!({"title": "chat"}));
        let made: Value = made.send().await.unwrap().json().await.unwrap();
        let conversation = made["id"].as_str().unwrap_or_else(|| panic!("{made}")).to_owned();
        // A session of its own for the refresh chain.
        let refresh = Person::sign_in(&ports, &email).await.refresh_token;
        people.push((Arc::new(person), refresh, conversation));
    }

    let (tally, stop) = (Arc::new(Tally::default()), Arc::new(AtomicBool::new(false)));
    let started = Instant::now();
    let workers: Vec<_> = people
        .iter()
        .map(|(person, refresh, conversation)| {
            let load = load(
                person.clone(),
                refresh.clone(),
                conversation.clone(),
                tally.clone(),
                stop.clone(),
            );
            tokio::spawn(load)
        })
        .collect();
    let watcher = tokio::spawn(watch_readiness(ports.clone(), stop.clone()));

    // Steady load, then a fast shutdown, a few seconds away, and a start.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let cluster = Arc::new(cluster);
    let stopping = Instant::now();
    tokio::task::spawn_blocking({
        let cluster = cluster.clone();
        move || cluster.stop_fast()
    })
    .await
    .unwrap();
    let down = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    tokio::task::spawn_blocking({
        let cluster = cluster.clone();
        move || cluster.start()
    })
    .await
    .unwrap();
    let back = Instant::now();

    // Load goes on until 20 s after the database is back and 10 s after the last failure.
    let last_failure = || {
        let outcomes = tally.outcomes.lock().unwrap();
        outcomes.iter().filter(|o| !o.ok && o.ended > back).map(|o| o.ended).max()
    };
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let quiet_since = last_failure().unwrap_or(back).max(back);
        let now = Instant::now();
        if (now > back + Duration::from_secs(20) && now > quiet_since + Duration::from_secs(10))
            || now > back + RECOVERY_BOUND + Duration::from_secs(30)
        {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut acked = Acknowledged::default();
    let mut turns = Vec::new();
    for worker in workers {
        let done = worker.await.unwrap();
        turns.push(done.turns.clone());
        acked.conversations.extend(done.conversations);
        acked.memories.extend(done.memories);
        acked.reminders.extend(done.reminders);
        acked.refreshes += done.refreshes;
        acked.tokens.extend(done.tokens);
    }
    let looks = watcher.await.unwrap();
    let ended = Instant::now();

    // What the load met, by kind and phase.
    let outcomes = std::mem::take(&mut *tally.outcomes.lock().unwrap());
    let mut table: BTreeMap<&str, [usize; 6]> = BTreeMap::new();
    for o in &outcomes {
        let phase = if o.ended < stopping {
            0
        } else if o.ended < back {
            2
        } else {
            4
        };
        table.entry(o.what).or_default()[phase + usize::from(!o.ok)] += 1;
    }
    eprintln!(
        "postgres drill: load {:.1}s; fast shutdown took {:.1}s, down {:.1}s; load went on \
         {:.1}s after it was back",
        (stopping - started).as_secs_f64(),
        (down - stopping).as_secs_f64(),
        (back - down).as_secs_f64(),
        (ended - back).as_secs_f64()
    );
    eprintln!("  requests (ok/failed) before | while stopping or down | after back:");
    for (what, n) in &table {
        eprintln!("    {what:20} {}/{} | {}/{} | {}/{}", n[0], n[1], n[2], n[3], n[4], n[5]);
    }
    let slowest = outcomes.iter().filter(|o| o.what != CHAT).map(|o| o.took).max();
    let slowest = slowest.unwrap_or_default();
    let turn_took: Vec<Duration> =
        outcomes.iter().filter(|o| o.what == CHAT && o.ok).map(|o| o.took).collect();
    let longest_turn = turn_took.iter().max().copied().unwrap_or_default();
    eprintln!(
        "  slowest request: {:.2}s; chat turns that ended done took {:.1}s on average, {:.1}s at most",
        slowest.as_secs_f64(),
        turn_took.iter().sum::<Duration>().as_secs_f64() / turn_took.len().max(1) as f64,
        longest_turn.as_secs_f64()
    );
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for o in outcomes.iter().filter(|o| !o.ok) {
        let status = o.status.map_or("no answer".to_owned(), |s| s.to_string());
        *statuses.entry(format!("{} {status}", o.what)).or_default() += 1;
    }
    eprintln!("  failures by kind and status: {statuses:?}");

    // Nothing was refused as the client's fault: every failure is the outage's.
    let client_errors: Vec<_> = outcomes
        .iter()
        .filter(|o| o.status.is_some_and(|s| (400..500).contains(&s)))
        .map(|o| format!("{} {:?}: {}", o.what, o.status, o.note))
        .collect();
    assert!(client_errors.is_empty(), "4xx during the drill: {client_errors:#?}");
    // And it is said for what it is: a 503 to try again, never a 500 (a fault of the server's).
    let faults: Vec<_> = outcomes
        .iter()
        .filter(|o| o.status == Some(500))
        .map(|o| format!("{} 500: {}", o.what, o.note))
        .collect();
    assert!(faults.is_empty(), "500s while the database was away (want 503): {faults:#?}");
    // Turns begun before the shutdown and ended after the start: what the restart did to them.
    let spanning: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.what == CHAT && o.ended - o.took < stopping && o.ended > back)
        .collect();
    eprintln!(
        "  chat turns in flight across the restart: {} ({} ended done)",
        spanning.len(),
        spanning.iter().filter(|o| o.ok).count()
    );
    assert!(slowest < REQUEST_LIMIT, "a request hung for {slowest:?}");

    // Ready again within the bound, each service; and the outage was seen by each.
    let mut ready_after = BTreeMap::new();
    for (var, _) in &ports {
        let mine = looks.iter().filter(|(v, ..)| v == var);
        let saw_outage = mine
            .clone()
            .any(|(_, at, status)| *at > stopping && *at < back && *status != Some(200));
        assert!(saw_outage, "{var}'s /readyz never said the database was away");
        let last_unready =
            mine.clone().filter(|(_, _, status)| *status != Some(200)).map(|(_, at, _)| *at).max();
        let ready = mine
            .filter(|(_, at, status)| *status == Some(200) && Some(*at) > last_unready)
            .map(|(_, at, _)| *at)
            .min()
            .unwrap_or_else(|| panic!("{var} never ready again"));
        ready_after.insert(*var, ready.saturating_duration_since(back));
    }
    eprintln!("  ready again after the database was back: {ready_after:?}");
    for (var, after) in &ready_after {
        assert!(*after < READY_BOUND, "{var} was ready only {after:?} after the database");
    }

    // Failures stopped within the bound, and every kind of request succeeded after that.
    let window = outcomes
        .iter()
        .filter(|o| !o.ok && o.ended > back)
        .map(|o| o.ended - back)
        .max()
        .unwrap_or_default();
    eprintln!("  requests failed until {:.2}s after the database was back", window.as_secs_f64());
    let failed_late: Vec<_> = outcomes
        .iter()
        .filter(|o| !o.ok && o.ended > back)
        .map(|o| {
            format!("+{:.2}s {} {:?}: {}", (o.ended - back).as_secs_f64(), o.what, o.status, o.note)
        })
        .collect();
    if !failed_late.is_empty() {
        eprintln!("  failures after the database was back:\n    {}", failed_late.join("\n    "));
    }
    assert!(window < RECOVERY_BOUND, "requests failed {window:?} after the database was back");
    for what in table.keys() {
        let later = outcomes.iter().filter(|o| o.what == *what && o.ended > back + window);
        // Chat turns take seconds each: one is enough to show them answered again.
        let least = if *what == CHAT { 1 } else { 11 };
        assert!(
            later.clone().count() >= least && later.clone().all(|o| o.ok),
            "{what} after recovery"
        );
    }

    // Every acknowledged write is there.
    let db = PgPool::connect(&url).await.unwrap();
    let conversations = "SELECT count(*) FROM agents.conversations WHERE id::text = ANY($1)";
    let memories = "SELECT count(*) FROM agents.memories WHERE id::text = ANY($1)";
    let tasks = "SELECT count(*) FROM cron.tasks WHERE id::text = ANY($1)";
    for (what, sql, ids) in [
        ("conversations", conversations, &acked.conversations),
        ("memories", memories, &acked.memories),
        ("reminders", tasks, &acked.reminders),
    ] {
        assert!(!ids.is_empty(), "no {what} acknowledged");
        let unique: BTreeSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "an id of {what} given twice");
        assert_eq!(count(&db, sql, ids).await, ids.len() as i64, "acknowledged {what} lost");
    }
    // Each chat turn that ended `done` is in its conversation once, answered; every turn's
    // messages read back whole, the person's first (a failed turn may have kept only theirs).
    let mut kept_turns = 0;
    for ((person, _, conversation), acked_turns) in people.iter().zip(&turns) {
        let history = messages(person, conversation).await;
        let said = consistent(&history);
        for content in acked_turns {
            assert_eq!(said.iter().filter(|s| *s == content).count(), 1, "{content}: {history:#?}");
            let opened = history.iter().position(|m| m["content"] == content.as_str()).unwrap();
            let turn = &history[opened]["turn_id"];
            let answered = history[opened + 1..]
                .iter()
                .take_while(|m| &m["turn_id"] == turn)
                .any(|m| m["role"] == "assistant");
            assert!(answered, "{content} was acknowledged but its answer is not stored");
            kept_turns += 1;
        }
        eprintln!(
            "  {}: {} chat turns acknowledged of {} begun; {} messages stored",
            person.email,
            acked_turns.len(),
            said.len(),
            history.len()
        );
    }
    assert!(kept_turns > 0, "no chat turn was acknowledged");
    eprintln!(
        "  acknowledged and found afterwards: {kept_turns} chat turns, {} conversations, {} \
         memories, {} one-off reminders, {} token refreshes",
        acked.conversations.len(),
        acked.memories.len(),
        acked.reminders.len(),
        acked.refreshes
    );

    // Each session's last acknowledged refresh token still works: no session lost or revoked.
    let client = reqwest::Client::new();
    for token in &mut acked.tokens {
        let response = client
            .post(format!("http://127.0.0.1:{}/token?grant_type=refresh_token", people[0].0.auth))
            .json(&json!({"refresh_token": token}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "a session was lost: {body}");
        *token = body["refresh_token"].as_str().unwrap().to_owned();
    }

    // Every one-off reminder runs once (those due during the outage, after it), and notifies once.
    let deadline = Instant::now() + Duration::from_secs(120);
    let settled =
        "SELECT count(*) FROM cron.runs WHERE task_id::text = ANY($1) AND status = 'succeeded'";
    loop {
        let done = count(&db, settled, &acked.reminders).await;
        if done >= acked.reminders.len() as i64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{done} of {} one-off reminders ran; log:\n{}",
            acked.reminders.len(),
            posey.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let per_task: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT t.id::text, (SELECT count(*) FROM cron.runs r WHERE r.task_id = t.id), \
                (SELECT count(*) FROM cron.notifications n WHERE n.task_id = t.id) \
         FROM cron.tasks t WHERE t.id::text = ANY($1)",
    )
    .bind(&acked.reminders)
    .fetch_all(&db)
    .await
    .unwrap();
    let wrong: Vec<_> =
        per_task.iter().filter(|(_, runs, sent)| (*runs, *sent) != (1, 1)).collect();
    assert!(wrong.is_empty(), "one-off reminders (id, runs, notifications) not once: {wrong:?}");
    // The every-second reminders: at most one run per due time, one notification per run.
    let (ticks, doubled): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE n > 1) FROM ( \
           SELECT r.task_id, r.scheduled_for, count(n.id) AS n FROM cron.runs r \
           JOIN cron.tasks t ON t.id = r.task_id AND t.name = 'tick' \
           LEFT JOIN cron.notifications n ON n.run_id = r.id \
           GROUP BY r.task_id, r.scheduled_for) AS due",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(doubled, 0, "a due time of an every-second reminder notified more than once");
    let (runs, notified): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM cron.runs), (SELECT count(*) FROM cron.notifications)",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    eprintln!(
        "  cron: {runs} runs and {notified} notifications in all; each one-off reminder ran and \
         notified once; {ticks} due times of the every-second reminders, none notified twice"
    );

    // Nothing had to be restarted.
    let after = status_when_all_up(&mut posey, &data_dir);
    for service in &after.services {
        assert_eq!(service.restarts, 0, "{} restarted: {:?}", service.name, service.last_exit);
        let pid = crate::support::service_pid(&before, &service.name);
        assert_eq!(service.pid, Some(pid), "{} runs in another process", service.name);
    }
    eprintln!("  no service exited or was restarted by the supervisor");
    db.close().await;

    // A restart while nobody is using the services (a night's maintenance): the first requests
    // after it are answered, not failed on connections the restart closed.
    tokio::task::spawn_blocking({
        let cluster = cluster.clone();
        move || {
            cluster.stop_fast();
            cluster.start();
        }
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ada = &people[0].0;
    let mut token = acked.tokens[0].clone();
    let tally = Tally::default();
    for _ in 0..15 {
        let refresh = ada
            .client
            .post(format!("http://127.0.0.1:{}/token?grant_type=refresh_token", ada.auth))
            .json(&json!({"refresh_token": token}));
        if let Some(session) = tally.send("auth refresh", refresh).await {
            token = session["refresh_token"].as_str().unwrap().to_owned();
        }
        tally.send("agents read", ada.get(ada.agents, "/v1/conversations?limit=1")).await;
        let query = json!({"query": "{ cron_notifications(limit: 1) { id } }"});
        tally.send("gateway read", ada.post(ada.gateway, "/v1/graphql").json(&query)).await;
        tally.send("cron read", ada.get(ada.cron, "/v1/tasks?limit=1")).await;
    }
    tally.chat(ada, &people[0].2, "After a quiet restart. Reply with one word.").await;
    let outcomes = tally.outcomes.into_inner().unwrap();
    let failed: Vec<_> = outcomes
        .iter()
        .filter(|o| !o.ok)
        .map(|o| format!("{} {:?}: {}", o.what, o.status, o.note))
        .collect();
    eprintln!(
        "quiet restart: {} requests after Postgres restarted while idle, {} failed",
        outcomes.len(),
        failed.len()
    );
    assert!(failed.is_empty(), "after a quiet restart: {failed:#?}\n{}", errors_in(&posey.log()));
    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(60)).success(), "{}", posey.log());
}

/// How long any request may take while Redis is gone: its client gives up on a dead server
/// within a second or so, and nothing may wait on it much longer.
const WITHOUT_REDIS_BOUND: Duration = Duration::from_secs(5);
/// The same for a sign-in, which also hashes a password (slow in a debug build on a busy
/// machine, whatever Redis does).
const HASHING_BOUND: Duration = REQUEST_LIMIT;

/// A `redis-server` of the test's own on a free port, with nothing saved.
struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the drill runs redis-server: apt-get install redis-server");
        let server = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.cli(&["PING"]) != "PONG" {
            assert!(Instant::now() < deadline, "redis-server on port {port} never answered");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// `redis-cli` against it: its raw output, trimmed.
    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "--raw"])
            .args(args)
            .output()
            .expect("the drill reads Redis with redis-cli: apt-get install redis-tools");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn keys(&self, pattern: &str) -> Vec<String> {
        self.cli(&["KEYS", pattern]).lines().map(str::to_owned).filter(|k| !k.is_empty()).collect()
    }

    /// SIGKILL: gone at once, as a crash.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.kill();
        }
    }
}

/// The slowest request `timed` has seen, in milliseconds (only the Redis drill uses it).
static SLOWEST_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// Requests `timed` has sent.
static TIMED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Sends `request`, failing if it took longer than `bound`: its status and body.
async fn timed(what: &str, bound: Duration, request: reqwest::RequestBuilder) -> (u16, Value) {
    let sent = Instant::now();
    let response = request.timeout(REQUEST_LIMIT).send().await;
    let took = sent.elapsed();
    let millis = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
    SLOWEST_MS.fetch_max(millis, Ordering::Relaxed);
    TIMED.fetch_add(1, Ordering::Relaxed);
    let response = response.unwrap_or_else(|e| panic!("{what}: no answer after {took:?}: {e}"));
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    assert!(took < bound, "{what} took {took:?} ({status} {body})");
    (status, body)
}

/// Sign-ins for an address nobody has, until the account's limit answers 429: how many were
/// let through (refused as wrong credentials) before it.
async fn sign_ins_before_limit(client: &reqwest::Client, auth: u16, email: &str) -> usize {
    for n in 0..20 {
        let request = client
            .post(format!("http://127.0.0.1:{auth}/token?grant_type=password"))
            .json(&json!({"email": email, "password": "not the password"}));
        let (status, body) = timed("a sign-in", HASHING_BOUND, request).await;
        match status {
            429 => return n,
            400 => {}
            _ => panic!("a sign-in for {email}: {status} {body}"),
        }
    }
    panic!("20 sign-ins for {email} met no limit");
}

/// Task creations by `person` until their per-minute limit answers 429: how many were made.
async fn tasks_before_limit(person: &Person) -> usize {
    let daily = json!({"name": "daily", "kind": "reminder", "payload": {"title": "Daily"},
                       "schedule": {"kind": "cron", "spec": "0 0 9 * * *"}});
    for n in 0..20 {
        let request = person.post(person.cron, "/v1/tasks").json(&daily);
        let (status, body) = timed("a task creation", WITHOUT_REDIS_BOUND, request).await;
        match status {
            429 => return n,
            201 => {}
            _ => panic!("a task creation: {status} {body}"),
        }
    }
    panic!("20 task creations met no limit");
}

/// Each service's `/readyz`: its status and the checks it names as failed.
async fn readiness(client: &reqwest::Client, ports: &[(&str, u16)]) -> Vec<(String, u16, Value)> {
    let mut found = Vec::new();
    for (var, port) in ports {
        let request = client.get(format!("http://127.0.0.1:{port}/readyz"));
        let (status, body) = timed(&format!("{var} /readyz"), WITHOUT_REDIS_BOUND, request).await;
        found.push(((*var).to_owned(), status, body));
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_gone_while_configured_leaves_sign_in_and_limits_working_and_nothing_waits() {
    let db = posey_testkit::TestDatabase::empty().await;
    let parent = temp_parent();
    let mut redis = RedisServer::start(posey_testkit::free_port());
    let redis_url = format!("redis://127.0.0.1:{}", redis.port);
    let data_dir = parent.path().join("data");
    let ports = ports();
    let listen = format!("127.0.0.1:{}", posey_testkit::free_port());
    let vars = [
        ("DATABASE_URL", db.url.as_str()),
        ("REDIS_URL", redis_url.as_str()),
        ("AUTH_MAILER_AUTOCONFIRM", "true"),
        ("AUTH_OPEN_SIGNUP", "true"),
        ("AUTH_RATE_LIMIT_PER_ACCOUNT", "5"),
        ("AUTH_RATE_LIMIT_PER_IP", "1000000"),
        ("CRON_TASK_CREATE_RATE", "5"),
        ("POSEY_MQTT_LISTEN", listen.as_str()),
    ];
    let mut posey = Posey::start_with(&data_dir, &ports, &["up"], "drill-redis.log", &vars);
    wait_until_ready(&mut posey, &ports).await;
    assert!(posey.log().contains("using Redis"), "{}", posey.log());
    let before = status_when_all_up(&mut posey, &data_dir);
    let ada = Person::sign_up(&ports, "ada@example.com").await;
    let bea = Person::sign_up(&ports, "bea@example.com").await;
    let cy = Person::sign_up(&ports, "cy@example.com").await;
    let dee = Person::sign_up(&ports, "dee@example.com").await;
    let refresh = Person::sign_in(&ports, "ada@example.com").await.refresh_token;
    let client = reqwest::Client::new();

    // With Redis: the limits count there.
    let limit = sign_ins_before_limit(&client, ada.auth, "nobody-1@example.com").await;
    assert_eq!(limit, 5);
    let tasks = tasks_before_limit(&ada).await;
    assert_eq!(tasks, 5);
    let counted = redis.keys("posey:*");
    assert!(
        counted.contains(&"posey:auth:rl:account:nobody-1@example.com".to_owned()),
        "{counted:?}"
    );
    assert!(counted.contains(&format!("posey:cron:rl:tasks:{}", ada.id)), "{counted:?}");

    redis.kill();
    let gone = Instant::now();
    SLOWEST_MS.store(0, Ordering::Relaxed);
    TIMED.store(0, Ordering::Relaxed);

    // Without it, nothing waits long: every service stays ready, naming Redis as away (none
    // needs it to serve: the limits count in process)...
    for (var, status, body) in readiness(&client, &ports).await {
        assert_eq!(status, 200, "{var}: {body}");
        assert_eq!(body["status"], "degraded", "{var}: {body}");
        assert_eq!(body["checks"]["redis"], "unavailable", "{var}: {body}");
    }
    // ...sign-in and refresh work, and the limits hold, counted in each process.
    let request = client
        .post(format!("http://127.0.0.1:{}/token?grant_type=password", ada.auth))
        .json(&json!({"email": "ada@example.com", "password": "correct horse battery"}));
    let (status, body) = timed("a sign-in without Redis", HASHING_BOUND, request).await;
    assert_eq!(status, 200, "{body}");
    let request = client
        .post(format!("http://127.0.0.1:{}/token?grant_type=refresh_token", ada.auth))
        .json(&json!({"refresh_token": refresh}));
    let (status, body) = timed("a refresh without Redis", WITHOUT_REDIS_BOUND, request).await;
    assert_eq!(status, 200, "{body}");
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let limit_without = sign_ins_before_limit(&client, ada.auth, "nobody-2@example.com").await;
    assert_eq!(limit_without, limit, "the sign-in limit without Redis");
    let tasks_without = tasks_before_limit(&bea).await;
    assert_eq!(tasks_without, tasks, "the task limit without Redis");
    // The services that do not use Redis serve as ever.
    let (status, body) =
        timed("conversations", WITHOUT_REDIS_BOUND, ada.get(ada.agents, "/v1/conversations")).await;
    assert_eq!(status, 200, "{body}");
    let query = json!({"query": "{ cron_notifications(limit: 1) { id } }"});
    let (status, body) = timed(
        "a GraphQL read",
        WITHOUT_REDIS_BOUND,
        ada.post(ada.gateway, "/v1/graphql").json(&query),
    )
    .await;
    assert!(status == 200 && body.get("errors").is_none(), "{status} {body}");
    let without = gone.elapsed();
    let (slowest, requests) = (SLOWEST_MS.load(Ordering::Relaxed), TIMED.load(Ordering::Relaxed));

    // Redis back (empty, on the same port): ready again, and the limits count there again.
    let redis = RedisServer::start(redis.port);
    let back = Instant::now();
    let deadline = back + Duration::from_secs(30);
    loop {
        let looks = readiness(&client, &ports).await;
        if looks.iter().all(|(_, status, body)| *status == 200 && body["status"] == "ready") {
            break;
        }
        assert!(Instant::now() < deadline, "not ready 30 s after Redis was back: {looks:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready = back.elapsed();
    // Each process asks Redis again within a second of its last try: counts show up there soon,
    // and from then on the limits count there alone.
    let deadline = Instant::now() + Duration::from_secs(30);
    for n in 0.. {
        let probe = format!("probe-{n}@example.com");
        let request = client
            .post(format!("http://127.0.0.1:{}/token?grant_type=password", ada.auth))
            .json(&json!({"email": probe, "password": "not the password"}));
        timed("a sign-in", HASHING_BOUND, request).await;
        let daily = json!({"name": "daily", "kind": "reminder", "payload": {"title": "Daily"},
                           "schedule": {"kind": "cron", "spec": "0 0 9 * * *"}});
        let request = dee.post(dee.cron, "/v1/tasks").json(&daily);
        timed("a task creation", WITHOUT_REDIS_BOUND, request).await;
        let auth_key = format!("posey:auth:rl:account:{probe}");
        let cron_key = format!("posey:cron:rl:tasks:{}", dee.id);
        if redis.keys(&auth_key).len() == 1 && redis.keys(&cron_key).len() == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "Redis unused 30 s after it was back");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let used_again = back.elapsed();
    let limit_back = sign_ins_before_limit(&client, ada.auth, "nobody-3@example.com").await;
    assert_eq!(limit_back, limit, "the sign-in limit with Redis back");
    let tasks_back = tasks_before_limit(&cy).await;
    assert_eq!(tasks_back, tasks, "the task limit with Redis back");
    let counted = redis.keys("posey:*");
    assert!(
        counted.contains(&"posey:auth:rl:account:nobody-3@example.com".to_owned()),
        "{counted:?}"
    );
    assert!(counted.contains(&format!("posey:cron:rl:tasks:{}", cy.id)), "{counted:?}");
    let request = client
        .post(format!("http://127.0.0.1:{}/token?grant_type=refresh_token", ada.auth))
        .json(&json!({"refresh_token": refresh}));
    let (status, body) = timed("a refresh with Redis back", WITHOUT_REDIS_BOUND, request).await;
    assert_eq!(status, 200, "{body}");

    let after = status_when_all_up(&mut posey, &data_dir);
    for service in &after.services {
        assert_eq!(service.restarts, 0, "{} restarted: {:?}", service.name, service.last_exit);
        let pid = crate::support::service_pid(&before, &service.name);
        assert_eq!(service.pid, Some(pid), "{} runs in another process", service.name);
    }
    eprintln!(
        "redis drill: Redis killed for {:.1}s: readiness 503 naming redis on all four services; \
         sign-in, refresh, task writes, GraphQL and agents reads answered (the slowest of {requests} \
         requests took {slowest} ms); \
         the sign-in limit ({limit} per account) and the task limit ({tasks} per person) held \
         without Redis; Redis back: all ready after {:.2}s, both limits counted in Redis again after {:.2}s; \
         no service restarted",
        without.as_secs_f64(),
        ready.as_secs_f64(),
        used_again.as_secs_f64()
    );
    posey.interrupt();
    assert!(posey.wait(Duration::from_secs(60)).success(), "{}", posey.log());
}
