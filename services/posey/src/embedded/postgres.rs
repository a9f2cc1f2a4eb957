//! The embedded relational store: a private PostgreSQL cluster under the data dir, created on
//! first run with the system's `initdb`. It listens on a Unix socket in a directory only its
//! owner can enter (no TCP port), with trust auth on that socket.
//!
//! The postmaster runs as a child of the posey process that owns the cluster, bound by the
//! kernel to shut down fast when that process ends however it ends (a parent-death signal), so
//! a crash or a SIGKILL leaves no cluster running. The owner holds a lock on
//! `<data>/postgres/owner.lock`: a cluster found running with that lock free was left by a run
//! from before this binding (or a stuck shutdown) and is stopped before ours starts.
//!
//! PostgreSQL refuses to run as root, so when `posey` runs as root the cluster's files belong to,
//! and its programs run as, the unprivileged `postgres` system user.

use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use posey_config::SecretString;

/// Whether an embedded cluster that another posey process runs may be used as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// `posey up`: this process must own the cluster (and stop it).
    Exclusive,
    /// One-off commands (`migrate`, `admin`): use a running `posey up`'s cluster, leave it be.
    Shared,
}

/// Where PostgreSQL's programs live when not on PATH (Debian's layout).
const DEBIAN_PG_ROOT: &str = "/usr/lib/postgresql";
/// The cluster's superuser and database.
const ROLE: &str = "posey";
const DATABASE: &str = "posey";
/// Longest Unix socket path the kernel accepts (sun_path is 108 bytes with the NUL).
const MAX_SOCKET_PATH: usize = 107;
/// How long the cluster may take to accept connections, and to stop (as `pg_ctl -t 60`).
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// How to install PostgreSQL, for messages.
pub const INSTALL_HINT: &str = "install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`, \
    or run ./scripts/up which does it), point POSTGRES_BIN_DIR at the directory holding initdb \
    and pg_ctl, or set DATABASE_URL to a PostgreSQL server";

/// The unprivileged account the cluster runs as when `posey` runs as root.
#[derive(Debug, Clone)]
struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

impl RunAs {
    /// Makes `path` belong to this account.
    fn give(&self, path: &Path) -> anyhow::Result<()> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
            .with_context(|| format!("giving {} to user {}", path.display(), self.name))
    }
}

/// A located cluster (not necessarily running).
#[derive(Debug)]
pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    /// `<data>/postgres`: owned by the account that runs the cluster.
    root: PathBuf,
    run_as: Option<RunAs>,
}

/// A cluster this process started (and will stop), or uses while another posey process runs it.
#[derive(Debug)]
pub struct RunningPostgres {
    cluster: EmbeddedPostgres,
    pub url: SecretString,
    owned: Option<Owned>,
}

/// The postmaster this process started, and the lock that says so.
#[derive(Debug)]
struct Owned {
    postmaster: tokio::process::Child,
    _lock: std::fs::File,
}

/// What was found at start.
enum Found {
    /// Another posey process owns the running cluster.
    InUse,
    /// This process owns it now; `true` when a leftover running cluster was stopped first.
    Ours(std::fs::File, bool),
}

impl EmbeddedPostgres {
    /// Finds the binaries and the account to run as; creates nothing yet.
    pub fn locate(data_dir: &Path, bin_override: Option<&Path>) -> anyhow::Result<Self> {
        let bin_dir = find_bin_dir(bin_override)?;
        let run_as =
            if nix::unistd::geteuid().is_root() { Some(unprivileged_user()?) } else { None };
        Ok(Self { bin_dir, root: data_dir.join("postgres"), run_as })
    }

    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    fn pgdata(&self) -> PathBuf {
        self.root.join("data")
    }

    fn socket_dir(&self) -> PathBuf {
        self.root.join("run")
    }

    fn log_file(&self) -> PathBuf {
        self.root.join("postgres.log")
    }

    /// Whether `initdb` has already run here.
    pub fn is_initialised(&self) -> bool {
        self.pgdata().join("PG_VERSION").is_file()
    }

    /// `pg_ctl --version`, e.g. "pg_ctl (PostgreSQL) 15.19".
    pub fn version(&self) -> anyhow::Result<String> {
        let out = Command::new(self.bin_dir.join("pg_ctl"))
            .arg("--version")
            .output()
            .context("running pg_ctl --version")?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Creates the cluster on first run, starts it, and makes sure the `posey` database exists.
    /// A cluster left running by an earlier run is stopped first; one that another posey
    /// process runs is used as it is if `sharing` allows.
    ///
    /// Call this from a task, not a blocking-pool thread: the postmaster is told to shut down
    /// when the thread that started it ends, and idle blocking-pool threads end.
    pub async fn start(self, sharing: Sharing) -> anyhow::Result<RunningPostgres> {
        let socket = self.socket_dir().join(".s.PGSQL.5432");
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            bail!(
                "POSEY_DATA_DIR: the embedded PostgreSQL socket path {} is longer than the {} \
                 bytes a Unix socket allows; choose a shorter POSEY_DATA_DIR",
                socket.display(),
                MAX_SOCKET_PATH
            );
        }
        let (cluster, fresh, found) = tokio::task::spawn_blocking(move || {
            let fresh = !self.is_initialised();
            self.prepare_dirs()?;
            let Some(lock) = self.lock()? else {
                if sharing == Sharing::Exclusive {
                    bail!(
                        "another posey process (`posey up`?) runs the embedded PostgreSQL under \
                         {}; stop it first",
                        self.root.display()
                    );
                }
                if !self.is_running() {
                    bail!(
                        "another posey process is starting or stopping the embedded PostgreSQL \
                         under {}; try again in a moment",
                        self.root.display()
                    );
                }
                return anyhow::Ok((self, false, Found::InUse));
            };
            if fresh {
                self.initdb()?;
            }
            self.write_settings()?;
            let leftover = self.is_running();
            if leftover {
                tracing::warn!(
                    part = "relational store",
                    at = %self.pgdata().display(),
                    "embedded PostgreSQL left running by an earlier run: stopping it"
                );
                self.pg_ctl_stop()?;
            }
            anyhow::Ok((self, fresh, Found::Ours(lock, leftover)))
        })
        .await??;
        let url = cluster.url();
        let (lock, leftover) = match found {
            Found::InUse => {
                let running = RunningPostgres { cluster, url, owned: None };
                running.ensure_database().await?;
                tracing::info!(
                    part = "relational store",
                    at = %running.cluster.pgdata().display(),
                    "embedded PostgreSQL: run by another posey process; used as it is"
                );
                return Ok(running);
            }
            Found::Ours(lock, leftover) => (lock, leftover),
        };
        let postmaster = cluster.spawn_postmaster()?;
        let mut running =
            RunningPostgres { cluster, url, owned: Some(Owned { postmaster, _lock: lock }) };
        if let Err(e) = running.await_ready().await {
            let _ = running.stop().await;
            return Err(e);
        }
        let how = if fresh {
            "created and started"
        } else if leftover {
            "stopped the one left running; reused existing data; started"
        } else {
            "reused existing data; started"
        };
        tracing::info!(
            part = "relational store",
            at = %running.cluster.pgdata().display(),
            socket = %running.cluster.socket_dir().display(),
            "embedded PostgreSQL: {how}"
        );
        Ok(running)
    }

    /// Takes `<data>/postgres/owner.lock`: `None` while another posey process holds it. The
    /// kernel drops it when this process ends, however it ends.
    fn lock(&self) -> anyhow::Result<Option<std::fs::File>> {
        let path = self.root.join("owner.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("locking {}", path.display()))
            }
        }
    }

    /// Whether a postmaster runs on this data (`pg_ctl status`).
    fn is_running(&self) -> bool {
        let status = self.command("pg_ctl").arg("-D").arg(self.pgdata()).arg("status").output();
        status.is_ok_and(|out| out.status.success())
    }

    /// Starts the postmaster through `posey __postmaster`, which binds it to shut down fast
    /// (SIGINT) when this process's current thread ends, then becomes `postgres`. Its own
    /// process group keeps a Ctrl-C at the terminal for posey, which stops it in order.
    fn spawn_postmaster(&self) -> anyhow::Result<tokio::process::Child> {
        let log_path = self.log_file();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("opening {}", log_path.display()))?;
        let mut cmd = tokio::process::Command::new(crate::service::self_exe());
        cmd.arg0("posey").arg("__postmaster").arg(format!("--parent={}", std::process::id()));
        if let Some(user) = &self.run_as {
            user.give(&log_path)?;
            cmd.arg(format!("--uid={}", user.uid)).arg(format!("--gid={}", user.gid));
            cmd.env("HOME", &self.root);
        }
        cmd.arg(self.bin_dir.join("postgres"))
            .arg("-D")
            .arg(self.pgdata())
            .env_remove("PGDATA")
            .env("LC_ALL", "C")
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0);
        cmd.spawn().context("starting the embedded PostgreSQL")
    }

    /// The pid on the first line of `postmaster.pid`, while there is one.
    fn postmaster_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.pgdata().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// The last lines of the cluster's log, for messages.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.log_file()).unwrap_or_default();
        let tail: Vec<_> = log.lines().rev().take(15).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    fn url(&self) -> SecretString {
        let socket_dir = self.socket_dir();
        let host: String =
            url::form_urlencoded::byte_serialize(socket_dir.as_os_str().as_encoded_bytes())
                .collect();
        // No secret in it, but DbConfig keeps every URL secret-typed.
        SecretString::from(format!("postgres://{ROLE}@localhost/{DATABASE}?host={host}"))
    }

    /// `<data>` reachable, `<data>/postgres/{data,run}` owned by the cluster's account.
    fn prepare_dirs(&self) -> anyhow::Result<()> {
        let data_dir = self.root.parent().context("data dir has no parent")?;
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("POSEY_DATA_DIR: cannot create {}", data_dir.display()))?;
        for dir in [&self.root, &self.pgdata(), &self.socket_dir()] {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("POSEY_DATA_DIR: cannot create {}", dir.display()))?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("setting permissions of {}", dir.display()))?;
        }
        if let Some(user) = &self.run_as {
            // The data dir itself: enterable (not listable) so the account reaches its subtree.
            let mode = std::fs::metadata(data_dir)?.permissions().mode();
            std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(mode | 0o111))?;
            for dir in [&self.root, &self.pgdata(), &self.socket_dir()] {
                user.give(dir)?;
            }
            check_reachable(&self.root, user)?;
        }
        Ok(())
    }

    fn initdb(&self) -> anyhow::Result<()> {
        let pgdata = self.pgdata();
        let out = self
            .command("initdb")
            .arg("-D")
            .arg(&pgdata)
            .args(["-U", ROLE, "--auth-local=trust", "--auth-host=reject"])
            .args(["--encoding=UTF8", "--locale=C", "--no-instructions"])
            .output()
            .context("running initdb")?;
        if !out.status.success() {
            bail!(
                "initdb failed for {}:\n{}",
                pgdata.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let conf = pgdata.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).context("reading postgresql.conf")?;
        text.push_str("\n# Posey's own settings, rewritten at every start.\ninclude_if_exists = 'posey.conf'\n");
        std::fs::write(&conf, text).context("writing postgresql.conf")?;
        Ok(())
    }

    /// Settings that follow the data dir's current location, so a moved dir still works.
    fn write_settings(&self) -> anyhow::Result<()> {
        let socket_dir = self.socket_dir();
        let socket_dir = socket_dir.to_string_lossy().replace('\'', "''");
        let settings = format!(
            "listen_addresses = ''\n\
             unix_socket_directories = '{socket_dir}'\n\
             unix_socket_permissions = 0700\n"
        );
        let path = self.pgdata().join("posey.conf");
        std::fs::write(&path, settings).with_context(|| format!("writing {}", path.display()))?;
        if let Some(user) = &self.run_as {
            user.give(&path)?;
        }
        Ok(())
    }

    fn pg_ctl_stop(&self) -> anyhow::Result<()> {
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.pgdata())
            .args(["-m", "fast", "-w", "-t", "60", "stop"])
            .output()
            .context("running pg_ctl stop")?;
        if !out.status.success() {
            bail!("pg_ctl stop failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(())
    }

    /// One of PostgreSQL's programs, run as the cluster's account.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(program));
        cmd.env_remove("PGDATA").env("LC_ALL", "C");
        if let Some(user) = &self.run_as {
            cmd.uid(user.uid).gid(user.gid).env("HOME", &self.root).current_dir(&self.root);
        }
        cmd
    }
}

impl RunningPostgres {
    async fn ensure_database(&self) -> anyhow::Result<()> {
        use sqlx::Connection;
        let options: sqlx::postgres::PgConnectOptions =
            posey_config::ExposeSecret::expose_secret(&self.url).parse()?;
        let mut conn = sqlx::PgConnection::connect_with(&options.clone().database("postgres"))
            .await
            .context("connecting to the embedded PostgreSQL")?;
        let exists = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS "exists!""#,
            DATABASE
        )
        .fetch_one(&mut conn)
        .await?;
        if !exists {
            // An identifier, which cannot be a bind parameter: the one statement built as text.
            sqlx::query(&format!("CREATE DATABASE {DATABASE}")).execute(&mut conn).await?;
        }
        conn.close().await?;
        Ok(())
    }

    /// Waits until our postmaster (the one `postmaster.pid` names, not some other) accepts
    /// connections, and the `posey` database exists.
    async fn await_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        let ours = self.owned.as_ref().and_then(|owned| owned.postmaster.id());
        loop {
            if let Some(owned) = &mut self.owned
                && let Some(status) = owned.postmaster.try_wait()?
            {
                bail!(
                    "the embedded PostgreSQL did not start ({status}; {}):\n{}",
                    self.cluster.log_file().display(),
                    self.cluster.log_tail()
                );
            }
            let error = if ours.is_some() && self.cluster.postmaster_pid() != ours {
                anyhow!("postmaster.pid does not name the postmaster started (yet)")
            } else {
                match self.ensure_database().await {
                    Ok(()) => return Ok(()),
                    Err(e) => e,
                }
            };
            if Instant::now() > deadline {
                return Err(error.context(format!(
                    "the embedded PostgreSQL did not accept connections within {START_TIMEOUT:?} \
                     ({}):\n{}",
                    self.cluster.log_file().display(),
                    self.cluster.log_tail()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the cluster if this process runs it (fast shutdown: sessions are closed, data is
    /// safe); leaves another posey process's cluster be.
    pub async fn stop(self) -> anyhow::Result<()> {
        let Some(mut owned) = self.owned else { return Ok(()) };
        let postmaster = &mut owned.postmaster;
        for (signal, wait) in [
            (Signal::SIGINT, STOP_TIMEOUT),
            (Signal::SIGQUIT, Duration::from_secs(5)),
            (Signal::SIGKILL, Duration::from_secs(5)),
        ] {
            let Some(pid) = postmaster.id() else { break };
            let _ = kill(Pid::from_raw(pid as i32), signal);
            match tokio::time::timeout(wait, postmaster.wait()).await {
                Ok(status) => {
                    status.context("waiting for the embedded PostgreSQL to stop")?;
                    tracing::info!(part = "relational store", "embedded PostgreSQL stopped");
                    return Ok(());
                }
                Err(_) => tracing::warn!(
                    part = "relational store",
                    "embedded PostgreSQL still running {wait:?} after {signal}"
                ),
            }
        }
        Err(anyhow!("the embedded PostgreSQL (pid {:?}) did not stop", postmaster.id()))
    }
}

/// `posey __postmaster`: drops to the cluster's account (when root), asks the kernel for
/// SIGINT (PostgreSQL's fast shutdown) when the parent ends, checks that the parent has not
/// already ended, and becomes `program` (postgres). The parent-death signal survives `exec`
/// but not a change of user, hence this order. Returns only on failure.
pub fn exec_postmaster(
    parent: u32,
    uid: Option<u32>,
    gid: Option<u32>,
    program: &Path,
    args: &[OsString],
) -> anyhow::Error {
    let become_postmaster = || -> anyhow::Result<std::convert::Infallible> {
        use nix::unistd::{Gid, Uid};
        if let (Some(uid), Some(gid)) = (uid, gid) {
            let gid = Gid::from_raw(gid);
            nix::unistd::setgroups(&[gid]).context("dropping supplementary groups")?;
            nix::unistd::setgid(gid).context("switching group")?;
            nix::unistd::setuid(Uid::from_raw(uid)).context("switching user")?;
        }
        nix::sys::prctl::set_pdeathsig(Signal::SIGINT)
            .context("setting the parent-death signal")?;
        if u32::try_from(nix::unistd::getppid().as_raw()).ok() != Some(parent) {
            bail!("the posey process that started PostgreSQL (pid {parent}) is gone");
        }
        Err(Command::new(program).args(args).exec())
            .with_context(|| format!("running {}", program.display()))
    };
    match become_postmaster() {
        Ok(never) => match never {},
        Err(e) => e,
    }
}

/// `POSTGRES_BIN_DIR`, else the directory of `initdb` on PATH, else the newest
/// `/usr/lib/postgresql/<version>/bin`.
pub fn find_bin_dir(bin_override: Option<&Path>) -> anyhow::Result<PathBuf> {
    let has_tools =
        |dir: &Path| ["initdb", "pg_ctl", "postgres"].iter().all(|p| dir.join(p).is_file());
    if let Some(dir) = bin_override {
        if has_tools(dir) {
            return Ok(dir.to_owned());
        }
        bail!(
            "POSTGRES_BIN_DIR={}: no initdb, pg_ctl and postgres there; {INSTALL_HINT}",
            dir.display()
        );
    }
    let on_path = std::env::var_os("PATH").into_iter().flat_map(|p| {
        std::env::split_paths(&p)
            .filter_map(|d| std::fs::canonicalize(d.join("initdb")).ok())
            .collect::<Vec<_>>()
    });
    for initdb in on_path {
        if let Some(dir) = initdb.parent().filter(|d| has_tools(d)) {
            return Ok(dir.to_owned());
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(DEBIAN_PG_ROOT)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_tools(bin))
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => Ok(bin),
        None => {
            bail!("DATABASE_URL is unset and no PostgreSQL programs were found; {INSTALL_HINT}")
        }
    }
}

fn unprivileged_user() -> anyhow::Result<RunAs> {
    match nix::unistd::User::from_name("postgres") {
        Ok(Some(u)) => Ok(RunAs { name: u.name, uid: u.uid.as_raw(), gid: u.gid.as_raw() }),
        _ => bail!(
            "running as root, posey starts the embedded PostgreSQL as the unprivileged 'postgres' \
             user (PostgreSQL refuses root), and there is none: install PostgreSQL from your \
             distribution (it creates that user), run posey as a normal user, or set DATABASE_URL"
        ),
    }
}

/// Every ancestor of `dir` must be enterable by `user`, or PostgreSQL cannot reach its data.
fn check_reachable(dir: &Path, user: &RunAs) -> anyhow::Result<()> {
    for ancestor in dir.ancestors().skip(1) {
        let Ok(meta) = std::fs::metadata(ancestor) else { continue };
        let mode = meta.mode();
        let can_enter = if meta.uid() == user.uid {
            mode & 0o100 != 0
        } else if meta.gid() == user.gid {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        if !can_enter {
            bail!(
                "POSEY_DATA_DIR: the '{}' user that runs the embedded PostgreSQL cannot enter {} \
                 (mode {:o}); choose a data dir it can reach (the default for root is \
                 /var/lib/posey) or run posey as a normal user",
                user.name,
                ancestor.display(),
                mode & 0o777
            );
        }
    }
    Ok(())
}
