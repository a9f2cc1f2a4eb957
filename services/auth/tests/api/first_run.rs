//! First run: the first account of an empty install is its owner (confirmed at once, an admin,
//! signed in), exactly one even when sign-ups race; after it, sign-up is by invite unless
//! `AUTH_OPEN_SIGNUP` is set; `/settings` says which.

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{AuthApp, email, spawn_empty, token_claims};

async fn signup_mode(app: &AuthApp) -> Value {
    let response = app.client.get(app.url("/settings")).send().await.unwrap();
    let settings: Value = response.json().await.unwrap();
    assert_eq!(settings["disable_signup"], settings["signup"] == "invite", "{settings}");
    settings["signup"].clone()
}

async fn admins(app: &AuthApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT u.email FROM auth.user_roles r JOIN auth.users u ON u.id = r.user_id \
         WHERE r.role = 'admin' ORDER BY u.email",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_first_account_is_the_confirmed_admin_owner_and_then_sign_up_needs_an_invite() {
    // Confirmations on, no SMTP: an ordinary sign-up would wait for an emailed link.
    let app = spawn_empty(&[("AUTH_MAILER_AUTOCONFIRM", "false".into())]).await;
    assert_eq!(signup_mode(&app).await, "owner");

    let owner = email();
    let (status, body) = app.signup(&owner, "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["access_token"].as_str().expect("the owner is signed in at once");
    assert!(body["user"]["email_confirmed_at"].is_string(), "{body}");
    assert_eq!(token_claims(token)["roles"], json!(["admin"]));
    assert_eq!(admins(&app).await, std::slice::from_ref(&owner));
    // No confirmation email was made for the owner.
    let outbox: i64 = sqlx::query_scalar("SELECT count(*) FROM auth.outbox")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(outbox, 0);
    // The owner's token opens the admin API.
    let response = app.send(Method::GET, "/admin/users", token, None).await;
    assert_eq!(response.status(), StatusCode::OK);

    // Now the install has its owner: a sign-up without an invite is refused.
    assert_eq!(signup_mode(&app).await, "invite");
    let (status, body) = app.signup(&email(), "correct horse battery").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error_code"], "signup_disabled");
    assert!(body["msg"].as_str().unwrap().contains("invitation"), "{body}");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM auth.users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(users, 1);
}

#[tokio::test]
async fn with_open_signup_later_accounts_are_ordinary() {
    let app = spawn_empty(&[
        ("AUTH_MAILER_AUTOCONFIRM", "false".into()),
        ("AUTH_OPEN_SIGNUP", "true".into()),
    ])
    .await;
    let owner = email();
    let (status, body) = app.signup(&owner, "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string());
    assert_eq!(signup_mode(&app).await, "open");

    // The second person waits for their confirmation and is no admin.
    let (status, body) = app.signup(&email(), "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_null(), "{body}");
    assert!(body["email_confirmed_at"].is_null(), "{body}");
    assert!(body["confirmation_sent_at"].is_string(), "{body}");
    assert_eq!(admins(&app).await, [owner]);
}

#[tokio::test]
async fn racing_first_sign_ups_make_exactly_one_owner() {
    for open in [false, true] {
        let app = spawn_empty(&[("AUTH_OPEN_SIGNUP", open.to_string())]).await;
        let addresses: Vec<String> = (0..8).map(|_| email()).collect();
        let answers =
            join_all(addresses.iter().map(|a| app.signup(a, "correct horse battery"))).await;
        let admins = admins(&app).await;
        assert_eq!(admins.len(), 1, "open={open}: {admins:?}");
        let mut owners = 0;
        for (address, (status, body)) in addresses.iter().zip(&answers) {
            if *address == admins[0] {
                owners += 1;
                assert_eq!(status, &StatusCode::OK, "{body}");
                assert_eq!(
                    token_claims(body["access_token"].as_str().unwrap())["roles"],
                    json!(["admin"])
                );
            } else if open {
                // Autoconfirm is on in the test defaults: an ordinary session, no roles.
                assert_eq!(status, &StatusCode::OK, "{body}");
                assert_eq!(
                    token_claims(body["access_token"].as_str().unwrap())["roles"],
                    json!([])
                );
            } else {
                assert_eq!(status, &StatusCode::UNPROCESSABLE_ENTITY, "{body}");
                assert_eq!(body["error_code"], "signup_disabled", "{body}");
            }
        }
        assert_eq!(owners, 1);
        let users: i64 = sqlx::query_scalar("SELECT count(*) FROM auth.users")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(users, if open { 8 } else { 1 });
    }
}

#[tokio::test]
async fn disabled_sign_up_refuses_even_the_first_account() {
    let app = spawn_empty(&[("AUTH_DISABLE_SIGNUP", "true".into())]).await;
    assert_eq!(signup_mode(&app).await, "invite");
    let (status, body) = app.signup(&email(), "correct horse battery").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error_code"], "signup_disabled");
}
