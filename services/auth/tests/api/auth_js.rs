//! The npm client `@supabase/auth-js`, unchanged, against this service: the Node scripts in
//! `tests/auth-js/`. `flow.test.mjs` signs up, confirms through the email delivered over SMTP,
//! signs in, updates, refreshes, verifies the token locally and signs out, and uses the admin
//! API; `mfa.test.mjs` drives the `mfa` API (TOTP enrolment, challenge, verify, list, the
//! assurance level, unenrol) and the admin's factor listing and deletion; `social.test.mjs`
//! signs in with an upstream OpenID provider (`signInWithOAuth` with PKCE, then
//! `exchangeCodeForSession`).

use std::path::PathBuf;
use std::process::Command;

use crate::helpers::spawn_auth;

/// Runs `node --test <script>` in `tests/auth-js` with `env`; its report, once it passed with
/// `tests` tests.
async fn run_node(script: &'static str, env: Vec<(&'static str, String)>, tests: usize) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/auth-js");
    assert!(
        dir.join("node_modules/@supabase/auth-js").is_dir(),
        "{}/node_modules is missing: ./scripts/test installs it (npm ci)",
        dir.display()
    );
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node").arg("--test").arg(script).current_dir(&dir).envs(env).output()
    })
    .await
    .unwrap()
    .expect("running node (./scripts/test installs Node.js)");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "auth-js {script} failed:\n{report}");
    assert!(report.contains(&format!("# pass {tests}")) && report.contains("# fail 0"), "{report}");
    report
}

#[tokio::test(flavor = "multi_thread")]
async fn supabase_auth_js_works_unchanged() {
    let app = spawn_auth(&[
        ("AUTH_MAILER_AUTOCONFIRM", "false".into()),
        ("SMTP_URL", posey_testkit::mail::smtp_url()),
    ])
    .await;
    let env = vec![
        ("AUTH_URL", app.address.clone()),
        ("TEST_SMTP_MAILDIR", posey_testkit::required_url("TEST_SMTP_MAILDIR")),
        ("SERVICE_TOKEN", app.service_token().await),
    ];
    run_node("flow.test.mjs", env, 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn supabase_auth_js_mfa_works_unchanged() {
    let app = spawn_auth(&[]).await;
    let env = vec![("AUTH_URL", app.address.clone()), ("SERVICE_TOKEN", app.service_token().await)];
    run_node("mfa.test.mjs", env, 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn supabase_auth_js_signs_in_with_an_upstream_provider_unchanged() {
    let idp = crate::social::Idp::start(None).await;
    let app = spawn_auth(&idp.vars()).await;
    let env = vec![
        ("AUTH_URL", app.address.clone()),
        ("PUBLIC_URL", crate::social::PUBLIC_URL.to_owned()),
        ("APP_URL", crate::social::APP_URL.to_owned()),
    ];
    run_node("social.test.mjs", env, 2).await;
}
