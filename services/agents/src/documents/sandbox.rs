//! Extraction of untrusted files in a child process under resource limits, so that no input to a
//! parser can take the service down: an allocation failure aborts (which `catch_unwind` cannot
//! catch), a stack overflow kills, a loop spins. The child is this same program run with a
//! hidden first argument ([`COMMAND`]): it caps its address space and CPU time, reads the file on
//! stdin, extracts and chunks it, and writes the result as JSON on stdout. The parent kills it
//! at a wall-clock timeout, and any death of the child fails the document with the reason, at
//! once: a file that crashed its reader is never retried into another crash.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use nix::sys::resource::{Resource, setrlimit};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::chunk::{self, Chunk};
use super::extract::{self, Kind, Limits, Reason, mib};

/// The hidden first argument that makes this program an extractor child.
pub const COMMAND: &str = "__posey-extract";

/// A file's extraction: its pages (of a PDF) and its chunks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prepared {
    pub pages: Option<u32>,
    pub chunks: Vec<Chunk>,
}

/// Extracts and chunks a file within `limits`, in this process (the child calls it).
pub fn prepare(kind: Kind, bytes: &[u8], limits: &Limits) -> Result<Prepared, Reason> {
    let extracted = extract::extract(kind, bytes, limits)?;
    let chunks = chunk::chunk(&extracted);
    if chunks.len() > limits.max_chunks {
        return Err(format!(
            "the document would be cut into more than the limit of {} chunks \
             (AGENTS_DOCUMENT_MAX_CHUNKS)",
            limits.max_chunks
        ));
    }
    Ok(Prepared { pages: extracted.pages, chunks })
}

/// How the child runs: which program, and its memory and time.
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// `AGENTS_DOCUMENT_EXTRACTOR`, or this program.
    pub program: PathBuf,
    /// `AGENTS_DOCUMENT_MAX_MEMORY_MB`: the child's address space.
    pub max_memory_mb: u64,
    /// `AGENTS_DOCUMENT_EXTRACT_TIMEOUT_SECS`: wall clock (and CPU time) for one file.
    pub timeout: Duration,
    pub limits: Limits,
}

/// What the parent asks (the second argument).
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    media_type: String,
    limits: Limits,
    memory_bytes: u64,
    cpu_seconds: u64,
}

/// What the child answers on stdout.
#[derive(Debug, Serialize, Deserialize)]
enum Answer {
    Prepared(Prepared),
    Failed(Reason),
}

/// Call first thing in `main` of every binary that may be the extractor program (posey-agents
/// and the `posey` launcher), before any runtime starts: returns at once unless this process
/// was started as an extractor child, which does its work and exits.
pub fn run_child_if_requested() {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(OsStr::new(COMMAND)) {
        return;
    }
    let code = match child(args.next()) {
        Ok(()) => 0,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "{COMMAND}: {error:#}");
            2
        }
    };
    std::process::exit(code);
}

fn child(request: Option<OsString>) -> anyhow::Result<()> {
    let request = request.context("no request given")?;
    let request: Request = serde_json::from_str(request.to_str().context("request not UTF-8")?)
        .context("reading the request")?;
    // Before anything of the file is read: every byte of it counts against the limits.
    setrlimit(Resource::RLIMIT_AS, request.memory_bytes, request.memory_bytes)
        .context("limiting the address space")?;
    // SIGXCPU at the limit, SIGKILL shortly after if it is ignored.
    setrlimit(Resource::RLIMIT_CPU, request.cpu_seconds, request.cpu_seconds.saturating_add(2))
        .context("limiting CPU time")?;
    // A crash leaves no core file of someone's document behind.
    setrlimit(Resource::RLIMIT_CORE, 0, 0).context("turning core files off")?;

    let kind = Kind::from_media_type(&request.media_type).context("unknown media type")?;
    let mut bytes = Vec::new();
    std::io::stdin().lock().read_to_end(&mut bytes).context("reading the file")?;
    let answer = match prepare(kind, &bytes, &request.limits) {
        Ok(prepared) => Answer::Prepared(prepared),
        Err(reason) => Answer::Failed(reason),
    };
    drop(bytes);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer(&mut out, &answer).context("writing the answer")?;
    out.flush().context("writing the answer")?;
    Ok(())
}

/// The most of the child's stderr kept (to tell an allocation failure from other deaths).
const STDERR_KEPT: u64 = 16 * 1024;

impl Sandbox {
    /// Extracts and chunks `content` in a child process. `Ok(Err(reason))`: the file cannot be
    /// ingested (including when reading it crashed or ran out of memory or time); `Err`: the
    /// extractor could not be run at all (the document is left to be retried).
    pub async fn prepare(
        &self,
        kind: Kind,
        content: Vec<u8>,
    ) -> anyhow::Result<Result<Prepared, Reason>> {
        let memory_bytes = self.max_memory_mb.saturating_mul(1024 * 1024);
        let request = serde_json::to_string(&Request {
            media_type: kind.media_type().to_owned(),
            limits: self.limits,
            memory_bytes,
            cpu_seconds: self.timeout.as_secs().max(1),
        })?;
        let mut child = tokio::process::Command::new(&self.program)
            .arg(COMMAND)
            .arg(request)
            // Nothing of the service's environment (database URLs, keys) is the parser's.
            .env_clear()
            // mimalloc would reserve 1 GiB of address space up front, before the limit is set,
            // and serve the parser from it; without it, memory is taken as it is needed, so
            // the limit measures what reading the file takes.
            .env("MIMALLOC_ARENA_RESERVE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "starting the document extractor {} (AGENTS_DOCUMENT_EXTRACTOR)",
                    self.program.display()
                )
            })?;
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            anyhow::bail!("the document extractor's pipes are missing");
        };
        // The answer is the chunks' text and their places, so bounded by the text limit; a
        // child that writes more than that is not answering.
        let answer_limit = self.limits.max_text_bytes.saturating_mul(8).saturating_add(1 << 24);
        let run = async {
            let write = async move {
                // A child that dies early closes the pipe: its exit status says why.
                let _ = stdin.write_all(&content).await;
            };
            let read = async {
                let mut out = Vec::new();
                let read = stdout.take(answer_limit + 1).read_to_end(&mut out).await;
                read.map(|_| out)
            };
            let errors = async {
                let mut err = Vec::new();
                let _ = stderr.take(STDERR_KEPT).read_to_end(&mut err).await;
                err
            };
            let ((), out, err) = tokio::join!(write, read, errors);
            let out = out.context("reading the document extractor's answer")?;
            if out.len() as u64 > answer_limit {
                return Ok((None, out, err));
            }
            let status = child.wait().await.context("waiting for the document extractor")?;
            anyhow::Ok((Some(status), out, err))
        };
        // A statement of its own: `run` (which borrows the child) is gone before the kill.
        let outcome = tokio::time::timeout(self.timeout, run).await;
        let (status, out, err) = match outcome {
            Ok(done) => done?,
            Err(_) => {
                let _ = child.kill().await;
                return Ok(Err(self.too_slow()));
            }
        };
        let Some(status) = status else {
            let _ = child.kill().await;
            return Ok(Err("reading the file produced more output than its text could".into()));
        };
        let err = String::from_utf8_lossy(&err);
        if status.success() {
            return match serde_json::from_slice::<Answer>(&out) {
                Ok(Answer::Prepared(prepared)) => Ok(Ok(prepared)),
                Ok(Answer::Failed(reason)) => Ok(Err(reason)),
                Err(error) => Err(anyhow::anyhow!(
                    "the document extractor {} gave no answer ({error}); is it posey or \
                     posey-agents? {}",
                    self.program.display(),
                    err.trim()
                )),
            };
        }
        tracing::warn!(
            status = %status,
            stderr = %err.trim(),
            "the document extractor died reading a file"
        );
        Ok(Err(self.death(status, &err)))
    }

    /// The reason of a file whose reading ran out of time (wall clock or CPU).
    fn too_slow(&self) -> Reason {
        format!(
            "reading the file took longer than the limit of {} s \
             (AGENTS_DOCUMENT_EXTRACT_TIMEOUT_SECS)",
            self.timeout.as_secs()
        )
    }

    /// Why the child died, in words for the document's owner.
    fn death(&self, status: std::process::ExitStatus, stderr: &str) -> Reason {
        let memory = || {
            format!(
                "reading the file needed more than the limit of {} of memory \
                 (AGENTS_DOCUMENT_MAX_MEMORY_MB)",
                mib(self.max_memory_mb.saturating_mul(1024 * 1024))
            )
        };
        // Rust's allocation-failure message, printed just before it aborts.
        if stderr.contains("memory allocation of") {
            return memory();
        }
        match status.signal() {
            Some(nix::libc::SIGXCPU) => self.too_slow(),
            // The kernel's out-of-memory killer (our own kill is the timeout, handled above).
            Some(nix::libc::SIGKILL) => memory(),
            Some(nix::libc::SIGSEGV) if stderr.contains("overflowed its stack") => {
                "the file is nested too deeply to read".into()
            }
            Some(signal) => {
                format!("the file could not be read (its reader crashed: signal {signal})")
            }
            None => format!(
                "the file could not be read (its reader failed: exit status {})",
                status.code().unwrap_or(-1)
            ),
        }
    }
}
