//! `GET /user` and `PUT /user`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{email, spawn};

#[tokio::test]
async fn the_user_needs_a_valid_token() {
    let app = spawn().await;
    let session = app.session_for(&email()).await;
    let (status, body) =
        app.get_with_token("/user", session["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], session["user"]["id"]);

    let (status, body) =
        crate::helpers::parts(app.client.get(app.url("/user")).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("no_authorization"))
    );
    let (status, body) = app.get_with_token("/user", "garbage").await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::FORBIDDEN, Some("bad_jwt")));
}

#[tokio::test]
async fn metadata_is_merged() {
    let app = spawn().await;
    let session = app.post("/signup", &json!({ "email": email(), "password": "correct horse battery", "data": { "a": 1, "b": 2 } })).await.1;
    let token = session["access_token"].as_str().unwrap();
    let response = app
        .client
        .put(app.url("/user"))
        .bearer_auth(token)
        .json(&json!({ "data": { "b": null, "c": 3 } }))
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::parts(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user_metadata"], json!({ "a": 1, "c": 3 }));
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_only() {
    let app = spawn().await;
    let address = email();
    let laptop = app.session_for(&address).await;
    let (_, phone) = app.login(&address, "correct horse battery").await;
    let token = laptop["access_token"].as_str().unwrap();

    let response = app
        .client
        .put(app.url("/user"))
        .bearer_auth(token)
        .json(&json!({ "password": "a brand new password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let (status, body) = app.get_with_token("/user", phone["access_token"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::FORBIDDEN, Some("session_not_found"))
    );
    let (status, _) = app.refresh(phone["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.get_with_token("/user", token).await;
    assert_eq!(status, StatusCode::OK, "the session that changed it stays");

    assert_eq!(app.login(&address, "correct horse battery").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(app.login(&address, "a brand new password").await.0, StatusCode::OK);
}

#[tokio::test]
async fn an_email_change_waits_for_confirmation_and_refuses_a_taken_address() {
    let app = spawn().await;
    let session = app.session_for(&email()).await;
    let taken = email();
    app.session_for(&taken).await;
    let token = session["access_token"].as_str().unwrap();

    let response = app
        .client
        .put(app.url("/user"))
        .bearer_auth(token)
        .json(&json!({ "email": taken }))
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::parts(response).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("email_exists"))
    );

    let new_address = email();
    let response = app
        .client
        .put(app.url("/user"))
        .bearer_auth(token)
        .json(&json!({ "email": new_address }))
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::parts(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], session["user"]["email"], "unchanged until confirmed");
    assert_eq!(body["new_email"], new_address);
    let mails: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM auth.outbox WHERE recipient = $1 AND kind = 'email_change'",
    )
    .bind(&new_address)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(mails, 1);

    let response = app
        .client
        .put(app.url("/user"))
        .bearer_auth(token)
        .json(&json!({ "email": "bad" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
