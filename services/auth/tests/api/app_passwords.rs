//! App passwords: made with the secret shown once, listed without it, signing an app in with
//! `grant_type=app_password`, refused when wrong, and revoked so that the app's tokens stop
//! working.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{email, spawn, token_claims};

fn token(session: &Value) -> &str {
    session["access_token"].as_str().unwrap()
}

#[tokio::test]
async fn an_app_password_signs_an_app_in_until_it_is_revoked() {
    let app = spawn().await;
    let address = email();
    let session = app.session_for(&address).await;
    let (status, made) = app
        .post_with_token("/app-passwords", token(&session), &json!({"name": "Thunderbird"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let secret = made["password"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 29, "six groups of four: {secret}");

    // Listed without its secret.
    let (status, list) = app.get_with_token("/app-passwords", token(&session)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["app_passwords"][0]["name"], "Thunderbird");
    assert!(!list.to_string().contains(&secret), "{list}");

    // The app signs in with it: an access token of its own session, no refresh token.
    let grant = |password: String| {
        let app = &app;
        let address = address.clone();
        async move {
            app.post(
                "/token?grant_type=app_password",
                &json!({"email": address, "password": password}),
            )
            .await
        }
    };
    let (status, signed_in) = grant(secret.clone()).await;
    assert_eq!(status, StatusCode::OK, "{signed_in}");
    assert!(signed_in.get("refresh_token").is_none(), "{signed_in}");
    let claims = token_claims(token(&signed_in));
    assert_eq!(claims["amr"][0]["method"], "app_password");
    assert_ne!(claims["session_id"], token_claims(token(&session))["session_id"]);
    assert_eq!(app.get_with_token("/user", token(&signed_in)).await.0, StatusCode::OK);
    let (_, list) = app.get_with_token("/app-passwords", token(&session)).await;
    assert!(list["app_passwords"][0]["last_used_at"].is_string(), "{list}");

    // Wrong secrets, the account password, and someone else's address are all refused alike.
    let (status, body) = grant("aaaa-bbbb-cccc-dddd-eeee-ffff".to_owned()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error_code"], "invalid_credentials", "{body}");
    let (status, _) = grant("correct horse battery".to_owned()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .post("/token?grant_type=app_password", &json!({"email": email(), "password": secret}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Someone else cannot revoke it; the person can, and the app is signed out.
    let stranger = app.session_for(&email()).await;
    let id = made["id"].as_str().unwrap();
    let path = format!("/app-passwords/{id}");
    let response = app.send(reqwest::Method::DELETE, &path, token(&stranger), None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app.send(reqwest::Method::DELETE, &path, token(&session), None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get_with_token("/user", token(&signed_in)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(grant(secret).await.0, StatusCode::BAD_REQUEST);
    // The person's own session is untouched.
    assert_eq!(app.get_with_token("/user", token(&session)).await.0, StatusCode::OK);
    let (_, list) = app.get_with_token("/app-passwords", token(&session)).await;
    assert_eq!(list["app_passwords"], json!([]));
}

#[tokio::test]
async fn an_app_password_needs_a_name() {
    let app = spawn().await;
    let session = app.session_for(&email()).await;
    for body in [json!({}), json!({"name": "  "}), json!({"name": "x".repeat(101)})] {
        let (status, answer) = app.post_with_token("/app-passwords", token(&session), &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["error_code"], "validation_failed");
    }
    let response = reqwest::Client::new()
        .post(app.url("/app-passwords"))
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
