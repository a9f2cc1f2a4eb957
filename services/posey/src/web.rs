//! The web app (`apps/web`, a Next.js standalone server) as one more child of `posey up`:
//! started with `node server.js` on `WEB_PORT`, told where the four services are, its output
//! prefixed with `web:`, supervised and stopped like the services. Without a built app
//! (`POSEY_WEB_DIR` unset) the services run alone and the log says how to get the app.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use nix::sys::signal::Signal;
use posey_config::{Env, HttpConfig};

/// The file of a Next.js standalone build that serves the app.
pub const SERVER_FILE: &str = "server.js";

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// `POSEY_WEB_DIR`: the standalone build's folder (the one holding `server.js`); unset:
    /// no web app.
    pub dir: Option<PathBuf>,
    /// `BIND_ADDRESS` and `WEB_PORT` (3000).
    pub http: HttpConfig,
    /// `POSEY_NODE`: the Node.js program (`node` on PATH).
    pub node: PathBuf,
}

impl WebConfig {
    pub fn from_env(env: &mut Env<'_>) -> Self {
        let dir = env.optional::<PathBuf>("POSEY_WEB_DIR");
        if let Some(dir) = &dir
            && !dir.join(SERVER_FILE).is_file()
        {
            env.problem(
                "POSEY_WEB_DIR",
                format!(
                    "{} has no {SERVER_FILE}: point it at the web app's standalone build \
                     (apps/web/.next/standalone/..., which scripts/up builds)",
                    dir.display()
                ),
            );
        }
        Self {
            dir,
            http: HttpConfig::from_env(env, "WEB_PORT", 3000),
            node: env.or("POSEY_NODE", PathBuf::from("node")),
        }
    }

    /// The build to serve, when there is one.
    pub fn server(&self) -> Option<&Path> {
        self.dir.as_deref()
    }
}

/// The variables the web server reads: its own address and the services', as it reaches them.
pub fn environment(config: &crate::LauncherConfig) -> Vec<(&'static str, String)> {
    let url = |http| {
        crate::config::local_url(http, "").map(|u| u.as_str().trim_end_matches('/').to_owned())
    };
    let mut vars = vec![
        ("NODE_ENV", "production".to_owned()),
        ("PORT", config.web.http.port.to_string()),
        ("HOSTNAME", config.web.http.host.to_string()),
    ];
    for (var, http) in [
        ("AUTH_URL", &config.auth.service.http),
        ("AGENTS_URL", &config.agents.service.http),
        ("CRON_URL", &config.cron.service.http),
        ("GATEWAY_URL", &config.gateway.service.http),
    ] {
        if let Some(url) = url(http) {
            vars.push((var, url));
        }
    }
    vars
}

/// `posey __child`: asks the kernel to kill this process when its parent ends, checks that
/// the parent has not already ended, and becomes `program`. What `posey up` starts Node.js
/// through, since Node cannot bind itself to its parent's life. Returns only on failure.
pub fn exec_bound_to_parent(parent: u32, program: &Path, args: &[OsString]) -> anyhow::Error {
    let become_program = || -> anyhow::Result<std::convert::Infallible> {
        nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
            .context("setting the parent-death signal")?;
        if u32::try_from(nix::unistd::getppid().as_raw()).ok() != Some(parent) {
            bail!("the posey process that started {} (pid {parent}) is gone", program.display());
        }
        Err(Command::new(program).args(args).exec())
            .with_context(|| format!("running {}", program.display()))
    };
    match become_program() {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_dir_means_no_web_app_on_the_default_port() {
        let mut env = Env::from_pairs([("AUTH_PORT", "9000")]);
        let config = WebConfig::from_env(&mut env);
        assert!(config.server().is_none());
        assert_eq!(config.http.port, 3000);
        assert_eq!(config.node, PathBuf::from("node"));
        env.finish(Some(())).unwrap();
    }

    #[test]
    fn a_dir_without_a_server_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap().to_owned();
        let mut env = Env::from_pairs([("POSEY_WEB_DIR", path.as_str()), ("WEB_PORT", "3100")]);
        let _ = WebConfig::from_env(&mut env);
        let error = env.finish(Some(())).unwrap_err().to_string();
        assert!(error.contains("POSEY_WEB_DIR") && error.contains("server.js"), "{error}");

        std::fs::write(dir.path().join(SERVER_FILE), "").unwrap();
        let mut env = Env::from_pairs([("POSEY_WEB_DIR", path.as_str()), ("WEB_PORT", "3100")]);
        let config = WebConfig::from_env(&mut env);
        env.finish(Some(())).unwrap();
        assert_eq!((config.server(), config.http.port), (Some(dir.path()), 3100));
    }
}
