//! Password hashing: Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane), run on the
//! blocking pool under a concurrency bound so a burst of sign-ins cannot starve the async
//! threads or exhaust memory. Hashes made with older parameters are upgraded on sign-in.

use std::sync::Arc;

use anyhow::Context;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// Longest password accepted, in bytes: refused before any hashing work is spent on it.
pub const MAX_PASSWORD_BYTES: usize = 256;

#[derive(Clone)]
pub struct Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// A real hash of a random password: verifying against it when an account does not exist
    /// takes as long as a real check, so timing does not tell which emails have accounts.
    dummy_hash: Arc<String>,
}

/// The outcome of checking a password.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, and here is a hash with the current parameters to store instead.
    YesRehashed(String),
}

impl Hasher {
    /// OWASP's recommendation for Argon2id.
    pub fn owasp(concurrency: usize) -> anyhow::Result<Self> {
        let params = Params::new(19 * 1024, 2, 1, None).context("Argon2 parameters")?;
        Self::with_params(params, concurrency)
    }

    pub fn with_params(params: Params, concurrency: usize) -> anyhow::Result<Self> {
        let mut hasher = Self {
            params,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: Arc::new(String::new()),
        };
        let random: String = uuid::Uuid::new_v4().to_string();
        hasher.dummy_hash = Arc::new(hash_blocking(&hasher.params, &random)?);
        Ok(hasher)
    }

    fn argon2(params: &Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
    }

    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.blocking(move || hash_blocking(&params, &password)).await
    }

    /// Checks `password` against `stored` (or against the dummy hash when there is no account,
    /// always answering `No` then).
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> anyhow::Result<Verified> {
        let exists = stored.is_some();
        let stored = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let params = self.params.clone();
        let password = password.to_owned();
        self.blocking(move || {
            let parsed =
                PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
            let ok = Self::argon2(&params).verify_password(password.as_bytes(), &parsed).is_ok();
            if !(ok && exists) {
                return Ok(Verified::No);
            }
            let current = Params::try_from(&parsed).ok();
            let outdated = parsed.algorithm != argon2::ARGON2ID_IDENT
                || current.is_none_or(|p| {
                    (p.m_cost(), p.t_cost(), p.p_cost())
                        != (params.m_cost(), params.t_cost(), params.p_cost())
                });
            if outdated {
                Ok(Verified::YesRehashed(hash_blocking(&params, &password)?))
            } else {
                Ok(Verified::Yes)
            }
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self.permits.acquire().await.context("hasher closed")?;
        tokio::task::spawn_blocking(work).await.context("hashing task")?
    }
}

fn hash_blocking(params: &Params, password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Hasher::argon2(params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Params {
        Params::new(1024, 1, 1, None).unwrap()
    }

    #[tokio::test]
    async fn verifies_and_refuses() {
        let hasher = Hasher::with_params(cheap(), 2).unwrap();
        let hash = hasher.hash("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert_eq!(hasher.verify("correct horse", Some(&hash)).await.unwrap(), Verified::Yes);
        assert_eq!(hasher.verify("wrong", Some(&hash)).await.unwrap(), Verified::No);
        assert_eq!(hasher.verify("correct horse", None).await.unwrap(), Verified::No);
    }

    #[tokio::test]
    async fn owasp_parameters_are_used() {
        let hasher = Hasher::owasp(1).unwrap();
        let hash = hasher.hash("pw").await.unwrap();
        assert!(hash.contains("m=19456,t=2,p=1"), "{hash}");
    }

    #[tokio::test]
    async fn old_parameters_are_upgraded_on_sign_in() {
        let old = Hasher::with_params(cheap(), 1).unwrap();
        let hash = old.hash("pw").await.unwrap();
        let current = Hasher::with_params(Params::new(2048, 2, 1, None).unwrap(), 1).unwrap();
        match current.verify("pw", Some(&hash)).await.unwrap() {
            Verified::YesRehashed(new) => assert!(new.contains("m=2048,t=2,p=1"), "{new}"),
            other => panic!("expected a rehash, got {other:?}"),
        }
    }
}
