//! Hostile input (issue 12): a NUL (U+0000) in a body, a query string or a path is refused
//! with 422 `validation_failed` naming where, and stores nothing; the errors the framework
//! makes itself (a malformed query, a wrong method, an unknown route, an oversized body) answer
//! in auth's own GoTrue shape, in either API version.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{AuthApp, email, parts, spawn};

const NUL: &str = "must not contain the NUL character (U+0000)";

/// Sends `body` as written (`\u0000` escapes and all).
async fn send(
    app: &AuthApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_owned());
    }
    request.send().await.unwrap()
}

/// GoTrue's (older) error shape, with its status, code and message.
async fn gotrue_error(response: reqwest::Response) -> (StatusCode, String, String) {
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let (status, body) = parts(response).await;
    let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["code", "error_code", "msg"], "{body}");
    assert_eq!(body["code"], status.as_u16(), "{body}");
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    (status, text(&body["error_code"]), text(&body["msg"]))
}

async fn refused_for_nul(response: reqwest::Response, field: &str) {
    let (status, code, message) = gotrue_error(response).await;
    assert_eq!((status, code.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
    assert_eq!(message, format!("{field}: {NUL}"));
}

#[tokio::test]
async fn a_nul_in_a_body_query_or_path_is_refused_and_nothing_is_stored() {
    let app = spawn().await;
    let service = app.service_token().await;
    let address = email();

    let signup = format!(
        r#"{{"email": "{address}", "password": "correct horse battery", "data": {{"name": "a\u0000"}}}}"#
    );
    refused_for_nul(send(&app, Method::POST, "/signup", None, Some(&signup)).await, "data.name")
        .await;
    let (status, _) = app.login(&address, "correct horse battery").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no user was made");

    let session = app.session_for(&address).await;
    let token = session["access_token"].as_str().unwrap();
    let update = r#"{"data": {"k\u0000": 1}}"#;
    refused_for_nul(
        send(&app, Method::PUT, "/user", Some(token), Some(update)).await,
        "data.k\\u0000",
    )
    .await;
    let (_, user) = app.get_with_token("/user", token).await;
    assert_eq!(user["user_metadata"], json!({}));

    let user_id = user["id"].as_str().unwrap();
    let delete = r#"{"should_soft_delete": false, "x": "\u0000"}"#;
    let path = format!("/admin/users/{user_id}");
    refused_for_nul(send(&app, Method::DELETE, &path, Some(&service), Some(delete)).await, "x")
        .await;
    let (status, _) = app.get_with_token(&path, &service).await;
    assert_eq!(status, StatusCode::OK, "the user is still there");

    let query = "/signup?redirect_to=http://a%00.test";
    let body = format!(r#"{{"email": "{}", "password": "correct horse battery"}}"#, email());
    refused_for_nul(send(&app, Method::POST, query, None, Some(&body)).await, "redirect_to").await;
    refused_for_nul(
        send(&app, Method::GET, "/admin/roles/ad%00min", Some(&service), None).await,
        "path",
    )
    .await;

    // In the newer API version's shape too.
    let response = app
        .client
        .get(app.url("/admin/roles/x%00"))
        .bearer_auth(&service)
        .header("x-supabase-api-version", "2024-01-01")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-supabase-api-version"], "2024-01-01");
    let (status, body) = parts(response).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body, json!({"code": "validation_failed", "message": format!("path: {NUL}")}));
}

#[tokio::test]
async fn errors_of_the_framework_answer_in_gotrue_shape() {
    let app = spawn().await;

    // A query that does not deserialize (a field given twice).
    let body = format!(r#"{{"email": "{}", "password": "correct horse battery"}}"#, email());
    let response =
        send(&app, Method::POST, "/signup?redirect_to=a&redirect_to=b", None, Some(&body)).await;
    let (status, code, _) = gotrue_error(response).await;
    assert_eq!((status, code.as_str()), (StatusCode::BAD_REQUEST, "validation_failed"));

    let big = format!(r#"{{"email": "{}", "password": "{}"}}"#, email(), "x".repeat(100_000));
    let (status, code, _) =
        gotrue_error(send(&app, Method::POST, "/signup", None, Some(&big)).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "request_too_large"));

    let response = send(&app, Method::GET, "/signup", None, None).await;
    assert!(response.headers()["allow"].to_str().unwrap().contains("POST"));
    let (status, code, _) = gotrue_error(response).await;
    assert_eq!((status, code.as_str()), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"));

    let (status, code, message) =
        gotrue_error(send(&app, Method::GET, "/nowhere", None, None).await).await;
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (StatusCode::NOT_FOUND, "not_found", "no such route")
    );
}
