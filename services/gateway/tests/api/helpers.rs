//! `spawn_app()`: the gateway service on a random port with a fresh migrated database, a test
//! JWKS, an admin secret, and helpers to send GraphQL as the operator or as a person.

use posey_gateway::{Application, Config};
use posey_http::Service as _;
pub use posey_testkit::TestApp;
use serde_json::{Value, json};

pub const ADMIN_SECRET: &str = "test-admin-secret-0123456789";

/// Starts the service with `vars` on top of the test defaults.
pub async fn spawn_app_with(vars: &[(&str, String)]) -> TestApp {
    posey_testkit::spawn_service(Config::PORT_VAR, vars, Config::read_with_db, |config| async {
        let app = Application::build(config).await.expect("building the gateway service");
        let port = app.port();
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        port
    })
    .await
}

pub struct GatewayApp {
    pub app: TestApp,
    pub keys: posey_testkit::TestKeys,
    _jwks: posey_testkit::JwksServer,
    /// The metadata file the gateway reads (tests rewrite it).
    pub metadata: Option<tempfile::NamedTempFile>,
}

impl std::ops::Deref for GatewayApp {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// The gateway with a test JWKS and the admin secret; `metadata` (YAML) written to a file it
/// reads, or the built-in default when `None`.
pub async fn spawn_gateway(metadata: Option<&str>, vars: &[(&str, String)]) -> GatewayApp {
    let issuer = posey_testkit::TestIssuer::start().await;
    let mut all = issuer.vars();
    all.extend([
        ("GATEWAY_ADMIN_SECRET", ADMIN_SECRET.to_owned()),
        ("GATEWAY_SUBSCRIPTION_INTERVAL_MS", "100".to_owned()),
        ("GATEWAY_RELOAD_INTERVAL_MS", "200".to_owned()),
    ]);
    let file = metadata.map(|text| {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    });
    if let Some(file) = &file {
        all.push(("GATEWAY_METADATA", file.path().display().to_string()));
    }
    all.extend(vars.iter().cloned());
    let app = spawn_app_with(&all).await;
    let posey_testkit::TestIssuer { keys, jwks } = issuer;
    GatewayApp { app, keys, _jwks: jwks, metadata: file }
}

impl GatewayApp {
    /// A token for `user_id` with the Hasura claims auth puts in (role `user`, plus `extra_roles`).
    pub fn token(&self, user_id: &str, extra_roles: &[&str]) -> String {
        let mut claims = posey_testkit::TestKeys::claims_for(user_id);
        let mut allowed = vec!["user"];
        allowed.extend_from_slice(extra_roles);
        claims["https://hasura.io/jwt/claims"] = json!({
            "x-hasura-user-id": user_id,
            "x-hasura-default-role": "user",
            "x-hasura-allowed-roles": allowed,
        });
        self.keys.signing_key().sign(&claims)
    }

    pub fn url(&self) -> String {
        format!("{}/v1/graphql", self.address)
    }

    /// POSTs `body` with `headers`; returns the status and the JSON.
    pub async fn post(&self, headers: &[(&str, &str)], body: &Value) -> (u16, Value) {
        let mut request = self.client.post(self.url()).json(body);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    pub async fn admin(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .post(
                &[("x-hasura-admin-secret", ADMIN_SECRET)],
                &json!({"query": query, "variables": variables}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn as_user(&self, token: &str, query: &str, variables: Value) -> Value {
        let auth = format!("Bearer {token}");
        let (status, body) = self
            .post(
                &[("authorization", auth.as_str())],
                &json!({"query": query, "variables": variables}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Makes the gateway re-read the catalog now (after DDL in a test).
    pub async fn reload(&self) {
        let response = self
            .client
            .post(format!("{}/v1/metadata/reload", self.address))
            .header("x-hasura-admin-secret", ADMIN_SECRET)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }

    pub async fn sql(&self, statement: &str) {
        sqlx::raw_sql(statement).execute(&self.db.pool).await.unwrap();
    }
}

/// The first error's `extensions.code`.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}

/// Loads the Chinook sample (its tables in `public`).
pub async fn load_chinook(app: &GatewayApp) {
    let sql = include_str!("../fixtures/chinook.sql");
    sqlx::raw_sql(sql).execute(&app.db.pool).await.unwrap();
    app.reload().await;
}
