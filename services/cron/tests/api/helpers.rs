//! `spawn_app()`: the cron service on a random port with a fresh migrated database.

use posey_cron::{Application, Config};
pub use posey_testkit::TestApp;

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
    let keys = posey_testkit::TestKeys::new();
    let jwks = keys.serve().await;
    let mut all = vec![
        ("AUTH_JWKS_URL", jwks.url.to_string()),
        ("AUTH_ISSUER", posey_testkit::TEST_ISSUER.to_owned()),
        ("CRON_POLL_INTERVAL_MS", "100".to_owned()),
    ];
    all.extend(vars.iter().cloned());
    let app = spawn_app_with(&all).await;
    CronApp { app, keys, _jwks: jwks }
}

pub async fn spawn_authed_app() -> CronApp {
    spawn_authed_app_with(&[]).await
}

impl CronApp {
    /// A new person and their access token.
    pub fn person(&self) -> (uuid::Uuid, String) {
        let id = uuid::Uuid::new_v4();
        (id, self.keys.token_for(&id.to_string()))
    }

    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.address)).bearer_auth(token)
    }

    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path, token).send().await.unwrap()
    }

    pub async fn post_as(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.request(reqwest::Method::POST, path, token).json(body).send().await.unwrap()
    }

    pub async fn patch_as(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.request(reqwest::Method::PATCH, path, token).json(body).send().await.unwrap()
    }

    pub async fn delete_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.request(reqwest::Method::DELETE, path, token).send().await.unwrap()
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
