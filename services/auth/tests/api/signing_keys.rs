//! Signing keys sealed at rest under the operator's key (`AUTH_KEY_ENCRYPTION_KEY`): what
//! Postgres holds is no private key, keys stored in clear are sealed at the next start, tokens
//! verify across restarts and a change of the operator key, and a wrong key stops the start
//! with an error naming the variable.

use argon2::Params;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use posey_auth::keys::Keys;
use posey_auth::password::Hasher;
use posey_auth::{Application, Config, Overrides};
use posey_config::{DbConfig, Env, PoolSettings, SecretString};
use posey_http::Service as _;
use posey_testkit::TestDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::helpers::TEST_KEY_ENCRYPTION_KEY as KEY_1;

const KEY_2: &str = "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=";
const KEY_3: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

/// One run of the service on `db`, stopped when dropped.
struct Run {
    address: String,
    keys: Keys,
    stop: CancellationToken,
}

impl Drop for Run {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Starts auth on `db` with `vars` (the key settings) on top of the test defaults; the error
/// is the start's, as an operator would read it.
async fn start(db: &TestDatabase, vars: &[(&str, &str)]) -> Result<Run, String> {
    let mut pairs = vec![
        ("AUTH_PORT", "0"),
        ("AUTH_MAILER_AUTOCONFIRM", "true"),
        ("AUTH_OPEN_SIGNUP", "true"),
        ("AUTH_RATE_LIMIT_PER_IP", "100000"),
        ("AUTH_RATE_LIMIT_PER_ACCOUNT", "100000"),
        ("AUTH_ISSUER", "http://posey-auth.test"),
    ];
    pairs.extend(vars.iter().copied());
    let mut env = Env::from_pairs(pairs);
    let db_config = DbConfig {
        url: SecretString::from(db.url.clone()),
        pool: PoolSettings::from_env(&mut env),
    };
    let config = Config::read_with_db(&mut env, db_config);
    let config = env.finish(Some(config)).map_err(|e| e.to_string())?;
    let hasher = Hasher::with_params(Params::new(1024, 1, 1, None).unwrap(), 4).unwrap();
    let overrides = Overrides { hasher: Some(hasher), clock: None };
    let app = Application::build_with(config, overrides).await.map_err(|e| format!("{e:#}"))?;
    let keys = app.keys();
    let address = format!("http://127.0.0.1:{}", app.port());
    let stop = CancellationToken::new();
    let stopped = stop.clone();
    tokio::spawn(app.run_until_stopped(async move { stopped.cancelled().await }));
    Ok(Run { address, keys, stop })
}

/// A fresh person's access token from `run`.
async fn token(run: &Run) -> String {
    let email = format!("{}@posey.test", uuid::Uuid::new_v4());
    let body: Value = reqwest::Client::new()
        .post(format!("{}/signup", run.address))
        .json(&json!({ "email": email, "password": "correct horse battery" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap_or_else(|| panic!("no session: {body}")).to_owned()
}

/// Whether `run` takes `token` (`GET /user`).
async fn accepted(run: &Run, token: &str) -> bool {
    let response = reqwest::Client::new()
        .get(format!("{}/user", run.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    match response.status() {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("GET /user: {other}"),
    }
}

/// The `kid` a token was signed with.
fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

/// Every stored key as Postgres holds it: kid, private key bytes, sealed.
async fn stored(db: &TestDatabase) -> Vec<(String, Vec<u8>, bool)> {
    sqlx::query_as("SELECT kid, private_key, sealed FROM auth.signing_keys ORDER BY created_at")
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

/// No stored key is a private key in clear (PKCS#8 DER, what was stored before sealing).
fn assert_sealed(rows: &[(String, Vec<u8>, bool)]) {
    assert!(!rows.is_empty());
    for (kid, key, sealed) in rows {
        assert!(*sealed, "{kid} is marked unsealed");
        assert!(p256::SecretKey::from_pkcs8_der(key).is_err(), "{kid} is stored in clear");
    }
}

#[tokio::test]
async fn signing_keys_are_sealed_at_rest_and_open_again_after_a_restart() {
    let db = TestDatabase::new().await;
    let first = start(&db, &[("AUTH_KEY_ENCRYPTION_KEY", KEY_1)]).await.unwrap();
    let before = token(&first).await;
    let rows = stored(&db).await;
    assert_sealed(&rows);
    drop(first);

    let again = start(&db, &[("AUTH_KEY_ENCRYPTION_KEY", KEY_1)]).await.unwrap();
    assert!(accepted(&again, &before).await, "a token from before the restart");
    // The restarted service signs with the stored key (it opened it), not a new one.
    let after = token(&again).await;
    assert_eq!(kid(&after), kid(&before));
    assert!(accepted(&again, &after).await);
    // Nothing was sealed again: the key opened as it was.
    assert_eq!(stored(&db).await, rows);
}

#[tokio::test]
async fn keys_stored_in_clear_are_sealed_at_the_next_start() {
    let db = TestDatabase::new().await;
    drop(start(&db, &[("AUTH_KEY_ENCRYPTION_KEY", KEY_1)]).await.unwrap());
    // A key as auth stored it before keys were sealed: PKCS#8 DER in clear, the one that signs.
    let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let der = secret.to_pkcs8_der().unwrap().as_bytes().to_vec();
    let point = secret.public_key().to_encoded_point(false);
    let clear_kid = uuid::Uuid::now_v7().to_string();
    let jwk = json!({
        "kty": "EC", "crv": "P-256", "kid": clear_kid, "alg": "ES256", "use": "sig",
        "key_ops": ["verify"],
        "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()),
        "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
    });
    sqlx::query(
        "UPDATE auth.signing_keys SET retired_at = now(), publish_until = now() + interval '1 hour'",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO auth.signing_keys (kid, alg, private_key, public_jwk, sealed) \
         VALUES ($1, 'ES256', $2, $3, false)",
    )
    .bind(&clear_kid)
    .bind(&der)
    .bind(&jwk)
    .execute(&db.pool)
    .await
    .unwrap();

    let run = start(&db, &[("AUTH_KEY_ENCRYPTION_KEY", KEY_1)]).await.unwrap();
    let rows = stored(&db).await;
    assert_sealed(&rows);
    assert!(rows.iter().all(|(_, key, _)| *key != der));
    // The sealed key still signs, and what it signs verifies with its published half.
    let signed = token(&run).await;
    assert_eq!(kid(&signed), clear_kid);
    assert!(accepted(&run, &signed).await);
    drop(run);
    // Sealing is done once: the next start leaves the rows as they are.
    let run = start(&db, &[("AUTH_KEY_ENCRYPTION_KEY", KEY_1)]).await.unwrap();
    assert_eq!(stored(&db).await, rows);
    assert!(accepted(&run, &signed).await);
}

#[tokio::test]
async fn a_new_operator_key_seals_every_key_again_and_old_tokens_still_verify() {
    let db = TestDatabase::new().await;
    let first = start(&db, &[("AUTH_KEY_ENCRYPTION_KEY", KEY_1)]).await.unwrap();
    let old = token(&first).await;
    // Two keys: the one that signed `old`, retired but published, and the current one.
    let current = first.keys.rotate().await.unwrap();
    drop(first);
    let before = stored(&db).await;
    assert_eq!(before.len(), 2);

    // A new key alone does not open them: the start stops, naming what to set.
    let error = start(&db, &[("AUTH_KEY_ENCRYPTION_KEY", KEY_2)]).await.err().unwrap();
    assert!(
        error.contains("AUTH_KEY_ENCRYPTION_KEY does not open")
            && error.contains("AUTH_KEY_ENCRYPTION_KEY_PREVIOUS"),
        "{error}"
    );
    assert_eq!(stored(&db).await, before, "a refused start changes nothing");

    // With the old key as the previous one, every key is sealed again under the new one.
    let pair = [("AUTH_KEY_ENCRYPTION_KEY", KEY_2), ("AUTH_KEY_ENCRYPTION_KEY_PREVIOUS", KEY_1)];
    let run = start(&db, &pair).await.unwrap();
    let after = stored(&db).await;
    assert_sealed(&after);
    for ((kid, old_bytes, _), (same_kid, new_bytes, _)) in before.iter().zip(&after) {
        assert_eq!(kid, same_kid);
        assert_ne!(old_bytes, new_bytes, "{kid} was not sealed again");
    }
    assert!(accepted(&run, &old).await, "a token signed before the change");
    let new = token(&run).await;
    assert_eq!(kid(&new), current);
    assert!(accepted(&run, &new).await);
    drop(run);

    // From now on the new key alone opens them, and the old one no longer does.
    let run = start(&db, &[("AUTH_KEY_ENCRYPTION_KEY", KEY_2)]).await.unwrap();
    assert!(accepted(&run, &old).await && accepted(&run, &new).await);
    assert_eq!(stored(&db).await, after);
    drop(run);
    let error = start(&db, &[("AUTH_KEY_ENCRYPTION_KEY", KEY_1)]).await.err().unwrap();
    assert!(error.contains("AUTH_KEY_ENCRYPTION_KEY"), "{error}");
    // A previous key that is not the one they were sealed with is refused, naming both.
    let wrong = [("AUTH_KEY_ENCRYPTION_KEY", KEY_3), ("AUTH_KEY_ENCRYPTION_KEY_PREVIOUS", KEY_1)];
    let error = start(&db, &wrong).await.err().unwrap();
    assert!(
        error.contains("neither AUTH_KEY_ENCRYPTION_KEY nor AUTH_KEY_ENCRYPTION_KEY_PREVIOUS"),
        "{error}"
    );
}

#[tokio::test]
async fn a_missing_or_bad_key_stops_the_start_by_name() {
    let db = TestDatabase::new().await;
    let error = start(&db, &[]).await.err().unwrap();
    assert!(error.contains("AUTH_KEY_ENCRYPTION_KEY is unset"), "{error}");
    let error = start(&db, &[("AUTH_KEY_ENCRYPTION_KEY", "c2hvcnQ=")]).await.err().unwrap();
    assert!(error.contains("AUTH_KEY_ENCRYPTION_KEY") && error.contains("32"), "{error}");

    // A key file is made on the first start (as `posey up` has it) and read on the next.
    let dir = std::env::temp_dir().join(format!("posey-auth-{}", uuid::Uuid::new_v4()));
    let file = dir.join("auth-key-encryption-key");
    let path = file.to_str().unwrap();
    let run = start(&db, &[("AUTH_KEY_ENCRYPTION_KEY_FILE", path)]).await.unwrap();
    let signed = token(&run).await;
    let made = std::fs::read_to_string(&file).unwrap();
    drop(run);
    let run = start(&db, &[("AUTH_KEY_ENCRYPTION_KEY_FILE", path)]).await.unwrap();
    assert!(accepted(&run, &signed).await);
    assert_eq!(kid(&token(&run).await), kid(&signed));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), made);
    drop(run);
    // The same key given directly opens them too.
    let run = start(&db, &[("AUTH_KEY_ENCRYPTION_KEY", made.trim())]).await.unwrap();
    assert!(accepted(&run, &signed).await);
    drop(run);
    // A damaged file is refused (not replaced), naming it.
    std::fs::write(&file, "damaged\n").unwrap();
    let error = start(&db, &[("AUTH_KEY_ENCRYPTION_KEY_FILE", path)]).await.err().unwrap();
    assert!(error.contains("AUTH_KEY_ENCRYPTION_KEY_FILE") && error.contains(path), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}
