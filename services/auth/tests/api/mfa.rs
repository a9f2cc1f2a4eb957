//! TOTP second factors in GoTrue's API: enrolment, challenge and verification (the session
//! steps up to `aal2`), codes good once, the lockout after wrong codes, recovery codes, what a
//! person with a verified factor may do only at `aal2`, and the admin's view. Codes are computed
//! here from the enrolment's secret (RFC 6238), at the time of the service's manual clock.

use std::sync::Arc;

use chrono::TimeDelta;
use posey_domain::clock::{Clock, ManualClock};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{AuthApp, email, parts, spawn_auth_with_clock, token_claims};

/// The code of a factor's secret at a time (the other tests' too).
pub use posey_testkit::otp::totp;

const PASSWORD: &str = "correct horse battery";

struct Mfa {
    app: AuthApp,
    clock: Arc<ManualClock>,
}

impl Mfa {
    async fn start(vars: &[(&str, String)]) -> Self {
        let clock = ManualClock::starting_now();
        let app = spawn_auth_with_clock(vars, Some(clock.clone())).await;
        Self { app, clock }
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    fn code(&self, secret: &str) -> String {
        totp(secret, self.now())
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

    /// Signs a new person up: their address and an `aal1` session.
    async fn person(&self) -> (String, Value) {
        let address = email();
        let (status, session) = self.app.signup(&address, PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{session}");
        (address, session)
    }

    async fn enroll(&self, token: &str, name: &str) -> Value {
        let body = json!({ "factor_type": "totp", "friendly_name": name, "issuer": "Posey Test" });
        let (status, factor) = self.call(Method::POST, "/factors", token, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{factor}");
        factor
    }

    async fn challenge(&self, token: &str, factor_id: &str) -> String {
        let path = format!("/factors/{factor_id}/challenge");
        let (status, challenge) = self.call(Method::POST, &path, token, None).await;
        assert_eq!(status, StatusCode::OK, "{challenge}");
        challenge["id"].as_str().unwrap().to_owned()
    }

    /// A new challenge answered with `code`.
    async fn verify(&self, token: &str, factor_id: &str, code: &str) -> (StatusCode, Value) {
        let challenge_id = self.challenge(token, factor_id).await;
        let path = format!("/factors/{factor_id}/verify");
        let body = json!({ "challenge_id": challenge_id, "code": code });
        self.call(Method::POST, &path, token, Some(body)).await
    }

    /// A person with a verified factor: address, factor id, secret and an `aal2` session.
    async fn enrolled_person(&self) -> (String, String, String, Value) {
        let (address, session) = self.person().await;
        let token = session["access_token"].as_str().unwrap();
        let factor = self.enroll(token, "phone").await;
        let factor_id = factor["id"].as_str().unwrap().to_owned();
        let secret = factor["totp"]["secret"].as_str().unwrap().to_owned();
        let (status, elevated) = self.verify(token, &factor_id, &self.code(&secret)).await;
        assert_eq!(status, StatusCode::OK, "{elevated}");
        (address, factor_id, secret, elevated)
    }

    /// A fresh password sign-in: an `aal1` session.
    async fn sign_in(&self, address: &str) -> String {
        let (status, session) = self.app.login(address, PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{session}");
        assert_eq!(token_claims(session["access_token"].as_str().unwrap())["aal"], "aal1");
        session["access_token"].as_str().unwrap().to_owned()
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.app.db.pool).await.unwrap()
    }

    async fn audit_actions(&self, user_id: &str) -> Vec<(String, Value)> {
        sqlx::query_as("SELECT action, payload FROM auth.audit_log WHERE actor_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(&self.app.db.pool)
            .await
            .unwrap()
    }
}

fn token(session: &Value) -> &str {
    session["access_token"].as_str().unwrap()
}

fn methods(session: &Value) -> Vec<String> {
    let claims = token_claims(token(session));
    claims["amr"].as_array().unwrap().iter().map(|m| m["method"].as_str().unwrap().into()).collect()
}

fn code_of(body: &Value) -> &str {
    body["error_code"].as_str().or(body["code"].as_str()).unwrap_or_default()
}

#[tokio::test]
async fn enrolment_challenge_and_verification_step_the_session_up_to_aal2() {
    let t = Mfa::start(&[]).await;
    let (address, session) = t.person().await;
    let aal1 = token(&session);

    let factor = t.enroll(aal1, "phone").await;
    assert_eq!(
        (factor["type"].as_str(), factor["friendly_name"].as_str()),
        (Some("totp"), Some("phone"))
    );
    let secret = factor["totp"]["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    let uri = factor["totp"]["uri"].as_str().unwrap();
    assert_eq!(
        uri.split('?').next(),
        Some(format!("otpauth://totp/Posey%20Test:{address}").as_str())
    );
    assert!(
        uri.contains(&format!("secret={secret}")) && uri.contains("issuer=Posey%20Test"),
        "{uri}"
    );
    assert!(factor["totp"]["qr_code"].as_str().unwrap().contains("<svg"), "an SVG document");
    let factor_id = factor["id"].as_str().unwrap();

    // Listed on the user, unverified, without its secret; stored sealed.
    let (_, user) = t.app.get_with_token("/user", aal1).await;
    assert_eq!(user["factors"][0]["id"], factor["id"]);
    assert_eq!(user["factors"][0]["status"], "unverified");
    assert_eq!(user["factors"][0]["factor_type"], "totp");
    assert!(!user.to_string().contains(secret));
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT secret_sealed FROM auth.mfa_factors")
        .fetch_one(&t.app.db.pool)
        .await
        .unwrap();
    assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_bytes()), "sealed at rest");

    let (status, challenge) =
        t.call(Method::POST, &format!("/factors/{factor_id}/challenge"), aal1, None).await;
    assert_eq!(status, StatusCode::OK, "{challenge}");
    assert_eq!(challenge["type"], "totp");
    assert_eq!(challenge["expires_at"].as_i64(), Some(t.now() + 300));

    let (status, elevated) = t.verify(aal1, factor_id, &t.code(secret)).await;
    assert_eq!(status, StatusCode::OK, "{elevated}");
    let claims = token_claims(token(&elevated));
    assert_eq!(claims["aal"], "aal2");
    assert_eq!(claims["session_id"], token_claims(aal1)["session_id"], "the same session");
    assert_eq!(methods(&elevated), ["password", "totp"]);
    assert_eq!(elevated["user"]["factors"][0]["status"], "verified");
    assert_eq!(elevated["user"]["email"], address.as_str());

    // A refresh keeps the session's level; the refresh token from before the step up is spent.
    let (status, refreshed) = t.app.refresh(elevated["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(token_claims(token(&refreshed))["aal"], "aal2");
    assert_eq!(methods(&refreshed), ["password", "totp"]);
    assert_eq!(refreshed["user"]["factors"][0]["id"], factor["id"]);
    let (status, body) = t.app.refresh(session["refresh_token"].as_str().unwrap()).await;
    assert_eq!((status, code_of(&body)), (StatusCode::BAD_REQUEST, "refresh_token_not_found"));
    // ... without ending the session, as a stolen copy would.
    let (status, body) = t.app.refresh(refreshed["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Auth's audit log has the steps, in GoTrue's names.
    let user_id = claims["sub"].as_str().unwrap();
    let actions: Vec<String> = t.audit_actions(user_id).await.into_iter().map(|(a, _)| a).collect();
    for action in ["factor_in_progress", "challenge_created", "verification_attempted"] {
        assert!(actions.contains(&action.to_owned()), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn a_code_is_good_once_within_a_step_either_way_and_a_wrong_one_fails() {
    let t = Mfa::start(&[]).await;
    let (address, factor_id, secret, _) = t.enrolled_person().await;
    let aal1 = t.sign_in(&address).await;

    // The code just used, and the step before it, are refused: a code is good once.
    let used = t.code(&secret);
    let (status, body) = t.verify(&aal1, &factor_id, &used).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "mfa_verification_failed")
    );
    let earlier = totp(&secret, t.now() - 30);
    let (status, _) = t.verify(&aal1, &factor_id, &earlier).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Two steps out is too far, one step ahead (the phone's clock fast) is fine.
    let (status, _) = t.verify(&aal1, &factor_id, &totp(&secret, t.now() + 60)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, wrong) = t.verify(&aal1, &factor_id, "000000").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong}");
    let (status, body) = t.verify(&aal1, &factor_id, &totp(&secret, t.now() + 30)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A challenge is answered once, and not after five minutes.
    let challenge_id = t.challenge(&aal1, &factor_id).await;
    t.clock.advance(TimeDelta::seconds(301));
    let path = format!("/factors/{factor_id}/verify");
    let answer = json!({ "challenge_id": challenge_id, "code": t.code(&secret) });
    let (status, body) = t.call(Method::POST, &path, &aal1, Some(answer)).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "mfa_challenge_expired")
    );
    // A new challenge clears the factor's expired ones away.
    assert!(t.count("SELECT count(*) FROM auth.mfa_challenges").await > 1);
    t.challenge(&aal1, &factor_id).await;
    assert_eq!(t.count("SELECT count(*) FROM auth.mfa_challenges").await, 1);
}

#[tokio::test]
async fn wrong_codes_lock_the_factor_and_the_account_out_for_a_while_and_are_audited() {
    let t = Mfa::start(&[
        ("AUTH_MFA_MAX_FAILURES_PER_FACTOR", "3".into()),
        ("AUTH_MFA_MAX_FAILURES_PER_ACCOUNT", "4".into()),
        ("AUTH_MFA_LOCKOUT_WINDOW", "600".into()),
    ])
    .await;
    let (address, factor_id, secret, elevated) = t.enrolled_person().await;
    let user_id = token_claims(token(&elevated))["sub"].as_str().unwrap().to_owned();
    let aal1 = t.sign_in(&address).await;
    t.clock.advance(TimeDelta::seconds(60));

    for _ in 0..3 {
        let (status, _) = t.verify(&aal1, &factor_id, "000000").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Locked: even the right code is refused, with when to come back.
    let challenge_id = t.challenge(&aal1, &factor_id).await;
    let answer = json!({ "challenge_id": challenge_id, "code": t.code(&secret) });
    let response = t
        .app
        .send(Method::POST, &format!("/factors/{factor_id}/verify"), &aal1, Some(&answer))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((590..=600).contains(&retry), "{retry}");
    let audit = t.audit_actions(&user_id).await;
    let failed = audit.iter().filter(|(a, _)| a == "mfa_verification_failed").count();
    assert_eq!(failed, 3);
    let locked: Vec<&Value> =
        audit.iter().filter(|(a, _)| a == "mfa_locked_out").map(|(_, p)| p).collect();
    assert_eq!(locked.len(), 1, "{audit:?}");
    assert_eq!(locked[0]["scope"], "factor");

    // The window passes: what it held is forgotten at the next wrong code, and the right code
    // works again and clears the record.
    t.clock.advance(TimeDelta::seconds(601));
    let (status, _) = t.verify(&aal1, &factor_id, "000000").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.count("SELECT count(*) FROM auth.mfa_failures").await, 1);
    let (status, body) = t.verify(&aal1, &factor_id, &t.code(&secret)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Per account: wrong codes on two factors add up.
    let aal2 = token(&body).to_owned();
    let second = t.enroll(&aal2, "tablet").await;
    let second_id = second["id"].as_str().unwrap();
    for _ in 0..2 {
        let (status, _) = t.verify(&aal1, &factor_id, "000000").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    for _ in 0..2 {
        let (status, _) = t.verify(&aal1, second_id, "000000").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let second_secret = second["totp"]["secret"].as_str().unwrap();
    let (status, _) = t.verify(&aal1, second_id, &t.code(second_secret)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "four wrong codes across the account");
    let audit = t.audit_actions(&user_id).await;
    assert!(
        audit.iter().any(|(a, p)| a == "mfa_locked_out" && p["scope"] == "account"),
        "{audit:?}"
    );
}

#[tokio::test]
async fn a_recovery_code_stands_in_for_a_totp_code_once() {
    let t = Mfa::start(&[]).await;
    let (address, factor_id, _, elevated) = t.enrolled_person().await;

    // Made only at aal2, and shown once.
    let aal1 = t.sign_in(&address).await;
    let (status, body) = t.call(Method::POST, "/mfa/recovery-codes", &aal1, None).await;
    assert_eq!((status, code_of(&body)), (StatusCode::FORBIDDEN, "insufficient_aal"));
    let (status, body) = t.call(Method::POST, "/mfa/recovery-codes", token(&elevated), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes: Vec<String> =
        body["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().into()).collect();
    assert_eq!(codes.len(), 10);
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT code_hash FROM auth.mfa_recovery_codes")
        .fetch_all(&t.app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 10);
    assert!(stored.iter().all(|h| h.len() == 32 && !codes.iter().any(|c| c.as_bytes() == h)));

    let (status, recovered) = t.verify(&aal1, &factor_id, &codes[0].to_uppercase()).await;
    assert_eq!(status, StatusCode::OK, "{recovered}");
    assert_eq!(token_claims(token(&recovered))["aal"], "aal2");
    assert_eq!(methods(&recovered), ["password", "recovery_code"]);

    let again = t.sign_in(&address).await;
    let (status, body) = t.verify(&again, &factor_id, &codes[0]).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "mfa_verification_failed")
    );
    let (status, _) = t.verify(&again, &factor_id, &codes[1]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn with_a_verified_factor_sessions_password_and_factors_need_aal2() {
    let t = Mfa::start(&[]).await;
    let (address, factor_id, secret, _) = t.enrolled_person().await;
    let aal1 = t.sign_in(&address).await;
    let other_session = token_claims(&aal1)["session_id"].as_str().unwrap().to_owned();

    let password = json!({ "password": "another horse battery" });
    let (status, body) = t.call(Method::PUT, "/user", &aal1, Some(password.clone())).await;
    assert_eq!((status, code_of(&body)), (StatusCode::UNAUTHORIZED, "insufficient_aal"));
    let (status, body) =
        t.call(Method::PUT, "/user", &aal1, Some(json!({ "email": email() }))).await;
    assert_eq!((status, code_of(&body)), (StatusCode::UNAUTHORIZED, "insufficient_aal"));
    let (status, body) = t.call(Method::GET, "/sessions", &aal1, None).await;
    assert_eq!((status, code_of(&body)), (StatusCode::FORBIDDEN, "insufficient_aal"));
    let (status, _) =
        t.call(Method::DELETE, &format!("/sessions/{other_session}"), &aal1, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let enrol = json!({ "factor_type": "totp", "friendly_name": "second" });
    let (status, body) = t.call(Method::POST, "/factors", &aal1, Some(enrol.clone())).await;
    assert_eq!((status, code_of(&body)), (StatusCode::FORBIDDEN, "insufficient_aal"));
    let app_password = json!({ "name": "phone calendar" });
    let (status, body) =
        t.call(Method::POST, "/app-passwords", &aal1, Some(app_password.clone())).await;
    assert_eq!((status, code_of(&body)), (StatusCode::FORBIDDEN, "insufficient_aal"));
    let (status, body) =
        t.call(Method::DELETE, &format!("/factors/{factor_id}"), &aal1, None).await;
    assert_eq!((status, code_of(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "insufficient_aal"));
    // What needs no second factor still works at aal1.
    let (status, _) =
        t.call(Method::PUT, "/user", &aal1, Some(json!({ "data": { "a": 1 } }))).await;
    assert_eq!(status, StatusCode::OK);

    // At aal2 every one of them works.
    t.clock.advance(TimeDelta::seconds(30));
    let (status, elevated) = t.verify(&aal1, &factor_id, &t.code(&secret)).await;
    assert_eq!(status, StatusCode::OK, "{elevated}");
    let aal2 = token(&elevated);
    let (status, body) = t.call(Method::GET, "/sessions", aal2, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t.call(Method::PUT, "/user", aal2, Some(password)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t.call(Method::POST, "/app-passwords", aal2, Some(app_password)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, second) = t.call(Method::POST, "/factors", aal2, Some(enrol)).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let (status, body) = t.call(Method::DELETE, &format!("/factors/{factor_id}"), aal2, None).await;
    assert_eq!((status, &body["id"]), (StatusCode::OK, &json!(factor_id)));

    // No verified factor left: the session is aal1 again from its next refresh, and aal1 is
    // enough once more.
    let (_, refreshed) = t.app.refresh(elevated["refresh_token"].as_str().unwrap()).await;
    assert_eq!(token_claims(token(&refreshed))["aal"], "aal1");
    let (status, _) = t.call(Method::GET, "/sessions", token(&refreshed), None).await;
    assert_eq!(status, StatusCode::OK);
    let user_id = token_claims(aal2)["sub"].as_str().unwrap().to_owned();
    assert!(t.audit_actions(&user_id).await.iter().any(|(a, _)| a == "factor_unenrolled"));
}

#[tokio::test]
async fn another_person_cannot_see_challenge_verify_or_remove_your_factor() {
    let t = Mfa::start(&[]).await;
    let (_, factor_id, secret, elevated) = t.enrolled_person().await;
    let (_, stranger) = t.person().await;
    let theirs = token(&stranger);

    let (status, body) =
        t.call(Method::POST, &format!("/factors/{factor_id}/challenge"), theirs, None).await;
    assert_eq!((status, code_of(&body)), (StatusCode::NOT_FOUND, "mfa_factor_not_found"));
    // Even with the owner's challenge and a right code.
    let challenge_id = t.challenge(token(&elevated), &factor_id).await;
    t.clock.advance(TimeDelta::seconds(30));
    let answer = json!({ "challenge_id": challenge_id, "code": t.code(&secret) });
    let (status, _) =
        t.call(Method::POST, &format!("/factors/{factor_id}/verify"), theirs, Some(answer)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t.call(Method::DELETE, &format!("/factors/{factor_id}"), theirs, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nor does their own factor answer the owner's challenge.
    let own = t.enroll(theirs, "mine").await;
    let own_id = own["id"].as_str().unwrap();
    let answer = json!({ "challenge_id": challenge_id, "code": t.code(own["totp"]["secret"].as_str().unwrap()) });
    let (status, _) =
        t.call(Method::POST, &format!("/factors/{own_id}/verify"), theirs, Some(answer)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, user) = t.app.get_with_token("/user", theirs).await;
    assert_eq!(user["factors"].as_array().unwrap().len(), 1, "only their own");
}

#[tokio::test]
async fn an_admin_lists_and_deletes_a_persons_factors() {
    let t = Mfa::start(&[]).await;
    let (address, factor_id, _, elevated) = t.enrolled_person().await;
    let user_id = token_claims(token(&elevated))["sub"].as_str().unwrap().to_owned();
    let admin = t.app.service_token().await;

    let path = format!("/admin/users/{user_id}/factors");
    let (status, list) = t.call(Method::GET, &path, &admin, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list[0]["id"], json!(factor_id));
    assert_eq!(list[0]["status"], "verified");
    assert!(list[0].get("secret").is_none());
    let (_, user) = t.call(Method::GET, &format!("/admin/users/{user_id}"), &admin, None).await;
    assert_eq!(user["factors"][0]["id"], json!(factor_id));

    // Someone else's factor id under this user is not found.
    let (_, other) = t.person().await;
    let other_factor = t.enroll(token(&other), "x").await;
    let wrong = format!("{path}/{}", other_factor["id"].as_str().unwrap());
    let (status, _) = t.call(Method::DELETE, &wrong, &admin, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, deleted) =
        t.call(Method::DELETE, &format!("{path}/{factor_id}"), &admin, None).await;
    assert_eq!((status, &deleted["id"]), (StatusCode::OK, &json!(factor_id)));
    let (_, list) = t.call(Method::GET, &path, &admin, None).await;
    assert_eq!(list, json!([]));
    // The person's sessions are aal1 again, and aal1 is enough.
    let (_, refreshed) = t.app.refresh(elevated["refresh_token"].as_str().unwrap()).await;
    assert_eq!(token_claims(token(&refreshed))["aal"], "aal1");
    let aal1 = t.sign_in(&address).await;
    let (status, _) = t.call(Method::GET, "/sessions", &aal1, None).await;
    assert_eq!(status, StatusCode::OK);
}
