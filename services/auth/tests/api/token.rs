//! `POST /token`: password sign-in, the refresh grant's rotation, race and reuse rules, and
//! service tokens.

use chrono::TimeDelta;
use posey_domain::clock::ManualClock;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{email, spawn, spawn_auth, spawn_auth_with_clock};

#[tokio::test]
async fn password_sign_in_answers_the_same_for_a_wrong_password_and_an_unknown_address() {
    let app = spawn().await;
    let address = email();
    app.session_for(&address).await;

    let (status, body) = app.login(&address, "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string() && body["refresh_token"].is_string());
    assert!(body["user"]["last_sign_in_at"].is_string());

    let (wrong_status, wrong) = app.login(&address, "wrong password").await;
    let (unknown_status, unknown) = app.login(&email(), "wrong password").await;
    assert_eq!(wrong_status, StatusCode::BAD_REQUEST);
    assert_eq!((wrong_status, &wrong), (unknown_status, &unknown));
    assert_eq!(wrong["error_code"], "invalid_credentials");

    let failures: i64 =
        sqlx::query_scalar("SELECT count(*) FROM auth.audit_log WHERE action = 'login_failed'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(failures, 2);
}

#[tokio::test]
async fn unconfirmed_accounts_cannot_sign_in() {
    let app = spawn_auth(&[("AUTH_MAILER_AUTOCONFIRM", "false".into())]).await;
    let address = email();
    app.signup(&address, "correct horse battery").await;
    let (status, body) = app.login(&address, "correct horse battery").await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("email_not_confirmed"))
    );
}

#[tokio::test]
async fn a_refresh_rotates_the_token_and_the_old_one_within_the_interval_gets_the_same_successor() {
    let app = spawn().await;
    let session = app.session_for(&email()).await;
    let first = session["refresh_token"].as_str().unwrap();

    let (status, a) = app.refresh(first).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    let second = a["refresh_token"].as_str().unwrap();
    assert_ne!(first, second);

    // The same old token again, within the reuse interval (a second tab): same successor.
    let (status, b) = app.refresh(first).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["refresh_token"], a["refresh_token"]);

    // The successor works and rotates in turn.
    let (status, c) = app.refresh(second).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_ne!(c["refresh_token"], a["refresh_token"]);
}

#[tokio::test]
async fn two_refreshes_racing_both_succeed_with_the_same_new_token() {
    let app = spawn().await;
    let session = app.session_for(&email()).await;
    let token = session["refresh_token"].as_str().unwrap();
    let results = futures::future::join_all((0..4).map(|_| app.refresh(token))).await;
    let tokens: Vec<_> = results
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, StatusCode::OK, "{body}");
            body["refresh_token"].as_str().unwrap().to_owned()
        })
        .collect();
    assert!(tokens.iter().all(|t| *t == tokens[0]), "{tokens:?}");
    assert_ne!(tokens[0], token);
}

#[tokio::test]
async fn a_rotated_token_presented_after_the_interval_revokes_the_whole_family() {
    let clock = ManualClock::starting_now();
    let app =
        spawn_auth_with_clock(&[("AUTH_REFRESH_REUSE_INTERVAL", "1".into())], Some(clock.clone()))
            .await;
    let session = app.session_for(&email()).await;
    let stolen = session["refresh_token"].as_str().unwrap();
    let (_, rotated) = app.refresh(stolen).await;
    let current = rotated["refresh_token"].as_str().unwrap();

    // Within the interval the used token is a racing client's, and gets the same successor.
    clock.advance(TimeDelta::milliseconds(900));
    let (status, again) = app.refresh(stolen).await;
    assert_eq!((status, &again["refresh_token"]), (StatusCode::OK, &rotated["refresh_token"]));

    // Past it, the used token is someone's copy.
    clock.advance(TimeDelta::milliseconds(1200));
    let (status, body) = app.refresh(stolen).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("refresh_token_already_used"))
    );

    // The legitimate holder's token belonged to the same family: gone too.
    let (status, body) = app.refresh(current).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("refresh_token_not_found")),
        "{body}"
    );
    // And the session's access tokens stop working.
    let (status, body) =
        app.get_with_token("/user", rotated["access_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::FORBIDDEN, Some("session_not_found"))
    );
    let reuse: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM auth.audit_log WHERE action = 'token_revoked' AND payload->>'reason' = 'refresh_token_reuse'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(reuse, 1);
}

#[tokio::test]
async fn unknown_empty_and_expired_refresh_tokens_are_refused() {
    let app = spawn().await;
    let (status, body) = app.refresh("no-such-token").await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("refresh_token_not_found"))
    );
    let (status, _) = app.post("/token?grant_type=refresh_token", &json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let session = app.session_for(&email()).await;
    sqlx::query("UPDATE auth.sessions SET refreshed_at = now() - interval '31 days'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (status, body) = app.refresh(session["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("session_expired"))
    );
}

#[tokio::test]
async fn grant_types_are_checked() {
    let app = spawn().await;
    let (status, body) = app.post("/token", &json!({})).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation_failed"))
    );
    let (status, body) = app.post("/token?grant_type=implicit", &json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["msg"].as_str().unwrap().contains("implicit"));
}

#[tokio::test]
async fn service_clients_get_service_role_tokens() {
    let app = spawn().await;
    let token = app.service_token().await;
    let claims: serde_json::Value = {
        use base64::Engine;
        let payload = token.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap(),
        )
        .unwrap()
    };
    assert_eq!(claims["role"], "service_role");
    assert_eq!(claims["sub"], "service:ops");

    let (status, body) = app
        .post(
            "/token?grant_type=client_credentials",
            &json!({ "client_id": "cron", "client_secret": "wrong-secret-0123456789" }),
        )
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
}

/// The payload of a JWT, unverified.
fn payload(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn service_tokens_carry_their_clients_scopes_and_no_more() {
    let app = spawn().await;
    let grant = |client: &str, secret: &str, scope: Option<&str>| {
        let mut body = json!({ "client_id": client, "client_secret": secret });
        if let Some(scope) = scope {
            body["scope"] = scope.into();
        }
        let app = &app;
        async move { app.post("/token?grant_type=client_credentials", &body).await }
    };
    const CRON: &str = "cron-secret-0123456789";

    // Every granted scope, in the answer and the token, unless fewer are asked for.
    let (status, body) = grant("cron", CRON, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "agents:turns cron:act-for-person");
    let token = payload(body["access_token"].as_str().unwrap());
    assert_eq!(token["scope"], "agents:turns cron:act-for-person");
    let (status, body) = grant("cron", CRON, Some("cron:act-for-person")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "cron:act-for-person");
    assert_eq!(payload(body["access_token"].as_str().unwrap())["scope"], "cron:act-for-person");

    // A scope beyond the client's grant is refused (RFC 6749 5.2), naming it.
    let (status, body) = grant("cron", CRON, Some("agents:turns admin:everything")).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
    assert!(body["msg"].as_str().unwrap().contains("admin:everything"), "{body}");

    // A client granted nothing gets a token that may act for nobody, and nothing when it asks.
    let unscoped = "unscoped-secret-0123456789";
    let (status, body) = grant("unscoped", unscoped, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "");
    let token = payload(body["access_token"].as_str().unwrap());
    assert!(token.get("scope").is_none(), "{token}");
    let (status, body) = grant("unscoped", unscoped, Some("agents:turns")).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
    // The secret is checked before the scope: a wrong one is still a 401.
    let (status, body) = grant("unscoped", "wrong-secret-0123456789", Some("agents:turns")).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
}

#[tokio::test]
async fn a_hash_with_old_parameters_is_upgraded_at_sign_in() {
    let app = spawn().await;
    let address = email();
    app.session_for(&address).await;
    let old =
        posey_auth::password::Hasher::with_params(argon2::Params::new(512, 1, 1, None).unwrap(), 1)
            .unwrap();
    let old_hash = old.hash("correct horse battery").await.unwrap();
    sqlx::query("UPDATE auth.users SET encrypted_password = $2 WHERE email = $1")
        .bind(&address)
        .bind(&old_hash)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (status, _) = app.login(&address, "correct horse battery").await;
    assert_eq!(status, StatusCode::OK);
    let stored: String =
        sqlx::query_scalar("SELECT encrypted_password FROM auth.users WHERE email = $1")
            .bind(&address)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_ne!(stored, old_hash);
    assert!(stored.contains("m=1024,t=1,p=1"), "{stored}");
}
