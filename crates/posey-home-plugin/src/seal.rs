//! Secrets at rest (a Home Assistant access token, a broker's password): AES-256-GCM under the
//! operator's key (`HOME_SEAL_KEY`), a fresh nonce each time, and the connection's id as
//! associated data, so a sealed secret cannot be moved to another connection. The key never
//! lives in the database.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, anyhow};
use base64::Engine;
use posey_home::Secret;
use rand::RngCore;
use uuid::Uuid;

const NONCE_LEN: usize = 12;

/// The operator's 32-byte key.
#[derive(Clone)]
pub struct SealKey([u8; 32]);

impl SealKey {
    /// From `HOME_SEAL_KEY`'s text: 32 bytes in standard or URL-safe base64 (`openssl rand
    /// -base64 32`).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
            .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(text))
            .context("is not base64 (make one with `openssl rand -base64 32`)")?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|bytes: Vec<u8>| anyhow!("is {} bytes, not 32", bytes.len()))?;
        Ok(Self(key))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn seal(&self, connection: Uuid, secret: &Secret) -> anyhow::Result<Vec<u8>> {
        let cipher = Aes256Gcm::new_from_slice(&self.0).context("the seal key is 32 bytes")?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload { msg: secret.expose().as_bytes(), aad: connection.as_bytes() };
        let sealed = cipher
            .encrypt(&Nonce::from(nonce), payload)
            .map_err(|_| anyhow!("sealing a secret"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    pub fn open(&self, connection: Uuid, sealed: &[u8]) -> anyhow::Result<Secret> {
        let cipher = Aes256Gcm::new_from_slice(&self.0).context("the seal key is 32 bytes")?;
        if sealed.len() <= NONCE_LEN {
            return Err(anyhow!("a sealed secret is too short"));
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().context("a nonce is 12 bytes")?;
        let opened = cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: body, aad: connection.as_bytes() })
            .map_err(|_| {
                anyhow!("opening a sealed secret failed (HOME_SEAL_KEY changed, or not this connection's)")
            })?;
        Ok(Secret::new(String::from_utf8(opened).context("a sealed secret is text")?))
    }
}

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_connection() {
        let key = SealKey::from_bytes([7u8; 32]);
        let id = Uuid::new_v4();
        let sealed = key.seal(id, &Secret::new("TOKEN-VALUE")).unwrap();
        assert!(!sealed.windows(11).any(|w| w == b"TOKEN-VALUE"));
        assert_eq!(key.open(id, &sealed).unwrap().expose(), "TOKEN-VALUE");
        assert!(SealKey::from_bytes([8u8; 32]).open(id, &sealed).is_err());
        assert!(key.open(Uuid::new_v4(), &sealed).is_err());
        assert_ne!(key.seal(id, &Secret::new("TOKEN-VALUE")).unwrap(), sealed);
    }

    #[test]
    fn a_key_is_32_bytes_of_base64() {
        let text = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        assert!(SealKey::parse(&text).is_ok());
        let short = base64::engine::general_purpose::STANDARD.encode([1u8; 16]);
        assert!(format!("{:#}", SealKey::parse(&short).unwrap_err()).contains("16 bytes"));
        assert!(SealKey::parse("not base64!").is_err());
        assert_eq!(format!("{:?}", SealKey::from_bytes([1u8; 32])), "SealKey(***)");
    }
}
