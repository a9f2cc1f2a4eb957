//! The harness: the real `posey` binary as a child process on free ports with its own data
//! dir, and what the tests read of it (readiness, the status file, processes).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use posey::status::{RunStatus, State};
use serde_json::{Value, json};

const SERVICES: [&str; 4] = ["AUTH_PORT", "AGENTS_PORT", "GATEWAY_PORT", "CRON_PORT"];

pub(crate) struct Posey {
    pub(crate) child: Child,
    pub(crate) log: PathBuf,
}

impl Posey {
    /// `posey <args>` with a clean environment of backing-service variables.
    pub(crate) fn start(
        data_dir: &Path,
        ports: &[(&str, u16)],
        args: &[&str],
        log_name: &str,
    ) -> Self {
        Self::start_with(data_dir, ports, args, log_name, &[])
    }

    /// `start`, with `vars` set besides.
    pub(crate) fn start_with(
        data_dir: &Path,
        ports: &[(&str, u16)],
        args: &[&str],
        log_name: &str,
        vars: &[(&str, &str)],
    ) -> Self {
        let log = data_dir.parent().unwrap().join(log_name);
        let out = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_posey"));
        cmd.args(args)
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env_remove("QDRANT_URL")
            .env_remove("POSTGRES_BIN_DIR")
            .env_remove("POSEY_WEB_DIR")
            .env_remove("MQTT_URL")
            .env_remove("HOME_SEAL_KEY")
            // Each run's embedded MQTT broker on a port of its own (1883 may be taken).
            .env("POSEY_MQTT_LISTEN", "127.0.0.1:0")
            .env("POSEY_DATA_DIR", data_dir)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        for (var, port) in ports {
            cmd.env(var, port.to_string());
        }
        cmd.envs(vars.iter().copied());
        Self { child: cmd.spawn().expect("starting posey"), log }
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log's last lines, for a failure message: the cause of an exit is at its end, which
    /// a CI summary cutting a long log's middle would hide.
    pub(crate) fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        let from = lines.len().saturating_sub(40);
        format!(
            "(last {} of {} lines)\n{}",
            lines.len() - from,
            lines.len(),
            lines[from..].join("\n")
        )
    }

    pub(crate) fn interrupt(&self) {
        self.signal(Signal::SIGINT);
    }

    pub(crate) fn signal(&self, signal: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), signal).expect("sending a signal");
    }

    pub(crate) fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("posey did not exit within {limit:?}; log {}", self.log_tail());
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

pub(crate) async fn wait_until_ready(posey: &mut Posey, ports: &[(&str, u16)]) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    for (var, port) in ports {
        loop {
            if let Some(status) = posey.child.try_wait().unwrap() {
                panic!("posey exited early ({status}); log {}", posey.log_tail());
            }
            let url = format!("http://127.0.0.1:{port}/readyz");
            if let Ok(r) = client.get(&url).send().await
                && r.status() == 200
            {
                break;
            }
            assert!(Instant::now() < deadline, "{var} never got ready; log {}", posey.log_tail());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

pub(crate) fn socket_url(data_dir: &Path) -> String {
    let run = data_dir.join("postgres/run");
    format!("postgres://posey@localhost/posey?host={}", run.display())
}

pub(crate) fn ports() -> Vec<(&'static str, u16)> {
    SERVICES.iter().map(|var| (*var, posey_testkit::free_port())).collect()
}

/// A temp dir that the unprivileged account running PostgreSQL (when tests run as root) can
/// enter, as a real data dir's parent would be.
pub(crate) fn temp_parent() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(dir.path(), mode).unwrap();
    dir
}

/// `posey up`'s status file, once it shows every service up with a process.
pub(crate) fn status_when_all_up(posey: &mut Posey, data_dir: &Path) -> RunStatus {
    let file = posey::status::path(data_dir);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = RunStatus::read_running(&file)
            && status.services.iter().all(|s| s.state == State::Up && s.pid.is_some())
        {
            return status;
        }
        if let Some(exit) = posey.child.try_wait().unwrap() {
            panic!("posey exited ({exit}); log:\n{}", posey.log());
        }
        assert!(Instant::now() < deadline, "status never showed all up; log:\n{}", posey.log());
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub(crate) fn service_pid(status: &RunStatus, name: &str) -> u32 {
    status.services.iter().find(|s| s.name == name).and_then(|s| s.pid).unwrap()
}

/// Whether `pid` is a live process (a zombie nobody reaped yet counts as gone).
pub(crate) fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

pub(crate) async fn answers_healthz(client: &reqwest::Client, port: u16) -> bool {
    let url = format!("http://127.0.0.1:{port}/healthz");
    client.get(url).send().await.is_ok_and(|r| r.status() == 200)
}

/// The direct children of `pid`.
pub(crate) fn children(pid: u32) -> Vec<u32> {
    let mut all = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten() {
        let list = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        all.extend(list.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
    }
    all
}

/// Waits until none of `pids` is alive.
pub(crate) fn await_gone(pids: &[u32], what: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let left: Vec<u32> = pids.iter().copied().filter(|p| alive(*p)).collect();
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "{what} still running after {limit:?}: {left:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A signed-in person and where each service listens.
pub(crate) struct Person {
    pub(crate) client: reqwest::Client,
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) token: String,
    /// The session's refresh token.
    pub(crate) refresh_token: String,
    pub(crate) auth: u16,
    pub(crate) agents: u16,
    pub(crate) gateway: u16,
    pub(crate) cron: u16,
}

impl Person {
    /// Signs `email` up (the install confirms addresses itself: `AUTH_MAILER_AUTOCONFIRM`).
    pub(crate) async fn sign_up(ports: &[(&str, u16)], email: &str) -> Self {
        Self::session(ports, "/signup", email).await
    }

    /// Signs `email` in with the password `sign_up` gave them.
    pub(crate) async fn sign_in(ports: &[(&str, u16)], email: &str) -> Self {
        Self::session(ports, "/token?grant_type=password", email).await
    }

    async fn session(ports: &[(&str, u16)], path: &str, email: &str) -> Self {
        let port = |var: &str| ports.iter().find(|(name, _)| *name == var).unwrap().1;
        let client = reqwest::Client::new();
        let auth = port("AUTH_PORT");
        let session: Value = client
            .post(format!("http://127.0.0.1:{auth}{path}"))
            .json(&json!({"email": email, "password": "correct horse battery"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = session["access_token"].as_str().unwrap_or_else(|| panic!("{session}"));
        Self {
            client,
            id: session["user"]["id"].as_str().unwrap().to_owned(),
            email: email.to_owned(),
            token: token.to_owned(),
            refresh_token: session["refresh_token"].as_str().unwrap().to_owned(),
            auth,
            agents: port("AGENTS_PORT"),
            gateway: port("GATEWAY_PORT"),
            cron: port("CRON_PORT"),
        }
    }

    /// `GET path` of the service at `port` as this person, its JSON.
    pub(crate) async fn json(&self, port: u16, path: &str) -> Value {
        self.get(port, path).send().await.unwrap().json().await.unwrap()
    }

    pub(crate) fn request(
        &self,
        method: reqwest::Method,
        port: u16,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("http://127.0.0.1:{port}{path}"))
            .bearer_auth(&self.token)
    }

    pub(crate) fn post(&self, port: u16, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, port, path)
    }

    pub(crate) fn get(&self, port: u16, path: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, port, path)
    }

    pub(crate) async fn upload(&self, filename: &str, bytes: Vec<u8>) -> String {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        let response =
            self.post(self.agents, "/v1/documents").multipart(form).send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert!(status.is_success(), "uploading {filename}: {status} {body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// The document once it is `ready` or `failed`.
    pub(crate) async fn settled(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let document: Value = self
                .get(self.agents, &format!("/v1/documents/{id}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if matches!(document["status"].as_str(), Some("ready" | "failed")) {
                return document;
            }
            assert!(Instant::now() < deadline, "document never settled: {document}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Every table outside the system's schemas: (schema, table).
pub(crate) async fn tables(db: &sqlx::PgPool) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
           AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' \
         ORDER BY 1, 2",
    )
    .fetch_all(db)
    .await
    .unwrap()
}

/// A model file the environment names, or a failure saying how to get it (never a skip).
pub(crate) fn model(var: &str) -> String {
    let path = std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: `source dev-test.env` (./scripts/setup installs the local models)"
        )
    });
    assert!(
        Path::new(&path).exists(),
        "{var}={path} does not exist: ./scripts/setup installs the local models"
    );
    path
}

/// The response's JSON, once its status is `status`.
pub(crate) async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let got = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(got.as_u16(), status, "{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// A chat turn's server-sent events as they arrive: (event name, data).
pub(crate) struct Turn {
    response: reqwest::Response,
    buffer: String,
}

impl Turn {
    pub(crate) async fn start(person: &Person, conversation: &str, content: &str) -> Self {
        Self::begin(person, conversation, content, Duration::from_secs(60))
            .await
            .unwrap_or_else(|(status, body)| panic!("{status:?}: {body}"))
    }

    /// The turn's stream, or what came instead: (the status if any, the body or the error).
    pub(crate) async fn begin(
        person: &Person,
        conversation: &str,
        content: &str,
        limit: Duration,
    ) -> Result<Self, (Option<u16>, String)> {
        let path = format!("/v1/conversations/{conversation}/messages");
        let sent = person.post(person.agents, &path).json(&json!({"content": content}));
        let response = tokio::time::timeout(limit, sent.send())
            .await
            .map_err(|_| (None, format!("no answer in {limit:?}")))?
            .map_err(|error| (None, error.to_string()))?;
        if response.status() != 200 {
            let status = response.status().as_u16();
            return Err((Some(status), response.text().await.unwrap_or_default()));
        }
        Ok(Self { response, buffer: String::new() })
    }

    /// The next event; `Err`: the stream ended (how), without another event.
    pub(crate) async fn next(&mut self) -> Result<(String, Value), String> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut name, mut data) = (String::new(), String::new());
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        name = value.trim().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                // Keep-alive comments have neither.
                if name.is_empty() && data.is_empty() {
                    continue;
                }
                return Ok((name, serde_json::from_str(&data).unwrap_or(Value::Null)));
            }
            match self.response.chunk().await {
                Ok(Some(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(None) => return Err("the stream ended".into()),
                Err(error) => return Err(format!("the stream broke: {error}")),
            }
        }
    }

    /// Reads to the turn's last event (`done` or `error`), within `limit`.
    pub(crate) async fn finish(self, limit: Duration) -> (String, Value) {
        tokio::time::timeout(limit, self.end())
            .await
            .expect("the turn did not end in time")
            .unwrap_or_else(|how| panic!("the turn ended without done or error: {how}"))
    }

    /// Reads to the turn's last event (`done` or `error`); `Err`: the stream ended before one.
    pub(crate) async fn end(mut self) -> Result<(String, Value), String> {
        loop {
            let (name, data) = self.next().await?;
            if name == "done" || name == "error" {
                return Ok((name, data));
            }
        }
    }
}

/// The conversation's messages as stored.
pub(crate) async fn messages(person: &Person, conversation: &str) -> Vec<Value> {
    let path = format!("/v1/conversations/{conversation}/messages");
    let body = json_of(person.get(person.agents, &path).send().await.unwrap(), 200).await;
    body["messages"].as_array().unwrap().clone()
}

/// A history that reads back whole: ids rising, each turn's messages together and opening
/// with the person's message, nothing twice. The person's messages, in order.
pub(crate) fn consistent(history: &[Value]) -> Vec<String> {
    let mut turns: Vec<&str> = Vec::new();
    let mut last_id = 0;
    for message in history {
        let id = message["id"].as_i64().unwrap();
        assert!(id > last_id, "ids out of order: {history:#?}");
        last_id = id;
        let turn = message["turn_id"].as_str().unwrap();
        if turns.last() != Some(&turn) {
            assert!(!turns.contains(&turn), "turn {turn} split in two: {history:#?}");
            assert_eq!(message["role"], "user", "a turn opens with the person: {history:#?}");
            turns.push(turn);
        } else {
            assert_ne!(message["role"], "user", "two person's messages in a turn: {history:#?}");
        }
    }
    history
        .iter()
        .filter(|m| m["role"] == "user")
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}
