//! Where the refresh token lives between runs: the OS keyring, one entry per auth server so a
//! home and a work instance keep separate sessions. On Linux that is the Secret Service (GNOME
//! Keyring, KWallet, KeePassXC), which keeps it across reboots; where none answers (no session
//! bus, a headless machine) the kernel's keyutils store keeps it for the login session only.
//! The access token is never stored anywhere but the bridge's memory.

use std::collections::HashMap;
use std::sync::Mutex;

/// The keyring's service name for Posey's entries.
pub const KEYRING_SERVICE: &str = "app.posey.desktop";

#[derive(Debug, thiserror::Error)]
#[error("the keyring refused: {0}")]
pub struct StoreError(pub String);

/// A place for one secret per account (the auth server's URL).
pub trait SecretStore: Send + Sync {
    fn load(&self, account: &str) -> Result<Option<String>, StoreError>;
    fn save(&self, account: &str, secret: &str) -> Result<(), StoreError>;
    fn delete(&self, account: &str) -> Result<(), StoreError>;
}

/// Which of the OS's keyrings an [`OsKeyring`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyring {
    /// The Secret Service on the session bus: kept across reboots.
    SecretService,
    /// The kernel's keyutils session keyring: needs no daemon, gone at logout or reboot.
    Keyutils,
}

/// One of the OS's keyrings through the `keyring` crate.
#[derive(Debug, Clone)]
pub struct OsKeyring {
    service: String,
    kind: Keyring,
}

impl OsKeyring {
    pub fn new(service: impl Into<String>, kind: Keyring) -> Self {
        Self { service: service.into(), kind }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, StoreError> {
        let credential: Box<keyring::credential::Credential> = match self.kind {
            Keyring::SecretService => Box::new(
                keyring::secret_service::SsCredential::new_with_target(
                    None,
                    &self.service,
                    account,
                )
                .map_err(|e| self.refused(e))?,
            ),
            Keyring::Keyutils => Box::new(
                keyring::keyutils::KeyutilsCredential::new_with_target(
                    None,
                    &self.service,
                    account,
                )
                .map_err(|e| self.refused(e))?,
            ),
        };
        Ok(keyring::Entry::new_with_credential(credential))
    }

    fn refused(&self, error: keyring::Error) -> StoreError {
        StoreError(format!("{:?}: {error}", self.kind))
    }
}

impl SecretStore for OsKeyring {
    fn load(&self, account: &str) -> Result<Option<String>, StoreError> {
        match self.entry(account)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.refused(e)),
        }
    }

    fn save(&self, account: &str, secret: &str) -> Result<(), StoreError> {
        self.entry(account)?.set_password(secret).map_err(|e| self.refused(e))
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(self.refused(e)),
        }
    }
}

/// A store that keeps what it can in `lasting` and falls back to `session` when `lasting`
/// cannot be reached, saying so in the log (`falls_back`: what that means for the person): a
/// token saved while `lasting` was away is found again, and one saved in it later replaces the
/// session's copy.
#[derive(Debug)]
pub struct LayeredStore<L, S> {
    lasting: L,
    session: S,
    falls_back: &'static str,
}

impl<L: SecretStore, S: SecretStore> LayeredStore<L, S> {
    pub fn new(lasting: L, session: S, falls_back: &'static str) -> Self {
        Self { lasting, session, falls_back }
    }
}

impl<L: SecretStore, S: SecretStore> SecretStore for LayeredStore<L, S> {
    fn load(&self, account: &str) -> Result<Option<String>, StoreError> {
        match self.lasting.load(account) {
            Ok(Some(secret)) => return Ok(Some(secret)),
            Ok(None) => {}
            Err(error) => tracing::debug!(%error, "the lasting keyring cannot be read"),
        }
        self.session.load(account)
    }

    fn save(&self, account: &str, secret: &str) -> Result<(), StoreError> {
        match self.lasting.save(account, secret) {
            Ok(()) => {
                // The session's copy, from a time the lasting keyring was away, is stale now.
                if let Err(error) = self.session.delete(account) {
                    tracing::debug!(%error, "a stale session copy stays");
                }
                Ok(())
            }
            Err(error) => {
                tracing::warn!(%error, "{}", self.falls_back);
                self.session.save(account, secret)
            }
        }
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        let lasting = forget(&self.lasting, account);
        let session = forget(&self.session, account);
        lasting.and(session)
    }
}

/// Deletes `account`'s secret from `store`, failing only when the secret is still there. The
/// `keyring` crate names a keyring that is away and one that refused the same way
/// (`PlatformFailure`), so a refusal is told apart by reading: one that cannot be read either is
/// away, and holds nothing to forget unless it could be reached when the token was saved (and
/// then it answers now too); one that still hands the secret back has kept it, and signing out
/// must not say it is done.
fn forget(store: &impl SecretStore, account: &str) -> Result<(), StoreError> {
    match store.delete(account) {
        Ok(()) => Ok(()),
        Err(error) => match store.load(account) {
            Ok(Some(_)) => Err(error),
            Ok(None) => Ok(()),
            Err(unreadable) => {
                tracing::debug!(%error, %unreadable, "a keyring that is away holds nothing to forget");
                Ok(())
            }
        },
    }
}

/// The OS keyring as the app uses it: the Secret Service; else keyutils, kept until logout; else
/// (keyutils refusing too) the bridge's memory, kept while the app runs. Signing in never fails
/// for want of a keyring.
pub type KeyringStore = LayeredStore<OsKeyring, LayeredStore<OsKeyring, MemoryStore>>;

impl KeyringStore {
    pub fn for_service(service: &str) -> Self {
        LayeredStore::new(
            OsKeyring::new(service, Keyring::SecretService),
            LayeredStore::new(
                OsKeyring::new(service, Keyring::Keyutils),
                MemoryStore::default(),
                "the keyutils store refused: the session is kept while the app runs only",
            ),
            "no Secret Service to keep the session in: it is kept until logout only",
        )
    }
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::for_service(KEYRING_SERVICE)
    }
}

/// In memory only: for tests, and the fallback when the OS has no usable keyring (the session
/// then lasts as long as the app runs).
#[derive(Debug, Default)]
pub struct MemoryStore(Mutex<HashMap<String, String>>);

impl SecretStore for MemoryStore {
    fn load(&self, account: &str) -> Result<Option<String>, StoreError> {
        let map = self.0.lock().map_err(|_| StoreError("poisoned".into()))?;
        Ok(map.get(account).cloned())
    }

    fn save(&self, account: &str, secret: &str) -> Result<(), StoreError> {
        let mut map = self.0.lock().map_err(|_| StoreError("poisoned".into()))?;
        map.insert(account.to_owned(), secret.to_owned());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), StoreError> {
        let mut map = self.0.lock().map_err(|_| StoreError("poisoned".into()))?;
        map.remove(account);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "http://127.0.0.1:9/";

    /// A service name of the test's own, so it never meets a person's session.
    fn service(name: &str) -> String {
        format!("app.posey.desktop.test.{name}.{}", std::process::id())
    }

    /// Two stores stand for two runs of the app: what one saved, the other reads.
    fn round_trip(writer: &dyn SecretStore, reader: &dyn SecretStore) {
        assert_eq!(reader.load(ACCOUNT).expect("load"), None);
        writer.save(ACCOUNT, "refresh-1").expect("save");
        assert_eq!(reader.load(ACCOUNT).expect("load").as_deref(), Some("refresh-1"));
        writer.save(ACCOUNT, "refresh-2").expect("overwrite");
        assert_eq!(reader.load(ACCOUNT).expect("load").as_deref(), Some("refresh-2"));
        assert_eq!(reader.load("http://other/").expect("other account"), None);
        writer.delete(ACCOUNT).expect("delete");
        assert_eq!(reader.load(ACCOUNT).expect("load"), None);
        writer.delete(ACCOUNT).expect("deleting twice is harmless");
    }

    #[test]
    fn keyutils_round_trip() {
        let service = service("keyutils");
        round_trip(
            &OsKeyring::new(&service, Keyring::Keyutils),
            &OsKeyring::new(&service, Keyring::Keyutils),
        );
    }

    /// Through a real Secret Service (GNOME Keyring on a session bus of its own:
    /// `scripts/with-keyring`, which `npm run test:unit` runs this under).
    #[test]
    fn secret_service_round_trip_and_a_session_that_outlives_keyutils() {
        assert!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "no session bus: run the bridge's tests through scripts/with-keyring"
        );
        let service = service("secret-service");
        let lasting = || OsKeyring::new(&service, Keyring::SecretService);
        round_trip(&lasting(), &lasting());

        // The app's store saves in the Secret Service; after a reboot (keyutils emptied) a new
        // run still finds the session there.
        let app = KeyringStore::for_service(&service);
        app.save(ACCOUNT, "refresh-3").expect("save");
        let keyutils = OsKeyring::new(&service, Keyring::Keyutils);
        keyutils.delete(ACCOUNT).expect("forget the session copy");
        let after_reboot = KeyringStore::for_service(&service);
        assert_eq!(after_reboot.load(ACCOUNT).expect("load").as_deref(), Some("refresh-3"));
        assert_eq!(lasting().load(ACCOUNT).expect("load").as_deref(), Some("refresh-3"));
        after_reboot.delete(ACCOUNT).expect("sign out");
        assert_eq!(lasting().load(ACCOUNT).expect("load"), None);
    }

    /// A keyring that is never there (no Secret Service on this machine).
    struct Away;

    impl SecretStore for Away {
        fn load(&self, _: &str) -> Result<Option<String>, StoreError> {
            Err(StoreError("no session bus".into()))
        }
        fn save(&self, _: &str, _: &str) -> Result<(), StoreError> {
            Err(StoreError("no session bus".into()))
        }
        fn delete(&self, _: &str) -> Result<(), StoreError> {
            Err(StoreError("no session bus".into()))
        }
    }

    #[test]
    fn without_a_lasting_keyring_the_session_keeps_the_token() {
        let store = LayeredStore::new(Away, MemoryStore::default(), "kept for the session");
        round_trip(&store, &store);
        // Neither keyring answering: the token is still kept while the app runs.
        let neither =
            LayeredStore::new(Away, LayeredStore::new(Away, MemoryStore::default(), "memory"), "-");
        round_trip(&neither, &neither);
    }

    /// A keyring that answers but will not let go (a locked collection, a dismissed prompt).
    struct Stuck(MemoryStore);

    impl SecretStore for Stuck {
        fn load(&self, account: &str) -> Result<Option<String>, StoreError> {
            self.0.load(account)
        }
        fn save(&self, account: &str, secret: &str) -> Result<(), StoreError> {
            self.0.save(account, secret)
        }
        fn delete(&self, _: &str) -> Result<(), StoreError> {
            Err(StoreError("the collection is locked".into()))
        }
    }

    #[test]
    fn signing_out_fails_while_a_keyring_that_answers_still_holds_the_token() {
        let store = LayeredStore::new(Stuck(MemoryStore::default()), MemoryStore::default(), "-");
        store.delete(ACCOUNT).expect("nothing saved: nothing to forget");
        store.save(ACCOUNT, "refresh-1").expect("save");
        let error = store.delete(ACCOUNT).expect_err("the token is still in the keyring");
        assert!(error.to_string().contains("locked"), "{error}");
        assert_eq!(store.load(ACCOUNT).expect("load").as_deref(), Some("refresh-1"));
        // Under the session layer too.
        let nested = LayeredStore::new(
            Away,
            LayeredStore::new(Stuck(MemoryStore::default()), MemoryStore::default(), "-"),
            "-",
        );
        nested.save(ACCOUNT, "refresh-2").expect("save");
        assert!(nested.delete(ACCOUNT).is_err(), "the token is still in the keyutils layer");
    }

    #[test]
    fn a_token_saved_once_the_lasting_keyring_is_back_replaces_the_session_copy() {
        let session = MemoryStore::default();
        session.save(ACCOUNT, "old").expect("save");
        let store = LayeredStore::new(MemoryStore::default(), session, "kept for the session");
        assert_eq!(store.load(ACCOUNT).expect("load").as_deref(), Some("old"));
        store.save(ACCOUNT, "new").expect("save");
        assert_eq!(store.session.load(ACCOUNT).expect("load"), None, "the stale copy is gone");
        assert_eq!(store.load(ACCOUNT).expect("load").as_deref(), Some("new"));
        store.delete(ACCOUNT).expect("delete");
        assert_eq!(store.load(ACCOUNT).expect("load"), None);
    }
}
