//! Sessions: listing and ending devices, sign-out scopes, revocation reaching other services,
//! and the JWKS across a key rotation.

use std::time::{Duration, Instant};

use posey_http::auth::{JwksVerifier, RevocationList, VerifierConfig, VerifyError};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{AuthApp, email, spawn};

async fn two_devices(app: &AuthApp) -> (Value, Value) {
    let address = email();
    let laptop = app.session_for(&address).await;
    let (_, phone) = app.login(&address, "correct horse battery").await;
    (laptop, phone)
}

fn token(session: &Value) -> &str {
    session["access_token"].as_str().unwrap()
}

#[tokio::test]
async fn a_person_lists_their_devices_and_ends_one() {
    let app = spawn().await;
    let (laptop, phone) = two_devices(&app).await;
    let (status, body) = app.get_with_token("/sessions", token(&laptop)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sessions = body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let other =
        sessions.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();

    let response = app
        .client
        .delete(app.url(&format!("/sessions/{other}")))
        .bearer_auth(token(&laptop))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.get_with_token("/user", token(&phone)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get_with_token("/user", token(&laptop)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn nobody_ends_someone_elses_session() {
    let app = spawn().await;
    let alice = app.session_for(&email()).await;
    let bob = app.session_for(&email()).await;
    let (_, body) = app.get_with_token("/sessions", token(&bob)).await;
    let bobs = body["sessions"][0]["id"].as_str().unwrap().to_owned();
    for target in [bobs.as_str(), "not-a-uuid"] {
        let response = app
            .client
            .delete(app.url(&format!("/sessions/{target}")))
            .bearer_auth(token(&alice))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{target}");
    }
    assert_eq!(app.get_with_token("/user", token(&bob)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn logout_scopes_end_one_others_or_all() {
    let app = spawn().await;
    let logout = |scope: &'static str, session: Value| {
        let app = &app;
        async move {
            let response = app
                .client
                .post(app.url(&format!("/logout?scope={scope}")))
                .bearer_auth(token(&session))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::NO_CONTENT, "{scope}");
        }
    };
    let (a, b) = two_devices(&app).await;
    logout("local", a.clone()).await;
    assert_eq!(app.get_with_token("/user", token(&a)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get_with_token("/user", token(&b)).await.0, StatusCode::OK);

    let (a, b) = two_devices(&app).await;
    logout("others", a.clone()).await;
    assert_eq!(app.get_with_token("/user", token(&a)).await.0, StatusCode::OK);
    assert_eq!(app.get_with_token("/user", token(&b)).await.0, StatusCode::FORBIDDEN);

    let (a, b) = two_devices(&app).await;
    logout("global", a.clone()).await;
    assert_eq!(app.get_with_token("/user", token(&a)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get_with_token("/user", token(&b)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.refresh(b["refresh_token"].as_str().unwrap()).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn another_service_refuses_a_revoked_sessions_token_within_seconds() {
    let app = spawn().await;
    let session = app.session_for(&email()).await;
    // What agents, cron or the gateway run: JWKS over HTTP, revocations polled from Postgres.
    let stop = tokio_util::sync::CancellationToken::new();
    let revocations =
        RevocationList::start(app.db.pool.clone(), Duration::from_millis(200), stop.clone())
            .await
            .unwrap();
    let config = VerifierConfig::new(
        app.url("/.well-known/jwks.json").parse().unwrap(),
        "http://posey-auth.test",
    );
    let verifier = JwksVerifier::new(config).with_revocations(revocations);
    verifier.verify(token(&session)).await.unwrap();

    let response = app
        .client
        .post(app.url("/logout?scope=local"))
        .bearer_auth(token(&session))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match verifier.verify(token(&session)).await {
            Err(VerifyError::SessionRevoked) => break,
            Ok(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            other => panic!("still accepted after 5 s: {other:?}"),
        }
    }
    stop.cancel();
}

#[tokio::test]
async fn after_a_key_rotation_old_tokens_still_verify_and_new_ones_use_the_new_key() {
    let app = spawn().await;
    let before = app.session_for(&email()).await;
    let old_kid = app.keys.current_kid();
    let new_kid = app.keys.rotate().await.unwrap();
    assert_ne!(old_kid, new_kid);

    let (status, jwks) = crate::helpers::parts(
        app.client.get(app.url("/.well-known/jwks.json")).send().await.unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let kids: Vec<&str> =
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()), "{kids:?}");
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["alg"] == "ES256" && k.get("d").is_none())
    );

    assert_eq!(app.get_with_token("/user", token(&before)).await.0, StatusCode::OK);
    let after = app.session_for(&email()).await;
    let header = jsonwebtoken::decode_header(token(&after)).unwrap();
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
    assert_eq!(app.get_with_token("/user", token(&after)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn discovery_and_health_answer() {
    let app = spawn().await;
    let (status, oidc) = crate::helpers::parts(
        app.client.get(app.url("/.well-known/openid-configuration")).send().await.unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(oidc["issuer"], "http://posey-auth.test");
    assert_eq!(oidc["jwks_uri"], "http://posey-auth.test/.well-known/jwks.json");
    let (status, health) =
        crate::helpers::parts(app.client.get(app.url("/health")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["name"], "posey-auth");
}
