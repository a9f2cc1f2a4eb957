//! Starting a service under test: port 0, a fresh migrated database, extra variables on top,
//! and a client. Each service's `tests/api/helpers.rs` wraps this with its own types.

use std::future::Future;

use posey_config::{DbConfig, Env, PoolSettings, SecretString};
use serde_json::Value;

use crate::db::TestDatabase;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDatabase,
}

/// Reads the service's configuration with `read` (its port variable set to 0, `vars` on top,
/// the database a fresh one) and starts it with `start`, which returns the bound port.
pub async fn spawn_service<C, F, Fut>(
    port_var: &str,
    vars: &[(&str, String)],
    read: impl FnOnce(&mut Env<'static>, DbConfig) -> C,
    start: F,
) -> TestApp
where
    F: FnOnce(C) -> Fut,
    Fut: Future<Output = u16>,
{
    spawn_service_on(TestDatabase::new().await, port_var, vars, read, start).await
}

/// [`spawn_service`] on a database another service under test uses already: services that
/// share Postgres in production (agents reading auth's session revocations, say).
pub async fn spawn_service_on<C, F, Fut>(
    db: TestDatabase,
    port_var: &str,
    vars: &[(&str, String)],
    read: impl FnOnce(&mut Env<'static>, DbConfig) -> C,
    start: F,
) -> TestApp
where
    F: FnOnce(C) -> Fut,
    Fut: Future<Output = u16>,
{
    init_test_logging();
    let mut pairs: Vec<(String, String)> = vec![(port_var.to_owned(), "0".into())];
    pairs.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let mut env = Env::from_pairs(pairs);
    let db_config = DbConfig {
        url: SecretString::from(db.url.clone()),
        pool: PoolSettings::from_env(&mut env),
    };
    let config = read(&mut env, db_config);
    let config = env.finish(Some(config)).expect("valid test configuration");
    let port = start(config).await;
    TestApp { address: format!("http://127.0.0.1:{port}"), client: reqwest::Client::new(), db }
}

/// Logs only when `TEST_LOG` is set, so passing runs stay quiet.
fn init_test_logging() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt().with_env_filter("info,sqlx=warn").try_init();
    }
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.expect("request")
    }

    /// A request to `path` carrying `token` as its bearer.
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.address)).bearer_auth(token)
    }

    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path, token).send().await.expect("request")
    }

    pub async fn post_as(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.request(reqwest::Method::POST, path, token).json(body).send().await.expect("request")
    }

    pub async fn patch_as(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.request(reqwest::Method::PATCH, path, token).json(body).send().await.expect("request")
    }

    pub async fn delete_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.request(reqwest::Method::DELETE, path, token).send().await.expect("request")
    }
}

/// The health, readiness and edge tests every service must pass, generated in the calling
/// test crate from its `spawn_app_with(&[(&str, String)]) -> TestApp`. An unknown route answers
/// in the one error shape, or in `not_found` for a service with a protocol's own shape (auth
/// speaks GoTrue's).
#[macro_export]
macro_rules! service_health_tests {
    ($spawn_app_with:path) => {
        $crate::service_health_tests!(
            $spawn_app_with,
            not_found: serde_json::json!({"error": {"code": "not_found", "message": "no such route"}})
        );
    };
    ($spawn_app_with:path, not_found: $not_found:expr) => {
        use serde_json::{Value, json};

        #[tokio::test]
        async fn healthz_answers_ok() {
            let app = $spawn_app_with(&[]).await;
            let response = app.get("/healthz").await;
            assert_eq!(response.status(), 200);
            assert_eq!(response.json::<Value>().await.unwrap(), json!({"status": "ok"}));
        }

        #[tokio::test]
        async fn readyz_checks_postgres_and_redis() {
            let app = $spawn_app_with(&[("REDIS_URL", $crate::env::redis_url())]).await;
            let response = app.get("/readyz").await;
            assert_eq!(response.status(), 200);
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["status"], "ready");
            assert_eq!(body["checks"]["postgres"], "ok");
            assert_eq!(body["checks"]["redis"], "ok");
        }

        #[tokio::test]
        async fn readyz_is_503_when_postgres_is_gone() {
            let app = $spawn_app_with(&[]).await;
            app.db.cut_off().await;
            let response = app.get("/readyz").await;
            assert_eq!(response.status(), 503);
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["status"], "unavailable");
            assert_eq!(body["checks"]["postgres"], "unavailable");
        }

        #[tokio::test]
        async fn unknown_routes_get_the_standard_error_and_a_request_id() {
            let app = $spawn_app_with(&[]).await;
            let response = app.get("/no/such/thing").await;
            assert_eq!(response.status(), 404);
            assert!(response.headers().get("x-request-id").is_some());
            let body: Value = response.json().await.unwrap();
            assert_eq!(body, $not_found);
        }
    };
}
