//! TOTP secrets at rest: AES-256-GCM under the instance's MFA key, a fresh nonce each time, and
//! the factor's id as associated data so a sealed secret cannot be moved to another factor.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, anyhow};
use rand::RngCore;
use uuid::Uuid;

const NONCE_LEN: usize = 12;

pub fn seal(key: &[u8], factor_id: Uuid, secret: &str) -> anyhow::Result<Vec<u8>> {
    let cipher = Aes256Gcm::new_from_slice(key).context("the MFA key is 32 bytes")?;
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(&Nonce::from(nonce), Payload { msg: secret.as_bytes(), aad: factor_id.as_bytes() })
        .map_err(|_| anyhow!("sealing a TOTP secret"))?;
    Ok([nonce.as_slice(), &sealed].concat())
}

pub fn open(key: &[u8], factor_id: Uuid, sealed: &[u8]) -> anyhow::Result<String> {
    let cipher = Aes256Gcm::new_from_slice(key).context("the MFA key is 32 bytes")?;
    if sealed.len() <= NONCE_LEN {
        return Err(anyhow!("a sealed TOTP secret is too short"));
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().context("a nonce is 12 bytes")?;
    let secret = cipher
        .decrypt(&Nonce::from(nonce), Payload { msg: body, aad: factor_id.as_bytes() })
        .map_err(|_| anyhow!("opening a TOTP secret (wrong key, or not this factor's)"))?;
    String::from_utf8(secret).context("a TOTP secret is text")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_factor() {
        let key = [7u8; 32];
        let id = Uuid::new_v4();
        let sealed = seal(&key, id, "SECRET").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"SECRET"));
        assert_eq!(open(&key, id, &sealed).unwrap(), "SECRET");
        assert!(open(&[8u8; 32], id, &sealed).is_err());
        assert!(open(&key, Uuid::new_v4(), &sealed).is_err());
        assert_ne!(seal(&key, id, "SECRET").unwrap(), sealed);
    }
}
