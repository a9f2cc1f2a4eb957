//! Invites: the owner invites by email (`POST /invite`, GoTrue's shape); without SMTP the answer
//! carries the link to pass on, with SMTP it is emailed; the invitee signs up with the link's
//! token (confirmed at once) or follows it through `/verify`; invites are listed, expire and
//! can be withdrawn; only admins make, see or withdraw them.

use std::time::Duration;

use posey_testkit::mail::Mailbox;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{AuthApp, email, parts, spawn_empty, token_claims};

/// An empty install whose first sign-up made its owner; the owner's access token.
async fn owned(vars: &[(&str, String)]) -> (AuthApp, String) {
    let app = spawn_empty(vars).await;
    let (status, body) = app.signup(&email(), "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (app, body["access_token"].as_str().unwrap().to_owned())
}

async fn invite(app: &AuthApp, token: &str, body: Value) -> (StatusCode, Value) {
    parts(app.send(Method::POST, "/invite", token, Some(&body)).await).await
}

async fn pending(app: &AuthApp, token: &str) -> Vec<Value> {
    let (status, body) = parts(app.send(Method::GET, "/admin/invites", token, None).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["invites"].as_array().unwrap().clone()
}

/// The `token_hash` of an invite link.
fn token_of(link: &str) -> String {
    let url: url::Url = link.parse().unwrap();
    url.query_pairs().find(|(k, _)| k == "token_hash").unwrap().1.into_owned()
}

async fn accept(app: &AuthApp, address: &str, token: &str) -> (StatusCode, Value) {
    let body = json!({
        "email": address,
        "password": "another good password",
        "invite_token": token,
        "data": { "name": "Grace" },
    });
    app.post("/signup", &body).await
}

#[tokio::test]
async fn without_smtp_the_owner_gets_the_link_and_the_invitee_signs_up_with_it() {
    let (app, owner) = owned(&[("AUTH_MAILER_AUTOCONFIRM", "false".into())]).await;
    let invitee = email();
    let (status, body) =
        invite(&app, &owner, json!({ "email": invitee, "data": { "via": "owner" } })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // GoTrue's answer: the invited user.
    assert_eq!(body["email"], invitee);
    assert!(body["invited_at"].is_string() && body["email_confirmed_at"].is_null(), "{body}");
    assert_eq!(body["user_metadata"]["via"], "owner");
    let shown = &body["invite"];
    assert_eq!(shown["id"], body["id"]);
    assert_eq!(shown["status"], "pending");
    assert_eq!(shown["emailed"], false);
    let link = shown["link"].as_str().expect("the link to pass on");
    assert!(link.starts_with("http://localhost:3000/invite?token_hash="), "{link}");
    assert!(link.contains("&type=invite&email="), "{link}");
    // It is in the outbox too (and in the log), and carries no six-digit code.
    let outbox: String =
        sqlx::query_scalar("SELECT body FROM auth.outbox WHERE recipient = $1 AND kind = 'invite'")
            .bind(&invitee)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(outbox.contains(link) && outbox.contains("expires in 7 days"), "{outbox}");
    assert!(!outbox.contains("code"), "{outbox}");

    let listed = pending(&app, &owner).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["email"], invitee);
    assert!(listed[0].get("link").is_none(), "a listed invite never shows its link again");

    // Sign-up is by invite now; with the token the invitee is confirmed and signed in.
    let token = token_of(link);
    let (status, body) = accept(&app, &invitee, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let session = body["access_token"].as_str().expect("a session");
    assert!(body["user"]["email_confirmed_at"].is_string());
    assert_eq!(body["user"]["user_metadata"], json!({ "via": "owner", "name": "Grace" }));
    assert_eq!(token_claims(session)["roles"], json!([]), "an invitee is no admin");
    assert_eq!(token_claims(session)["amr"][0]["method"], "invite");
    // The password they chose works; the invite is used up and no longer listed.
    let (status, _) = app.login(&invitee, "another good password").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = accept(&app, &invitee, &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error_code"], "otp_expired");
    assert!(pending(&app, &owner).await.is_empty());
    // An accepted (confirmed) address cannot be invited again.
    let (status, body) = invite(&app, &owner, json!({ "email": invitee })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error_code"], "email_exists");
}

#[tokio::test]
async fn with_smtp_the_invite_is_emailed_and_its_link_works_once() {
    let (app, owner) = owned(&[("SMTP_URL", posey_testkit::mail::smtp_url())]).await;
    let invitee = email();
    let (status, body) = invite(&app, &owner, json!({ "email": invitee })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["invite"]["emailed"], true);
    assert!(body["invite"].get("link").is_none(), "emailed: the admin does not see the link");

    let mail = Mailbox::from_env().wait_for(&invitee, Duration::from_secs(10)).await;
    assert_eq!(mail.subject, "You have been invited to Posey");
    let link = mail.link_containing("/invite?").expect("the invite link");
    // GoTrue's way works with the same token: /verify signs the invitee in (then they set a
    // password with PUT /user).
    let (status, body) =
        app.post("/verify", &json!({ "type": "invite", "token_hash": token_of(&link) })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["user"]["email_confirmed_at"].is_string());
    // Used once: the sign-up with it is refused.
    let (status, _) = accept(&app, &invitee, &token_of(&link)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_token_for_another_address_is_refused_and_stays_usable() {
    let (app, owner) = owned(&[]).await;
    let invitee = email();
    let (_, body) = invite(&app, &owner, json!({ "email": invitee })).await;
    let token = token_of(body["invite"]["link"].as_str().unwrap());
    let (status, body) = accept(&app, &email(), &token).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["msg"].as_str().unwrap().contains("another email address"), "{body}");
    let (status, body) = accept(&app, &invitee, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Garbage is no invite either.
    let (status, _) = accept(&app, &email(), "not-a-token").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn invites_expire_and_a_new_one_replaces_the_old_link() {
    let (app, owner) = owned(&[]).await;
    let invitee = email();
    let (_, first) = invite(&app, &owner, json!({ "email": invitee })).await;
    let first_token = token_of(first["invite"]["link"].as_str().unwrap());
    sqlx::query("UPDATE auth.one_time_tokens SET expires_at = now() - interval '1 second' WHERE kind = 'invite'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let listed = pending(&app, &owner).await;
    assert_eq!(listed[0]["status"], "expired");
    let (status, _) = accept(&app, &invitee, &first_token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Inviting again makes a new link; the account stays the same.
    let (status, second) = invite(&app, &owner, json!({ "email": invitee })).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["id"], first["id"]);
    assert_eq!(second["invite"]["status"], "pending");
    let listed = pending(&app, &owner).await;
    assert_eq!(listed.len(), 1);
    let (status, body) =
        accept(&app, &invitee, &token_of(second["invite"]["link"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_withdrawn_invite_stops_working_and_frees_the_address() {
    let (app, owner) = owned(&[]).await;
    let invitee = email();
    let (_, body) = invite(&app, &owner, json!({ "email": invitee })).await;
    let id = body["id"].as_str().unwrap().to_owned();
    let token = token_of(body["invite"]["link"].as_str().unwrap());

    let response = app.send(Method::DELETE, &format!("/admin/invites/{id}"), &owner, None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(pending(&app, &owner).await.is_empty());
    let (status, _) = accept(&app, &invitee, &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The account existed only for the invite: it is gone, and audited.
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM auth.users WHERE email = $1")
        .bind(&invitee)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(accounts, 0);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM auth.audit_log WHERE action = 'invite_revoked' AND target_id = $1",
    )
    .bind(&id)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    // Twice, or an unknown id: not found.
    for path in [format!("/admin/invites/{id}"), "/admin/invites/nope".to_owned()] {
        let (status, body) = parts(app.send(Method::DELETE, &path, &owner, None).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["error_code"], "invite_not_found");
    }
}

#[tokio::test]
async fn only_admins_invite_list_or_withdraw() {
    let (app, owner) = owned(&[]).await;
    let invitee = email();
    let (_, body) = invite(&app, &owner, json!({ "email": invitee })).await;
    let (_, member) =
        accept(&app, &invitee, &token_of(body["invite"]["link"].as_str().unwrap())).await;
    let member = member["access_token"].as_str().unwrap();
    let id = body["id"].as_str().unwrap();
    for (method, path, body) in [
        (Method::POST, "/invite".to_owned(), Some(json!({ "email": email() }))),
        (Method::GET, "/admin/invites".to_owned(), None),
        (Method::DELETE, format!("/admin/invites/{id}"), None),
        (Method::GET, "/admin/status".to_owned(), None),
    ] {
        let (status, answer) =
            parts(app.send(method.clone(), &path, member, body.as_ref()).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
        assert_eq!(answer["error_code"], "not_admin");
        let response = app.client.request(method.clone(), app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    // Bad input names the problem.
    let (status, body) = invite(&app, &owner, json!({ "email": "not an address" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = invite(&app, &owner, json!({ "email": email(), "data": [1] })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn the_status_says_how_email_and_sign_up_are_set_up() {
    let (app, owner) = owned(&[]).await;
    let (status, body) = parts(app.send(Method::GET, "/admin/status", &owner, None).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"]["configured"], false);
    assert_eq!(body["email"]["transport"], "outbox");
    assert_eq!(body["signup"]["mode"], "invite");
    assert_eq!(body["invites"]["pending"], 0);
    assert_eq!(body["invites"]["ttl"], 7 * 86_400);

    let (app, owner) = owned(&[
        ("SMTP_URL", posey_testkit::mail::smtp_url()),
        ("AUTH_OPEN_SIGNUP", "true".into()),
    ])
    .await;
    invite(&app, &owner, json!({ "email": email() })).await;
    let (_, body) = parts(app.send(Method::GET, "/admin/status", &owner, None).await).await;
    assert_eq!(body["email"]["configured"], true);
    assert_eq!(body["email"]["transport"], "smtp");
    assert_eq!(body["signup"]["mode"], "open");
    assert_eq!(body["invites"]["pending"], 1);
}
