//! Web Push: a payload encrypted for one browser (RFC 8291, `aes128gcm` of RFC 8188), signed
//! for by the VAPID key (RFC 8292), and POSTed to the browser's push service. An endpoint is a
//! URL the person chose, so it is held to the destination policy (`CRON_PUSH_ALLOW`) when
//! subscribed and again on the address each delivery connects to ([`posey_http::destination`]).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{Aead, KeyInit};
use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use p256::{PublicKey, SecretKey};
use posey_http::destination::{self, DestinationPolicy};
use rand::RngCore;
use serde::Serialize;
use sha2::Sha256;

pub use crate::db::push_subscriptions::Subscription;

/// The record size we declare; the whole body must fit in it (one record), and 4096 is what
/// every push service must accept (RFC 8291 §4).
const RECORD_SIZE: u32 = 4096;
/// salt (16) + rs (4) + idlen (1) + keyid (65-byte public key).
const HEADER_LEN: usize = 16 + 4 + 1 + 65;
/// AES-GCM tag.
const TAG_LEN: usize = 16;
/// The most a payload may be: one record, less the header, the delimiter byte and the tag.
pub const MAX_PAYLOAD: usize = RECORD_SIZE as usize - HEADER_LEN - 1 - TAG_LEN;
/// How long a push service keeps an undelivered message.
const TTL_SECONDS: u32 = 86_400;
/// VAPID tokens may live up to 24 h; ours live 12.
const TOKEN_LIFETIME_SECONDS: i64 = 12 * 3600;

/// Why a push endpoint may not be subscribed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointProblem {
    /// Not https (nor opted-in http to a loopback IP).
    Scheme,
    /// A private, loopback, link-local or otherwise non-public destination the operator has
    /// not allowed.
    NotPublic,
}

/// Whether a browser may subscribe with `endpoint`: its scheme ([`scheme_allowed`]), and its
/// host as far as can be told before it is resolved ([`DestinationPolicy::permits_url`]: IP
/// literals in any spelling, `localhost` names). A name is checked again, on the address it
/// resolves to, at every delivery.
pub fn check_endpoint(
    url: &url::Url,
    destinations: &DestinationPolicy,
    allow_insecure_loopback: bool,
) -> Result<(), EndpointProblem> {
    if !scheme_allowed(url, allow_insecure_loopback) {
        Err(EndpointProblem::Scheme)
    } else if !destinations.permits_url(url) {
        Err(EndpointProblem::NotPublic)
    } else {
        Ok(())
    }
}

/// Whether a push endpoint's scheme may be posted to: https, or (only when explicitly allowed,
/// for tests and local development) http to a loopback IP address.
pub fn scheme_allowed(url: &url::Url, allow_insecure_loopback: bool) -> bool {
    match url.scheme() {
        "https" => url.has_host(),
        "http" if allow_insecure_loopback => match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            _ => false,
        },
        _ => false,
    }
}

/// The server's VAPID key, ready to sign with.
pub struct VapidKey {
    encoding: EncodingKey,
    /// base64url uncompressed public point, the `k=` of the Authorization header.
    public_key: String,
    subject: String,
}

impl VapidKey {
    /// From `CRON_VAPID_PRIVATE_KEY` (a base64url P-256 scalar) and `CRON_VAPID_SUBJECT`.
    pub fn new(private_key: &str, subject: &str) -> anyhow::Result<Self> {
        let bytes = decode(private_key).context("CRON_VAPID_PRIVATE_KEY")?;
        let secret = SecretKey::from_slice(&bytes)
            .map_err(|_| anyhow!("CRON_VAPID_PRIVATE_KEY: not a P-256 private key"))?;
        let der = secret
            .to_pkcs8_der()
            .map_err(|e| anyhow!("CRON_VAPID_PRIVATE_KEY: encoding as PKCS#8: {e}"))?;
        let public_key =
            URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes());
        Ok(Self {
            encoding: EncodingKey::from_ec_der(der.as_bytes()),
            public_key,
            subject: subject.to_owned(),
        })
    }

    /// The `Authorization` header value for `endpoint` at `now` (Unix seconds).
    pub fn authorization(&self, endpoint: &url::Url, now: i64) -> anyhow::Result<String> {
        #[derive(Serialize)]
        struct Claims<'a> {
            aud: String,
            exp: i64,
            sub: &'a str,
        }
        let claims = Claims {
            aud: endpoint.origin().ascii_serialization(),
            exp: now + TOKEN_LIFETIME_SECONDS,
            sub: &self.subject,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &self.encoding)
            .context("signing the VAPID token")?;
        Ok(format!("vapid t={token}, k={}", self.public_key))
    }
}

/// Encrypts `payload` for the browser whose public key is `p256dh` (65-byte uncompressed point)
/// and auth secret is `auth`, with a fresh ephemeral key and salt.
pub fn encrypt(payload: &[u8], p256dh: &[u8], auth: &[u8]) -> anyhow::Result<Vec<u8>> {
    let ephemeral = SecretKey::random(&mut rand::rngs::OsRng);
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    encrypt_with(payload, p256dh, auth, &ephemeral, &salt)
}

/// RFC 8291 §3.4 with the sender's key and salt given: one `aes128gcm` record.
fn encrypt_with(
    payload: &[u8],
    p256dh: &[u8],
    auth: &[u8],
    sender: &SecretKey,
    salt: &[u8; 16],
) -> anyhow::Result<Vec<u8>> {
    if payload.len() > MAX_PAYLOAD {
        bail!("the payload is {} bytes, more than {MAX_PAYLOAD}", payload.len());
    }
    let receiver = PublicKey::from_sec1_bytes(p256dh)
        .map_err(|_| anyhow!("the subscription's p256dh is not a P-256 point"))?;
    let receiver_point = receiver.to_encoded_point(false);
    let sender_point = sender.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(sender.to_nonzero_scalar(), receiver.as_affine());

    // IKM = HKDF(salt = auth, IKM = ECDH, info = "WebPush: info" 0 ua_public as_public).
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(receiver_point.as_bytes());
    key_info.extend_from_slice(sender_point.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|_| anyhow!("deriving the input key"))?;

    let (cek, nonce) = content_keys(&ikm, salt)?;
    let mut plaintext = Vec::with_capacity(payload.len() + 1);
    plaintext.extend_from_slice(payload);
    // The last (only) record's delimiter, no padding.
    plaintext.push(2);
    let ciphertext = Aes128Gcm::new(&cek.into())
        .encrypt(&nonce.into(), plaintext.as_slice())
        .map_err(|_| anyhow!("encrypting the payload"))?;

    let mut body = Vec::with_capacity(HEADER_LEN + ciphertext.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(sender_point.as_bytes());
    body.extend_from_slice(&ciphertext);
    Ok(body)
}

/// RFC 8188 §2.2–2.3: the content-encryption key and the (first record's) nonce.
fn content_keys(ikm: &[u8], salt: &[u8]) -> anyhow::Result<([u8; 16], [u8; 12])> {
    let prk = Hkdf::<Sha256>::new(Some(salt), ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .and_then(|()| prk.expand(b"Content-Encoding: nonce\0", &mut nonce))
        .map_err(|_| anyhow!("deriving the content keys"))?;
    Ok((cek, nonce))
}

fn decode(value: &str) -> anyhow::Result<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(value.trim().trim_end_matches('=')).context("not base64url")
}

/// Why a push was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// 404/410: the browser unsubscribed; the subscription should go.
    #[error("the push service says the subscription is gone ({0})")]
    Gone(reqwest::StatusCode),
    /// The destination is not allowed ([`posey_http::destination`]); nothing was sent.
    #[error("{}", destination::REFUSED)]
    Refused,
    /// 429, 5xx or the network: worth trying again later.
    #[error("{0}")]
    Transient(String),
    /// Anything else: trying again will not help.
    #[error("{0}")]
    Rejected(String),
}

/// The HTTP client for one push to `endpoint`: only destinations `destinations` permits
/// ([`destination::client_builder`]), no redirects (a push service answers directly, and a
/// redirect must not carry our VAPID token elsewhere), bounded time. Built per push because
/// the resolver must know the port.
fn client(
    destinations: &Arc<DestinationPolicy>,
    endpoint: &url::Url,
) -> Result<reqwest::Client, PushError> {
    destination::client_builder(destinations, endpoint)
        .map_err(|_| PushError::Refused)?
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("posey-cron/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| PushError::Transient(format!("building the web push HTTP client: {e}")))
}

/// Encrypts `payload` for `subscription` and POSTs it to its push service, if `destinations`
/// permits the address it connects to.
pub async fn send(
    destinations: &Arc<DestinationPolicy>,
    vapid: &VapidKey,
    subscription: &Subscription,
    endpoint: &url::Url,
    payload: &[u8],
) -> Result<(), PushError> {
    let rejected = |e: anyhow::Error| PushError::Rejected(format!("{e:#}"));
    let p256dh =
        decode(&subscription.p256dh).context("the subscription's p256dh").map_err(rejected)?;
    let auth = decode(&subscription.auth).context("the subscription's auth").map_err(rejected)?;
    let client = client(destinations, endpoint)?;
    let body = encrypt(payload, &p256dh, &auth).map_err(rejected)?;
    let authorization =
        vapid.authorization(endpoint, chrono::Utc::now().timestamp()).map_err(rejected)?;
    let response = client
        .post(endpoint.clone())
        .header("TTL", TTL_SECONDS)
        .header("Content-Encoding", "aes128gcm")
        .header("Content-Type", "application/octet-stream")
        .header("Urgency", "normal")
        .header("Authorization", authorization)
        .body(body)
        .send()
        .await
        .map_err(|e| failure(&e))?;
    let status = response.status();
    match status.as_u16() {
        200..=299 => Ok(()),
        404 | 410 => Err(PushError::Gone(status)),
        429 | 500..=599 => Err(PushError::Transient(format!("the push service answered {status}"))),
        _ => {
            let detail = response.text().await.unwrap_or_default();
            let detail: String = detail.chars().take(200).collect();
            Err(PushError::Rejected(format!("the push service answered {status}: {detail}")))
        }
    }
}

/// A request that got no answer: refused, or only the kind of failure (never the endpoint,
/// which carries the subscription's token, nor the lower layers' detail).
fn failure(error: &reqwest::Error) -> PushError {
    if destination::was_refused(error) {
        return PushError::Refused;
    }
    let kind = if error.is_timeout() {
        "push request failed: timed out"
    } else if error.is_connect() {
        "push request failed: connection failed"
    } else {
        "push request failed"
    };
    PushError::Transient(kind.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn b64(value: &str) -> Vec<u8> {
        decode(value).unwrap()
    }

    /// The receiving side of RFC 8291, to check `encrypt` against.
    fn decrypt(body: &[u8], receiver: &SecretKey, auth: &[u8]) -> Vec<u8> {
        let (salt, rest) = body.split_at(16);
        assert_eq!(rest[..4], RECORD_SIZE.to_be_bytes());
        assert_eq!(rest[4], 65);
        let (sender, ciphertext) = rest[5..].split_at(65);
        let sender = PublicKey::from_sec1_bytes(sender).unwrap();
        let shared = p256::ecdh::diffie_hellman(receiver.to_nonzero_scalar(), sender.as_affine());
        let mut info = b"WebPush: info\0".to_vec();
        info.extend_from_slice(receiver.public_key().to_encoded_point(false).as_bytes());
        info.extend_from_slice(sender.to_encoded_point(false).as_bytes());
        let mut ikm = [0u8; 32];
        Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes()).expand(&info, &mut ikm).unwrap();
        let (cek, nonce) = content_keys(&ikm, salt).unwrap();
        let mut plain = Aes128Gcm::new(&cek.into()).decrypt(&nonce.into(), ciphertext).unwrap();
        assert_eq!(plain.pop(), Some(2));
        plain
    }

    /// RFC 8291 §5's worked example, byte for byte.
    #[test]
    fn webpush_encryption_matches_rfc_8291_example() {
        let plaintext = b64("V2hlbiBJIGdyb3cgdXAsIEkgd2FudCB0byBiZSBhIHdhdGVybWVsb24");
        let sender =
            SecretKey::from_slice(&b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).unwrap();
        let ua_public = b64(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        );
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let auth = b64("BTBZMqHH6r4Tts7J_aSIgg");
        let body = encrypt_with(&plaintext, &ua_public, &auth, &sender, &salt).unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
        let ua_private =
            SecretKey::from_slice(&b64("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94")).unwrap();
        assert_eq!(
            ua_private.public_key().to_encoded_point(false).as_bytes(),
            ua_public.as_slice()
        );
    }

    #[test]
    fn webpush_encryption_round_trips_and_bounds_the_payload() {
        let receiver = SecretKey::random(&mut rand::rngs::OsRng);
        let p256dh = receiver.public_key().to_encoded_point(false).as_bytes().to_vec();
        let auth = [7u8; 16];
        let body = encrypt(b"{\"title\":\"hi\"}", &p256dh, &auth).unwrap();
        assert_eq!(decrypt(&body, &receiver, &auth), b"{\"title\":\"hi\"}");

        let largest = vec![b'x'; MAX_PAYLOAD];
        let body = encrypt(&largest, &p256dh, &auth).unwrap();
        assert_eq!(body.len(), RECORD_SIZE as usize);
        assert!(encrypt(&[b'x'; MAX_PAYLOAD + 1], &p256dh, &auth).is_err());
        assert!(encrypt(b"x", &[4u8; 65], &auth).is_err());
    }

    #[test]
    fn webpush_vapid_token_is_es256_for_the_endpoint_origin() {
        let secret = SecretKey::random(&mut rand::rngs::OsRng);
        let private = URL_SAFE_NO_PAD.encode(secret.to_bytes());
        let vapid = VapidKey::new(&private, "mailto:ops@example.com").unwrap();
        let endpoint = url::Url::parse("https://push.example.net:8443/wpush/v2/abc?x=1").unwrap();
        let header = vapid.authorization(&endpoint, 1_000_000).unwrap();
        let (token, key) =
            header.strip_prefix("vapid t=").and_then(|rest| rest.split_once(", k=")).unwrap();
        let point = b64(key);
        assert_eq!(point, secret.public_key().to_encoded_point(false).as_bytes());

        let public = PublicKey::from_sec1_bytes(&point).unwrap();
        let point = public.to_encoded_point(false);
        let decoding = jsonwebtoken::DecodingKey::from_ec_components(
            &URL_SAFE_NO_PAD.encode(point.x().unwrap()),
            &URL_SAFE_NO_PAD.encode(point.y().unwrap()),
        )
        .unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::ES256);
        validation.set_audience(&["https://push.example.net:8443"]);
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<serde_json::Value>(token, &decoding, &validation)
            .unwrap()
            .claims;
        assert_eq!(claims["sub"], "mailto:ops@example.com");
        assert_eq!(claims["exp"], 1_000_000 + TOKEN_LIFETIME_SECONDS);
    }

    #[test]
    fn webpush_endpoints_are_https_or_opted_in_loopback() {
        let url = |s: &str| url::Url::parse(s).unwrap();
        assert!(scheme_allowed(&url("https://fcm.googleapis.com/x"), false));
        assert!(!scheme_allowed(&url("http://127.0.0.1:9/x"), false));
        assert!(scheme_allowed(&url("http://127.0.0.1:9/x"), true));
        assert!(scheme_allowed(&url("http://[::1]:9/x"), true));
        assert!(!scheme_allowed(&url("http://localhost:9/x"), true));
        assert!(!scheme_allowed(&url("http://10.0.0.1/x"), true));
        assert!(!scheme_allowed(&url("ftp://127.0.0.1/x"), true));
    }

    #[test]
    fn webpush_endpoints_must_be_public_unless_allowed() {
        let url = |s: &str| url::Url::parse(s).unwrap();
        let deny = DestinationPolicy::deny_private();
        let check = |u: &str, policy: &DestinationPolicy, insecure| {
            check_endpoint(&url(u), policy, insecure)
        };
        assert_eq!(check("https://fcm.googleapis.com/x", &deny, false), Ok(()));
        for private in [
            "https://10.0.0.5:8443/",
            "https://169.254.169.254/",
            "https://127.0.0.1/",
            "https://0x7f000001/",
            "https://[::ffff:127.0.0.1]/",
            "https://localhost/",
        ] {
            assert_eq!(check(private, &deny, false), Err(EndpointProblem::NotPublic), "{private}");
        }
        assert_eq!(check("http://10.0.0.5/", &deny, true), Err(EndpointProblem::Scheme));
        // The loopback switch opens loopback, over http too, and nothing else.
        let loopback = DestinationPolicy::deny_private().with_loopback();
        assert_eq!(check("http://127.0.0.1:9/x", &loopback, true), Ok(()));
        assert_eq!(check("https://[::1]:9/x", &loopback, true), Ok(()));
        assert_eq!(check("https://10.0.0.5/", &loopback, true), Err(EndpointProblem::NotPublic));
        let allowed = DestinationPolicy::parse("10.0.0.0/8:8443").unwrap();
        assert_eq!(check("https://10.0.0.5:8443/", &allowed, false), Ok(()));
    }
}
