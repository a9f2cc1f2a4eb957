//! The shared extractor against a real JWKS served over HTTP by the test key pair.

// A failed unwrap in a test helper fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use posey_domain::clock::{Clock, ManualClock};
use posey_http::auth::{Authenticated, JwksVerifier, VerifierConfig};
use posey_testkit::keys::TestKey;
use posey_testkit::{JwksServer, TEST_ISSUER, TestKeys};
use serde_json::{Value, json};
use tower::ServiceExt;

struct Harness {
    keys: TestKeys,
    jwks: JwksServer,
    app: Router,
}

async fn harness() -> Harness {
    let keys = TestKeys::new();
    let jwks = keys.serve().await;
    let mut config = VerifierConfig::new(jwks.url.clone(), TEST_ISSUER);
    config.leeway = Duration::ZERO;
    config.refresh_min_interval = Duration::ZERO;
    let verifier = Arc::new(JwksVerifier::new(config));
    let app = Router::new()
        .route("/me", get(|Authenticated(claims): Authenticated| async move { claims.sub }))
        .with_state(verifier);
    Harness { keys, jwks, app }
}

impl Harness {
    async fn call(&self, authorization: Option<&str>) -> (StatusCode, String, Option<String>) {
        let mut request = Request::get("/me");
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        let response =
            self.app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let status = response.status();
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap(), challenge)
    }

    async fn with_token(&self, token: &str) -> (StatusCode, String, Option<String>) {
        self.call(Some(&format!("Bearer {token}"))).await
    }

    /// Asserts a 401 in the standard error shape whose message contains `needle`.
    async fn refuses(&self, token: &str, needle: &str) {
        let (status, body, challenge) = self.with_token(token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"]["code"], "unauthorized", "{body}");
        let message = json["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "expected {needle:?} in {message:?}");
        assert_eq!(challenge.as_deref(), Some("Bearer error=\"invalid_token\""));
    }
}

fn unsigned(header: &Value, claims: &Value) -> String {
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let c = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{h}.{c}.")
}

#[tokio::test]
async fn a_token_signed_by_a_published_key_passes() {
    let h = harness().await;
    for alg in [Algorithm::EdDSA, Algorithm::ES256] {
        let token = h.keys.key(alg).sign(&TestKeys::claims_for("user-1"));
        let (status, body, _) = h.with_token(&token).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "user-1"), "{alg:?}");
    }
}

#[tokio::test]
async fn the_jwks_is_fetched_once_and_cached() {
    let h = harness().await;
    for i in 0..5 {
        let (status, _, _) = h.with_token(&h.keys.token_for(&format!("u{i}"))).await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(h.jwks.fetches(), 1);
}

#[tokio::test]
async fn a_bad_signature_is_refused() {
    let h = harness().await;
    // Signed by a key that was never published, claiming a published key's id.
    let mut impostor = TestKey::ed25519();
    impostor.kid = h.keys.signing_key().kid;
    h.refuses(&impostor.sign(&TestKeys::claims_for("mallory")), "signature").await;

    // A published key's token with its payload swapped.
    let good = h.keys.token_for("alice");
    let forged_claims = URL_SAFE_NO_PAD.encode(TestKeys::claims_for("mallory").to_string());
    let parts: Vec<_> = good.split('.').collect();
    h.refuses(&format!("{}.{forged_claims}.{}", parts[0], parts[2]), "signature").await;
}

#[tokio::test]
async fn alg_none_and_hmac_are_refused() {
    let h = harness().await;
    let kid = h.keys.signing_key().kid;
    let claims = TestKeys::claims_for("mallory");
    h.refuses(&unsigned(&json!({"alg": "none", "typ": "JWT", "kid": kid}), &claims), "none").await;

    // HS256 "signed" with the public key bytes: the classic algorithm-confusion attack.
    let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
    header.kid = Some(kid);
    let secret = h.keys.signing_key().jwk()["x"].as_str().unwrap().to_owned();
    let token = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    h.refuses(&token, "HS256").await;
}

#[tokio::test]
async fn expired_wrong_audience_and_wrong_issuer_are_refused() {
    let h = harness().await;
    let key = h.keys.signing_key();
    let base = TestKeys::claims_for("alice");

    let mut expired = base.clone();
    expired["exp"] = json!(base["iat"].as_i64().unwrap() - 60);
    h.refuses(&key.sign(&expired), "expired").await;

    let mut audience = base.clone();
    audience["aud"] = json!("some-other-api");
    h.refuses(&key.sign(&audience), "audience").await;

    let mut issuer = base.clone();
    issuer["iss"] = json!("https://evil.example");
    h.refuses(&key.sign(&issuer), "issuer").await;

    let mut no_sub = base;
    no_sub.as_object_mut().unwrap().remove("sub");
    h.refuses(&key.sign(&no_sub), "sub").await;
}

#[tokio::test]
async fn missing_or_malformed_credentials_are_refused() {
    let h = harness().await;
    let (status, body, _) = h.call(None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("missing bearer token"), "{body}");

    let (status, body, _) = h.call(Some("Basic dXNlcjpwdw==")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("Bearer"), "{body}");

    h.refuses("not-a-jwt", "malformed").await;
    let no_kid = unsigned(&json!({"alg": "EdDSA"}), &TestKeys::claims_for("x"));
    h.refuses(&no_kid, "key id").await;
}

#[tokio::test]
async fn a_rotated_in_key_is_picked_up_on_first_sight() {
    let h = harness().await;
    assert_eq!(h.with_token(&h.keys.token_for("a")).await.0, StatusCode::OK);
    assert_eq!(h.jwks.fetches(), 1);

    let new_key = TestKey::es256();
    let token = new_key.sign(&TestKeys::claims_for("b"));
    h.keys.rotate_in(new_key);
    let (status, body, _) = h.with_token(&token).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "b"));
    assert_eq!(h.jwks.fetches(), 2);

    // A kid nobody published still fails, after (at most) one more fetch.
    h.refuses(&TestKey::ed25519().sign(&TestKeys::claims_for("c")), "unknown key").await;
}

#[tokio::test]
async fn unknown_kids_do_not_hammer_the_jwks_endpoint() {
    let keys = TestKeys::new();
    let jwks = keys.serve().await;
    let verifier = JwksVerifier::new(VerifierConfig::new(jwks.url.clone(), TEST_ISSUER));
    verifier.verify(&keys.token_for("a")).await.unwrap();
    for _ in 0..20 {
        let junk = TestKey::ed25519().sign(&TestKeys::claims_for("x"));
        assert!(verifier.verify(&junk).await.is_err());
    }
    // The default minimum interval (5 s) holds refetches back.
    assert_eq!(jwks.fetches(), 1);
}

#[tokio::test]
async fn an_unreachable_jwks_is_a_503_not_a_401() {
    let keys = TestKeys::new();
    let url = {
        let server = keys.serve().await;
        server.url.clone()
    }; // The server is dropped: nothing listens there now.
    let verifier = Arc::new(JwksVerifier::new(VerifierConfig::new(url, TEST_ISSUER)));
    let app = Router::new()
        .route("/me", get(|Authenticated(c): Authenticated| async move { c.sub }))
        .with_state(verifier);
    let request = Request::get("/me")
        .header(header::AUTHORIZATION, format!("Bearer {}", keys.token_for("a")))
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_remembered_token_still_expires() {
    let keys = TestKeys::new();
    let jwks = keys.serve().await;
    let mut config = VerifierConfig::new(jwks.url.clone(), TEST_ISSUER);
    config.leeway = Duration::ZERO;
    let clock = ManualClock::starting_now();
    let verifier = JwksVerifier::new(config).with_clock(clock.clone());
    let mut claims = TestKeys::claims_for("short-lived");
    claims["exp"] = json!(clock.now().timestamp() + 2);
    let token = keys.signing_key().sign(&claims);
    verifier.verify(&token).await.unwrap();
    verifier.verify(&token).await.unwrap();
    // Three seconds on: past `exp`, though the token was remembered as checked.
    clock.advance(chrono::TimeDelta::seconds(3));
    assert!(matches!(verifier.verify(&token).await, Err(posey_http::auth::VerifyError::Expired)));
}
