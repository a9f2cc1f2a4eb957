//! Hostile input at the shared edge: a NUL (U+0000) in a JSON body, a query string or a path
//! is a 422 naming where it is, and every error the framework makes itself (a bad query value,
//! an oversized body, a wrong method, an unknown route, a plain-text rejection) answers in the
//! one JSON error shape, or in a service's own shape when it has one.

// A failed unwrap in a test helper fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use posey_http::edge::EdgeError;
use posey_http::params::Page;
use posey_http::server::{with_common_layers, with_layers};
use posey_http::{AppJson, OptionalJson, Path, Query};
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(Debug, Deserialize)]
struct Note {
    title: String,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Search {
    q: String,
}

fn routes() -> Router {
    Router::new()
        .route(
            "/notes",
            get(|Query(page): Query<Page>| async move {
                AppJson(json!({"limit": page.limit(), "offset": page.offset()}))
            })
            .post(|AppJson(n): AppJson<Note>| async move {
                AppJson(json!({"title": n.title, "tags": n.tags}))
            }),
        )
        .route(
            "/optional",
            post(|OptionalJson(n): OptionalJson<Note>| async move {
                AppJson(json!({"title": n.map(|n| n.title)}))
            }),
        )
        .route("/search", get(|Query(s): Query<Search>| async move { s.q }))
        .route("/notes/{id}", get(|Path(id): Path<String>| async move { id }))
        // Raw axum extractors, whose rejections are plain text: the edge rewrites them.
        .route(
            "/raw",
            get(|axum::extract::Query(p): axum::extract::Query<Search>| async move { p.q })
                .post(|body: Bytes| async move { body.len().to_string() }),
        )
        .layer(DefaultBodyLimit::max(1024))
}

async fn send_to(app: Router, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = app.oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = to_bytes(response.into_body(), 1 << 16).await.unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON: {:?}", String::from_utf8_lossy(&bytes)));
    (status, headers, body)
}

async fn send(request: Request<Body>) -> (StatusCode, Value) {
    let (status, _, body) = send_to(with_common_layers(routes(), "test"), request).await;
    (status, body)
}

fn post_json(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn get_uri(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

/// The one error shape, with `code`; returns the fields.
fn assert_shape(body: &Value, code: &str) -> Value {
    let error = body["error"].as_object().unwrap_or_else(|| panic!("no error object: {body}"));
    assert_eq!(error["code"], code, "{body}");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert!(error.keys().all(|k| ["code", "message", "fields"].contains(&k.as_str())), "{body}");
    error.get("fields").cloned().unwrap_or(Value::Null)
}

const NUL: &str = "must not contain the NUL character (U+0000)";

#[tokio::test]
async fn a_nul_in_a_json_body_is_a_422_naming_the_field() {
    let (status, body) = send(post_json("/notes", r#"{"title": "milk\u0000"}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(assert_shape(&body, "validation_failed"), json!({"title": [NUL]}));

    let (status, body) =
        send(post_json("/notes", r#"{"title": "a", "tags": ["x", "\u0000"]}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(assert_shape(&body, "validation_failed"), json!({"tags[1]": [NUL]}));

    // In a key the handler never reads, too: nothing with a NUL gets past the edge.
    let (status, body) = send(post_json("/notes", r#"{"title": "a", "x\u0000": 1}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(assert_shape(&body, "validation_failed"), json!({"x\\u0000": [NUL]}));

    let (status, body) = send(post_json("/optional", r#"{"title": "\u0000"}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(assert_shape(&body, "validation_failed"), json!({"title": [NUL]}));

    // An escaped backslash followed by `u0000` is ordinary text.
    let (status, body) = send(post_json("/notes", r#"{"title": "\\u0000"}"#)).await;
    assert_eq!((status, body["title"].as_str()), (StatusCode::OK, Some("\\u0000")));
}

#[tokio::test]
async fn a_nul_in_the_query_or_the_path_is_a_422_before_any_handler() {
    for (uri, field) in [
        ("/search?q=a%00b", "q"),
        ("/raw?q=%00", "q"),
        ("/notes?limit=1&off%00set=2", "off\\u0000set"),
        ("/notes/ab%00cd", "path"),
        ("/no/such/route%00", "path"),
    ] {
        let (status, body) = send(get_uri(uri)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {body}");
        assert_eq!(assert_shape(&body, "validation_failed"), json!({field: [NUL]}), "{uri}");
    }
    // `%2500` is a percent sign and two zeros.
    let app = with_common_layers(routes(), "test");
    let response = app.oneshot(get_uri("/notes/%2500")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(to_bytes(response.into_body(), 64).await.unwrap(), "%00");
}

#[tokio::test]
async fn a_bad_query_value_is_a_422_naming_the_parameter() {
    let (status, body) = send(get_uri("/notes?limit=abc")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        assert_shape(&body, "validation_failed"),
        json!({"limit": ["invalid digit found in string"]})
    );
    let (status, body) = send(get_uri("/search")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(assert_shape(&body, "validation_failed"), json!({"query": ["missing field `q`"]}));
    let (status, body) = send(get_uri("/notes?limit=7")).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"limit": 7, "offset": 0})));
}

#[tokio::test]
async fn an_oversized_body_is_a_413_in_the_shape() {
    let big = format!(r#"{{"title": "{}"}}"#, "x".repeat(4096));
    for uri in ["/notes", "/optional", "/raw"] {
        let (status, body) = send(post_json(uri, &big)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
        assert_shape(&body, "payload_too_large");
    }
}

#[tokio::test]
async fn framework_errors_answer_in_the_shape() {
    // A wrong method: 405, saying which methods the route takes.
    let request = Request::delete("/notes").body(Body::empty()).unwrap();
    let (status, headers, body) = send_to(with_common_layers(routes(), "test"), request).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_shape(&body, "method_not_allowed");
    assert!(headers[header::ALLOW].to_str().unwrap().contains("GET"), "{headers:?}");

    let (status, body) = send(get_uri("/nowhere")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_shape(&body, "not_found");

    // A raw axum extractor's plain-text rejection.
    let (status, body) = send(get_uri("/raw")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_shape(&body, "bad_request");
    assert!(body["error"]["message"].as_str().unwrap().contains('q'), "{body}");

    let (status, body) = send(post_json("/optional", "")).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"title": null})));
}

/// A service with a shape of its own (as auth speaks GoTrue's) gets the edge's errors in it.
fn gotrue_shape(headers: &HeaderMap, error: EdgeError) -> Response {
    let version = headers.get("x-api-version").is_some();
    let message = match &error.fields {
        Some(fields) => fields
            .iter()
            .map(|(field, messages)| format!("{field}: {}", messages.join(", ")))
            .collect::<Vec<_>>()
            .join("; "),
        None => error.message,
    };
    let body = json!({"code": error.status.as_u16(), "error_code": error.code, "msg": message, "v": version});
    (error.status, axum::Json(body)).into_response()
}

#[tokio::test]
async fn a_service_words_the_edges_errors_in_its_own_shape() {
    let app = || with_layers(routes(), "test", gotrue_shape);
    let request = Request::get("/search?q=%00").header("x-api-version", "1").body(Body::empty());
    let (status, _, body) = send_to(app(), request.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"code": 422, "error_code": "validation_failed", "msg": format!("q: {NUL}"), "v": true})
    );
    let (status, _, body) =
        send_to(app(), Request::put("/notes").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error_code"], "method_not_allowed");
    let (status, _, body) = send_to(app(), get_uri("/nowhere")).await;
    assert_eq!((status, &body["msg"]), (StatusCode::NOT_FOUND, &json!("no such route")));
}
