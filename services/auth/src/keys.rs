//! Access-token signing keys (P-256, alg ES256: what Supabase issues, and what `@supabase/auth-js`
//! can verify locally in `getClaims()`), kept in Postgres so every replica signs with
//! the same current key and publishes the same JWKS. A new key takes over every
//! `key_rotation_interval` (or on demand); the old one stays in the JWKS until every token it
//! signed has expired. Rotation runs under an advisory lock, so replicas rotate once between them.
//! Private keys are stored sealed (`crate::seal`, the kid as associated data) under the
//! operator's key (`crate::key_encryption`); at start, keys stored unsealed are sealed and keys
//! only the previous operator key opens are sealed again under the current one.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::db;
use crate::key_encryption::{PREVIOUS_VAR, SealingKeys};
use crate::seal;

struct CurrentKey {
    kid: String,
    encoding: EncodingKey,
    created_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct Keys {
    db: PgPool,
    current: Arc<RwLock<Arc<CurrentKey>>>,
    sealing: Arc<SealingKeys>,
    rotation_interval: Duration,
    token_ttl: Duration,
}

impl Keys {
    /// Seals the stored keys under `sealing`'s current key (once: see [`seal_stored`]), then
    /// loads the current key, creating (or rotating to) one when needed.
    pub async fn load(
        db: PgPool,
        sealing: SealingKeys,
        rotation_interval: Duration,
        token_ttl: Duration,
    ) -> anyhow::Result<Self> {
        seal_stored(&db, &sealing).await?;
        let current = match load_current(&db, &sealing).await? {
            Some(key) => key,
            None => {
                rotate_locked(&db, &sealing, token_ttl, None).await?;
                load_current(&db, &sealing).await?.context("no signing key after creating one")?
            }
        };
        let keys = Self {
            db,
            current: Arc::new(RwLock::new(Arc::new(current))),
            sealing: Arc::new(sealing),
            rotation_interval,
            token_ttl,
        };
        keys.rotate_if_due().await?;
        Ok(keys)
    }

    pub fn current_kid(&self) -> String {
        self.current().kid.clone()
    }

    fn current(&self) -> Arc<CurrentKey> {
        self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Signs `claims` with the current key.
    pub fn sign(&self, claims: &impl Serialize) -> anyhow::Result<String> {
        self.sign_typed(claims, "JWT")
    }

    /// Signs `claims` with the current key, the header's `typ` saying what the token is (the
    /// OpenID provider's access tokens are `at+jwt`, RFC 9068, so none passes for an id token).
    pub fn sign_typed(&self, claims: &impl Serialize, typ: &str) -> anyhow::Result<String> {
        let key = self.current();
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(key.kid.clone());
        header.typ = Some(typ.into());
        jsonwebtoken::encode(&header, claims, &key.encoding).context("signing a token")
    }

    /// A new key takes over now; the previous one is published until its tokens expire.
    pub async fn rotate(&self) -> anyhow::Result<String> {
        let kid = rotate_locked(&self.db, &self.sealing, self.token_ttl, None).await?;
        self.reload().await?;
        Ok(kid)
    }

    /// Rotates when the current key is older than the interval (once across replicas).
    pub async fn rotate_if_due(&self) -> anyhow::Result<()> {
        let due_before = Utc::now() - chrono::Duration::from_std(self.rotation_interval)?;
        if self.current().created_at < due_before {
            rotate_locked(&self.db, &self.sealing, self.token_ttl, Some(due_before)).await?;
        }
        self.reload().await
    }

    /// Picks up a key another replica rotated to.
    pub async fn reload(&self) -> anyhow::Result<()> {
        if let Some(key) = load_current(&self.db, &self.sealing).await? {
            *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
                Arc::new(key);
        }
        Ok(())
    }

    /// The published keys: the current one and those retired less than a token lifetime ago.
    pub async fn jwks(&self) -> anyhow::Result<Value> {
        let keys = db::keys::published(&self.db).await.context("reading the JWKS")?;
        Ok(json!({ "keys": keys }))
    }

    /// The JWKS as the shared verifier wants it (the auth service verifies its own tokens
    /// without a round trip through HTTP).
    pub async fn jwk_set(&self) -> anyhow::Result<JwkSet> {
        Ok(serde_json::from_value(self.jwks().await?)?)
    }

    /// Checks the rotation schedule every minute (and picks up other replicas' rotations).
    pub fn spawn_rotation(&self, stop: tokio_util::sync::CancellationToken) {
        let keys = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_secs(60));
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    _ = ticker.tick() => {}
                }
                if let Err(e) = keys.rotate_if_due().await {
                    tracing::warn!(error = %format!("{e:#}"), "signing key rotation");
                }
            }
        });
    }
}

/// The verifier's key source inside the auth service.
impl posey_http::auth::JwksSource for Keys {
    fn fetch(&self) -> futures::future::BoxFuture<'_, Result<JwkSet, String>> {
        Box::pin(async move { self.jwk_set().await.map_err(|e| format!("{e:#}")) })
    }
}

async fn load_current(db: &PgPool, sealing: &SealingKeys) -> anyhow::Result<Option<CurrentKey>> {
    let Some(key) = db::keys::current(db).await.context("reading the signing key")? else {
        return Ok(None);
    };
    // A key stored unsealed (by a replica that does not seal yet) is sealed at the next start.
    let der = if key.sealed {
        seal::open(sealing.current.bytes(), key.kid.as_bytes(), &key.private_key)
            .map_err(|_| cannot_open(&key.kid, sealing))?
    } else {
        key.private_key
    };
    Ok(Some(CurrentKey {
        kid: key.kid,
        encoding: EncodingKey::from_ec_der(&der),
        created_at: key.created_at,
    }))
}

/// Seals every key stored unsealed, and seals again under the current operator key every key
/// only the previous one opens (under the rotation lock, so replicas do it once between them).
/// A key neither opens stops the start with an error naming the variables.
async fn seal_stored(db: &PgPool, sealing: &SealingKeys) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    db::keys::lock_rotation(&mut tx).await?;
    let stored = db::keys::every(&mut tx).await.context("reading the signing keys")?;
    let (mut sealed, mut resealed) = (0, 0);
    for key in stored {
        let aad = key.kid.as_bytes();
        let der = if !key.sealed {
            sealed += 1;
            key.private_key
        } else if seal::open(sealing.current.bytes(), aad, &key.private_key).is_ok() {
            continue;
        } else {
            let previous = sealing.previous.as_ref();
            let der = previous.and_then(|p| seal::open(p.bytes(), aad, &key.private_key).ok());
            resealed += 1;
            der.ok_or_else(|| cannot_open(&key.kid, sealing))?
        };
        let sealed_key = seal::seal(sealing.current.bytes(), aad, &der)?;
        db::keys::set_sealed(&mut tx, &key.kid, &sealed_key)
            .await
            .context("sealing a signing key")?;
    }
    tx.commit().await.context("storing the sealed signing keys")?;
    if sealed > 0 {
        tracing::info!(keys = sealed, "sealed the signing keys stored in clear");
    }
    if resealed > 0 {
        tracing::info!(
            keys = resealed,
            "sealed the signing keys again under the new key ({PREVIOUS_VAR} may now be unset)"
        );
    }
    Ok(())
}

/// Why a stored key does not open, and what the operator can do.
fn cannot_open(kid: &str, sealing: &SealingKeys) -> anyhow::Error {
    let named = &sealing.named;
    if sealing.previous.is_some() {
        anyhow::anyhow!(
            "neither {named} nor {PREVIOUS_VAR} opens the stored signing key {kid}: give the key \
             the signing keys were sealed with"
        )
    } else {
        anyhow::anyhow!(
            "{named} does not open the stored signing key {kid}: it was sealed under another \
             key. Start with that key; to change keys, give the old one as {PREVIOUS_VAR} once \
             and the signing keys are sealed again under the new one"
        )
    }
}

/// Creates a key and retires the others, under an advisory lock. With `only_if_older_than`,
/// does nothing when another replica already rotated past that time.
async fn rotate_locked(
    db: &PgPool,
    sealing: &SealingKeys,
    token_ttl: Duration,
    only_if_older_than: Option<DateTime<Utc>>,
) -> anyhow::Result<String> {
    let mut tx = db.begin().await?;
    db::keys::lock_rotation(&mut tx).await?;
    if let Some(before) = only_if_older_than
        && let Some(kid) = db::keys::active_since(&mut *tx, before).await?
    {
        return Ok(kid);
    }
    let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let der = secret.to_pkcs8_der().context("encoding a new signing key")?;
    let point = secret.public_key().to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        anyhow::bail!("a P-256 public key without coordinates");
    };
    let kid = uuid::Uuid::now_v7().to_string();
    let jwk = json!({
        "kty": "EC",
        "crv": "P-256",
        "x": URL_SAFE_NO_PAD.encode(x),
        "y": URL_SAFE_NO_PAD.encode(y),
        "kid": kid,
        "alg": "ES256",
        "use": "sig",
        "key_ops": ["verify"],
    });
    let publish_for = chrono::Duration::from_std(token_ttl)? + chrono::Duration::minutes(5);
    db::keys::retire_active(&mut *tx, publish_for).await?;
    let sealed = seal::seal(sealing.current.bytes(), kid.as_bytes(), der.as_bytes())?;
    db::keys::insert(&mut *tx, &kid, &sealed, &jwk).await?;
    tx.commit().await?;
    tracing::info!(kid, "rotated to a new signing key");
    Ok(kid)
}
