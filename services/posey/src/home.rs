//! What `posey up` provides the agents' home plugin when the operator configured none: an MQTT
//! broker in this process (devices connect to Posey itself) when `MQTT_URL` is unset, and a
//! `HOME_SEAL_KEY` made once and kept in the data dir (sealed Home Assistant tokens must open
//! again on the next run, so it is never made anew while its file is there).

use std::path::Path;

use anyhow::Context;
use base64::Engine as _;
use posey_config::{SecretString, key_file};
use posey_home_plugin::mqtt::broker::{self, Broker};

use crate::LauncherConfig;
use crate::config::HomeMade;
pub use crate::config::{SEAL_KEY_FILE, seal_key_path};

/// What this run made, and the broker to stop once the services have stopped.
pub struct Provided {
    pub made: HomeMade,
    pub broker: Option<Broker>,
}

/// Starts the embedded broker (unless `MQTT_URL` is set or `POSEY_MQTT_LISTEN=off`) and reads
/// or makes the seal key (unless `HOME_SEAL_KEY` is set). A broker that cannot listen is a
/// warning: Posey runs without it; a seal key file that cannot be read or made is an error
/// (going on would make connections whose tokens the next run cannot open).
pub async fn provide(config: &LauncherConfig) -> anyhow::Result<Provided> {
    let seal_key = match config.agents.home.seal_key {
        Some(_) => None,
        None => Some(load_or_make_seal_key(&config.data_dir)?),
    };
    let broker = match (&config.agents.home.broker, config.mqtt_listen) {
        (Some(url), _) => {
            tracing::info!(broker = %url, "MQTT: the broker of MQTT_URL");
            None
        }
        (None, None) => {
            tracing::info!("MQTT: no broker (POSEY_MQTT_LISTEN=off and MQTT_URL unset)");
            None
        }
        (None, Some(addr)) => match broker::start(addr).await {
            Ok(broker) => {
                tracing::info!(
                    listen = %broker.addr(),
                    "MQTT: the embedded broker listens on {} (MQTT_URL unset; any client may \
                     connect: keep it on an address only your home's network reaches)",
                    broker.addr()
                );
                Some(broker)
            }
            Err(e) => {
                tracing::warn!(
                    listen = %addr,
                    error = %format!("{e:#}"),
                    "MQTT: the embedded broker cannot listen on {addr}, so Posey runs without \
                     it; set POSEY_MQTT_LISTEN to a free address (or `off`), or MQTT_URL to a \
                     broker"
                );
                None
            }
        },
    };
    let mqtt_url = broker.as_ref().map(Broker::url);
    Ok(Provided { made: HomeMade { mqtt_url, seal_key }, broker })
}

/// The seal key kept in `data_dir`, made (32 random bytes, base64, mode 0600) the first time.
pub fn load_or_make_seal_key(data_dir: &Path) -> anyhow::Result<SecretString> {
    let path = seal_key_path(data_dir);
    if let Some(key) = read_seal_key(&path)? {
        return Ok(key);
    }
    let key = {
        use rand::RngCore as _;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    let made = key_file::create(&path, &key)
        .with_context(|| format!("writing the seal key to {}", path.display()))?;
    if !made {
        // Another run made it at the same moment: theirs is the key.
        return read_seal_key(&path)?
            .with_context(|| format!("{} appeared and went again", path.display()));
    }
    tracing::info!(
        file = %path.display(),
        "HOME_SEAL_KEY unset: made one, kept in {}; back it up with the database \
         (Home Assistant tokens stored sealed cannot be opened without it)",
        path.display()
    );
    Ok(SecretString::from(key))
}

/// The key in `path`, `None` when there is no such file.
pub fn read_seal_key(path: &Path) -> anyhow::Result<Option<SecretString>> {
    let Some(text) = key_file::read(path).with_context(|| format!("reading {}", path.display()))?
    else {
        return Ok(None);
    };
    posey_home_plugin::SealKey::parse(&text).with_context(|| {
        format!(
            "{} is not a seal key (32 bytes, base64): restore it from a backup, or set \
             HOME_SEAL_KEY (Home Assistant connections sealed under a lost key must be made again)",
            path.display()
        )
    })?;
    Ok(Some(SecretString::from(text)))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use posey_config::ExposeSecret as _;

    use super::*;

    #[test]
    fn the_seal_key_is_made_once_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let key = load_or_make_seal_key(&data_dir).unwrap();
        let path = seal_key_path(&data_dir);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        let bytes = base64::engine::general_purpose::STANDARD.decode(key.expose_secret()).unwrap();
        assert_eq!(bytes.len(), 32);
        assert!(posey_home_plugin::SealKey::parse(key.expose_secret()).is_ok());
        // The next run reads the same key; nothing is left aside.
        let again = load_or_make_seal_key(&data_dir).unwrap();
        assert_eq!(again.expose_secret(), key.expose_secret());
        let files: Vec<_> = std::fs::read_dir(&data_dir).unwrap().flatten().collect();
        assert_eq!(files.len(), 1, "{files:?}");
        // Another data dir, another key.
        let other = load_or_make_seal_key(&dir.path().join("other")).unwrap();
        assert_ne!(other.expose_secret(), key.expose_secret());
    }

    #[test]
    fn a_damaged_seal_key_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = seal_key_path(dir.path());
        std::fs::write(&path, "not a key\n").unwrap();
        let error = format!("{:#}", load_or_make_seal_key(dir.path()).unwrap_err());
        assert!(error.contains(SEAL_KEY_FILE) && error.contains("HOME_SEAL_KEY"), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a key\n");
    }
}
