//! Role and permission guards: permissions read from a real migrated `auth.roles`, the cache's
//! life, and the extractors behind a real JWKS.

// A failed unwrap in a test helper fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::FromRef;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use chrono::TimeDelta;
use posey_domain::clock::ManualClock;
use posey_http::auth::{
    AdminRole, Claims, JwksVerifier, PermissionName, Permissions, RequirePermission, RequireRole,
    VerifierConfig,
};
use posey_testkit::{JwksServer, TEST_ISSUER, TestDatabase, TestKeys};
use serde_json::{Value, json};
use tower::ServiceExt;

fn claims_with(extra: Value) -> Claims {
    let mut claims = TestKeys::claims_for(&uuid::Uuid::new_v4().to_string());
    claims.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    serde_json::from_value(claims).unwrap()
}

fn service_claims() -> Claims {
    claims_with(json!({ "sub": "service:cron", "role": "service_role" }))
}

async fn add_role(db: &TestDatabase, name: &str, permissions: &[&str]) {
    sqlx::query("INSERT INTO auth.roles (name, permissions) VALUES ($1, $2)")
        .bind(name)
        .bind(permissions.iter().map(|p| p.to_string()).collect::<Vec<_>>())
        .execute(&db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn permissions_come_from_the_roles_a_token_carries() {
    let db = TestDatabase::new().await;
    let permissions = Permissions::new(db.pool.clone());
    let admin = claims_with(json!({ "roles": ["admin"] }));
    assert!(permissions.has_permission(&admin, "users:manage").await.unwrap());
    assert!(permissions.has_permission(&admin, "audit:read").await.unwrap());
    assert!(!permissions.has_permission(&admin, "billing:read").await.unwrap());

    let nobody = claims_with(json!({}));
    assert!(!permissions.has_permission(&nobody, "users:manage").await.unwrap());
    let unknown_role = claims_with(json!({ "roles": ["no-such-role"] }));
    assert!(!permissions.has_permission(&unknown_role, "users:manage").await.unwrap());
    let refused = permissions.require(&nobody, "users:manage").await.unwrap_err();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // A service client granted `admin` is trusted with everything, one without it with
    // nothing (cron's client acts for people, it does not manage them); a user merely claiming
    // the role is not a service client.
    assert!(!permissions.has_permission(&service_claims(), "users:manage").await.unwrap());
    let scoped = claims_with(json!({ "sub": "service:cron", "role": "service_role",
        "scope": "agents:turns cron:act-for-person" }));
    assert!(!permissions.has_permission(&scoped, "users:manage").await.unwrap());
    let refused = permissions.require(&scoped, "users:manage").await.unwrap_err();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let ops =
        claims_with(json!({ "sub": "service:ops", "role": "service_role", "scope": "admin" }));
    assert!(permissions.has_permission(&ops, "anything:at_all").await.unwrap());
    let pretender = claims_with(json!({ "role": "service_role" }));
    assert!(!permissions.has_permission(&pretender, "users:manage").await.unwrap());

    add_role(&db, "editor", &["notes:*", "calendar:read"]).await;
    permissions.invalidate();
    let editor = claims_with(json!({ "roles": ["editor", "admin"] }));
    assert!(permissions.has_permission(&editor, "notes:write").await.unwrap());
    assert!(!permissions.has_permission(&editor, "calendar:write").await.unwrap());
    let all = permissions.of(&editor).await.unwrap();
    assert_eq!(
        all.into_iter().collect::<Vec<_>>(),
        ["audit:read", "calendar:read", "notes:*", "roles:manage", "users:manage"]
    );
}

#[tokio::test]
async fn role_changes_are_seen_once_the_cache_expires() {
    let db = TestDatabase::new().await;
    let clock = ManualClock::starting_now();
    let long = Permissions::with_clock(db.pool.clone(), Permissions::DEFAULT_TTL, clock.clone());
    let short = Permissions::with_clock(db.pool.clone(), Duration::from_millis(200), clock.clone());
    let editor = claims_with(json!({ "roles": ["editor"] }));
    assert!(!long.has_permission(&editor, "notes:write").await.unwrap());
    assert!(!short.has_permission(&editor, "notes:write").await.unwrap());

    add_role(&db, "editor", &["notes:write"]).await;
    assert!(!short.has_permission(&editor, "notes:write").await.unwrap(), "cached for 200 ms");
    clock.advance(TimeDelta::milliseconds(300));
    assert!(short.has_permission(&editor, "notes:write").await.unwrap());
    assert!(!long.has_permission(&editor, "notes:write").await.unwrap(), "cached for 30 s");

    sqlx::query("DELETE FROM auth.roles WHERE name = 'editor'").execute(&db.pool).await.unwrap();
    clock.advance(TimeDelta::milliseconds(300));
    assert!(!short.has_permission(&editor, "notes:write").await.unwrap());
}

#[tokio::test]
async fn concurrent_first_checks_all_get_the_answer() {
    let db = TestDatabase::new().await;
    let permissions = Permissions::new(db.pool.clone());
    let admin = claims_with(json!({ "roles": ["admin"] }));
    let checks = (0..20).map(|_| {
        let (permissions, admin) = (permissions.clone(), admin.clone());
        tokio::spawn(async move { permissions.has_permission(&admin, "users:manage").await })
    });
    for check in futures::future::join_all(checks).await {
        assert!(check.unwrap().unwrap());
    }
}

#[tokio::test]
async fn an_unreachable_database_is_a_503_to_retry_not_a_refusal() {
    let db = TestDatabase::new().await;
    let permissions = Permissions::new(db.pool.clone());
    db.cut_off().await;
    db.pool.close().await;
    let admin = claims_with(json!({ "roles": ["admin"] }));
    let error = permissions.has_permission(&admin, "users:manage").await.unwrap_err();
    assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
}

struct ManageUsers;

impl PermissionName for ManageUsers {
    const NAME: &'static str = "users:manage";
}

#[derive(Clone)]
struct AppState {
    verifier: Arc<JwksVerifier>,
    permissions: Permissions,
}

impl FromRef<AppState> for Arc<JwksVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

impl FromRef<AppState> for Permissions {
    fn from_ref(state: &AppState) -> Self {
        state.permissions.clone()
    }
}

struct Harness {
    keys: TestKeys,
    _jwks: JwksServer,
    _db: TestDatabase,
    app: Router,
}

async fn harness() -> Harness {
    let keys = TestKeys::new();
    let jwks = keys.serve().await;
    let db = TestDatabase::new().await;
    let verifier = Arc::new(JwksVerifier::new(VerifierConfig::new(jwks.url.clone(), TEST_ISSUER)));
    let state = AppState { verifier, permissions: Permissions::new(db.pool.clone()) };
    let app = Router::new()
        .route("/admin", get(|RequireRole::<AdminRole> { claims, .. }| async move { claims.sub }))
        .route(
            "/users",
            get(|guard: RequirePermission<ManageUsers>| async move { guard.claims.sub }),
        )
        .with_state(state);
    Harness { keys, _jwks: jwks, _db: db, app }
}

impl Harness {
    fn token(&self, extra: Value) -> String {
        let mut claims = TestKeys::claims_for(&uuid::Uuid::new_v4().to_string());
        claims.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        self.keys.signing_key().sign(&claims)
    }

    async fn call(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = Request::get(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let response =
            self.app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let status = response.status();
        let body = to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (
            status,
            serde_json::from_slice(&body).unwrap_or_else(|_| json!(String::from_utf8_lossy(&body))),
        )
    }
}

#[tokio::test]
async fn require_role_admits_holders_and_refuses_the_rest_in_the_standard_shape() {
    let h = harness().await;
    let (status, _) = h.call("/admin", Some(&h.token(json!({ "roles": ["admin"] })))).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = h.call("/admin", Some(&h.token(json!({ "roles": ["editor"] })))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(body["error"]["message"].as_str().unwrap().contains("admin"), "{body}");

    // Service tokens carry no roles.
    let service = h.token(json!({ "sub": "service:cron", "role": "service_role" }));
    assert_eq!(h.call("/admin", Some(&service)).await.0, StatusCode::FORBIDDEN);

    let (status, body) = h.call("/admin", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn require_permission_looks_the_roles_up() {
    let h = harness().await;
    let (status, _) = h.call("/users", Some(&h.token(json!({ "roles": ["admin"] })))).await;
    assert_eq!(status, StatusCode::OK);
    let service = h.token(json!({ "sub": "service:cron", "role": "service_role" }));
    assert_eq!(h.call("/users", Some(&service)).await.0, StatusCode::FORBIDDEN);
    let ops = h.token(json!({ "sub": "service:ops", "role": "service_role", "scope": "admin" }));
    assert_eq!(h.call("/users", Some(&ops)).await.0, StatusCode::OK);

    let (status, body) = h.call("/users", Some(&h.token(json!({})))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(body["error"]["message"].as_str().unwrap().contains("users:manage"), "{body}");
    assert_eq!(h.call("/users", Some("not-a-token")).await.0, StatusCode::UNAUTHORIZED);
}
