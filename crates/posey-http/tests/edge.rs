//! The shared edge: JSON extraction errors, panics, unknown routes, request ids and readiness
//! all answer in the one error shape.

// A failed unwrap in a test helper fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::routing::{get, post};
use posey_http::health::Readiness;
use posey_http::server::with_common_layers;
use posey_http::{ApiError, AppJson};
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;

#[derive(Debug, Deserialize)]
struct NewNote {
    title: String,
    #[allow(dead_code)]
    pinned: bool,
}

fn app() -> Router {
    let routes = Router::new()
        .route(
            "/notes",
            post(|AppJson(n): AppJson<NewNote>| async move { AppJson(json!({"title": n.title})) }),
        )
        .route(
            "/boom",
            get(|| async {
                if true {
                    panic!("a bug");
                }
                "unreachable"
            }),
        )
        .route(
            "/page",
            get(|| async {
                (StatusCode::BAD_REQUEST, axum::response::Html("<p>That link is spent.</p>"))
            }),
        )
        .route("/plain", get(|| async { (StatusCode::BAD_REQUEST, "plain words") }))
        .route(
            "/fails",
            get(|| async { Err::<(), _>(ApiError::Internal(anyhow::anyhow!("db password=x"))) }),
        )
        .merge(
            Readiness::new()
                .check("fine", || async { Ok(()) })
                .check("broken", || async { anyhow::bail!("down") })
                .check("slow", || async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    Ok(())
                })
                .with_timeout(Duration::from_millis(200))
                .router(),
        );
    with_common_layers(routes, "test")
}

async fn send(request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let response = app().oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = to_bytes(response.into_body(), 1 << 16).await.unwrap();
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn post_json(body: &str) -> Request<Body> {
    Request::post("/notes")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn a_good_body_is_accepted() {
    let (status, _, body) = send(post_json(r#"{"title": "milk", "pinned": false}"#)).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"title": "milk"})));
}

#[tokio::test]
async fn malformed_json_is_a_400_in_the_standard_shape() {
    let (status, _, body) = send(post_json(r#"{"title": "#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_request");
    assert!(body["error"]["message"].as_str().unwrap().starts_with("malformed JSON"));
}

#[tokio::test]
async fn a_wrong_field_is_a_422_naming_it() {
    let (status, _, body) = send(post_json(r#"{"title": 5, "pinned": false}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "validation_failed");
    let message = body["error"]["fields"]["body"][0].as_str().unwrap();
    assert!(message.contains("title"), "{message}");

    let (status, _, body) = send(post_json(r#"{"title": "x"}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["body"][0].as_str().unwrap().contains("pinned"));
}

#[tokio::test]
async fn a_missing_content_type_is_a_415() {
    let request =
        Request::post("/notes").body(Body::from(r#"{"title":"x","pinned":true}"#)).unwrap();
    let (status, _, body) = send(request).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body["error"]["code"], "unsupported_media_type");
}

#[tokio::test]
async fn a_panic_and_an_internal_error_are_opaque_500s() {
    for path in ["/boom", "/fails"] {
        let (status, _, body) = send(Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert_eq!(
            body,
            json!({"error": {"code": "internal", "message": "an internal error occurred"}})
        );
    }
}

#[tokio::test]
async fn request_ids_are_made_or_kept() {
    let (_, headers, _) = send(Request::get("/healthz").body(Body::empty()).unwrap()).await;
    let made = headers["x-request-id"].to_str().unwrap();
    assert_eq!(made.len(), 36, "a UUID: {made}");

    let request =
        Request::get("/healthz").header("x-request-id", "abc-123").body(Body::empty()).unwrap();
    let (_, headers, _) = send(request).await;
    assert_eq!(headers["x-request-id"], "abc-123");
}

/// Readiness of `checks` (name, required, ok) as `/readyz` answers it.
async fn readiness_of(checks: &[(&'static str, bool, bool)]) -> (StatusCode, Value) {
    let mut readiness = Readiness::new();
    for &(name, required, ok) in checks {
        let check = move || async move { if ok { Ok(()) } else { anyhow::bail!("down") } };
        readiness =
            if required { readiness.check(name, check) } else { readiness.optional(name, check) };
    }
    let response = readiness
        .router::<()>()
        .oneshot(Request::get("/readyz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = to_bytes(response.into_body(), 1 << 16).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn a_failing_optional_check_is_degraded_but_ready_and_a_required_one_is_not() {
    let (status, body) = readiness_of(&[("postgres", true, true), ("redis", false, false)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"status": "degraded", "checks": {"postgres": "ok", "redis": "unavailable"}})
    );
    let (status, body) = readiness_of(&[("postgres", true, false), ("redis", false, true)]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "unavailable");
    let (status, body) = readiness_of(&[("postgres", true, true), ("redis", false, true)]).await;
    assert_eq!((status, &body["status"]), (StatusCode::OK, &json!("ready")));
}

#[tokio::test]
async fn readiness_names_failed_and_timed_out_checks() {
    let (status, _, body) = send(Request::get("/readyz").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        json!({"status": "unavailable", "checks": {"fine": "ok", "broken": "unavailable", "slow": "unavailable"}})
    );
}

/// A handler's HTML page (auth's sign-in pages) is shown as it is, with its status; a plain-text
/// error (what axum's rejections are) is still rewritten into the error shape.
#[tokio::test]
async fn an_html_error_page_passes_and_plain_text_is_reshaped() {
    let response = app().oneshot(Request::get("/page").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let kind = response.headers()[header::CONTENT_TYPE].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/html"), "{kind}");
    let bytes = to_bytes(response.into_body(), 1 << 16).await.unwrap();
    assert_eq!(&bytes[..], b"<p>That link is spent.</p>");

    let (status, headers, body) = send(Request::get("/plain").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    assert!(body["error"]["code"].is_string(), "{body}");
}
