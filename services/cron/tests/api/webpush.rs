//! Web Push delivery against a local push service: the body decrypts (RFC 8291) with the
//! subscriber's key, the VAPID token verifies against its `k=` key, and a 410 drops the
//! subscription. Endpoints on private addresses are refused when subscribed and, stored
//! anyway, on the address each delivery would connect to (`CRON_PUSH_ALLOW` opens them).

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::time::Duration;

use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{Aead, KeyInit};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use posey_cron::destination::REFUSED;
use posey_cron::notifications::{self, Channels, NewNotification};
use rand::RngCore;
use serde_json::{Value, json};
use sha2::Sha256;
use sqlx::PgPool;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::helpers::{CronApp, spawn_authed_app_with};

/// A push service on 127.0.0.1 answering `status` and handing over each request.
struct PushService {
    url: String,
    status: Arc<AtomicU16>,
    received: mpsc::UnboundedReceiver<(HeaderMap, Bytes)>,
}

#[derive(Clone)]
struct PushState {
    status: Arc<AtomicU16>,
    sender: mpsc::UnboundedSender<(HeaderMap, Bytes)>,
}

async fn push_service() -> PushService {
    async fn receive(
        State(state): State<PushState>,
        headers: HeaderMap,
        body: Bytes,
    ) -> StatusCode {
        let _ = state.sender.send((headers, body));
        StatusCode::from_u16(state.status.load(Ordering::SeqCst)).unwrap()
    }
    let (sender, received) = mpsc::unbounded_channel();
    let status = Arc::new(AtomicU16::new(201));
    let router = axum::Router::new()
        .route("/push/{id}", axum::routing::post(receive))
        .with_state(PushState { status: status.clone(), sender });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    PushService {
        url: format!("http://127.0.0.1:{port}/push/{}", Uuid::new_v4()),
        status,
        received,
    }
}

/// A browser's side of a subscription.
struct Subscriber {
    key: SecretKey,
    auth: [u8; 16],
}

impl Subscriber {
    fn new() -> Self {
        let mut auth = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut auth);
        Self { key: SecretKey::random(&mut rand::rngs::OsRng), auth }
    }

    fn p256dh(&self) -> Vec<u8> {
        self.key.public_key().to_encoded_point(false).as_bytes().to_vec()
    }

    /// RFC 8291 §3.4 from the receiving end, on one `aes128gcm` record (RFC 8188 §2).
    fn decrypt(&self, body: &[u8]) -> Vec<u8> {
        let (salt, rest) = body.split_at(16);
        let record_size = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        assert!(body.len() <= record_size, "one record");
        assert_eq!(rest[4], 65, "keyid is the sender's uncompressed point");
        let (sender, ciphertext) = rest[5..].split_at(65);
        let sender = PublicKey::from_sec1_bytes(sender).unwrap();
        let shared = p256::ecdh::diffie_hellman(self.key.to_nonzero_scalar(), sender.as_affine());
        let mut info = b"WebPush: info\0".to_vec();
        info.extend_from_slice(&self.p256dh());
        info.extend_from_slice(sender.to_encoded_point(false).as_bytes());
        let mut ikm = [0u8; 32];
        Hkdf::<Sha256>::new(Some(&self.auth), shared.raw_secret_bytes())
            .expand(&info, &mut ikm)
            .unwrap();
        let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
        let mut cek = [0u8; 16];
        let mut nonce = [0u8; 12];
        prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek).unwrap();
        prk.expand(b"Content-Encoding: nonce\0", &mut nonce).unwrap();
        let mut plain = Aes128Gcm::new(&cek.into()).decrypt(&nonce.into(), ciphertext).unwrap();
        // Strip padding back to the last record's delimiter.
        while plain.last() == Some(&0) {
            plain.pop();
        }
        assert_eq!(plain.pop(), Some(2), "the last record's delimiter");
        plain
    }
}

async fn spawn_push_app() -> (CronApp, String) {
    let vapid = SecretKey::random(&mut rand::rngs::OsRng);
    let public = URL_SAFE_NO_PAD.encode(vapid.public_key().to_encoded_point(false).as_bytes());
    let app = spawn_authed_app_with(&[
        ("CRON_VAPID_PRIVATE_KEY", URL_SAFE_NO_PAD.encode(vapid.to_bytes())),
        ("CRON_VAPID_SUBJECT", "mailto:ops@example.com".to_owned()),
        ("CRON_PUSH_ALLOW_INSECURE_LOOPBACK", "true".to_owned()),
    ])
    .await;
    (app, public)
}

async fn subscribe(app: &CronApp, token: &str, endpoint: &str, subscriber: &Subscriber) -> String {
    let response = app
        .post_as(
            "/v1/push/subscriptions",
            token,
            &json!({"endpoint": endpoint, "keys": {
                "p256dh": URL_SAFE_NO_PAD.encode(subscriber.p256dh()),
                "auth": URL_SAFE_NO_PAD.encode(subscriber.auth),
            }}),
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn notify(db: &PgPool, user_id: Uuid, title: &str) -> Uuid {
    let mut tx = db.begin().await.unwrap();
    let data = json!({"task": "t1"});
    let new = NewNotification {
        user_id,
        title,
        body: "the body",
        data: &data,
        task_id: None,
        run_id: None,
        key: None,
    };
    let id = notifications::create(&mut tx, Channels::default(), &new).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    id
}

async fn next_push(push: &mut PushService) -> (HeaderMap, Bytes) {
    tokio::time::timeout(Duration::from_secs(10), push.received.recv())
        .await
        .expect("no push within 10 s")
        .unwrap()
}

/// The web_push delivery's (status, last_error) once attempted.
async fn wait_for_push_attempt(db: &PgPool, notification: Uuid) -> (String, String) {
    for _ in 0..100 {
        let row: Option<(String, i32, Option<String>)> = sqlx::query_as(
            "SELECT status, attempts, last_error FROM cron.deliveries \
             WHERE notification_id = $1 AND channel = 'web_push'",
        )
        .bind(notification)
        .fetch_optional(db)
        .await
        .unwrap();
        if let Some((status, attempts, error)) = row
            && attempts > 0
        {
            return (status, error.unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no web_push delivery attempt for {notification}");
}

#[tokio::test]
async fn webpush_delivers_an_encrypted_vapid_signed_message() {
    let (app, vapid_public) = spawn_push_app().await;
    let mut push = push_service().await;
    let (alice, token) = app.person();
    let subscriber = Subscriber::new();
    subscribe(&app, &token, &push.url, &subscriber).await;

    let id = notify(&app.db.pool, alice, "pushed").await;
    let (headers, body) = next_push(&mut push).await;
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-encoding"), "aes128gcm");
    assert_eq!(header("content-type"), "application/octet-stream");
    assert_eq!(header("urgency"), "normal");
    assert!(header("ttl").parse::<u32>().unwrap() > 0);

    let message: Value = serde_json::from_slice(&subscriber.decrypt(&body)).unwrap();
    assert_eq!(
        message,
        json!({"id": id, "title": "pushed", "body": "the body", "data": {"task": "t1"}})
    );

    // Authorization: vapid t=<ES256 JWT>, k=<the key browsers subscribed with>.
    let authorization = header("authorization");
    let (jwt, key) = authorization
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .unwrap_or_else(|| panic!("{authorization}"));
    assert_eq!(key, vapid_public);
    let point = PublicKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(key).unwrap())
        .unwrap()
        .to_encoded_point(false);
    let decoding = jsonwebtoken::DecodingKey::from_ec_components(
        &URL_SAFE_NO_PAD.encode(point.x().unwrap()),
        &URL_SAFE_NO_PAD.encode(point.y().unwrap()),
    )
    .unwrap();
    let origin = url::Url::parse(&push.url).unwrap().origin().ascii_serialization();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[&origin]);
    let claims = jsonwebtoken::decode::<Value>(jwt, &decoding, &validation).unwrap().claims;
    assert_eq!(claims["sub"], "mailto:ops@example.com");
    let lifetime = claims["exp"].as_i64().unwrap() - chrono::Utc::now().timestamp();
    assert!(lifetime > 0 && lifetime <= 24 * 3600, "{lifetime}");

    let (status, error) = wait_for_push_attempt(&app.db.pool, id).await;
    assert_eq!((status.as_str(), error.as_str()), ("delivered", ""));
}

#[tokio::test]
async fn webpush_gone_subscription_is_deleted_and_fails_for_good() {
    let (app, _) = spawn_push_app().await;
    let mut push = push_service().await;
    push.status.store(410, Ordering::SeqCst);
    let (alice, token) = app.person();
    let subscriber = Subscriber::new();
    let subscription = subscribe(&app, &token, &push.url, &subscriber).await;

    let id = notify(&app.db.pool, alice, "to nobody").await;
    next_push(&mut push).await;
    let (status, error) = wait_for_push_attempt(&app.db.pool, id).await;
    assert_eq!(status, "failed");
    assert!(error.contains("gone"), "{error}");
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM cron.push_subscriptions WHERE id = $1")
            .bind(Uuid::parse_str(&subscription).unwrap())
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn webpush_http_endpoints_need_the_loopback_opt_in() {
    let (app, _) = spawn_push_app().await;
    let (_, token) = app.person();
    let subscriber = Subscriber::new();
    // Opted in, yet only loopback IPs may be plain http.
    let response = app
        .post_as(
            "/v1/push/subscriptions",
            &token,
            &json!({"endpoint": "http://push.example.com/x", "keys": {
                "p256dh": URL_SAFE_NO_PAD.encode(subscriber.p256dh()),
                "auth": URL_SAFE_NO_PAD.encode(subscriber.auth),
            }}),
        )
        .await;
    assert_eq!(response.status(), 422);
}

/// Posts a subscription for `endpoint` with valid keys.
async fn try_subscribe(app: &CronApp, token: &str, endpoint: &str) -> reqwest::Response {
    let subscriber = Subscriber::new();
    let keys = json!({
        "p256dh": URL_SAFE_NO_PAD.encode(subscriber.p256dh()),
        "auth": URL_SAFE_NO_PAD.encode(subscriber.auth),
    });
    app.post_as("/v1/push/subscriptions", token, &json!({"endpoint": endpoint, "keys": keys})).await
}

/// A push endpoint is a URL the person chose, so like a webhook it may not point inside the
/// network: refused when subscribed, however the address is spelt.
#[tokio::test]
async fn webpush_endpoints_on_private_addresses_are_422s_naming_endpoint() {
    let app = spawn_authed_app_with(&[]).await;
    let (_, token) = app.person();
    for endpoint in [
        "https://10.0.0.5:8443/",
        "https://169.254.169.254/",
        "https://127.0.0.1/push/x",
        "https://[::1]/",
        "https://0x7f000001/",
        "https://2130706433/",
        "https://0177.0.0.1/",
        "https://127.1/",
        "https://0.0.0.0/",
        "https://[::]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:a9fe:a9fe]/",
        "https://[64:ff9b::a00:5]/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://172.16.0.1/",
        "https://192.168.1.1/",
        "https://100.64.0.1/",
        "https://localhost:8443/",
        "https://push.localhost/",
    ] {
        let response = try_subscribe(&app, &token, endpoint).await;
        assert_eq!(response.status(), 422, "{endpoint}");
        let body: Value = response.json().await.unwrap();
        let message = body["error"]["fields"]["endpoint"][0].as_str().unwrap_or_default();
        assert!(message.contains("private address"), "{endpoint}: {body}");
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM cron.push_subscriptions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    assert_eq!(try_subscribe(&app, &token, "https://push.example.com/x").await.status(), 201);
}

/// The loopback switch opens loopback only; an operator opens an internal push service with
/// `CRON_PUSH_ALLOW`, not with the webhooks' list.
#[tokio::test]
async fn webpush_private_endpoints_open_only_through_the_push_allow_list() {
    let (app, _) = spawn_push_app().await;
    let (_, token) = app.person();
    assert_eq!(try_subscribe(&app, &token, "https://10.0.0.5:8443/").await.status(), 422);

    let app = spawn_authed_app_with(&[
        ("CRON_PUSH_ALLOW", "10.0.0.5:8443".to_owned()),
        ("CRON_WEBHOOK_ALLOW", "192.168.1.1".to_owned()),
    ])
    .await;
    let (_, token) = app.person();
    assert_eq!(try_subscribe(&app, &token, "https://10.0.0.5:8443/").await.status(), 201);
    assert_eq!(try_subscribe(&app, &token, "https://10.0.0.5:9443/").await.status(), 422);
    assert_eq!(try_subscribe(&app, &token, "https://192.168.1.1/").await.status(), 422);
}

/// A listener on 127.0.0.1 that counts the connections made to it (and drops each at once).
async fn connection_counter() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, accepted)
}

/// Subscriptions saved before the rule, or whose name resolves to loopback by the time of
/// delivery (DNS rebinding), stored as such: each delivery is refused on the address it would
/// connect to, nothing connects, and the delivery records a reason that says nothing about
/// what was there.
#[tokio::test]
async fn webpush_deliveries_to_refused_addresses_never_connect() {
    let vapid = SecretKey::random(&mut rand::rngs::OsRng);
    let app = spawn_authed_app_with(&[
        ("CRON_VAPID_PRIVATE_KEY", URL_SAFE_NO_PAD.encode(vapid.to_bytes())),
        ("CRON_VAPID_SUBJECT", "mailto:ops@example.com".to_owned()),
    ])
    .await;
    let (port, accepted) = connection_counter().await;
    let (alice, _) = app.person();
    let endpoints = [
        // A name: only the resolver's check stands between it and loopback.
        format!("https://localhost:{port}/push/a"),
        format!("https://127.0.0.1:{port}/push/b"),
        format!("https://2130706433:{port}/push/c"),
        format!("https://[::ffff:127.0.0.1]:{port}/push/d"),
    ];
    let subscriber = Subscriber::new();
    for endpoint in &endpoints {
        sqlx::query(
            "INSERT INTO cron.push_subscriptions (id, user_id, endpoint, p256dh, auth) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Uuid::now_v7())
        .bind(alice)
        .bind(endpoint)
        .bind(URL_SAFE_NO_PAD.encode(subscriber.p256dh()))
        .bind(URL_SAFE_NO_PAD.encode(subscriber.auth))
        .execute(&app.db.pool)
        .await
        .unwrap();
    }

    let id = notify(&app.db.pool, alice, "to the inside").await;
    let mut outcomes = Vec::new();
    for _ in 0..100 {
        outcomes = sqlx::query_as::<_, (String, String, i32, Option<String>)>(
            "SELECT s.endpoint, d.status, d.attempts, d.last_error FROM cron.deliveries d \
             JOIN cron.push_subscriptions s ON s.id::text = d.target \
             WHERE d.notification_id = $1 AND d.channel = 'web_push'",
        )
        .bind(id)
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
        if outcomes.len() == endpoints.len() && outcomes.iter().all(|o| o.2 > 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(outcomes.len(), endpoints.len(), "{outcomes:?}");
    for (endpoint, status, attempts, error) in &outcomes {
        assert_eq!(*attempts, 1, "{endpoint}");
        assert_eq!(status, "failed", "{endpoint}");
        assert_eq!(error.as_deref(), Some(REFUSED), "{endpoint}");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "a refused destination was connected to");
}
