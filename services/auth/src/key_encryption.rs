//! The operator's key that seals the signing keys at rest: `AUTH_KEY_ENCRYPTION_KEY` (32 bytes,
//! base64), or the file `AUTH_KEY_ENCRYPTION_KEY_FILE` names, made when absent (`posey up` keeps
//! one in its data dir). While rotating it, the old one is `AUTH_KEY_ENCRYPTION_KEY_PREVIOUS`:
//! what it sealed is sealed again under the new one at start.

use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use posey_config::{Env, key_file};
use rand::RngCore as _;

pub const KEY_VAR: &str = "AUTH_KEY_ENCRYPTION_KEY";
pub const FILE_VAR: &str = "AUTH_KEY_ENCRYPTION_KEY_FILE";
pub const PREVIOUS_VAR: &str = "AUTH_KEY_ENCRYPTION_KEY_PREVIOUS";

/// 32 bytes of key; never shown in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptionKey([u8; 32]);

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey(..)")
    }
}

impl EncryptionKey {
    /// From its text: 32 bytes in standard or URL-safe base64 (`openssl rand -base64 32`).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        let bytes = [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .context("not base64 (make one with `openssl rand -base64 32`)")?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            anyhow::anyhow!(
                "{} bytes, not 32 (make one with `openssl rand -base64 32`)",
                bytes.len()
            )
        })?;
        Ok(Self(bytes))
    }

    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }
}

/// Where the key comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// `AUTH_KEY_ENCRYPTION_KEY`.
    Given(EncryptionKey),
    /// `AUTH_KEY_ENCRYPTION_KEY_FILE` (or `posey up`'s file in its data dir): read, or made
    /// when absent.
    File(PathBuf),
}

/// The key-encryption settings as configured.
#[derive(Debug, Clone, Default)]
pub struct KeyEncryption {
    /// `None`: none configured, and the service will not start (the launcher fills it in).
    pub source: Option<KeySource>,
    pub previous: Option<EncryptionKey>,
}

/// The keys the signing keys are sealed with: `current` seals, `previous` only opens.
#[derive(Debug, Clone)]
pub struct SealingKeys {
    pub current: EncryptionKey,
    pub previous: Option<EncryptionKey>,
    /// Where `current` came from, for errors (`AUTH_KEY_ENCRYPTION_KEY`, or the file's path).
    pub named: String,
}

impl KeyEncryption {
    /// Reads the three variables (every one of them, so each is known to be read); a bad value
    /// is recorded in `env`.
    pub fn read(env: &mut Env<'_>) -> Self {
        let key = read_key(env, KEY_VAR);
        let file = env.raw(FILE_VAR).filter(|f| !f.trim().is_empty()).map(PathBuf::from);
        let previous = read_key(env, PREVIOUS_VAR);
        let source = match (key, file) {
            (Some(_), Some(_)) => {
                env.problem(FILE_VAR, format!("set {KEY_VAR} or {FILE_VAR}, not both"));
                None
            }
            (Some(key), None) => Some(KeySource::Given(key)),
            (None, Some(file)) => Some(KeySource::File(file)),
            (None, None) => None,
        };
        Self { source, previous }
    }

    /// Records in `env` that no key is configured, when none is.
    pub fn require(&self, env: &mut Env<'_>) {
        if self.source.is_none() {
            env.problem(KEY_VAR, unset_message());
        }
    }

    /// The keys to seal with: the given one, or the file's (made now when absent).
    pub fn resolve(&self) -> anyhow::Result<SealingKeys> {
        let (current, named) = match &self.source {
            None => anyhow::bail!("{KEY_VAR} {}", unset_message()),
            Some(KeySource::Given(key)) => (key.clone(), KEY_VAR.to_owned()),
            Some(KeySource::File(path)) => {
                (load_or_make(path)?, format!("the key in {} ({FILE_VAR})", path.display()))
            }
        };
        if self.previous.as_ref() == Some(&current) {
            anyhow::bail!("{PREVIOUS_VAR} is the same key as {named}: give the old key there");
        }
        Ok(SealingKeys { current, previous: self.previous.clone(), named })
    }
}

fn unset_message() -> String {
    format!(
        "is unset: the signing keys are sealed with it. Set it to 32 random bytes in base64 \
         (`openssl rand -base64 32`), or {FILE_VAR} to a file that holds it (made when absent), \
         and keep it with your backups"
    )
}

fn read_key(env: &mut Env<'_>, var: &str) -> Option<EncryptionKey> {
    let raw = env.raw(var).filter(|raw| !raw.trim().is_empty())?;
    match EncryptionKey::parse(&raw) {
        Ok(key) => Some(key),
        Err(e) => {
            env.problem(var, format!("{e:#}"));
            None
        }
    }
}

/// The key kept in `path`, made (32 random bytes, base64, mode 0600) the first time.
pub fn load_or_make(path: &Path) -> anyhow::Result<EncryptionKey> {
    if let Some(key) = read_file(path)? {
        return Ok(key);
    }
    let key = EncryptionKey::random();
    let made = key_file::create(path, &key.to_base64())
        .with_context(|| format!("writing the key to {}", path.display()))?;
    if !made {
        // Another replica made it at the same moment: theirs is the key.
        return read_file(path)?
            .with_context(|| format!("{} appeared and went again", path.display()));
    }
    tracing::info!(
        file = %path.display(),
        "made the key that seals the signing keys, kept in {}: back it up with the database \
         (without it the signing keys cannot be opened)",
        path.display()
    );
    Ok(key)
}

/// The key in `path`, `None` when there is no such file (`posey doctor` asks too).
pub fn read_file(path: &Path) -> anyhow::Result<Option<EncryptionKey>> {
    let Some(text) =
        key_file::read(path).with_context(|| format!("reading {} ({FILE_VAR})", path.display()))?
    else {
        return Ok(None);
    };
    let key = EncryptionKey::parse(&text).with_context(|| {
        format!(
            "{} ({FILE_VAR}) is not a key (32 bytes, base64): restore it from a backup",
            path.display()
        )
    })?;
    Ok(Some(key))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn a_key_is_32_bytes_of_base64() {
        let key = EncryptionKey::parse(KEY).unwrap();
        assert_eq!(key.bytes(), (0u8..32).collect::<Vec<_>>());
        assert_eq!(EncryptionKey::parse(&format!(" {}\n", key.to_base64())).unwrap(), key);
        assert!(EncryptionKey::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").is_ok());
        assert!(EncryptionKey::parse("AAEC").unwrap_err().to_string().contains("not 32"));
        assert!(EncryptionKey::parse("not a key!").is_err());
        assert_eq!(format!("{key:?}"), "EncryptionKey(..)");
    }

    #[test]
    fn bad_or_missing_settings_name_their_variable() {
        let problems = |pairs: &[(&str, &str)], require: bool| {
            let mut env = Env::from_pairs(pairs.iter().copied());
            let read = KeyEncryption::read(&mut env);
            if require {
                read.require(&mut env);
            }
            env.finish(Some(read)).map(|_| ()).map_err(|e| e.to_string())
        };
        let error = problems(&[], true).unwrap_err();
        assert!(error.contains(KEY_VAR) && error.contains(FILE_VAR), "{error}");
        assert!(problems(&[], false).is_ok());
        assert!(problems(&[(KEY_VAR, KEY)], true).is_ok());
        assert!(problems(&[(FILE_VAR, "/tmp/k")], true).is_ok());
        assert!(problems(&[(KEY_VAR, "short")], true).unwrap_err().contains(KEY_VAR));
        assert!(
            problems(&[(KEY_VAR, KEY), (PREVIOUS_VAR, "x")], true)
                .unwrap_err()
                .contains(PREVIOUS_VAR)
        );
        assert!(problems(&[(KEY_VAR, KEY), (FILE_VAR, "/tmp/k")], true).is_err());
        let same = KeyEncryption {
            source: Some(KeySource::Given(EncryptionKey::parse(KEY).unwrap())),
            previous: Some(EncryptionKey::parse(KEY).unwrap()),
        };
        assert!(same.resolve().unwrap_err().to_string().contains(PREVIOUS_VAR));
    }

    #[test]
    fn the_key_file_is_made_once_private_and_kept() {
        let dir = std::env::temp_dir().join(format!("posey-auth-kek-{}", uuid::Uuid::new_v4()));
        let path = dir.join("data").join("auth-key-encryption-key");
        let key = load_or_make(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        assert_eq!(load_or_make(&path).unwrap(), key);
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
        // A damaged file is refused, not replaced.
        std::fs::write(&path, "damaged\n").unwrap();
        let error = format!("{:#}", load_or_make(&path).unwrap_err());
        assert!(error.contains(FILE_VAR) && error.contains("auth-key-encryption-key"), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "damaged\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
