//! The bridge against a small stand-in for auth and a service on 127.0.0.1:0: it counts
//! refreshes, spends refresh tokens once as auth does, and echoes credentials back so the tests
//! can see they never reach a reply.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::*;

struct Fake {
    refreshes: AtomicUsize,
    /// The refresh token auth would accept next (each is single-use).
    refresh: Mutex<String>,
    /// The access token the service accepts.
    valid: Mutex<String>,
    /// How long the sign-in's access token lasts.
    sign_in_expires_in: u64,
}

type Shared = Arc<Fake>;

fn lock<T: Clone>(m: &Mutex<T>) -> T {
    m.lock().expect("lock").clone()
}

async fn token(
    State(fake): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Response {
    match q.get("grant_type").map(String::as_str) {
        Some("password") => {
            if body["password"] != "right" {
                let answer = json!({ "code": "invalid_credentials", "message": "Invalid login credentials" });
                return (StatusCode::BAD_REQUEST, Json(answer)).into_response();
            }
            *fake.refresh.lock().expect("lock") = "RT-1".into();
            *fake.valid.lock().expect("lock") = "AT-signin".into();
            Json(json!({
                "access_token": "AT-signin", "refresh_token": "RT-1", "token_type": "bearer",
                "expires_in": fake.sign_in_expires_in, "user": { "id": "u1", "email": body["email"] },
            }))
            .into_response()
        }
        Some("refresh_token") => {
            let n = fake.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
            // Slow enough that concurrent callers overlap with it.
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut refresh = fake.refresh.lock().expect("lock");
            if body["refresh_token"] != *refresh {
                let answer = json!({ "code": "refresh_token_already_used", "message": "Invalid Refresh Token" });
                return (StatusCode::BAD_REQUEST, Json(answer)).into_response();
            }
            *refresh = format!("RT-{}", n + 1);
            let access = format!("AT-refreshed-{n}");
            *fake.valid.lock().expect("lock") = access.clone();
            Json(json!({
                "access_token": access, "refresh_token": *refresh, "expires_in": 3600,
                "user": { "id": "u1", "email": "ada@example.test" },
            }))
            .into_response()
        }
        _ => StatusCode::BAD_REQUEST.into_response(),
    }
}

fn authorized(fake: &Fake, headers: &HeaderMap) -> Option<String> {
    let sent = headers.get(header::AUTHORIZATION)?.to_str().ok()?.to_owned();
    (sent == format!("Bearer {}", lock(&fake.valid))).then_some(sent)
}

/// Answers credentials every way a careless service could: under a token's key, nested, and
/// the bearer it was sent echoed in a plain field.
async fn echo(State(fake): State<Shared>, headers: HeaderMap) -> Response {
    let Some(sent) = authorized(&fake, &headers) else {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "code": "unauthorized", "message": "bad token" })),
        )
            .into_response();
    };
    Json(json!({
        "ok": true,
        "you_sent": sent,
        "access_token": "AT-leak",
        "items": [{ "refresh_token": "RT-leak", "title": "kept" }],
    }))
    .into_response()
}

async fn stream(State(fake): State<Shared>, headers: HeaderMap) -> Response {
    let Some(sent) = authorized(&fake, &headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let body = format!(
        "event: text\ndata: {{\"type\":\"text\",\"delta\":\"hi {sent}\"}}\n\nevent: done\ndata: {{\"type\":\"done\"}}\n\n"
    );
    ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
}

async fn user(State(fake): State<Shared>, headers: HeaderMap) -> Response {
    match authorized(&fake, &headers) {
        Some(_) => Json(json!({ "id": "u1", "email": "ada@example.test" })).into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn serve(sign_in_expires_in: u64) -> (Endpoints, Shared) {
    let fake = Arc::new(Fake {
        refreshes: AtomicUsize::new(0),
        refresh: Mutex::new(String::new()),
        valid: Mutex::new(String::new()),
        sign_in_expires_in,
    });
    let app = Router::new()
        .route("/token", post(token))
        .route("/user", get(user))
        .route("/logout", post(|| async { StatusCode::NO_CONTENT }))
        .route("/v1/echo", get(echo))
        .route("/v1/stream", post(stream))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    let url = Url::parse(&format!("http://{address}/")).expect("url");
    (Endpoints { auth: url.clone(), agents: url.clone(), cron: url }, fake)
}

fn no_token(what: &str, json: &str) {
    for secret in ["AT-", "RT-"] {
        assert!(!json.contains(secret), "{what} carries a token: {json}");
    }
}

#[tokio::test]
async fn no_token_in_any_reply_or_event() {
    let (endpoints, _fake) = serve(3600).await;
    let store = Arc::new(MemoryStore::default());
    let bridge = Bridge::new(endpoints, store.clone());

    let refused = bridge
        .sign_in_with_password("ada@example.test", "wrong")
        .await
        .expect_err("wrong password");
    assert!(matches!(&refused, BridgeError::Refused { code, .. } if code == "invalid_credentials"));
    no_token("a refused sign-in", &serde_json::to_string(&refused).expect("json"));

    let user = bridge.sign_in_with_password("ada@example.test", "right").await.expect("sign in");
    assert_eq!(user["id"], "u1");
    no_token("the sign-in's answer", &serde_json::to_string(&user).expect("json"));
    // The refresh token is in the store, not in memory only.
    assert_eq!(store.load(&bridge.account()).expect("load").as_deref(), Some("RT-1"));

    let reply = bridge.call(Service::Agents, "GET", "/v1/echo", None).await.expect("call");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["ok"], true);
    assert_eq!(reply.body["items"][0]["title"], "kept");
    assert_eq!(reply.body["you_sent"], "Bearer [redacted]");
    no_token("an API reply", &serde_json::to_string(&reply).expect("json"));

    let mut events = Vec::new();
    bridge
        .stream(
            Service::Agents,
            "POST",
            "/v1/stream",
            Some(&json!({ "content": "hi" })),
            None,
            |e| {
                events.push(e);
                true
            },
        )
        .await
        .expect("stream");
    assert_eq!(events.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(), ["text", "done"]);
    no_token("the stream's events", &serde_json::to_string(&events).expect("json"));

    // Auth's session-issuing routes are the bridge's own: the webview cannot call them.
    for path in ["/token?grant_type=password", "/verify", "/token"] {
        let e = bridge.call(Service::Auth, "POST", path, Some(&json!({}))).await.expect_err(path);
        assert!(matches!(e, BridgeError::Invalid(_)), "{path}: {e}");
    }
    let current = bridge.current_user().await.expect("current user");
    no_token("the current user", &serde_json::to_string(&current).expect("json"));

    bridge.sign_out().await.expect("sign out");
    assert_eq!(store.load(&bridge.account()).expect("load"), None);
    let e = bridge.call(Service::Agents, "GET", "/v1/echo", None).await.expect_err("signed out");
    assert!(matches!(e, BridgeError::NotSignedIn));
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_once_for_many_callers() {
    // The sign-in's token is already inside the refresh margin.
    let (endpoints, fake) = serve(0).await;
    let store = Arc::new(MemoryStore::default());
    let bridge = Arc::new(Bridge::new(endpoints, store.clone()));
    bridge.sign_in_with_password("ada@example.test", "right").await.expect("sign in");

    let calls = (0..16).map(|_| {
        let bridge = bridge.clone();
        tokio::spawn(async move { bridge.call(Service::Agents, "GET", "/v1/echo", None).await })
    });
    for call in futures::future::join_all(calls).await {
        assert_eq!(call.expect("join").expect("call").status, 200);
    }
    assert_eq!(fake.refreshes.load(Ordering::SeqCst), 1, "one refresh for sixteen callers");
    assert_eq!(
        store.load(&bridge.account()).expect("load").as_deref(),
        Some("RT-2"),
        "the new refresh token is kept"
    );
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_once_for_many_callers() {
    let (endpoints, fake) = serve(3600).await;
    let bridge = Arc::new(Bridge::new(endpoints, Arc::new(MemoryStore::default())));
    bridge.sign_in_with_password("ada@example.test", "right").await.expect("sign in");
    // The service stops accepting the token (auth rotated its keys, say) before it expires.
    *fake.valid.lock().expect("lock") = "AT-nobody-has".into();

    let calls = (0..8).map(|_| {
        let bridge = bridge.clone();
        tokio::spawn(async move { bridge.call(Service::Agents, "GET", "/v1/echo", None).await })
    });
    for call in futures::future::join_all(calls).await {
        assert_eq!(call.expect("join").expect("call").status, 200);
    }
    assert_eq!(fake.refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_new_run_restores_the_session_from_the_store_and_a_spent_one_signs_out() {
    let (endpoints, fake) = serve(3600).await;
    let store = Arc::new(MemoryStore::default());
    let first = Bridge::new(endpoints.clone(), store.clone());
    first.sign_in_with_password("ada@example.test", "right").await.expect("sign in");

    // The app starts again: nothing in memory, the refresh token in the store.
    let second = Bridge::new(endpoints.clone(), store.clone());
    let user = second.current_user().await.expect("restore").expect("signed in");
    assert_eq!(user["id"], "u1");
    assert_eq!(
        second.call(Service::Cron, "GET", "/v1/echo", None).await.expect("call").status,
        200
    );
    assert_eq!(fake.refreshes.load(Ordering::SeqCst), 1);

    // Another copy still holding the spent RT-1 finds its session over, and forgets it.
    let stale = Arc::new(MemoryStore::default());
    stale.save(endpoints.auth.as_str(), "RT-1").expect("save");
    let third = Bridge::new(endpoints, stale.clone());
    assert!(third.current_user().await.expect("answer").is_none());
    assert_eq!(stale.load(&third.account()).expect("load"), None);
}

#[test]
fn endpoints_at_an_address_use_posey_ups_ports() {
    let e = Endpoints::at_address("home.example:1234/x").expect("address");
    assert_eq!(e.auth.as_str(), "http://home.example:9000/");
    assert_eq!(e.agents.as_str(), "http://home.example:8000/");
    assert_eq!(e.cron.as_str(), "http://home.example:8090/");
    assert!(Endpoints::at_address("ftp://x").is_err());
    assert!(Endpoints::at_address(" ").is_err());
}
