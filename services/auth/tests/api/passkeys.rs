//! WebAuthn in the auth service: `webauthn` MFA factors in GoTrue's factor API (enrol, the
//! registration ceremony at the first challenge, authentication after it, `aal2`, unenrol) and
//! passkeys for passwordless sign-in at GoTrue's `/passkeys/...` paths. The authenticator is
//! soft-webauthn's software device (PyPI, on Yubico's `fido2`), driven through
//! `tests/webauthn/authenticator.py` with the venv python of `TEST_AGENTS_PYTHON`; what it
//! answers is verified by the service with `webauthn-rs`. The refusals: a wrong signature, a
//! replayed or expired challenge, a wrong origin or RP id, and a cloned authenticator whose
//! signature counter goes back. `a_software_authenticator_drives_the_ceremonies_over_http`
//! runs `tests/webauthn/ceremonies.py`, which does both ceremonies over HTTP by itself.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;
use posey_domain::clock::ManualClock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::helpers::{AuthApp, email, parts, spawn_auth_with_clock, token_claims};

const PASSWORD: &str = "correct horse battery";
/// The test install's site URL (its default), which gives the RP id `localhost`.
const ORIGIN: &str = "http://localhost:3000";

fn webauthn_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/webauthn")
}

/// The venv python with soft-webauthn and fido2 (scripts/test installs them); a failure, never
/// a skip, without it.
fn python() -> String {
    posey_testkit::env::test_python("soft-webauthn and fido2")
}

/// A software authenticator's state (its one credential), kept between ceremonies.
#[derive(Clone)]
pub struct Device(Value);

/// One call of the software authenticator: `create` or `get` with the server's `publicKey`
/// options for `origin`; the credential's JSON and the device after.
pub async fn authenticator(
    op: &str,
    options: &Value,
    origin: &str,
    device: Option<&Device>,
) -> (Value, Device) {
    let request =
        json!({ "op": op, "options": options, "origin": origin, "device": device.map(|d| &d.0) });
    let mut child = tokio::process::Command::new(python())
        .arg(webauthn_dir().join("authenticator.py"))
        .current_dir(webauthn_dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running the software authenticator (TEST_AGENTS_PYTHON)");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(request.to_string().as_bytes()).await.unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    assert!(
        output.status.success(),
        "authenticator.py {op} failed (is soft-webauthn installed? ./scripts/test installs it):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    (answer["credential"].clone(), Device(answer["device"].clone()))
}

struct Passkeys {
    app: AuthApp,
    clock: Arc<ManualClock>,
}

fn token(session: &Value) -> &str {
    session["access_token"].as_str().unwrap()
}

fn code_of(body: &Value) -> &str {
    body["error_code"].as_str().or(body["code"].as_str()).unwrap_or_default()
}

fn message_of(body: &Value) -> &str {
    body["msg"].as_str().or(body["message"].as_str()).unwrap_or_default()
}

fn methods(session: &Value) -> Vec<String> {
    let claims = token_claims(token(session));
    claims["amr"].as_array().unwrap().iter().map(|m| m["method"].as_str().unwrap().into()).collect()
}

/// What auth-js's `mfa.webauthn` sends beside the credential.
fn rp() -> Value {
    json!({ "rpId": "localhost", "rpOrigins": [ORIGIN] })
}

impl Passkeys {
    async fn start() -> Self {
        let clock = ManualClock::starting_now();
        let app = spawn_auth_with_clock(&[], Some(clock.clone())).await;
        Self { app, clock }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        parts(self.app.send(method, path, token, body.as_ref()).await).await
    }

    async fn person(&self) -> (String, Value) {
        let address = email();
        let (status, session) = self.app.signup(&address, PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{session}");
        (address, session)
    }

    async fn sign_in(&self, address: &str) -> Value {
        let (status, session) = self.app.login(address, PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{session}");
        assert_eq!(token_claims(token(&session))["aal"], "aal1");
        session
    }

    async fn enroll(&self, token: &str) -> String {
        let body = json!({ "factor_type": "webauthn", "friendly_name": "security key" });
        let (status, factor) = self.call(Method::POST, "/factors", token, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{factor}");
        assert_eq!(factor["type"], "webauthn", "{factor}");
        factor["id"].as_str().unwrap().to_owned()
    }

    /// A challenge of the factor: its id, its kind (`create` or `request`) and its options.
    async fn challenge(&self, token: &str, factor_id: &str) -> (String, String, Value) {
        let path = format!("/factors/{factor_id}/challenge");
        let body = json!({ "factorId": factor_id, "webauthn": rp() });
        let (status, challenge) = self.call(Method::POST, &path, token, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{challenge}");
        assert_eq!(challenge["type"], "webauthn", "{challenge}");
        let webauthn = &challenge["webauthn"];
        (
            challenge["id"].as_str().unwrap().to_owned(),
            webauthn["type"].as_str().unwrap().to_owned(),
            webauthn["credential_options"]["publicKey"].clone(),
        )
    }

    async fn verify(
        &self,
        token: &str,
        factor_id: &str,
        challenge_id: &str,
        kind: &str,
        credential: &Value,
    ) -> (StatusCode, Value) {
        let path = format!("/factors/{factor_id}/verify");
        let mut webauthn = rp();
        webauthn["type"] = json!(kind);
        webauthn["credential_response"] = credential.clone();
        let body = json!({ "challenge_id": challenge_id, "webauthn": webauthn });
        self.call(Method::POST, &path, token, Some(body)).await
    }

    /// A person with a verified webauthn factor: address, factor id, device, `aal2` session.
    async fn enrolled_person(&self) -> (String, String, Device, Value) {
        let (address, session) = self.person().await;
        let factor_id = self.enroll(token(&session)).await;
        let (challenge_id, kind, options) = self.challenge(token(&session), &factor_id).await;
        assert_eq!(kind, "create");
        let (credential, device) = authenticator("create", &options, ORIGIN, None).await;
        let (status, elevated) =
            self.verify(token(&session), &factor_id, &challenge_id, "create", &credential).await;
        assert_eq!(status, StatusCode::OK, "{elevated}");
        (address, factor_id, device, elevated)
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.app.db.pool).await.unwrap()
    }

    async fn failure_reasons(&self, user_id: &str) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT payload->>'reason' FROM auth.audit_log WHERE actor_id = $1 \
             AND action IN ('mfa_verification_failed', 'passkey_sign_in_failed', 'passkey_registration_failed') ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(&self.app.db.pool)
        .await
        .unwrap()
    }
}

/// The credential with one byte of its signature changed.
fn with_bad_signature(credential: &Value) -> Value {
    let mut signature =
        URL_SAFE_NO_PAD.decode(credential["response"]["signature"].as_str().unwrap()).unwrap();
    let last = signature.len() - 1;
    signature[last] ^= 0x01;
    let mut credential = credential.clone();
    credential["response"]["signature"] = json!(URL_SAFE_NO_PAD.encode(signature));
    credential
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webauthn_factor_enrols_verifies_to_aal2_and_unenrols() {
    let t = Passkeys::start().await;
    let (address, factor_id, device, elevated) = t.enrolled_person().await;
    let claims = token_claims(token(&elevated));
    assert_eq!(claims["aal"], "aal2");
    assert!(methods(&elevated).contains(&"webauthn".to_owned()), "{claims}");
    let factors = elevated["user"]["factors"].as_array().unwrap();
    assert_eq!(factors.len(), 1, "{elevated}");
    assert_eq!(factors[0]["factor_type"], "webauthn");
    assert_eq!(factors[0]["status"], "verified");

    // A new sign-in is aal1 until the authenticator answers an authentication challenge.
    let session = t.sign_in(&address).await;
    let (challenge_id, kind, options) = t.challenge(token(&session), &factor_id).await;
    assert_eq!(kind, "request");
    assert_eq!(options["rpId"], "localhost");
    assert_eq!(options["userVerification"], "required");
    let (credential, device) = authenticator("get", &options, ORIGIN, Some(&device)).await;
    let (status, stepped) =
        t.verify(token(&session), &factor_id, &challenge_id, "request", &credential).await;
    assert_eq!(status, StatusCode::OK, "{stepped}");
    assert_eq!(token_claims(token(&stepped))["aal"], "aal2");

    // The challenge was answered: a second answer to it, even a good one, is refused.
    let (again, _) = authenticator("get", &options, ORIGIN, Some(&device)).await;
    let (status, body) =
        t.verify(token(&session), &factor_id, &challenge_id, "request", &again).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code_of(&body), "mfa_challenge_expired", "{body}");

    // Unenrolled at aal2: the factor and its credential go, the sessions are aal1 again.
    let path = format!("/factors/{factor_id}");
    let (status, body) = t.call(Method::DELETE, &path, token(&session), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an aal1 session may not: {body}");
    let (status, body) = t.call(Method::DELETE, &path, token(&stepped), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(t.count("SELECT count(*) FROM auth.webauthn_credentials").await, 0);
    assert_eq!(t.count("SELECT count(*) FROM auth.mfa_factors").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_webauthn_answers_are_refused_audited_and_counted() {
    let t = Passkeys::start().await;
    let (address, factor_id, device, elevated) = t.enrolled_person().await;
    let user_id = token_claims(token(&elevated))["sub"].as_str().unwrap().to_owned();
    let session = t.sign_in(&address).await;
    let bearer = token(&session);
    let refused = |status: StatusCode, body: &Value, reason: &str| {
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reason}: {body}");
        assert_eq!(code_of(body), "mfa_verification_failed", "{reason}: {body}");
        assert_eq!(token_claims(bearer)["aal"], "aal1");
    };

    // A signature that does not verify.
    let (challenge_id, _, options) = t.challenge(bearer, &factor_id).await;
    let (credential, device) = authenticator("get", &options, ORIGIN, Some(&device)).await;
    let (status, body) = t
        .verify(bearer, &factor_id, &challenge_id, "request", &with_bad_signature(&credential))
        .await;
    refused(status, &body, "bad signature");

    // Signed for another origin (a phishing page's).
    let (challenge_id, _, options) = t.challenge(bearer, &factor_id).await;
    let (credential, device) =
        authenticator("get", &options, "http://localhost.evil.test:3000", Some(&device)).await;
    let (status, body) = t.verify(bearer, &factor_id, &challenge_id, "request", &credential).await;
    refused(status, &body, "wrong origin");
    assert!(message_of(&body).contains("origin"), "{body}");

    // A client naming another relying party is refused before any ceremony.
    let path = format!("/factors/{factor_id}/challenge");
    let other = json!({ "webauthn": { "rpId": "evil.test", "rpOrigins": ["https://evil.test"] } });
    let (status, body) = t.call(Method::POST, &path, bearer, Some(other)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code_of(&body), "webauthn_rp_mismatch", "{body}");

    // A clone: a copy of the device taken now, used after the original moved its counter on.
    let clone = device.clone();
    let (challenge_id, _, options) = t.challenge(bearer, &factor_id).await;
    let (credential, _device) = authenticator("get", &options, ORIGIN, Some(&device)).await;
    let (status, body) = t.verify(bearer, &factor_id, &challenge_id, "request", &credential).await;
    assert_eq!(status, StatusCode::OK, "the original: {body}");
    let (challenge_id, _, options) = t.challenge(bearer, &factor_id).await;
    let (credential, _) = authenticator("get", &options, ORIGIN, Some(&clone)).await;
    let (status, body) = t.verify(bearer, &factor_id, &challenge_id, "request", &credential).await;
    refused(status, &body, "counter went back");
    assert!(message_of(&body).contains("counter"), "{body}");

    // A challenge answered after its five minutes.
    let (challenge_id, _, options) = t.challenge(bearer, &factor_id).await;
    let (credential, _) = authenticator("get", &options, ORIGIN, Some(&clone)).await;
    t.clock.advance(TimeDelta::seconds(301));
    let (status, body) = t.verify(bearer, &factor_id, &challenge_id, "request", &credential).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code_of(&body), "mfa_challenge_expired", "{body}");

    assert_eq!(
        t.failure_reasons(&user_id).await,
        ["verification_failed", "wrong_origin", "counter_went_back"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credential_for_another_rp_id_is_not_registered_and_wrong_codes_lock_out() {
    let t = Passkeys::start().await;
    let (_, session) = t.person().await;
    let bearer = token(&session);
    let factor_id = t.enroll(bearer).await;
    let (challenge_id, _, mut options) = t.challenge(bearer, &factor_id).await;
    options["rp"]["id"] = json!("evil.test");
    let (credential, _) = authenticator("create", &options, ORIGIN, None).await;
    let (status, body) = t.verify(bearer, &factor_id, &challenge_id, "create", &credential).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code_of(&body), "mfa_verification_failed", "{body}");
    assert!(message_of(&body).contains("relying party"), "{body}");
    assert_eq!(t.count("SELECT count(*) FROM auth.webauthn_credentials").await, 0);

    // Four more wrong answers make five: the factor is locked out (429), like TOTP's.
    for _ in 0..4 {
        let (challenge_id, _, mut options) = t.challenge(bearer, &factor_id).await;
        options["rp"]["id"] = json!("evil.test");
        let (credential, _) = authenticator("create", &options, ORIGIN, None).await;
        let (status, body) =
            t.verify(bearer, &factor_id, &challenge_id, "create", &credential).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let (challenge_id, _, options) = t.challenge(bearer, &factor_id).await;
    let (credential, _) = authenticator("create", &options, ORIGIN, None).await;
    let (status, body) = t.verify(bearer, &factor_id, &challenge_id, "create", &credential).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_passkey_signs_in_without_a_password() {
    let t = Passkeys::start().await;
    let (_, session) = t.person().await;
    let bearer = token(&session);
    let user_id = token_claims(bearer)["sub"].as_str().unwrap().to_owned();

    let (status, started) =
        t.call(Method::POST, "/passkeys/registration/options", bearer, Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let options = &started["options"];
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required", "{started}");
    assert_eq!(options["rp"]["id"], "localhost");
    let (credential, device) = authenticator("create", options, ORIGIN, None).await;
    let body = json!({ "challenge_id": started["challenge_id"], "credential": credential });
    let (status, passkey) =
        t.call(Method::POST, "/passkeys/registration/verify", bearer, Some(body.clone())).await;
    assert_eq!(status, StatusCode::OK, "{passkey}");
    let (status, again) =
        t.call(Method::POST, "/passkeys/registration/verify", bearer, Some(body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{again}");
    assert_eq!(code_of(&again), "webauthn_challenge_expired", "{again}");
    let (status, listed) = t.call(Method::GET, "/passkeys", bearer, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["id"], passkey["id"]);

    // Usernameless: the options name no credential; the passkey says whose it is.
    let start_body = json!({ "gotrue_meta_security": {} });
    let start = || t.app.post("/passkeys/authentication/options", &start_body);
    let (status, started) = start().await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert!(
        started["options"].get("allowCredentials").is_none_or(|a| a == &json!([])),
        "{started}"
    );
    let (credential, device) =
        authenticator("get", &started["options"], ORIGIN, Some(&device)).await;
    let answer = json!({ "challenge_id": started["challenge_id"], "credential": credential });
    let (status, signed_in) = t.app.post("/passkeys/authentication/verify", &answer).await;
    assert_eq!(status, StatusCode::OK, "{signed_in}");
    let claims = token_claims(token(&signed_in));
    assert_eq!(claims["sub"], user_id.as_str());
    assert_eq!(claims["aal"], "aal2", "a passkey with user verification is two factors");
    assert_eq!(methods(&signed_in), ["passkey", "webauthn"]);
    assert!(signed_in["refresh_token"].is_string());
    let (status, refreshed) = t.app.refresh(signed_in["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(token_claims(token(&refreshed))["aal"], "aal2");

    // The same challenge again.
    let (status, body) = t.app.post("/passkeys/authentication/verify", &answer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code_of(&body), "webauthn_challenge_expired", "{body}");

    // A bad signature; an answer after five minutes.
    let (_, started) = start().await;
    let (credential, device) =
        authenticator("get", &started["options"], ORIGIN, Some(&device)).await;
    let answer = json!({ "challenge_id": started["challenge_id"], "credential": with_bad_signature(&credential) });
    let (status, body) = t.app.post("/passkeys/authentication/verify", &answer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code_of(&body), "webauthn_verification_failed", "{body}");
    let (_, started) = start().await;
    let (credential, device) =
        authenticator("get", &started["options"], ORIGIN, Some(&device)).await;
    t.clock.advance(TimeDelta::seconds(301));
    let answer = json!({ "challenge_id": started["challenge_id"], "credential": credential });
    let (status, body) = t.app.post("/passkeys/authentication/verify", &answer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code_of(&body), "webauthn_challenge_expired", "{body}");
    assert_eq!(t.failure_reasons(&user_id).await, ["verification_failed"]);

    // Deleted, it signs no one in.
    let path = format!("/passkeys/{}", passkey["id"].as_str().unwrap());
    let (status, body) = t.call(Method::DELETE, &path, token(&signed_in), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, started) = start().await;
    let (credential, _) = authenticator("get", &started["options"], ORIGIN, Some(&device)).await;
    let answer = json!({ "challenge_id": started["challenge_id"], "credential": credential });
    let (status, body) = t.app.post("/passkeys/authentication/verify", &answer).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code_of(&body), "invalid_credentials", "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_software_authenticator_drives_the_ceremonies_over_http() {
    let t = Passkeys::start().await;
    let output = tokio::process::Command::new(python())
        .arg(webauthn_dir().join("ceremonies.py"))
        .current_dir(webauthn_dir())
        .env("AUTH_URL", &t.app.address)
        .env("WEBAUTHN_ORIGIN", ORIGIN)
        .output()
        .await
        .expect("running ceremonies.py (TEST_AGENTS_PYTHON)");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "ceremonies.py failed:\n{report}");
    assert!(report.contains("6 passed, 0 failed"), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn supabase_auth_js_webauthn_and_passkey_apis_work_unchanged() {
    let t = Passkeys::start().await;
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/auth-js");
    assert!(
        dir.join("node_modules/@supabase/auth-js").is_dir(),
        "{}/node_modules is missing: ./scripts/test installs it (npm ci)",
        dir.display()
    );
    let output = tokio::process::Command::new("node")
        .args(["--test", "passkeys.test.mjs"])
        .current_dir(&dir)
        .env("AUTH_URL", &t.app.address)
        .env("WEBAUTHN_ORIGIN", ORIGIN)
        .env("TEST_AGENTS_PYTHON", python())
        .output()
        .await
        .expect("running node (./scripts/test installs Node.js)");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "auth-js passkeys.test.mjs failed:\n{report}");
    assert!(report.contains("# pass 2") && report.contains("# fail 0"), "{report}");
}
