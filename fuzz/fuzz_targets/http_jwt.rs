//! An access token as a request's `Authorization` header carries it, verified against a JWKS as
//! every service does (`posey_http::auth::JwksVerifier`): the header's bearer token, the JWT's
//! header and claims, and the key set's JSON and keys. The bytes up to the first newline are the
//! JWKS the auth service would publish (added to a real Ed25519 key, `kid` "fuzz", that the
//! seed tokens are signed with); the rest is the header value.
#![no_main]

use chrono::{TimeZone, Utc};
use futures::future::BoxFuture;
use jsonwebtoken::jwk::JwkSet;
use libfuzzer_sys::fuzz_target;
use posey_domain::clock::ManualClock;
use posey_http::auth::{JwksSource, JwksVerifier, VerifierConfig, bearer};

/// The public half of the key the seed tokens are signed with (fuzz/README.md).
const FUZZ_KEY: &str = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"fuzz","use":"sig","alg":"EdDSA","x":"VeJa1D4vPMKUAFL5m3tBgknwR32RbfHusRti6CfrT7Y"}]}"#;

struct Fixed(JwkSet);

impl JwksSource for Fixed {
    fn fetch(&self) -> BoxFuture<'_, Result<JwkSet, String>> {
        let keys = self.0.clone();
        Box::pin(async move { Ok(keys) })
    }
}

fuzz_target!(|data: &[u8]| {
    let (jwks, header) = posey_fuzz::split_line(data);
    let Ok(header) = std::str::from_utf8(header) else { return };
    let mut keys: JwkSet = serde_json::from_str(FUZZ_KEY).expect("the fuzz key");
    if let Ok(more) = serde_json::from_slice::<JwkSet>(jwks) {
        keys.keys.extend(more.keys);
    }
    let url = url::Url::parse("http://auth.invalid/.well-known/jwks.json").expect("a URL");
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    let verifier = JwksVerifier::with_source(VerifierConfig::new(url, "posey-fuzz"), Fixed(keys))
        .with_clock(clock);
    let token = bearer(header).unwrap_or(header);
    // Twice: the second answer comes from the cache of verified tokens.
    let first = futures::executor::block_on(verifier.verify(token));
    let second = futures::executor::block_on(verifier.verify(token));
    assert_eq!(first.is_ok(), second.is_ok(), "the verified-token cache changed the answer");
});
