//! Social sign-in's checks on what an upstream OpenID provider sends (auth's
//! `external/oidc.rs`, read in place): its discovery document, its key set (each key parsed
//! alone), the id_token's header and `kid`, and the id_token's verification (algorithm, key,
//! signature, expiry, audience, issuer with Microsoft's `{tenantid}`, `azp`, nonce).
//!
//! The first byte is a mode: bit 0 clear, the bytes after the first line are the id_token as
//! the provider returned it; set, they are its claims (JSON), signed here with the key the set
//! always holds (an Ed25519 key made for this target, `kid` "fuzz"), so the checks after the
//! signature see any claims at all. Bit 1 picks the issuer: a plain one, or Microsoft's
//! multi-tenant one. The first line is a JSON document the provider served, read both as its
//! discovery document and as its key set.
#![no_main]

use std::sync::LazyLock;

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use libfuzzer_sys::fuzz_target;
use posey_fuzz::auth::oidc::{Discovery, has_key, parse_jwks, token_kid, truthy, verify_id_token};
use serde_json::Value;

const ISSUERS: [&str; 2] =
    ["https://id.example", "https://login.microsoftonline.com/{tenantid}/v2.0"];
const CLIENT_ID: &str = "posey";
const NONCE: &str = "n-fuzz";

/// Made for this target and nothing else (it signs what the fuzzer writes; see the README): the
/// PKCS#8 DER of an Ed25519 private key.
const SIGNING_KEY: [u8; 48] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    0x0d, 0x0b, 0xfa, 0x71, 0xba, 0x1f, 0x6f, 0x31, 0x26, 0xd5, 0x74, 0x9c, 0x5f, 0x52, 0x7d, 0x4f,
    0xca, 0xd5, 0xdc, 0xf9, 0xe1, 0x97, 0x64, 0xc4, 0x54, 0x4b, 0xc5, 0x24, 0x0f, 0x6d, 0x3e, 0x54,
];
const PUBLIC_KEY: &str = r#"{"kty":"OKP","crv":"Ed25519","kid":"fuzz","use":"sig","alg":"EdDSA","x":"rgUNwwZb8IE4ukUCzgq9ZoyYJj-cT2LgqDenVcLgrZY"}"#;

static KEYS: LazyLock<(EncodingKey, Jwk)> = LazyLock::new(|| {
    let signing = EncodingKey::from_ed_der(&SIGNING_KEY);
    // A key that cannot sign would leave every claims input untried: fail at once instead.
    jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &serde_json::json!({}), &signing)
        .expect("the fuzz key signs");
    (signing, serde_json::from_str(PUBLIC_KEY).expect("the fuzz key's JWK"))
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let (document, body) = posey_fuzz::split_line(rest);
    let issuer = ISSUERS[usize::from((mode >> 1) & 1)];
    let document: Value = serde_json::from_slice(document).unwrap_or(Value::Null);
    if let Ok(discovery) = serde_json::from_value::<Discovery>(document.clone()) {
        let _ = discovery.check_issuer(issuer);
    }
    let mut keys = parse_jwks(&document);
    keys.push(KEYS.1.clone());
    let token = if mode & 1 == 0 {
        let Ok(token) = std::str::from_utf8(body) else { return };
        token.to_owned()
    } else {
        let Ok(claims) = serde_json::from_slice::<Value>(body) else { return };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("fuzz".into());
        let Ok(token) = jsonwebtoken::encode(&header, &claims, &KEYS.0) else { return };
        token
    };
    let kid = token_kid(&token);
    let _ = has_key(&keys, kid.as_deref());
    if let Ok(claims) = verify_id_token(&token, &keys, issuer, CLIENT_ID, NONCE) {
        // Whatever passed carries the sign-in's nonce.
        assert_eq!(claims.get("nonce").and_then(Value::as_str), Some(NONCE));
        let _ = truthy(claims.get("email_verified"));
    }
});
