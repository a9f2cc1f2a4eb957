//! Calendar apps sign in as phones and Thunderbird do: HTTP Basic with the person's email and
//! an app password, checked at the real auth service (in process, on the same database, as
//! under `posey up`). The Python `caldav` library syncs that way; a wrong password is a 401;
//! revoking the app password locks the app out within seconds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use posey_http::Service as _;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::openai::python;

pub(crate) const ISSUER: &str = "http://posey-auth.test";

pub(crate) async fn spawn_auth() -> TestApp {
    spawn_auth_with(&[]).await
}

/// Auth as `spawn_auth`, with `extra` variables on top.
pub(crate) async fn spawn_auth_with(extra: &[(&str, String)]) -> TestApp {
    let mut vars = vec![
        ("AUTH_MAILER_AUTOCONFIRM", "true".to_owned()),
        ("AUTH_ISSUER", ISSUER.to_owned()),
        ("AUTH_RATE_LIMIT_PER_IP", "100000".to_owned()),
        ("AUTH_RATE_LIMIT_PER_ACCOUNT", "100000".to_owned()),
        ("AUTH_KEY_ENCRYPTION_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_owned()),
    ];
    vars.extend(extra.iter().cloned());
    posey_testkit::spawn_service(
        posey_auth::Config::PORT_VAR,
        &vars,
        posey_auth::Config::read_with_db,
        |config| async move {
            let app = posey_auth::Application::build(config).await.expect("building auth");
            let port = app.port();
            tokio::spawn(app.run_until_stopped(std::future::pending()));
            port
        },
    )
    .await
}

pub(crate) async fn spawn_agents(auth: &TestApp) -> TestApp {
    spawn_agents_with(auth, &[]).await
}

/// The agents service checking tokens and app passwords at `auth`, on its database, with
/// `extra` variables on top.
pub(crate) async fn spawn_agents_with(auth: &TestApp, extra: &[(&str, String)]) -> TestApp {
    let mut vars = vec![
        ("AUTH_JWKS_URL", format!("{}/.well-known/jwks.json", auth.address)),
        ("AUTH_ISSUER", ISSUER.to_owned()),
        ("AUTH_URL", format!("{}/", auth.address)),
        ("POSEY_MODEL", "test".to_owned()),
        ("POSEY_DATA_DIR", posey_testkit::data_dir().display().to_string()),
    ];
    vars.extend(extra.iter().cloned());
    posey_testkit::spawn_service_on(
        auth.db.clone(),
        posey_agents::Config::PORT_VAR,
        &vars,
        posey_agents::Config::read_with_db,
        |config| async move {
            let model = posey_models::testing::TestModel::new();
            let source = move |_spec: &str| anyhow::Ok(model.clone().into());
            let parts = posey_agents::Parts {
                models: Some(Arc::new(source)),
                extra_plugins: Vec::new(),
                embedder: Some(posey_models::testing::local_embedder().await),
            };
            let app = posey_agents::Application::build_with(config, parts)
                .await
                .expect("building agents");
            let port = app.port();
            tokio::spawn(app.run_until_stopped(std::future::pending()));
            port
        },
    )
    .await
}

fn basic(email: &str, password: &str) -> String {
    let pair = format!("{email}:{password}");
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
}

async fn propfind(agents: &TestApp, authorization: &str) -> reqwest::StatusCode {
    agents
        .client
        .request(reqwest::Method::from_bytes(b"PROPFIND").unwrap(), format!("{}/dav/", agents.address))
        .header("authorization", authorization)
        .header("depth", "0")
        .header("content-type", "application/xml")
        .body(r#"<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>"#)
        .send()
        .await
        .unwrap()
        .status()
}

/// A new person at auth, signed up with a password: their email and access token.
pub(crate) async fn sign_up(auth: &TestApp) -> (String, String) {
    let email = format!("cal-{}@example.test", uuid::Uuid::new_v4().simple());
    let session: Value = auth
        .client
        .post(format!("{}/signup", auth.address))
        .json(&json!({"email": email, "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["access_token"].as_str().unwrap_or_else(|| panic!("signing up: {session}"));
    (email, token.to_owned())
}

/// A new person at auth with an app password named `name`: their email, access token and the
/// app password as made (its secret in `password`).
pub(crate) async fn app_password(auth: &TestApp, name: &str) -> (String, String, Value) {
    let (email, token) = sign_up(auth).await;
    let made: Value = auth
        .client
        .post(format!("{}/app-passwords", auth.address))
        .bearer_auth(&token)
        .json(&json!({"name": name}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (email, token, made)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_calendar_app_signs_in_with_an_app_password_until_it_is_revoked() {
    let auth = spawn_auth().await;
    let agents = spawn_agents(&auth).await;
    let (email, token, made) = app_password(&auth, "Python caldav").await;
    let secret = made["password"].as_str().unwrap().to_owned();

    // The account password is not an app password, and a wrong one is a 401 with Basic offered.
    assert_eq!(propfind(&agents, &basic(&email, "correct horse battery")).await, 401);
    let response = agents
        .client
        .get(format!("{}/dav/", agents.address))
        .header("authorization", basic(&email, "aaaa-bbbb-cccc"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // Answered before the body was read: the client is told not to send its retry on this
    // connection, which the server closes (Python's caldav once met it closed, unanswered).
    assert_eq!(response.headers()["connection"], "close");
    let offered: Vec<_> = response.headers().get_all("www-authenticate").iter().collect();
    assert!(offered.iter().any(|v| v.to_str().unwrap().starts_with("Basic")), "{offered:?}");
    assert_eq!(propfind(&agents, &basic(&email, &secret)).await, 207);

    // A real client, discovering the principal from /dav/ with the email and app password.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/caldav_client.py");
    let output = tokio::process::Command::new(python())
        .arg(script)
        .env("POSEY_DAV_URL", format!("{}/dav/", agents.address))
        .env("POSEY_USERNAME", &email)
        .env("POSEY_PASSWORD", &secret)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("caldav client ok"), "{stdout}");
    let calendars: Value = agents
        .client
        .get(format!("{}/v1/calendars", agents.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(calendars["calendars"].as_array().unwrap().iter().any(|c| c["name"] == "Python"));

    // Revoked: the app is out within seconds, though the token it got is still unexpired.
    let response = auth
        .client
        .delete(format!("{}/app-passwords/{}", auth.address, made["id"].as_str().unwrap()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match propfind(&agents, &basic(&email, &secret)).await.as_u16() {
            401 => break,
            207 if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            other => panic!("after revocation: {other}"),
        }
    }
}
