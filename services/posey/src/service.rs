//! One service in its own process (`posey serve <service>`, hidden): what `posey up` starts
//! four of. The process reads the same environment as its supervisor and gets the rest of the
//! run's facts on stdin, so it has exactly the configuration it had when all four shared one
//! process; it dies with its supervisor.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, bail};
use nix::sys::signal::Signal;

use crate::LauncherConfig;
use crate::config::RunFacts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Service {
    Auth,
    Agents,
    Gateway,
    Cron,
}

impl Service {
    pub const ALL: [Self; 4] = [Self::Auth, Self::Agents, Self::Gateway, Self::Cron];

    pub fn name(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Agents => "agents",
            Self::Gateway => "gateway",
            Self::Cron => "cron",
        }
    }

    pub fn http(self, config: &LauncherConfig) -> &posey_config::HttpConfig {
        use posey_http::ServiceConfig as _;
        let common = match self {
            Self::Auth => config.auth.common(),
            Self::Agents => config.agents.common(),
            Self::Gateway => config.gateway.common(),
            Self::Cron => config.cron.common(),
        };
        &common.http
    }
}

/// This executable, for starting children of it: `/proc/self/exe` is the running binary even
/// after an upgrade replaced or removed the file.
pub fn self_exe() -> PathBuf {
    let proc = PathBuf::from("/proc/self/exe");
    if proc.exists() { proc } else { std::env::current_exe().unwrap_or_else(|_| "posey".into()) }
}

/// Called first thing in a service process, before any thread exists: the kernel kills this
/// process when its supervisor dies, however it dies (even by SIGKILL), so no service outlives
/// a `posey up`. (The parent-death signal is per thread, so it must be set on the main one.)
pub fn die_with_parent() -> anyhow::Result<()> {
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).context("setting the parent-death signal")
}

/// Reads the run's facts from stdin (the supervisor closes it after writing them) and checks
/// that the supervisor is still this process's parent (it could have died before
/// [`die_with_parent`] took effect).
pub fn read_run_facts() -> anyhow::Result<RunFacts> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).context("reading the run's facts on stdin")?;
    let facts: RunFacts = serde_json::from_str(&text)
        .context("`posey serve` is started by `posey up`, which hands it the run's facts")?;
    let parent = nix::unistd::getppid().as_raw();
    if u32::try_from(parent).ok() != Some(facts.supervisor_pid) {
        bail!("the `posey up` that started this service (pid {}) is gone", facts.supervisor_pid);
    }
    Ok(facts)
}

/// Builds and serves one service, configured as [`LauncherConfig::with_run_facts`] makes it,
/// until SIGINT/SIGTERM (which the supervisor sends).
pub async fn serve(service: Service, config: LauncherConfig) -> anyhow::Result<()> {
    match service {
        Service::Auth => serve_one::<posey_auth::Application>(config.auth).await,
        Service::Agents => serve_one::<posey_agents::Application>(config.agents).await,
        Service::Gateway => serve_one::<posey_gateway::Application>(config.gateway).await,
        Service::Cron => serve_one::<posey_cron::Application>(config.cron).await,
    }
}

async fn serve_one<S: posey_http::Service>(config: S::Config) -> anyhow::Result<()> {
    S::build(config).await?.run_until_stopped(posey_http::shutdown::signal()).await
}
