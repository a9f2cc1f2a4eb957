//! A real asymmetric signing key pair (Ed25519 and P-256), its public half served as a JWKS over
//! HTTP, and token minting, so tests exercise the same verification path as production.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

pub const TEST_ISSUER: &str = "http://posey-test-auth";
pub const TEST_AUDIENCE: &str = "authenticated";

/// One key: its id, algorithm, private half for signing and public half as a JWK.
#[derive(Clone)]
pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    jwk: Value,
}

impl TestKey {
    /// A fresh Ed25519 key (alg EdDSA).
    pub fn ed25519() -> Self {
        let signing = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let der = signing.to_pkcs8_der().expect("encoding an Ed25519 key");
        let kid = format!("test-ed-{}", uuid::Uuid::new_v4().simple());
        let x = URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes());
        Self {
            jwk: json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}),
            kid,
            alg: Algorithm::EdDSA,
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
        }
    }

    /// A fresh P-256 key (alg ES256).
    pub fn es256() -> Self {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        use p256::pkcs8::EncodePrivateKey as _;
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let der = secret.to_pkcs8_der().expect("encoding a P-256 key");
        let point = secret.public_key().to_encoded_point(false);
        let kid = format!("test-es-{}", uuid::Uuid::new_v4().simple());
        let (x, y) = (point.x().expect("x"), point.y().expect("y"));
        Self {
            jwk: json!({
                "kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
                "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
            }),
            kid,
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(der.as_bytes()),
        }
    }

    /// Signs `claims` with this key, `kid` in the header.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signing a test token")
    }

    pub fn jwk(&self) -> &Value {
        &self.jwk
    }
}

/// The keys a test's fake-free auth publishes; the first one signs by default.
#[derive(Clone)]
pub struct TestKeys {
    keys: Arc<Mutex<Vec<TestKey>>>,
}

impl Default for TestKeys {
    fn default() -> Self {
        Self::new()
    }
}

impl TestKeys {
    /// An Ed25519 key and a P-256 key.
    pub fn new() -> Self {
        Self { keys: Arc::new(Mutex::new(vec![TestKey::ed25519(), TestKey::es256()])) }
    }

    pub fn signing_key(&self) -> TestKey {
        self.lock()[0].clone()
    }

    pub fn key(&self, alg: Algorithm) -> TestKey {
        self.lock().iter().find(|k| k.alg == alg).cloned().expect("a key of that algorithm")
    }

    /// Publishes a new key (a rotation): later JWKS fetches include it.
    pub fn rotate_in(&self, key: TestKey) {
        self.lock().push(key);
    }

    pub fn jwks(&self) -> Value {
        json!({ "keys": self.lock().iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() })
    }

    /// Claims as auth issues them, valid for an hour, for `sub`.
    pub fn claims_for(sub: &str) -> Value {
        let now = jsonwebtoken::get_current_timestamp() as i64;
        json!({
            "iss": TEST_ISSUER,
            "aud": TEST_AUDIENCE,
            "sub": sub,
            "iat": now,
            "exp": now + 3600,
            "role": "authenticated",
            "email": format!("{sub}@example.test"),
            "session_id": uuid::Uuid::new_v4().to_string(),
            "aal": "aal1",
        })
    }

    /// A valid access token for `sub`.
    pub fn token_for(&self, sub: &str) -> String {
        self.signing_key().sign(&Self::claims_for(sub))
    }

    /// A new person and their access token.
    pub fn person(&self) -> (uuid::Uuid, String) {
        let id = uuid::Uuid::new_v4();
        (id, self.token_for(&id.to_string()))
    }

    /// Serves this JWKS at `/.well-known/jwks.json` on a free local port.
    pub async fn serve(&self) -> JwksServer {
        let fetches = Arc::new(AtomicUsize::new(0));
        let state = (self.clone(), fetches.clone());
        let app =
            Router::new().route("/.well-known/jwks.json", get(jwks_handler)).with_state(state);
        let listener =
            tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binding the JWKS server");
        let addr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        JwksServer {
            url: format!("http://{addr}/.well-known/jwks.json").parse().expect("url"),
            fetches,
            task,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<TestKey>> {
        self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

async fn jwks_handler(
    State((keys, fetches)): State<(TestKeys, Arc<AtomicUsize>)>,
) -> axum::Json<Value> {
    fetches.fetch_add(1, Ordering::SeqCst);
    axum::Json(keys.jwks())
}

/// What a service under test trusts in place of auth: fresh test keys served as a JWKS, and the
/// variables that point a service at them.
pub struct TestIssuer {
    pub keys: TestKeys,
    pub jwks: JwksServer,
}

impl TestIssuer {
    pub async fn start() -> Self {
        let keys = TestKeys::new();
        let jwks = keys.serve().await;
        Self { keys, jwks }
    }

    /// `AUTH_JWKS_URL` and `AUTH_ISSUER` for a service that should trust these keys.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![("AUTH_JWKS_URL", self.jwks.url.to_string()), ("AUTH_ISSUER", TEST_ISSUER.to_owned())]
    }
}

/// A running JWKS endpoint; stops when dropped.
pub struct JwksServer {
    pub url: url::Url,
    fetches: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    /// How many times the JWKS was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
