//! Secrets at rest: AES-256-GCM under a 32-byte key, a fresh nonce each time (stored before the
//! ciphertext), and associated data that ties a sealed secret to its row, so it cannot be moved
//! to another. TOTP secrets (`mfa::seal`) and signing keys (`keys`) are sealed this way.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, anyhow};
use rand::RngCore;

const NONCE_LEN: usize = 12;

/// `secret` sealed under `key` (32 bytes), bound to `aad`.
pub fn seal(key: &[u8], aad: &[u8], secret: &[u8]) -> anyhow::Result<Vec<u8>> {
    let cipher = Aes256Gcm::new_from_slice(key).context("a sealing key is 32 bytes")?;
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(&Nonce::from(nonce), Payload { msg: secret, aad })
        .map_err(|_| anyhow!("sealing a secret"))?;
    Ok([nonce.as_slice(), &sealed].concat())
}

/// What [`seal`] sealed, if `key` and `aad` are the ones it was sealed with.
pub fn open(key: &[u8], aad: &[u8], sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
    let cipher = Aes256Gcm::new_from_slice(key).context("a sealing key is 32 bytes")?;
    if sealed.len() <= NONCE_LEN {
        return Err(anyhow!("a sealed secret is too short"));
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().context("a nonce is 12 bytes")?;
    cipher
        .decrypt(&Nonce::from(nonce), Payload { msg: body, aad })
        .map_err(|_| anyhow!("opening a sealed secret (wrong key, or not this row's)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_row() {
        let key = [7u8; 32];
        let sealed = seal(&key, b"row-1", b"SECRET").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"SECRET"));
        assert_eq!(open(&key, b"row-1", &sealed).unwrap(), b"SECRET");
        assert!(open(&[8u8; 32], b"row-1", &sealed).is_err());
        assert!(open(&key, b"row-2", &sealed).is_err());
        assert!(open(&key, b"row-1", &sealed[..NONCE_LEN]).is_err());
        assert_ne!(seal(&key, b"row-1", b"SECRET").unwrap(), sealed);
    }
}
