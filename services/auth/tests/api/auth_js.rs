//! The npm client `@supabase/auth-js`, unchanged, against this service: the Node script in
//! `tests/auth-js/` signs up, confirms through the email delivered over SMTP, signs in, updates,
//! refreshes, verifies the token locally and signs out, and uses the admin API.

use std::path::PathBuf;
use std::process::Command;

use crate::helpers::spawn_auth;

#[tokio::test(flavor = "multi_thread")]
async fn supabase_auth_js_works_unchanged() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/auth-js");
    assert!(
        dir.join("node_modules/@supabase/auth-js").is_dir(),
        "{}/node_modules is missing: ./scripts/test installs it (npm ci)",
        dir.display()
    );
    let app = spawn_auth(&[
        ("AUTH_MAILER_AUTOCONFIRM", "false".into()),
        ("SMTP_URL", posey_testkit::mail::smtp_url()),
    ])
    .await;
    let service_token = app.service_token().await;
    let maildir = posey_testkit::required_url("TEST_SMTP_MAILDIR");
    let address = app.address.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("--test")
            .arg("flow.test.mjs")
            .current_dir(&dir)
            .env("AUTH_URL", address)
            .env("TEST_SMTP_MAILDIR", maildir)
            .env("SERVICE_TOKEN", service_token)
            .output()
    })
    .await
    .unwrap()
    .expect("running node (./scripts/test installs Node.js)");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "auth-js flow failed:\n{report}");
    assert!(report.contains("# pass 2") && report.contains("# fail 0"), "{report}");
}
