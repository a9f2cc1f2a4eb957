//! `spawn_app()`: the auth service on a random port with a fresh migrated database, a cheap
//! password hasher (the real parameters are tested in `password.rs`), and typed helpers.

use std::sync::{Arc, Mutex};

use argon2::Params;
use posey_auth::keys::Keys;
use posey_auth::password::Hasher;
use posey_auth::{Application, Config, Overrides};
use posey_domain::clock::SharedClock;
use posey_http::Service as _;
pub use posey_testkit::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub struct AuthApp {
    pub app: TestApp,
    pub keys: Keys,
}

impl std::ops::Deref for AuthApp {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// The service with `vars` on top of the test defaults (sign-up confirmed at once, no rate
/// limits in the way); for the shared health suite.
pub async fn spawn_app_with(vars: &[(&str, String)]) -> TestApp {
    spawn_auth(vars).await.app
}

/// The key the test installs seal their signing keys with (32 bytes, base64).
pub const TEST_KEY_ENCRYPTION_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The address of the owner every install from [`spawn_auth`] already has.
pub const OWNER_EMAIL: &str = "owner@posey.test";

/// An install that has its owner already (so sign-ups are ordinary ones) and takes open
/// sign-ups (`AUTH_OPEN_SIGNUP`), with `vars` on top of the test defaults.
pub async fn spawn_auth(vars: &[(&str, String)]) -> AuthApp {
    spawn_auth_with_clock(vars, None).await
}

/// [`spawn_auth`] with sessions and tokens reading `clock` (the machine's when `None`).
pub async fn spawn_auth_with_clock(vars: &[(&str, String)], clock: Option<SharedClock>) -> AuthApp {
    let mut all: Vec<(&str, String)> = vec![("AUTH_OPEN_SIGNUP", "true".into())];
    all.extend(vars.iter().cloned());
    let app = spawn_empty_with_clock(&all, clock).await;
    // Straight into the tables: no audit entries, no sessions, nothing the tests count.
    let owner: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO auth.users (id, email, email_confirmed_at) VALUES (gen_random_uuid(), $1, now()) \
         RETURNING id",
    )
    .bind(OWNER_EMAIL)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO auth.user_roles (user_id, role) VALUES ($1, 'admin')")
        .bind(owner)
        .execute(&app.db.pool)
        .await
        .unwrap();
    app
}

/// A fresh install without any account (its first sign-up makes the owner), with `vars` on top
/// of the test defaults.
pub async fn spawn_empty(vars: &[(&str, String)]) -> AuthApp {
    spawn_empty_with_clock(vars, None).await
}

async fn spawn_empty_with_clock(vars: &[(&str, String)], clock: Option<SharedClock>) -> AuthApp {
    let mut all: Vec<(&str, String)> = vec![
        ("AUTH_MAILER_AUTOCONFIRM", "true".into()),
        ("AUTH_RATE_LIMIT_PER_IP", "100000".into()),
        ("AUTH_RATE_LIMIT_PER_ACCOUNT", "100000".into()),
        ("AUTH_RATE_LIMIT_EMAILS_PER_HOUR", "100000".into()),
        ("AUTH_ISSUER", "http://posey-auth.test".into()),
        (
            "AUTH_SERVICE_CLIENTS",
            "cron:cron-secret-0123456789,unscoped:unscoped-secret-0123456789,\
             ops:ops-secret-0123456789"
                .into(),
        ),
        ("AUTH_SERVICE_CLIENT_SCOPES", "cron=agents:turns cron:act-for-person,ops=admin".into()),
        ("AUTH_KEY_ENCRYPTION_KEY", TEST_KEY_ENCRYPTION_KEY.into()),
    ];
    all.extend(vars.iter().cloned());
    let keys = Arc::new(Mutex::new(None));
    let slot = keys.clone();
    let app = posey_testkit::spawn_service(
        Config::PORT_VAR,
        &all,
        Config::read_with_db,
        |config| async move {
            let hasher = Hasher::with_params(Params::new(1024, 1, 1, None).unwrap(), 4).unwrap();
            let overrides = Overrides { hasher: Some(hasher), clock };
            let app = Application::build_with(config, overrides).await.expect("building auth");
            *slot.lock().unwrap() = Some(app.keys());
            let port = app.port();
            tokio::spawn(app.run_until_stopped(std::future::pending()));
            port
        },
    )
    .await;
    let keys = keys.lock().unwrap().take().unwrap();
    AuthApp { app, keys }
}

pub async fn spawn() -> AuthApp {
    spawn_auth(&[]).await
}

/// A response's status and JSON body.
pub async fn parts(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

impl AuthApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        parts(self.client.post(self.url(path)).json(body).send().await.unwrap()).await
    }

    pub async fn post_with_token(
        &self,
        path: &str,
        token: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        parts(self.client.post(self.url(path)).bearer_auth(token).json(body).send().await.unwrap())
            .await
    }

    pub async fn get_with_token(&self, path: &str, token: &str) -> (StatusCode, Value) {
        parts(self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap()).await
    }

    pub async fn signup(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.post("/signup", &json!({ "email": email, "password": password })).await
    }

    pub async fn login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.post("/token?grant_type=password", &json!({ "email": email, "password": password }))
            .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.post("/token?grant_type=refresh_token", &json!({ "refresh_token": refresh_token }))
            .await
    }

    /// Signs up (confirmed at once) and returns the session.
    pub async fn session_for(&self, email: &str) -> Value {
        let (status, body) = self.signup(email, "correct horse battery").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["access_token"].is_string(), "no session: {body}");
        body
    }

    /// A service token (role `service_role`) from the client-credentials grant, for the
    /// operator's client `ops`, granted the scope `admin` (the admin API's).
    pub async fn service_token(&self) -> String {
        self.client_token("ops", "ops-secret-0123456789").await
    }

    /// A service token from the client-credentials grant for a configured client.
    pub async fn client_token(&self, client_id: &str, secret: &str) -> String {
        let (status, body) = self
            .post(
                "/token?grant_type=client_credentials",
                &json!({ "client_id": client_id, "client_secret": secret }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }
}

/// A fresh address for a test.
pub fn email() -> String {
    format!("user-{}@example.test", uuid::Uuid::new_v4().simple())
}

impl AuthApp {
    /// Any method, with a bearer token and an optional JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }
}

/// The claims of an access token this service issued (already verified by it).
pub fn token_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
