//! TOTP secrets at rest: sealed (`crate::seal`, AES-256-GCM) under the instance's MFA key, with
//! the factor's id as associated data so a sealed secret cannot be moved to another factor.

use anyhow::{Context, anyhow};
use uuid::Uuid;

pub fn seal(key: &[u8], factor_id: Uuid, secret: &str) -> anyhow::Result<Vec<u8>> {
    crate::seal::seal(key, factor_id.as_bytes(), secret.as_bytes())
        .map_err(|_| anyhow!("sealing a TOTP secret"))
}

pub fn open(key: &[u8], factor_id: Uuid, sealed: &[u8]) -> anyhow::Result<String> {
    let secret = crate::seal::open(key, factor_id.as_bytes(), sealed)
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
