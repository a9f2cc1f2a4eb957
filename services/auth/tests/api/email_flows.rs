//! The email flows end to end, with every email delivered over SMTP to the harness's real SMTP
//! server and read back from its Maildir: signup confirmation (link and code), recovery, magic
//! links, email change, PKCE, redirects, single use, expiry, rate limits, no enumeration, and
//! the outbox when there is no SMTP server.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use posey_testkit::mail::{Mailbox, ReceivedMail};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{AuthApp, email, parts, spawn_auth};

const SITE: &str = "http://app.test/";
const ALLOWED: &str = "http://app.test/welcome";
const PASSWORD: &str = "correct horse battery";
const MAIL_WAIT: Duration = Duration::from_secs(15);

/// The service with confirmations on, sending through the harness's SMTP server.
async fn spawn_mailing(extra: &[(&str, String)]) -> (AuthApp, Mailbox) {
    let mut vars = vec![
        ("AUTH_MAILER_AUTOCONFIRM", "false".to_owned()),
        ("SMTP_URL", posey_testkit::mail::smtp_url()),
        ("AUTH_SMTP_FROM", "Posey Test <auth@posey.test>".to_owned()),
        ("AUTH_SITE_URL", SITE.to_owned()),
        ("AUTH_REDIRECT_URLS", ALLOWED.to_owned()),
    ];
    vars.extend(extra.iter().cloned());
    (spawn_auth(&vars).await, Mailbox::from_env())
}

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Follows an email's link on this test's server (the link names the configured public URL,
/// not the test's random port); returns the status and `Location`.
async fn follow(app: &AuthApp, link: &str) -> (StatusCode, url::Url) {
    let link: url::Url = link.parse().unwrap();
    assert_eq!(link.path(), "/verify", "{link}");
    let response = no_redirects()
        .get(app.url(&format!("/verify?{}", link.query().unwrap())))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location: {status}"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    (status, location)
}

fn fragment(url: &url::Url) -> HashMap<String, String> {
    url::form_urlencoded::parse(url.fragment().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn query(url: &url::Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// A URL without its query and fragment.
fn base(url: &url::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// The link token inside an email's link (what `verifyOtp` calls `token_hash`).
fn link_token(mail: &ReceivedMail) -> String {
    let link: url::Url = mail.verify_link().unwrap().parse().unwrap();
    query(&link)["token"].clone()
}

fn claims(access_token: &str) -> Value {
    let payload = access_token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn put_user(app: &AuthApp, token: &str, body: &Value) -> (StatusCode, Value) {
    parts(app.client.put(app.url("/user")).bearer_auth(token).json(body).send().await.unwrap())
        .await
}

/// Signs up and confirms with the emailed code; returns the session.
async fn confirmed_account(app: &AuthApp, mailbox: &Mailbox, address: &str) -> Value {
    let (status, body) = app.signup(address, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let code = mailbox.wait_for(address, MAIL_WAIT).await.code().unwrap();
    let (status, session) =
        app.post("/verify", &json!({ "type": "signup", "email": address, "token": code })).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    session
}

/// The outbox rows for `address`, oldest first: kind, body, and whether SMTP delivered it.
async fn outbox(app: &AuthApp, address: &str) -> Vec<(String, String, bool)> {
    sqlx::query_as(
        "SELECT kind, body, sent_at IS NOT NULL FROM auth.outbox WHERE recipient = $1 ORDER BY id",
    )
    .bind(address)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn signup_confirmation_link_arrives_by_smtp_and_signs_in() {
    let (app, mailbox) = spawn_mailing(&[]).await;
    let address = email();
    let (status, user) = app.signup(&address, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert!(user["access_token"].is_null(), "no session before confirming: {user}");
    assert!(user["confirmation_sent_at"].is_string(), "{user}");

    let (status, body) = app.login(&address, PASSWORD).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("email_not_confirmed"))
    );

    let mail = mailbox.wait_for(&address, MAIL_WAIT).await;
    assert_eq!(mail.subject, "Confirm your signup");
    assert_eq!(mail.from, "\"Posey Test\" <auth@posey.test>");
    assert!(mail.code().is_some(), "{}", mail.body);
    assert_eq!(mail.header("Content-Type"), Some("text/plain; charset=utf-8"));
    let link = mail.verify_link().unwrap();
    assert!(link.contains("type=signup"), "{link}");
    // The outbox keeps a record of it, marked delivered once the SMTP server took it.
    let mut delivered = false;
    for _ in 0..100 {
        let rows = outbox(&app, &address).await;
        delivered = rows.len() == 1 && rows[0].0 == "signup" && rows[0].2;
        if delivered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(delivered, "{:?}", outbox(&app, &address).await);

    let (status, location) = follow(&app, &link).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(base(&location), SITE);
    let session = fragment(&location);
    assert_eq!(session["token_type"], "bearer");
    assert_eq!(session["type"], "signup");
    assert_eq!(session["expires_in"], "3600");
    assert!(session["expires_at"].parse::<i64>().is_ok());
    assert!(session["refresh_token"].len() >= 40);

    let (status, me) = app.get_with_token("/user", &session["access_token"]).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["email"], address);
    assert!(me["email_confirmed_at"].is_string(), "{me}");
    let (status, body) = app.refresh(&session["refresh_token"]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.login(&address, PASSWORD).await.0, StatusCode::OK);

    // Used once: the same link now lands on the error.
    let (status, location) = follow(&app, &link).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(base(&location), SITE);
    let error = fragment(&location);
    assert_eq!(error["error"], "access_denied");
    assert_eq!(error["error_code"], "otp_expired");
    assert!(!error.contains_key("access_token"));
}

#[tokio::test]
async fn the_emailed_code_verifies_once() {
    let (app, mailbox) = spawn_mailing(&[]).await;
    let address = email();
    app.signup(&address, PASSWORD).await;
    let code = mailbox.wait_for(&address, MAIL_WAIT).await.code().unwrap();

    let wrong = if code == "000000" { "000001" } else { "000000" };
    let (status, body) =
        app.post("/verify", &json!({ "type": "email", "email": address, "token": wrong })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error_code"], "otp_expired");
    assert_eq!(body["msg"], "Token has expired or is invalid");

    // `email` takes a signup code, as in Supabase; the address is matched however it is written.
    let (status, session) = app
        .post(
            "/verify",
            &json!({ "type": "email", "email": address.to_uppercase(), "token": code }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["token_type"], "bearer");
    assert!(session["user"]["email_confirmed_at"].is_string(), "{session}");
    let claims = claims(session["access_token"].as_str().unwrap());
    assert_eq!(claims["amr"][0]["method"], "otp");
    assert_eq!(claims["email"], address);

    // Used up: refused the second time, in the shape new clients ask for too.
    let response = app
        .client
        .post(app.url("/verify"))
        .header("X-Supabase-Api-Version", "2024-01-01")
        .json(&json!({ "type": "email", "email": address, "token": code }))
        .send()
        .await
        .unwrap();
    let (status, body) = parts(response).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!({ "code": "otp_expired", "message": "Token has expired or is invalid" })
    );
}

#[tokio::test]
async fn recovery_lets_the_person_set_a_new_password() {
    let (app, mailbox) = spawn_mailing(&[]).await;
    let address = email();
    confirmed_account(&app, &mailbox, &address).await;

    let (status, body) = app.post("/recover", &json!({ "email": address })).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let mail = mailbox.wait_for(&address, MAIL_WAIT).await;
    assert_eq!(mail.subject, "Reset your password");

    // verifyOtp({ token_hash, type: 'recovery' }), as an app's own recovery page does.
    let (status, session) =
        app.post("/verify", &json!({ "type": "recovery", "token_hash": link_token(&mail) })).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert!(session["user"]["recovery_sent_at"].is_string(), "{session}");
    let token = session["access_token"].as_str().unwrap();
    assert_eq!(claims(token)["amr"][0]["method"], "recovery");

    let (status, body) = put_user(&app, token, &json!({ "password": "a brand new secret" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.login(&address, PASSWORD).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_credentials"))
    );
    assert_eq!(app.login(&address, "a brand new secret").await.0, StatusCode::OK);

    // The link itself was used by the token_hash exchange.
    let (_, location) = follow(&app, &mail.verify_link().unwrap()).await;
    assert_eq!(fragment(&location)["error_code"], "otp_expired");
}

#[tokio::test]
async fn a_magic_link_signs_in_an_existing_account() {
    let (app, mailbox) = spawn_mailing(&[]).await;
    let address = email();
    confirmed_account(&app, &mailbox, &address).await;

    let (status, body) =
        app.post("/otp", &json!({ "email": address, "create_user": false, "data": {} })).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let mail = mailbox.wait_for(&address, MAIL_WAIT).await;
    assert_eq!(mail.subject, "Your sign-in link");

    let (status, location) = follow(&app, &mail.verify_link().unwrap()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = fragment(&location);
    assert_eq!(session["type"], "magiclink");
    assert_eq!(claims(&session["access_token"])["amr"][0]["method"], "magiclink");
    let (status, me) = app.get_with_token("/user", &session["access_token"]).await;
    assert_eq!((status, me["email"].as_str()), (StatusCode::OK, Some(address.as_str())));
}

#[tokio::test]
async fn a_first_magic_link_creates_the_account_and_its_code_signs_in() {
    let (app, mailbox) = spawn_mailing(&[]).await;
    let address = email();
    let (status, body) =
        app.post("/otp", &json!({ "email": address, "data": { "name": "Ada" } })).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let mail = mailbox.wait_for(&address, MAIL_WAIT).await;
    assert_eq!(mail.subject, "Confirm your signup");

    let (status, session) = app
        .post(
            "/verify",
            &json!({ "type": "email", "email": address, "token": mail.code().unwrap() }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["user"]["user_metadata"]["name"], "Ada");
    assert!(session["user"]["email_confirmed_at"].is_string());
    // No password was set: the account signs in by email only.
    let (status, _) = app.login(&address, "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_addresses_get_the_same_answers_and_no_email() {
    let (app, mailbox) = spawn_mailing(&[]).await;
    let known = email();
    confirmed_account(&app, &mailbox, &known).await;
    let unknown = email();

    for (path, body) in [
        ("/otp", json!({ "create_user": false })),
        ("/recover", json!({})),
        ("/resend", json!({ "type": "signup" })),
        ("/resend", json!({ "type": "email_change" })),
    ] {
        let mut answers = Vec::new();
        for address in [&known, &unknown] {
            let mut body = body.clone();
            body["email"] = json!(address);
            answers.push(app.post(path, &body).await);
        }
        assert_eq!(answers[0], (StatusCode::OK, json!({})), "{path} {body}");
        assert_eq!(answers[0], answers[1], "{path} {body}");
    }

    // The known address got its magic link and recovery email (the resends had nothing
    // pending); the unknown one got nothing, and no account.
    let kinds: Vec<String> =
        outbox(&app, &known).await.into_iter().map(|(kind, ..)| kind).collect();
    assert_eq!(kinds, ["signup", "magiclink", "recovery"]);
    assert!(outbox(&app, &unknown).await.is_empty());
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM auth.users WHERE email = $1")
        .bind(&unknown)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(accounts, 0);
    // Delivery runs in the background, so the two may arrive in either order.
    let mut subjects = [
        mailbox.wait_for(&known, MAIL_WAIT).await.subject,
        mailbox.wait_for(&known, MAIL_WAIT).await.subject,
    ];
    subjects.sort();
    assert_eq!(subjects, ["Reset your password", "Your sign-in link"]);
    assert!(mailbox.all_for(&unknown).is_empty());
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let (app, mailbox) = spawn_mailing(&[]).await;
    let address = email();
    app.signup(&address, PASSWORD).await;
    let mail = mailbox.wait_for(&address, MAIL_WAIT).await;
    sqlx::query(
        "UPDATE auth.one_time_tokens SET expires_at = now() - interval '1 second' \
         WHERE relates_to = $1",
    )
    .bind(&address)
    .execute(&app.db.pool)
    .await
    .unwrap();

    let (status, body) = app
        .post(
            "/verify",
            &json!({ "type": "signup", "email": address, "token": mail.code().unwrap() }),
        )
        .await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::FORBIDDEN, Some("otp_expired")));
    let (status, body) =
        app.post("/verify", &json!({ "type": "signup", "token_hash": link_token(&mail) })).await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::FORBIDDEN, Some("otp_expired")));
    assert_eq!(body["msg"], "Email link is invalid or has expired");

    let (status, location) = follow(&app, &mail.verify_link().unwrap()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(base(&location), SITE);
    let error = fragment(&location);
    assert_eq!(error["error"], "access_denied");
    assert_eq!(error["error_code"], "otp_expired");
    assert_eq!(error["error_description"], "Email link is invalid or has expired");
    assert_eq!(app.login(&address, PASSWORD).await.1["error_code"], "email_not_confirmed");
}

#[tokio::test]
async fn only_allowed_redirects_are_followed() {
    let (app, mailbox) = spawn_mailing(&[]).await;

    // Not on AUTH_REDIRECT_URLS: the site URL instead.
    let address = email();
    let body = json!({ "email": address, "password": PASSWORD });
    app.post("/signup?redirect_to=http%3A%2F%2Fevil.test%2F", &body).await;
    let link = mailbox.wait_for(&address, MAIL_WAIT).await.verify_link().unwrap();
    let (_, location) = follow(&app, &link).await;
    assert_eq!(base(&location), SITE);
    assert!(fragment(&location).contains_key("access_token"));

    // On the list: honoured, and a link edited to point elsewhere still goes there.
    let address = email();
    let body = json!({ "email": address, "password": PASSWORD });
    app.post("/signup?redirect_to=http%3A%2F%2Fapp.test%2Fwelcome", &body).await;
    let link = mailbox.wait_for(&address, MAIL_WAIT).await.verify_link().unwrap();
    let mut edited: url::Url = link.parse().unwrap();
    let pairs: Vec<(String, String)> = edited
        .query_pairs()
        .into_owned()
        .map(|(k, v)| if k == "redirect_to" { (k, "http://evil.test/".to_owned()) } else { (k, v) })
        .collect();
    edited.query_pairs_mut().clear().extend_pairs(pairs);
    let (_, location) = follow(&app, edited.as_str()).await;
    assert_eq!(base(&location), ALLOWED);
    assert!(fragment(&location).contains_key("access_token"));

    // A link nobody issued: the error goes to an allowed redirect_to, never to another one.
    for (redirect_to, landing) in [("http://evil.test/", SITE), (ALLOWED, ALLOWED)] {
        let encoded: String =
            url::form_urlencoded::byte_serialize(redirect_to.as_bytes()).collect();
        let fake =
            format!("http://localhost/verify?token=nope&type=magiclink&redirect_to={encoded}");
        let (status, location) = follow(&app, &fake).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(base(&location), landing);
        assert_eq!(fragment(&location)["error_code"], "otp_expired");
    }
}

fn pkce_pair() -> (String, String) {
    let verifier = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

#[tokio::test]
async fn pkce_links_redirect_with_a_code_that_only_the_verifier_exchanges() {
    let (app, mailbox) = spawn_mailing(&[]).await;
    let address = email();
    let (verifier, challenge) = pkce_pair();
    let (status, body) = app
        .post(
            "/signup",
            &json!({ "email": address, "password": PASSWORD, "code_challenge": challenge, "code_challenge_method": "s256" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, location) =
        follow(&app, &mailbox.wait_for(&address, MAIL_WAIT).await.verify_link().unwrap()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(base(&location), SITE);
    assert!(location.fragment().is_none(), "no tokens in a PKCE redirect: {location}");
    let code = query(&location)["code"].clone();

    let exchange = |code: String, verifier: String| {
        let app = &app;
        async move {
            app.post(
                "/token?grant_type=pkce",
                &json!({ "auth_code": code, "code_verifier": verifier }),
            )
            .await
        }
    };
    let (status, body) = exchange(code.clone(), pkce_pair().0).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_code_verifier"))
    );
    // As in GoTrue, a wrong verifier does not spend the code; the right one does.
    let (status, session) = exchange(code.clone(), verifier.clone()).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert!(session["user"]["email_confirmed_at"].is_string(), "{session}");
    let (status, body) = exchange(code, verifier).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::NOT_FOUND, Some("flow_state_not_found"))
    );

    // Recovery with PKCE: the right verifier gives the session.
    let (verifier, challenge) = pkce_pair();
    let (status, _) = app
        .post(
            "/recover?redirect_to=http%3A%2F%2Fapp.test%2Fwelcome",
            &json!({ "email": address, "code_challenge": challenge, "code_challenge_method": "s256" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, location) =
        follow(&app, &mailbox.wait_for(&address, MAIL_WAIT).await.verify_link().unwrap()).await;
    assert_eq!(base(&location), ALLOWED);
    let (status, session) = exchange(query(&location)["code"].clone(), verifier).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["user"]["email"], address);
    assert!(session["user"]["email_confirmed_at"].is_string());
    assert_eq!(claims(session["access_token"].as_str().unwrap())["amr"][0]["method"], "recovery");
}

#[tokio::test]
async fn an_email_change_is_confirmed_from_the_new_address() {
    let (app, mailbox) = spawn_mailing(&[]).await;
    let old = email();
    let session = confirmed_account(&app, &mailbox, &old).await;
    let token = session["access_token"].as_str().unwrap();
    let new = email();

    let (status, user) = put_user(&app, token, &json!({ "email": new })).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["email"], old);
    assert_eq!(user["new_email"], new);
    let first = mailbox.wait_for(&new, MAIL_WAIT).await;
    assert_eq!(first.subject, "Confirm your new email address");

    // Resent: the new email replaces the first, whose link stops working.
    let (status, body) =
        app.post("/resend", &json!({ "type": "email_change", "email": old })).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let second = mailbox.wait_for(&new, MAIL_WAIT).await;
    let (_, location) = follow(&app, &first.verify_link().unwrap()).await;
    assert_eq!(fragment(&location)["error_code"], "otp_expired");

    let (status, location) = follow(&app, &second.verify_link().unwrap()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let landed = fragment(&location);
    assert_eq!(landed["type"], "email_change");
    let (status, me) = app.get_with_token("/user", &landed["access_token"]).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["email"], new);
    assert!(me.get("new_email").is_none(), "{me}");
    assert_eq!(app.login(&new, PASSWORD).await.0, StatusCode::OK);
    assert_eq!(app.login(&old, PASSWORD).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_email_change_to_an_address_taken_meanwhile_is_refused() {
    let (app, mailbox) = spawn_mailing(&[]).await;
    let session = confirmed_account(&app, &mailbox, &email()).await;
    let new = email();
    put_user(&app, session["access_token"].as_str().unwrap(), &json!({ "email": new })).await;
    let code = mailbox.wait_for(&new, MAIL_WAIT).await.code().unwrap();
    confirmed_account(&app, &mailbox, &new).await;

    let (status, body) =
        app.post("/verify", &json!({ "type": "email_change", "email": new, "token": code })).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("email_exists"))
    );
}

#[tokio::test]
async fn resend_sends_the_pending_confirmation_again() {
    let (app, mailbox) = spawn_mailing(&[]).await;
    let address = email();
    app.signup(&address, PASSWORD).await;
    let first = mailbox.wait_for(&address, MAIL_WAIT).await;
    let (status, body) = app.post("/resend", &json!({ "type": "signup", "email": address })).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let second = mailbox.wait_for(&address, MAIL_WAIT).await;
    assert_eq!(second.subject, "Confirm your signup");

    let (status, _) =
        app.post("/verify", &json!({ "type": "signup", "token_hash": link_token(&first) })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, session) =
        app.post("/verify", &json!({ "type": "signup", "token_hash": link_token(&second) })).await;
    assert_eq!(status, StatusCode::OK, "{session}");
}

#[tokio::test]
async fn recover_is_limited_per_address_alike_for_unknown_addresses() {
    let (app, _mailbox) = spawn_mailing(&[
        ("AUTH_RATE_LIMIT_EMAILS_PER_HOUR", "1".into()),
        // Sign-up sends nothing here, so recovery has the hour's one email.
        ("AUTH_MAILER_AUTOCONFIRM", "true".into()),
    ])
    .await;
    let known = email();
    app.session_for(&known).await;
    for address in [known, email()] {
        let (status, body) = app.post("/recover", &json!({ "email": address })).await;
        assert_eq!((status, body), (StatusCode::OK, json!({})));
        let response = app
            .client
            .post(app.url("/recover"))
            .json(&json!({ "email": address }))
            .send()
            .await
            .unwrap();
        let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=3600).contains(&retry_after), "{retry_after}");
        let (status, body) = parts(response).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body["error_code"], "over_email_send_rate_limit");
    }
}

#[tokio::test]
async fn without_smtp_emails_wait_in_the_outbox() {
    let app = spawn_auth(&[("AUTH_MAILER_AUTOCONFIRM", "false".into())]).await;
    let address = email();
    app.signup(&address, PASSWORD).await;
    let rows = outbox(&app, &address).await;
    assert_eq!(rows.len(), 1);
    let (kind, body, sent) = &rows[0];
    assert_eq!(kind, "signup");
    assert!(!sent);
    assert!(body.contains("/verify?token="), "{body}");

    // What is in the outbox works: an admin can pass the code on.
    let code = body
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_digit()))
        .find(|w| w.len() == 6)
        .unwrap();
    let (status, session) =
        app.post("/verify", &json!({ "type": "signup", "email": address, "token": code })).await;
    assert_eq!(status, StatusCode::OK, "{session}");

    app.post("/recover", &json!({ "email": address })).await;
    let kinds: Vec<String> =
        outbox(&app, &address).await.into_iter().map(|(kind, ..)| kind).collect();
    assert_eq!(kinds, ["signup", "recovery"]);
}

#[tokio::test]
async fn malformed_requests_are_refused_with_gotrue_errors() {
    let app = spawn_auth(&[("AUTH_MAILER_AUTOCONFIRM", "false".into())]).await;
    let cases = [
        ("/verify", json!({ "token": "123456", "email": email() }), "validation_failed"),
        (
            "/verify",
            json!({ "type": "signup", "token": "1", "token_hash": "x", "email": email() }),
            "validation_failed",
        ),
        ("/verify", json!({ "type": "signup", "token": "123456" }), "validation_failed"),
        (
            "/verify",
            json!({ "type": "signup", "token_hash": "x", "email": email() }),
            "validation_failed",
        ),
        ("/verify", json!({ "type": "sms", "token_hash": "x" }), "validation_failed"),
        ("/otp", json!({ "phone": "+15555550100" }), "phone_provider_disabled"),
        ("/otp", json!({ "email": "not an address" }), "email_address_invalid"),
        (
            "/otp",
            json!({ "email": email(), "code_challenge": "x".repeat(43) }),
            "validation_failed",
        ),
        ("/recover", json!({}), "validation_failed"),
        ("/resend", json!({ "type": "magiclink", "email": email() }), "validation_failed"),
    ];
    for (path, body, code) in cases {
        let (status, answer) = app.post(path, &body).await;
        assert_eq!(
            (status, answer["error_code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{path} {body}: {answer}"
        );
    }
    let (status, answer) =
        app.post("/verify", &json!({ "type": "signup", "token": "123456", "email": "nope" })).await;
    assert_eq!(
        (status, answer["error_code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    let response = no_redirects().get(app.url("/verify?type=signup")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
