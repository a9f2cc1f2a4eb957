//! `spawn_app()`: the cron service on a random port with a fresh migrated database.

use posey_cron::{Application, Config};
use posey_http::Service as _;
pub use posey_testkit::TestApp;
use posey_testkit::TestIssuer;

/// Starts the service with `vars` on top of the test defaults.
pub async fn spawn_app_with(vars: &[(&str, String)]) -> TestApp {
    posey_testkit::spawn_service(Config::PORT_VAR, vars, Config::read_with_db, |config| async {
        let app = Application::build(config).await.expect("building the cron service");
        let port = app.port();
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        port
    })
    .await
}

/// The service with a test JWKS, so requests can carry access tokens minted here.
pub struct CronApp {
    pub app: TestApp,
    pub keys: posey_testkit::TestKeys,
    _jwks: posey_testkit::JwksServer,
}

impl std::ops::Deref for CronApp {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// `spawn_app_with` trusting a fresh test JWKS; `vars` on top.
pub async fn spawn_authed_app_with(vars: &[(&str, String)]) -> CronApp {
    let issuer = TestIssuer::start().await;
    let mut all = issuer.vars();
    all.push(("CRON_POLL_INTERVAL_MS", "100".to_owned()));
    all.extend(vars.iter().cloned());
    let app = spawn_app_with(&all).await;
    let TestIssuer { keys, jwks } = issuer;
    CronApp { app, keys, _jwks: jwks }
}

pub async fn spawn_authed_app() -> CronApp {
    spawn_authed_app_with(&[]).await
}

/// Requests as a person (`get_as`, `post_as`, ...) come with `TestApp`.
impl CronApp {
    /// A new person and their access token.
    pub fn person(&self) -> (uuid::Uuid, String) {
        self.keys.person()
    }

    /// Creates a task; panics unless it is a 201. Returns the body.
    pub async fn create_task(&self, token: &str, body: &serde_json::Value) -> serde_json::Value {
        let response = self.post_as("/v1/tasks", token, body).await;
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        body
    }
}
