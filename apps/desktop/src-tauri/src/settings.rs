//! Which Posey the app talks to, kept in `settings.json` in the app's config directory. Only
//! URLs live there; the session is in the keyring. `POSEY_DESKTOP_AUTH_URL`,
//! `POSEY_DESKTOP_AGENTS_URL` and `POSEY_DESKTOP_CRON_URL` override the file (the end-to-end
//! test points the app at its own `posey up` with them).

use std::path::PathBuf;
use std::sync::Mutex;

use posey_desktop_bridge::Endpoints;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager};
use url::Url;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub auth_url: String,
    pub agents_url: String,
    pub cron_url: String,
}

impl From<&Endpoints> for Settings {
    fn from(e: &Endpoints) -> Self {
        Self {
            auth_url: e.auth.to_string(),
            agents_url: e.agents.to_string(),
            cron_url: e.cron.to_string(),
        }
    }
}

impl Settings {
    pub fn endpoints(&self) -> Result<Endpoints, String> {
        let parse = |what: &str, raw: &str| -> Result<Url, String> {
            let url = Url::parse(raw.trim()).map_err(|e| format!("{what}: {e}"))?;
            if url.scheme() != "http" && url.scheme() != "https" {
                return Err(format!("{what}: http:// or https://"));
            }
            Ok(url)
        };
        Ok(Endpoints {
            auth: parse("auth URL", &self.auth_url)?,
            agents: parse("agents URL", &self.agents_url)?,
            cron: parse("cron URL", &self.cron_url)?,
        })
    }
}

pub struct SettingsFile {
    path: PathBuf,
    current: Mutex<Settings>,
}

impl SettingsFile {
    pub fn new(app: &AppHandle) -> tauri::Result<Self> {
        let dir = app.path().app_config_dir()?;
        let path = dir.join("settings.json");
        let mut current = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Settings>(&bytes).ok())
            .filter(|s| s.endpoints().is_ok())
            .unwrap_or_else(|| {
                let local = Endpoints::at_address("localhost").map(|e| Settings::from(&e));
                local.unwrap_or(Settings {
                    auth_url: "http://localhost:9000/".into(),
                    agents_url: "http://localhost:8000/".into(),
                    cron_url: "http://localhost:8090/".into(),
                })
            });
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(v) = env("POSEY_DESKTOP_AUTH_URL") {
            current.auth_url = v;
        }
        if let Some(v) = env("POSEY_DESKTOP_AGENTS_URL") {
            current.agents_url = v;
        }
        if let Some(v) = env("POSEY_DESKTOP_CRON_URL") {
            current.cron_url = v;
        }
        Ok(Self { path, current: Mutex::new(current) })
    }

    pub fn get(&self) -> Settings {
        match self.current.lock() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The endpoints as set (an invalid override from the environment fails the start).
    pub fn endpoints(&self) -> Result<Endpoints, String> {
        self.get().endpoints()
    }

    pub fn set(&self, settings: Settings) -> Result<Endpoints, String> {
        let endpoints = settings.endpoints()?;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        }
        let json = serde_json::to_vec_pretty(&settings).map_err(|e| e.to_string())?;
        std::fs::write(&self.path, json)
            .map_err(|e| format!("writing {}: {e}", self.path.display()))?;
        match self.current.lock() {
            Ok(mut s) => *s = settings,
            Err(poisoned) => *poisoned.into_inner() = settings,
        }
        Ok(endpoints)
    }
}
