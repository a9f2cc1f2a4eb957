//! The web app (`apps/web`, a Next.js standalone server) as one more child of `posey up`:
//! started with `node server.js` on `WEB_PORT`, told where the four services are, its output
//! prefixed with `web:`, supervised and stopped like the services. Without a built app
//! (`POSEY_WEB_DIR` unset) the services run alone and the log says how to get the app.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use nix::sys::signal::Signal;

// Its settings are read with the launcher's, in config.rs.
use crate::config::{LauncherConfig, local_url};
pub use crate::config::{SERVER_FILE, WebConfig};

/// The variables the web server reads: its own address and the services', as it reaches them.
pub fn environment(config: &LauncherConfig) -> Vec<(&'static str, String)> {
    let url = |http| local_url(http, "").map(|u| u.as_str().trim_end_matches('/').to_owned());
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
