//! `spawn_app()`: the agents service on a random port with a fresh migrated database, a test
//! JWKS to mint access tokens against, and the test models (posey-models' `TestModel` and
//! `FunctionModel`) injected in place of configured ones.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use posey_agents::{Application, Config, Parts};
use posey_http::Service as _;
use posey_models::testing::{TestModel, local_embedder};
pub use posey_testkit::TestApp;
use rig_core::DynModel;
use rig_core::operation::Completion;
use serde_json::{Value, json};
use uuid::Uuid;

/// Starts the service with `vars` on top of the test defaults (`POSEY_MODEL=test`), on the
/// configured models.
pub async fn spawn_app_with(vars: &[(&str, String)]) -> TestApp {
    let mut all = vec![("POSEY_MODEL", "test".to_owned()), data_dir()];
    all.extend(vars.iter().cloned());
    posey_testkit::spawn_service(Config::PORT_VAR, &all, Config::read_with_db, |config| async {
        let parts = Parts { embedder: Some(local_embedder().await), ..Parts::default() };
        let app =
            Application::build_with(config, parts).await.expect("building the agents service");
        let port = app.port();
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        port
    })
    .await
}

/// `POSEY_DATA_DIR` for one service: a fresh directory, so its vector store is its own.
pub fn data_dir() -> (&'static str, String) {
    ("POSEY_DATA_DIR", posey_testkit::data_dir().display().to_string())
}

/// Which model each model spec (POSEY_MODEL's `test`, or an agents file's `model:`) gets,
/// and any plugins beside the built-in ones.
#[derive(Default, Clone)]
pub struct Models(
    BTreeMap<String, DynModel<Completion>>,
    Vec<Arc<dyn posey_agents::plugins::Plugin>>,
);

impl Models {
    /// `TestModel::new()` for every agent.
    pub fn test() -> Self {
        Self::default().with("test", TestModel::new())
    }

    pub fn with(mut self, spec: &str, model: impl Into<DynModel<Completion>>) -> Self {
        self.0.insert(spec.to_owned(), model.into());
        self
    }

    /// Also offers `plugin` to agents that name it.
    pub fn with_plugin(mut self, plugin: impl posey_agents::plugins::Plugin) -> Self {
        self.1.push(Arc::new(plugin));
        self
    }
}

/// The service with a test JWKS and the given models.
pub struct AgentsApp {
    pub app: TestApp,
    pub keys: posey_testkit::TestKeys,
    /// Cancelling it shuts the service down gracefully.
    pub shutdown: tokio_util::sync::CancellationToken,
    server: std::sync::Mutex<Option<tokio::task::JoinHandle<anyhow::Result<()>>>>,
    _jwks: posey_testkit::JwksServer,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for AgentsApp {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// The service on `models`, with `agents_yaml` as the agents file (`None`: the built-in one)
/// and `vars` on top.
pub async fn spawn(
    models: Models,
    agents_yaml: Option<&str>,
    vars: &[(&str, String)],
) -> AgentsApp {
    let keys = posey_testkit::TestKeys::new();
    let jwks = keys.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec![
        ("AUTH_JWKS_URL", jwks.url.to_string()),
        ("AUTH_ISSUER", posey_testkit::TEST_ISSUER.to_owned()),
        ("POSEY_MODEL", "test".to_owned()),
        data_dir(),
    ];
    if let Some(yaml) = agents_yaml {
        let path = dir.path().join("agents.yaml");
        std::fs::write(&path, yaml).unwrap();
        all.push(("AGENTS_CONFIG", path.display().to_string()));
    }
    all.extend(vars.iter().cloned());
    let plugins = models.1.clone();
    let models = Arc::new(models);
    let shutdown = tokio_util::sync::CancellationToken::new();
    let stop = shutdown.clone();
    let slot = Arc::new(std::sync::Mutex::new(None));
    let handle = slot.clone();
    let app = posey_testkit::spawn_service(
        Config::PORT_VAR,
        &all,
        Config::read_with_db,
        |config| async move {
            let source = move |spec: &str| {
                models
                    .0
                    .get(spec)
                    .cloned()
                    .ok_or_else(|| anyhow::anyhow!("no test model for {spec:?}"))
            };
            let parts = Parts {
                models: Some(Arc::new(source)),
                extra_plugins: plugins,
                embedder: Some(local_embedder().await),
            };
            let app =
                Application::build_with(config, parts).await.expect("building the agents service");
            let port = app.port();
            let task = tokio::spawn(app.run_until_stopped(async move { stop.cancelled().await }));
            *handle.lock().unwrap() = Some(task);
            port
        },
    )
    .await;
    let server = std::sync::Mutex::new(slot.lock().unwrap().take());
    AgentsApp { app, keys, shutdown, server, _jwks: jwks, _dir: dir }
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct Sse {
    pub event: String,
    pub data: Value,
}

/// Parses a whole SSE body.
pub fn parse_sse(body: &str) -> Vec<Sse> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut event = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(name) =
                    line.strip_prefix("event: ").or_else(|| line.strip_prefix("event:"))
                {
                    event = Some(name.trim().to_owned());
                } else if let Some(rest) =
                    line.strip_prefix("data: ").or_else(|| line.strip_prefix("data:"))
                {
                    data.push_str(rest);
                }
            }
            let event = event?;
            Some(Sse { event, data: serde_json::from_str(&data).unwrap_or(Value::Null) })
        })
        .collect()
}

impl AgentsApp {
    /// Shuts the service down (as SIGTERM does) and waits until it has stopped.
    pub async fn stop(&self) {
        self.shutdown.cancel();
        let task = self.server.lock().unwrap().take();
        if let Some(task) = task {
            task.await.unwrap().unwrap();
        }
    }

    /// A new person and their access token.
    pub fn person(&self) -> (uuid::Uuid, String) {
        self.keys.person()
    }

    /// Creates a conversation (with `agent`, or the router); returns its id.
    pub async fn conversation(&self, token: &str, agent: Option<&str>) -> String {
        let body = match agent {
            Some(agent) => json!({"agent": agent}),
            None => json!({}),
        };
        let response = self.post_as("/v1/conversations", token, &body).await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    }

    /// Sends a message and reads the whole event stream.
    pub async fn chat(&self, token: &str, conversation: &str, content: &str) -> Vec<Sse> {
        let response = self
            .post_as(
                &format!("/v1/conversations/{conversation}/messages"),
                token,
                &json!({"content": content}),
            )
            .await;
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        parse_sse(&response.text().await.unwrap())
    }

    /// The conversation's stored messages.
    pub async fn history(&self, token: &str, conversation: &str) -> Vec<Value> {
        let response =
            self.get_as(&format!("/v1/conversations/{conversation}/messages"), token).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["messages"].as_array().unwrap().clone()
    }

    /// Reads events of a streaming response until `stop` says so, then drops the connection.
    pub async fn read_until(
        &self,
        response: reqwest::Response,
        stop: impl Fn(&Sse) -> bool,
    ) -> Vec<Sse> {
        let mut stream = response.bytes_stream();
        let mut buffer = String::new();
        let mut seen = Vec::new();
        while let Some(chunk) = stream.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                for event in parse_sse(&block) {
                    let done = stop(&event);
                    seen.push(event);
                    if done {
                        return seen;
                    }
                }
            }
        }
        seen
    }
}

/// The events of a kind.
pub fn events<'a>(events: &'a [Sse], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e.event == kind).map(|e| &e.data).collect()
}

/// The conversation's turn lease as stored: its holder and until when.
pub async fn lease(app: &AgentsApp, id: &str) -> (Option<Uuid>, Option<DateTime<Utc>>) {
    sqlx::query_as(
        "SELECT turn_holder, turn_lease_until FROM agents.conversations WHERE id = $1::uuid",
    )
    .bind(id)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

/// Gives the conversation's lease to `holder` until `until` (SQL, relative to now), as another
/// replica's turn would hold it.
pub async fn hold_lease(app: &AgentsApp, id: &str, holder: Uuid, until: &str) {
    sqlx::query(&format!(
        "UPDATE agents.conversations SET turn_holder = $2, turn_lease_until = now() + {until}
         WHERE id = $1::uuid"
    ))
    .bind(id)
    .bind(holder)
    .execute(&app.db.pool)
    .await
    .unwrap();
}

/// What another replica's turn does at its end: stores its `[question, answer]` (by `agent`)
/// and clears the conversation's lease in one transaction, sending no NOTIFY (as if it were
/// lost), so a waiting turn finds the lease free only by polling.
pub async fn store_and_release(app: &AgentsApp, id: &str, agent: &str, turn: [&str; 2]) {
    let mut tx = app.db.pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO agents.messages (conversation_id, turn_id, role, agent, content)
         VALUES ($1::uuid, $2, 'user', $3, $4), ($1::uuid, $2, 'assistant', $3, $5)",
    )
    .bind(id)
    .bind(Uuid::new_v4())
    .bind(agent)
    .bind(turn[0])
    .bind(turn[1])
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE agents.conversations SET turn_holder = NULL, turn_lease_until = NULL
         WHERE id = $1::uuid",
    )
    .bind(id)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// The body of a response with the status it must have (the body shown when it has another).
pub async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let code = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(code.as_u16(), status, "{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// A model that calls the tool a message names (`tool {json}`), then says what it got back:
/// how tools' tests drive real turns.
pub fn scripted_tools() -> posey_models::testing::FunctionModel {
    posey_models::testing::FunctionModel::new(|input| {
        if let Some(result) = input.tool_results().last() {
            return posey_models::testing::Reply::text(format!("result: {}", result.content));
        }
        let said = input.last_user_text().unwrap_or_default();
        match said.split_once(' ') {
            Some((tool, arguments)) => posey_models::testing::Reply::tool_call(
                tool,
                serde_json::from_str(arguments).unwrap_or(Value::Null),
            ),
            None => posey_models::testing::Reply::text("Hello."),
        }
    })
}
