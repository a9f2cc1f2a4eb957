//! `posey up`: a supervisor of four processes, five with the web app. It opens the database (a
//! server's or the embedded cluster) and migrates once, then runs each service as a child
//! process of its own (`posey serve <service>`, see `service.rs`) and the web app's Node.js
//! server when it is built (`web.rs`), so that a crash of one (an abort, a stack overflow)
//! takes down only that one: it is started again with exponential backoff while the others
//! keep serving, and the log and `posey doctor` (through `<data dir>/run/services.json`) say so.
//!
//! Ctrl-C or SIGTERM: the children are asked to drain (SIGTERM), are killed after a deadline or
//! a second Ctrl-C, then the embedded cluster stops. If the supervisor itself is killed, the
//! kernel ends the children (SIGKILL) and the embedded cluster (fast shutdown) with it.

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::AsyncWriteExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::LauncherConfig;
use crate::database::{Database, Sharing};
use crate::service::{Service, self_exe};
use crate::status::{self, RunStatus, ServiceStatus, State};
use crate::web;

/// The first wait before starting a crashed service again; it doubles with every crash in a
/// row up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_secs(1);
const MAX_DELAY: Duration = Duration::from_secs(60);
/// A run this long counts as stable: the next crash starts the backoff over.
const STABLE_AFTER: Duration = Duration::from_secs(60);
/// How long the services get to drain after SIGTERM (agents gives turns 30 s to finish).
const DRAIN_DEADLINE: Duration = Duration::from_secs(45);

pub async fn run(config: LauncherConfig) -> anyhow::Result<()> {
    crate::models::log_choice(&config.data_dir);
    let database = Database::open(&config, Sharing::Exclusive).await?;
    // Every service reads the same REDIS_URL: one line for all.
    posey_http::backing::log_cache_choice(config.auth.service.redis.as_ref());
    let result = async {
        // The broker runs in this process, outliving any restart of the agents service.
        let home = crate::home::provide(&config).await?;
        let config = config.with_database(&database.config).with_home_made(home.made)?;
        let result = supervise(config, &database).await;
        if let Some(broker) = home.broker {
            broker.stop().await;
        }
        result
    }
    .await;
    let closed = database.close().await;
    result.and(closed)
}

async fn supervise(config: LauncherConfig, database: &Database) -> anyhow::Result<()> {
    // Once here, so the services (which each migrate too) find nothing left to do.
    let pool = posey_db::connect(&database.config).await?;
    posey_db::migrate(&pool).await?;
    pool.close().await;

    let mut interrupt = signal(SignalKind::interrupt()).context("listening for Ctrl-C")?;
    let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let (events, mut inbox) = mpsc::unbounded_channel();
    let mut supervisor = Supervisor::new(&config, database, events)?;
    for i in 0..supervisor.slots.len() {
        // Children are spawned here, on the thread that runs `posey up` itself, never on a
        // blocking-pool thread: their parent-death signal fires when the spawning thread ends.
        if let Err(e) = supervisor.start(i) {
            supervisor.stop_all(&mut interrupt, &mut terminate, &mut inbox).await;
            return Err(e);
        }
    }

    let mut starting = true;
    let outcome = loop {
        let due = supervisor.next_start();
        tokio::select! {
            _ = interrupt.recv() => {
                tracing::info!("received Ctrl-C, stopping the services");
                break Ok(());
            }
            _ = terminate.recv() => {
                tracing::info!("received SIGTERM, stopping the services");
                break Ok(());
            }
            Some(event) = inbox.recv() => match event {
                Event::Ready { part, pid } => {
                    supervisor.ready(part, pid);
                    if starting && supervisor.all_up() {
                        starting = false;
                        tracing::info!("all services are up, each in its own process");
                        match local_web_url(&config) {
                            Some(url) => tracing::info!("Posey is ready: open {url} in a browser"),
                            None => tracing::info!(
                                "the web app is not built, so only the APIs run; ./scripts/up \
                                 builds it (or set POSEY_WEB_DIR to its standalone build)"
                            ),
                        }
                    }
                }
                Event::Exited { part, pid, status } => {
                    // A part that cannot even start the first time (a port in use, a bad
                    // setting) would only fail again: that stops `posey up`.
                    if starting && supervisor.never_ready(part, pid) {
                        let reason = describe_exit(&status);
                        break Err(anyhow!(
                            "the {} could not start ({reason}); its own message is above",
                            part.describe()
                        ));
                    }
                    supervisor.exited(part, pid, &status);
                }
            },
            () = sleep_until(due) => supervisor.start_due(),
        }
    };
    supervisor.stop_all(&mut interrupt, &mut terminate, &mut inbox).await;
    if outcome.is_ok() {
        tracing::info!("all services stopped");
    }
    outcome
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// What one slot of the supervisor runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Service(Service),
    /// The web app's Node.js server.
    Web,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Self::Service(service) => service.name(),
            Self::Web => "web",
        }
    }

    /// "the auth service", "the web app".
    fn describe(self) -> String {
        match self {
            Self::Service(service) => format!("{} service", service.name()),
            Self::Web => "web app".to_owned(),
        }
    }
}

enum Event {
    /// The process answered its readiness probe.
    Ready {
        part: Part,
        pid: u32,
    },
    Exited {
        part: Part,
        pid: u32,
        status: std::io::Result<ExitStatus>,
    },
}

/// One part's current process and history.
struct Slot {
    part: Part,
    /// The readiness probe's URL: `/healthz` of a service, the web app's front page.
    healthz: Option<url::Url>,
    pid: Option<u32>,
    started: Instant,
    next_start: Option<Instant>,
    /// Stops the current process's readiness probe.
    probe: CancellationToken,
    status: ServiceStatus,
}

struct Supervisor {
    /// The run's facts, as handed to every child on its stdin.
    facts: String,
    slots: Vec<Slot>,
    events: mpsc::UnboundedSender<Event>,
    status_file: PathBuf,
    started_at: u64,
    http: reqwest::Client,
    argv0: std::ffi::OsString,
    /// The web app's program, folder and environment, when it is built.
    web: Option<WebLaunch>,
    /// The embedded MQTT broker's URL, for `posey doctor`.
    mqtt_broker: Option<String>,
}

struct WebLaunch {
    node: PathBuf,
    dir: PathBuf,
    env: Vec<(&'static str, String)>,
}

impl Supervisor {
    fn new(
        config: &LauncherConfig,
        database: &Database,
        events: mpsc::UnboundedSender<Event>,
    ) -> anyhow::Result<Self> {
        let facts = serde_json::to_string(&config.run_facts(&database.config))?;
        let web = config.web.server().map(|dir| WebLaunch {
            node: config.web.node.clone(),
            dir: dir.to_owned(),
            env: web::environment(config),
        });
        let parts = Service::ALL.into_iter().map(Part::Service);
        let parts = parts.chain(web.is_some().then_some(Part::Web));
        let slots = parts
            .map(|part| Slot {
                part,
                healthz: match part {
                    Part::Service(service) => {
                        crate::config::local_url(service.http(config), "/healthz")
                    }
                    Part::Web => crate::config::local_url(&config.web.http, "/"),
                },
                pid: None,
                started: Instant::now(),
                next_start: None,
                probe: CancellationToken::new(),
                status: ServiceStatus {
                    name: part.name().to_owned(),
                    state: State::Starting,
                    pid: None,
                    up_since: None,
                    restarts: 0,
                    crashes_in_a_row: 0,
                    last_exit: None,
                    last_exit_at: None,
                    next_start_at: None,
                },
            })
            .collect();
        Ok(Self {
            facts,
            slots,
            events,
            status_file: status::path(&config.data_dir),
            started_at: status::unix_now(),
            // Straight to loopback, whatever proxy the environment names.
            http: reqwest::Client::builder().timeout(Duration::from_secs(2)).no_proxy().build()?,
            argv0: std::env::args_os().next().unwrap_or_else(|| "posey".into()),
            web,
            mqtt_broker: config.home_made.mqtt_url.clone(),
        })
    }

    fn slot(&mut self, part: Part) -> &mut Slot {
        let i = self.slots.iter().position(|s| s.part == part).unwrap_or_default();
        &mut self.slots[i]
    }

    /// The command that runs `part`: `posey serve <service>`, or Node.js on the web app's
    /// server (through `posey __child`, which binds it to this process's life).
    fn command(&self, part: Part) -> anyhow::Result<tokio::process::Command> {
        let mut command = tokio::process::Command::new(self_exe());
        command.arg0(&self.argv0);
        match part {
            Part::Service(service) => {
                command
                    .args(["serve", service.name()])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::inherit())
                    .stderr(Stdio::inherit());
            }
            Part::Web => {
                let web = self.web.as_ref().context("the web app is not configured")?;
                command
                    .arg("__child")
                    .arg("--parent")
                    .arg(std::process::id().to_string())
                    .arg(&web.node)
                    .arg(web.dir.join(web::SERVER_FILE))
                    .current_dir(&web.dir)
                    .envs(web.env.iter().map(|(k, v)| (k, v)))
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
            }
        }
        // Its own process group: a Ctrl-C at the terminal reaches the supervisor only, which
        // then stops the children in order.
        command.process_group(0);
        Ok(command)
    }

    /// Starts the part of slot `i` as a child process.
    fn start(&mut self, i: usize) -> anyhow::Result<()> {
        let part = self.slots[i].part;
        let mut child = self
            .command(part)?
            .spawn()
            .with_context(|| format!("starting the {}", part.describe()))?;
        let pid = child.id().context("the child process has no pid")?;
        if let Some(mut stdin) = child.stdin.take() {
            let facts = self.facts.clone();
            tokio::spawn(async move {
                // A child that died first shows up as its exit; nothing to add here.
                let _ = stdin.write_all(facts.as_bytes()).await;
            });
        }
        // Node's own output, one log line per line, marked as the web app's.
        if let Some(out) = child.stdout.take() {
            tokio::spawn(forward_lines(out, false));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(forward_lines(err, true));
        }
        let events = self.events.clone();
        tokio::spawn(async move {
            let status = child.wait().await;
            let _ = events.send(Event::Exited { part, pid, status });
        });

        let slot = &mut self.slots[i];
        slot.probe = CancellationToken::new();
        if let Some(url) = slot.healthz.clone() {
            let probe = slot.probe.clone();
            let (http, events) = (self.http.clone(), self.events.clone());
            // A service is ready when /healthz says 2xx; the web app when its front page
            // answers at all without a server error (it redirects to sign-in).
            let ready: fn(reqwest::StatusCode) -> bool = match part {
                Part::Service(_) => |status| status.is_success(),
                Part::Web => |status| !status.is_server_error(),
            };
            tokio::spawn(async move {
                await_ready(&http, url, ready, &probe).await;
                if !probe.is_cancelled() {
                    let _ = events.send(Event::Ready { part, pid });
                }
            });
        }
        slot.pid = Some(pid);
        slot.started = Instant::now();
        slot.next_start = None;
        slot.status.state = State::Starting;
        slot.status.pid = Some(pid);
        slot.status.up_since = None;
        slot.status.next_start_at = None;
        tracing::debug!(service = part.name(), pid, "child process started");
        self.write_status();
        Ok(())
    }

    fn ready(&mut self, part: Part, pid: u32) {
        let slot = self.slot(part);
        if slot.pid != Some(pid) {
            return;
        }
        slot.status.state = State::Up;
        slot.status.up_since = Some(status::unix_now());
        if slot.status.restarts > 0 {
            tracing::info!(
                service = part.name(),
                pid,
                restarts = slot.status.restarts,
                "the {} is serving again",
                part.describe()
            );
        }
        self.write_status();
    }

    fn all_up(&self) -> bool {
        self.slots.iter().all(|s| s.status.state == State::Up)
    }

    /// Whether `pid`, now ended, was the part's process and never answered; then it is
    /// forgotten (only asked while starting).
    fn never_ready(&mut self, part: Part, pid: u32) -> bool {
        let slot = self.slot(part);
        let never = slot.pid == Some(pid) && slot.status.state != State::Up;
        if never {
            slot.pid = None;
            slot.probe.cancel();
        }
        never
    }

    /// An unexpected exit: log it and schedule the next start.
    fn exited(&mut self, part: Part, pid: u32, status: &std::io::Result<ExitStatus>) {
        let slot = self.slot(part);
        if slot.pid != Some(pid) {
            return;
        }
        slot.probe.cancel();
        slot.pid = None;
        if slot.started.elapsed() >= STABLE_AFTER {
            slot.status.crashes_in_a_row = 0;
        }
        slot.status.crashes_in_a_row += 1;
        let delay = backoff(slot.status.crashes_in_a_row);
        let reason = describe_exit(status);
        let now = status::unix_now();
        slot.next_start = Some(Instant::now() + delay);
        slot.status.state = State::BackingOff;
        slot.status.pid = None;
        slot.status.up_since = None;
        slot.status.last_exit = Some(reason.clone());
        slot.status.last_exit_at = Some(now);
        slot.status.next_start_at = Some(now + delay.as_secs());
        let restart = slot.status.restarts + 1;
        tracing::error!(
            service = part.name(),
            pid,
            exit = %reason,
            restart,
            crashes_in_a_row = slot.status.crashes_in_a_row,
            next_start_in = ?delay,
            "the {} exited unexpectedly ({reason}); restart {restart} in {delay:?}",
            part.describe()
        );
        self.write_status();
    }

    fn next_start(&self) -> Option<Instant> {
        self.slots.iter().filter_map(|s| s.next_start).min()
    }

    /// Starts every service whose backoff is over.
    fn start_due(&mut self) {
        let now = Instant::now();
        for i in 0..self.slots.len() {
            if self.slots[i].next_start.is_some_and(|at| at <= now) {
                let slot = &mut self.slots[i];
                slot.status.restarts += 1;
                tracing::info!(
                    service = slot.part.name(),
                    restart = slot.status.restarts,
                    "starting the {} again",
                    slot.part.describe()
                );
                if let Err(e) = self.start(i) {
                    let slot = &mut self.slots[i];
                    slot.status.crashes_in_a_row += 1;
                    let delay = backoff(slot.status.crashes_in_a_row);
                    slot.next_start = Some(now + delay);
                    slot.status.next_start_at = Some(status::unix_now() + delay.as_secs());
                    tracing::error!(
                        service = slot.part.name(),
                        error = %format!("{e:#}"),
                        next_start_in = ?delay,
                        "could not start the service"
                    );
                    // So `posey doctor` tells when the next try is due.
                    self.write_status();
                }
            }
        }
    }

    /// Asks every child to drain (SIGTERM), kills those still there at the deadline or at a
    /// second Ctrl-C/SIGTERM, and waits for all of them.
    async fn stop_all(
        &mut self,
        interrupt: &mut tokio::signal::unix::Signal,
        terminate: &mut tokio::signal::unix::Signal,
        inbox: &mut mpsc::UnboundedReceiver<Event>,
    ) {
        for slot in &mut self.slots {
            slot.next_start = None;
            slot.probe.cancel();
            slot.status.state = State::Stopping;
            slot.status.next_start_at = None;
        }
        self.write_status();
        self.signal_all(Signal::SIGTERM);
        let deadline = tokio::time::Instant::now() + DRAIN_DEADLINE;
        let mut forced = false;
        while self.slots.iter().any(|s| s.pid.is_some()) {
            tokio::select! {
                Some(event) = inbox.recv() => {
                    if let Event::Exited { part, pid, status } = event {
                        let slot = self.slot(part);
                        if slot.pid == Some(pid) {
                            slot.pid = None;
                            tracing::debug!(
                                service = part.name(),
                                exit = %describe_exit(&status),
                                "service process stopped"
                            );
                        }
                    }
                }
                () = tokio::time::sleep_until(deadline), if !forced => {
                    tracing::warn!("services still draining after {DRAIN_DEADLINE:?}: killing them");
                    self.signal_all(Signal::SIGKILL);
                    forced = true;
                }
                _ = interrupt.recv(), if !forced => {
                    tracing::warn!("second Ctrl-C: killing the services");
                    self.signal_all(Signal::SIGKILL);
                    forced = true;
                }
                _ = terminate.recv(), if !forced => {
                    tracing::warn!("second SIGTERM: killing the services");
                    self.signal_all(Signal::SIGKILL);
                    forced = true;
                }
            }
        }
        if let Err(e) = std::fs::remove_file(&self.status_file)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = %self.status_file.display(), error = %e, "cannot remove");
        }
    }

    fn signal_all(&self, signal: Signal) {
        for pid in self.slots.iter().filter_map(|s| s.pid) {
            // Not yet reaped, so the pid is still this child's.
            let _ = kill(Pid::from_raw(pid as i32), signal);
        }
    }

    fn write_status(&self) {
        let status = RunStatus {
            supervisor_pid: std::process::id(),
            started_at: self.started_at,
            services: self.slots.iter().map(|s| s.status.clone()).collect(),
            mqtt_broker: self.mqtt_broker.clone(),
        };
        if let Err(e) = status.write(&self.status_file) {
            tracing::warn!(error = %format!("{e:#}"), "cannot record the services' status");
        }
    }
}

/// Waits until `url` answers with a status `ready` accepts (or `probe` is cancelled).
async fn await_ready(
    http: &reqwest::Client,
    url: url::Url,
    ready: fn(reqwest::StatusCode) -> bool,
    probe: &CancellationToken,
) {
    loop {
        tokio::select! {
            () = probe.cancelled() => return,
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        if let Ok(answer) = http.get(url.clone()).send().await
            && ready(answer.status())
        {
            return;
        }
    }
}

/// Logs each line of a child's output (the web app's Node.js server) as its own.
async fn forward_lines(out: impl tokio::io::AsyncRead + Unpin, errors: bool) {
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(out).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if errors {
            tracing::warn!(service = "web", "{line}");
        } else {
            tracing::info!(service = "web", "{line}");
        }
    }
}

/// Where a person opens Posey in a browser, when the web app runs.
fn local_web_url(config: &LauncherConfig) -> Option<url::Url> {
    config.web.server()?;
    let http = &config.web.http;
    // `localhost` rather than 127.0.0.1: the auth cookies and links are made for it.
    let host = if http.host.is_loopback() || http.host.is_unspecified() {
        "localhost".to_owned()
    } else {
        http.host.to_string()
    };
    format!("http://{host}:{}/", http.port).parse().ok()
}

/// 1 s, 2 s, 4 s, ... up to a minute, for the `n`th crash in a row.
fn backoff(n: u32) -> Duration {
    let doublings = n.saturating_sub(1).min(16);
    FIRST_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY)
}

/// "exit status 101", "killed by signal SIGABRT (core dumped)".
fn describe_exit(status: &std::io::Result<ExitStatus>) -> String {
    let status = match status {
        Ok(status) => status,
        Err(e) => return format!("lost track of it: {e}"),
    };
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    match status.signal() {
        Some(number) => {
            let name = Signal::try_from(number).map_or(number.to_string(), |s| s.to_string());
            let core = if status.core_dumped() { " (core dumped)" } else { "" };
            format!("killed by signal {name}{core}")
        }
        None => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_second_to_a_minute() {
        let delays: Vec<u64> = (1..=9).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(backoff(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn exits_are_described_by_code_or_signal() {
        assert_eq!(describe_exit(&Ok(ExitStatus::from_raw(101 << 8))), "exit status 101");
        assert_eq!(describe_exit(&Ok(ExitStatus::from_raw(9))), "killed by signal SIGKILL");
        assert_eq!(
            describe_exit(&Ok(ExitStatus::from_raw(6 | 0x80))),
            "killed by signal SIGABRT (core dumped)"
        );
    }
}
