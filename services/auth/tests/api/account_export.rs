//! `GET /user/export`: what auth keeps of a person beside their account, for their export. A
//! person with some of everything (an upstream identity linked through a real OpenID provider, a
//! passkey, an app password, an app let in through Posey's provider, sessions, a failed
//! sign-in, an admin's change, a TOTP factor) gets all of it, nothing of the person beside them,
//! and no secret: no token, hash, key or TOTP secret, under any name.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{AuthApp, email, parts, spawn_auth, token_claims};
use crate::oidc::{self, authorize_query, confidential, exchange, param};
use crate::passkeys::authenticator;
use crate::social::{Idp, Who};

const ORIGIN: &str = "http://localhost:3000";
const SIGN_IN: &str = "provider=oidc&redirect_to=http%3A%2F%2Fapp.test%2Fwelcome";
const VERIFIER: &str = "a-verifier-of-enough-length-0123456789-abcdefghijk";

async fn call(app: &AuthApp, method: Method, path: &str, token: &str, body: Value) -> Value {
    let (status, answer) = parts(app.send(method, path, token, Some(&body)).await).await;
    assert!(status.is_success(), "{path}: {status} {answer}");
    answer
}

fn access(session: &Value) -> String {
    session["access_token"].as_str().unwrap().to_owned()
}

/// A person with an app password, an app let in (a consent and a grant), a failed sign-in,
/// and every credential they were given (to look for in the export).
async fn person(app: &AuthApp, client: (&str, &str), app_password: &str) -> (String, Vec<String>) {
    let address = email();
    let session = app.session_for(&address).await;
    let token = access(&session);
    let made =
        call(app, Method::POST, "/app-passwords", &token, json!({ "name": app_password })).await;
    let mut browser = oidc::Browser::new(app);
    let back = browser.code_for(&authorize_query(client.0, VERIFIER, ""), &address).await;
    let code = param(&back, "code").unwrap_or_else(|| panic!("no code: {back}"));
    let (status, tokens) = exchange(app, client, &code, VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let (status, _) = app.login(&address, "not the password").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let secrets = [
        &session["access_token"],
        &session["refresh_token"],
        &made["password"],
        &tokens["access_token"],
        &tokens["refresh_token"],
        &tokens["id_token"],
    ];
    let secrets = secrets.iter().map(|s| s.as_str().unwrap().to_owned()).collect();
    (token, secrets)
}

/// Every object key in `value`, at any depth.
fn keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                out.push(key.clone());
                keys(inner, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keys(item, out)),
        _ => {}
    }
}

async fn count(app: &AuthApp, sql: &str, user: &str) -> usize {
    let n: i64 =
        sqlx::query_scalar(sql).bind(user).fetch_one(&app.db.pool).await.unwrap_or_else(|e| {
            panic!("{sql}: {e}");
        });
    usize::try_from(n).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_gets_how_they_sign_in_and_nothing_of_anyone_else_and_no_secret() {
    let idp = Idp::start(None).await;
    let mut vars = idp.vars();
    vars.push(("AUTH_WEBAUTHN_RP_ID", "localhost".into()));
    vars.push(("AUTH_WEBAUTHN_ORIGINS", ORIGIN.into()));
    let app = spawn_auth(&vars).await;
    let admin = app.service_token().await;
    let client = confidential(&app, &admin).await;
    let client = (client.0.as_str(), client.1.as_str());

    let (token, mut secrets) = person(&app, client, "Phone calendar").await;
    let ada = token_claims(&token)["sub"].as_str().unwrap().to_owned();
    let (_, user) = app.get_with_token("/user", &token).await;
    let address = user["email"].as_str().unwrap().to_owned();
    let (bob_token, bob_secrets) = person(&app, client, "Bob's tablet").await;
    let bob = token_claims(&bob_token)["sub"].as_str().unwrap().to_owned();
    // Her account at the upstream provider, linked by its verified address.
    let who = Who { sub: "ada-upstream-1", email: &address, verified: true };
    crate::social::Browser::new(&app).sign_in(SIGN_IN, &who).await;
    // A passkey.
    let started =
        call(&app, Method::POST, "/passkeys/registration/options", &token, json!({})).await;
    let (credential, _) = authenticator("create", &started["options"], ORIGIN, None).await;
    let answer = json!({ "challenge_id": started["challenge_id"], "credential": credential });
    call(&app, Method::POST, "/passkeys/registration/verify", &token, answer).await;
    let rename = json!({ "user_metadata": { "nickname": "Ada" } });
    call(&app, Method::PUT, &format!("/admin/users/{ada}"), &admin, rename).await;

    let (status, held) = app.get_with_token("/user/export", &token).await;
    assert_eq!(status, StatusCode::OK, "{held}");
    assert_eq!(held["user_id"], ada.as_str());
    let identities = held["identities"].as_array().unwrap();
    assert_eq!(identities.len(), 1, "{held}");
    assert_eq!(identities[0]["provider"], "oidc");
    assert_eq!(identities[0]["provider_id"], "ada-upstream-1");
    assert_eq!(identities[0]["email"], address.as_str());
    let passkeys = held["passkeys"].as_array().unwrap();
    assert_eq!(passkeys.len(), 1, "{held}");
    assert_eq!(passkeys[0]["used_as"], "passkey");
    assert_eq!(held["app_passwords"].as_array().unwrap().len(), 1, "{held}");
    assert_eq!(held["app_passwords"][0]["name"], "Phone calendar");
    assert!(held["app_passwords"][0]["last_used_at"].is_null());
    let consents = held["oauth_consents"].as_array().unwrap();
    assert_eq!(consents.len(), 1, "{held}");
    assert_eq!(consents[0]["client_id"], client.0);
    assert_eq!(consents[0]["client_name"], "Grafana <home>");
    assert!(consents[0]["scopes"].as_array().unwrap().contains(&json!("openid")), "{held}");
    let grants = held["oauth_grants"].as_array().unwrap();
    assert_eq!(grants.len(), 1, "{held}");
    assert_eq!(grants[0]["client_name"], "Grafana <home>");
    assert!(grants[0]["revoked_at"].is_null(), "{held}");
    // All of her sessions (signed up, app password, upstream, passkey registration's) and
    // all of the log's entries about her.
    let sessions = "SELECT count(*) FROM auth.sessions WHERE user_id = $1::uuid";
    assert_eq!(held["sessions"].as_array().unwrap().len(), count(&app, sessions, &ada).await);
    assert!(held["sessions"].as_array().unwrap().len() >= 3, "{held}");
    let audit = "SELECT count(*) FROM auth.audit_log WHERE target_id = $1";
    let log = held["audit_log"].as_array().unwrap();
    assert_eq!(log.len(), count(&app, audit, &ada).await, "{held}");
    let entry = |action: &str| {
        log.iter().find(|e| e["action"] == action).unwrap_or_else(|| panic!("no {action}: {held}"))
    };
    assert_eq!(entry("user_signedup")["by"], "you");
    assert_eq!(entry("app_password_created")["by"], "you");
    assert_eq!(entry("oauth_consent")["by"], "you");
    assert_eq!(entry("login_failed")["by"], "unknown");
    // The admin's change, without the admin's address or id (linking her upstream identity
    // was a change of hers).
    let changed = log
        .iter()
        .find(|e| e["action"] == "user_modified" && e["by"] != "you")
        .unwrap_or_else(|| panic!("no admin's change: {held}"));
    assert_eq!(changed["by"], "admin");
    assert!(changed["ip"].is_null(), "{changed}");

    // Nothing of Bob's, and no secret of hers or his, under any name.
    let text = held.to_string();
    for his in [bob.as_str(), "Bob's tablet", "service:ops"]
        .into_iter()
        .chain(bob_secrets.iter().map(String::as_str))
    {
        assert!(!text.contains(his), "{his} in her export: {text}");
    }
    let hashes: Vec<String> = sqlx::query_scalar(
        "SELECT encode(secret_hash, 'hex') FROM auth.app_passwords \
         UNION ALL SELECT encode(token_hash, 'hex') FROM auth.refresh_tokens \
         UNION ALL SELECT translate(encode(credential_id, 'base64'), E'\\n', '') \
                   FROM auth.webauthn_credentials",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(hashes.len() >= 4, "{hashes:?}");
    secrets.extend(hashes);
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "a secret in her export: {secret}");
    }
    let mut names = Vec::new();
    keys(&held, &mut names);
    for name in &names {
        let lower = name.to_lowercase();
        assert!(
            ["hash", "secret", "token", "sealed", "credential", "public_key", "sign_count"]
                .iter()
                .all(|s| !lower.contains(s))
                && lower != "passkey",
            "{name} in her export"
        );
    }

    // With a verified second factor, only a session that used it exports.
    let enrol = json!({ "factor_type": "totp", "friendly_name": "phone" });
    let factor = call(&app, Method::POST, "/factors", &token, enrol).await;
    let id = factor["id"].as_str().unwrap();
    let secret = factor["totp"]["secret"].as_str().unwrap().to_owned();
    let challenge =
        call(&app, Method::POST, &format!("/factors/{id}/challenge"), &token, json!({})).await;
    let code = posey_testkit::otp::totp_now(&secret);
    let verify = json!({ "challenge_id": challenge["id"], "code": code });
    let elevated = call(&app, Method::POST, &format!("/factors/{id}/verify"), &token, verify).await;
    let (status, refused) = app.get_with_token("/user/export", &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["error_code"], "insufficient_aal", "{refused}");
    let (status, held) = app.get_with_token("/user/export", &access(&elevated)).await;
    assert_eq!(status, StatusCode::OK, "{held}");
    assert!(!held.to_string().contains(&secret), "the TOTP secret in her export");
    assert!(held["sessions"].as_array().unwrap().iter().any(|s| s["aal"] == "aal2"), "{held}");

    // Without a token there is nothing.
    let response = app.client.get(app.url("/user/export")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
