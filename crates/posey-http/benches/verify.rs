//! Access-token verification time per token, keys cached: what every authenticated request in
//! every service pays. `first sight` checks the signature (every token is new to the verifier);
//! `seen before` is the usual case, a client reusing its token. Aim (issue 3): under 20 µs.
//! Run: `cargo bench -p posey-http --bench verify`.

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::Algorithm;
use posey_http::auth::{JwksVerifier, RevocationList, VerifierConfig};
use posey_testkit::{TEST_ISSUER, TestKeys};

fn verification(c: &mut Criterion) {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let keys = TestKeys::new();
    let (server, verifier) = runtime.block_on(async {
        let server = keys.serve().await;
        let mut config = VerifierConfig::new(server.url.clone(), TEST_ISSUER);
        config.max_key_age = Duration::from_secs(3600);
        // An empty revocation list: the lookup is part of every verification.
        let verifier =
            JwksVerifier::new(config).with_revocations(Arc::new(RevocationList::default()));
        (server, verifier)
    });
    for alg in [Algorithm::ES256, Algorithm::EdDSA] {
        let key = keys.key(alg);
        // More distinct tokens than the verifier remembers, so each one is checked in full.
        let fresh: Vec<String> =
            (0..12_000).map(|i| key.sign(&TestKeys::claims_for(&format!("user-{i}")))).collect();
        let mut next = fresh.iter().cycle();
        runtime.block_on(verifier.verify(&fresh[0])).expect("a valid token");
        c.bench_function(&format!("verify {alg:?} first sight"), |b| {
            b.to_async(&runtime).iter(|| verifier.verify(next.next().expect("cycle")));
        });
        let token = &fresh[1];
        c.bench_function(&format!("verify {alg:?} seen before"), |b| {
            b.to_async(&runtime).iter(|| verifier.verify(token));
        });
    }
    drop(server);
}

criterion_group!(benches, verification);
criterion_main!(benches);
