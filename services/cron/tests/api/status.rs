//! `GET /v1/status`: what the owner's settings page shows about cron — Web Push (VAPID),
//! notification email, agent tasks, the scheduler, scheduled backups — for admins and service
//! clients only.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use posey_testkit::TestKeys;
use serde_json::{Value, json};

use crate::helpers::{CronApp, spawn_authed_app, spawn_authed_app_with};

/// An access token for a new person holding `roles`.
fn token_with_roles(app: &CronApp, roles: &[&str]) -> String {
    let mut claims = TestKeys::claims_for(&uuid::Uuid::new_v4().to_string());
    claims["roles"] = json!(roles);
    app.keys.signing_key().sign(&claims)
}

async fn status(app: &CronApp, token: &str) -> (u16, Value) {
    let response = app.get_as("/v1/status", token).await;
    let code = response.status().as_u16();
    (code, response.json().await.unwrap())
}

#[tokio::test]
async fn nothing_configured_is_reported_as_such() {
    let app = spawn_authed_app().await;
    let (code, body) = status(&app, &token_with_roles(&app, &["admin"])).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["web_push"]["configured"], false);
    assert!(body["web_push"]["vapid_public_key"].is_null());
    assert_eq!(body["email"]["configured"], false);
    assert_eq!(body["agent_tasks"]["configured"], false);
    assert_eq!(
        body["agent_tasks"]["missing"],
        json!(["AGENTS_URL", "AUTH_URL", "CRON_SERVICE_CLIENT_ID", "CRON_SERVICE_CLIENT_SECRET"])
    );
    assert_eq!(body["scheduler"]["enabled"], true);
    assert_eq!(body["backups"]["configured"], false);
    assert!(body["backups"]["last_run"].is_null());
}

#[tokio::test]
async fn scheduled_backups_show_their_settings_and_newest_runs() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().display().to_string();
    let app = spawn_authed_app_with(&[
        ("CRON_BACKUP_DIR", dir.clone()),
        ("CRON_BACKUP_SCHEDULE", "0 0 4 * * *".to_owned()),
        ("CRON_BACKUP_KEEP", "3".to_owned()),
    ])
    .await;
    let admin = token_with_roles(&app, &["admin"]);
    let (code, body) = status(&app, &admin).await;
    assert_eq!(code, 200, "{body}");
    let backups = &body["backups"];
    assert_eq!(backups["configured"], true, "{body}");
    assert_eq!(backups["dir"], dir);
    assert_eq!(backups["schedule"], "0 0 4 * * *");
    assert_eq!(backups["keep"], 3);
    assert!(backups["last_run"].is_null() && backups["last_success"].is_null(), "{body}");

    // One backup that succeeded, then a newer one that failed.
    let task = posey_cron::jobs::maintenance::BACKUP_TASK;
    sqlx::query(
        "INSERT INTO cron.runs (task_id, scheduled_for, status, attempts, available_at, finished_at, error, output) VALUES
           ($1, '2027-01-01T04:00:00Z', 'succeeded', 1, now(), '2027-01-01T04:00:09Z', NULL,
            '{\"name\": \"posey-20270101T040000Z\", \"bytes\": 123456}'),
           ($1, '2027-01-02T04:00:00Z', 'dead', 3, now(), '2027-01-02T04:10:00Z',
            'backing up: pg_dump failed', NULL)",
    )
    .bind(task)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let (_, body) = status(&app, &admin).await;
    let backups = &body["backups"];
    assert_eq!(backups["last_run"]["status"], "dead", "{body}");
    assert_eq!(backups["last_run"]["error"], "backing up: pg_dump failed");
    assert_eq!(backups["last_success"]["name"], "posey-20270101T040000Z", "{body}");
    assert_eq!(backups["last_success"]["bytes"], 123456);
    assert_eq!(backups["last_success"]["scheduled_for"], "2027-01-01T04:00:00Z");
}

#[tokio::test]
async fn web_push_email_and_agent_tasks_show_when_set() {
    let vapid = SecretKey::random(&mut rand::rngs::OsRng);
    let public = URL_SAFE_NO_PAD.encode(vapid.public_key().to_encoded_point(false).as_bytes());
    let app = spawn_authed_app_with(&[
        ("CRON_VAPID_PRIVATE_KEY", URL_SAFE_NO_PAD.encode(vapid.to_bytes())),
        ("CRON_VAPID_SUBJECT", "mailto:ops@example.com".to_owned()),
        ("SMTP_URL", posey_testkit::mail::smtp_url()),
        ("AGENTS_URL", "http://127.0.0.1:9/".to_owned()),
        ("AUTH_URL", "http://127.0.0.1:9/".to_owned()),
        ("CRON_SERVICE_CLIENT_ID", "cron".to_owned()),
        ("CRON_SERVICE_CLIENT_SECRET", "cron-secret-0123456789".to_owned()),
    ])
    .await;
    let (code, body) = status(&app, &token_with_roles(&app, &["admin"])).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["web_push"]["configured"], true);
    assert_eq!(body["web_push"]["vapid_public_key"], public);
    assert_eq!(body["web_push"]["subject"], "mailto:ops@example.com");
    assert_eq!(body["email"]["configured"], true);
    assert_eq!(body["agent_tasks"], json!({ "configured": true, "missing": [] }));
}

#[tokio::test]
async fn only_admins_and_admin_service_clients_see_it() {
    let app = spawn_authed_app().await;
    let (_, person) = app.person();
    let (code, body) = status(&app, &person).await;
    assert_eq!(code, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    let (code, _) = status(&app, &token_with_roles(&app, &["editor"])).await;
    assert_eq!(code, 403);
    let response = app.client.get(format!("{}/v1/status", app.address)).send().await.unwrap();
    assert_eq!(response.status(), 401);

    // A service client sees it only when granted `admin`: cron's and the agents service's own
    // clients act for people and are refused.
    let mut claims = TestKeys::claims_for("cron");
    claims["role"] = json!("service_role");
    claims["scope"] = json!("agents:turns cron:act-for-person");
    let (code, body) = status(&app, &app.keys.signing_key().sign(&claims)).await;
    assert_eq!(code, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("\"admin\""), "{body}");
    claims["scope"] = json!("admin");
    let (code, body) = status(&app, &app.keys.signing_key().sign(&claims)).await;
    assert_eq!(code, 200, "{body}");
}
