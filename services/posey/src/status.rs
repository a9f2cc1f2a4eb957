//! The supervisor's record of its services (`<data dir>/run/services.json`): written atomically
//! at every change by `posey up`, read by `posey doctor` to say what runs, what restarted and
//! what is crash-looping.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// Crashes in a row from which a service counts as crash-looping...
pub const CRASH_LOOP_AFTER: u32 = 3;
/// ...until it has stayed up this long (seconds; the supervisor's backoff starts over then).
const SETTLED_AFTER: u64 = 60;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunStatus {
    pub supervisor_pid: u32,
    /// Unix seconds.
    pub started_at: u64,
    pub services: Vec<ServiceStatus>,
    /// The embedded MQTT broker's URL (`mqtt://host:port`), when this run has one.
    #[serde(default)]
    pub mqtt_broker: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub name: String,
    pub state: State,
    pub pid: Option<u32>,
    /// Since when the current process answers `/healthz` (unix seconds).
    pub up_since: Option<u64>,
    /// Times the supervisor started it again after an unexpected exit.
    pub restarts: u32,
    /// Unexpected exits with no stable run in between (reset once it stays up a while).
    pub crashes_in_a_row: u32,
    pub last_exit: Option<String>,
    pub last_exit_at: Option<u64>,
    /// When the next start is due, while backing off (unix seconds).
    pub next_start_at: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Started, not answering `/healthz` yet.
    Starting,
    Up,
    /// Exited unexpectedly; started again at `next_start_at`.
    BackingOff,
    Stopping,
}

/// Where the status file of the `posey up` using `data_dir` lives.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("run").join("services.json")
}

pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl RunStatus {
    /// Replaces the file at once (write aside, then rename), so a reader never sees half.
    pub fn write(&self, file: &Path) -> anyhow::Result<()> {
        let dir = file.parent().context("status file has no directory")?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let aside = file.with_extension("json.tmp");
        let json = serde_json::to_vec_pretty(self)?;
        std::fs::write(&aside, json).with_context(|| format!("writing {}", aside.display()))?;
        std::fs::rename(&aside, file).with_context(|| format!("replacing {}", file.display()))
    }

    /// The status of a `posey up` that is running now, if any: the file names a live process.
    pub fn read_running(file: &Path) -> Option<Self> {
        let text = std::fs::read(file).ok()?;
        let status: Self = serde_json::from_slice(&text).ok()?;
        supervisor_alive(status.supervisor_pid).then_some(status)
    }
}

/// Whether `pid` is a live `posey up` (not a dead one's reused pid).
fn supervisor_alive(pid: u32) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else { return false };
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    args.get(1).is_some_and(|arg| *arg == b"up")
}

impl ServiceStatus {
    /// Crashed [`CRASH_LOOP_AFTER`] times in a row and not yet up for a while since.
    pub fn crash_looping(&self, now: u64) -> bool {
        let settled = self.state == State::Up
            && self.up_since.is_some_and(|since| now.saturating_sub(since) >= SETTLED_AFTER);
        self.crashes_in_a_row >= CRASH_LOOP_AFTER && !settled
    }

    /// One line for `posey doctor`, relative to `now` (unix seconds).
    pub fn describe(&self, now: u64) -> String {
        let ago = |at: u64| human(Duration::from_secs(now.saturating_sub(at)));
        let mut line = match (self.state, self.up_since) {
            (State::Up, Some(since)) => format!("up for {}", ago(since)),
            (State::Starting, _) => "starting".to_owned(),
            (State::Stopping, _) => "stopping".to_owned(),
            (State::BackingOff, _) => match self.next_start_at {
                Some(at) => {
                    format!(
                        "down, started again in {}",
                        human(Duration::from_secs(at - now.min(at)))
                    )
                }
                None => "down".to_owned(),
            },
            (State::Up, None) => "up".to_owned(),
        };
        if let Some(pid) = self.pid {
            line.push_str(&format!(" (pid {pid})"));
        }
        match self.restarts {
            0 => line.push_str(", never restarted"),
            1 => line.push_str(", restarted once"),
            n => line.push_str(&format!(", restarted {n} times")),
        }
        if let Some(exit) = &self.last_exit {
            let when = self.last_exit_at.map(|at| format!(" {} ago", ago(at))).unwrap_or_default();
            line.push_str(&format!("; last exit{when}: {exit}"));
        }
        if self.crash_looping(now) {
            line = format!("CRASH-LOOPING ({} crashes in a row): {line}", self.crashes_in_a_row);
        }
        line
    }
}

/// "3s", "4m 10s", "2h 5m".
fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        _ => format!("{}h {}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(state: State, restarts: u32, crashes: u32) -> ServiceStatus {
        ServiceStatus {
            name: "cron".into(),
            state,
            pid: Some(42),
            up_since: Some(1_000),
            restarts,
            crashes_in_a_row: crashes,
            last_exit: (restarts > 0).then(|| "killed by signal SIGKILL".into()),
            last_exit_at: (restarts > 0).then_some(990),
            next_start_at: Some(1_016),
        }
    }

    #[test]
    fn a_line_says_uptime_restarts_and_crash_loops() {
        let up = service(State::Up, 0, 0).describe(1_065);
        assert_eq!(up, "up for 1m 5s (pid 42), never restarted");
        let restarted = service(State::Up, 1, 1).describe(1_010);
        assert_eq!(
            restarted,
            "up for 10s (pid 42), restarted once; last exit 20s ago: killed by signal SIGKILL"
        );
        let looping = service(State::BackingOff, 5, 5).describe(1_000);
        assert!(
            looping.starts_with("CRASH-LOOPING (5 crashes in a row): down, started again in 16s")
        );
    }

    #[test]
    fn the_file_is_replaced_whole_and_names_a_live_supervisor_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path());
        let mut status = RunStatus {
            supervisor_pid: u32::MAX - 1,
            started_at: 1,
            services: vec![service(State::Up, 0, 0)],
            mqtt_broker: None,
        };
        status.write(&file).unwrap();
        assert!(!file.with_extension("json.tmp").exists());
        assert!(RunStatus::read_running(&file).is_none(), "no such process");
        // This test binary is not `posey up` either.
        status.supervisor_pid = std::process::id();
        status.write(&file).unwrap();
        assert!(RunStatus::read_running(&file).is_none());
    }
}
