//! `posey-agents`: the agents service on its own, configured from the environment.

use std::process::ExitCode;
use std::time::Duration;

/// mimalloc rather than glibc's malloc: a turn makes many small short-lived allocations
/// (JSON values, messages, futures), and glibc's malloc was ~17% of the service's CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long the exit waits for blocking threads still busy (a local model evaluating a prompt
/// that a cancelled turn no longer reads) once the service has stopped.
const BLOCKING_THREADS_GRACE: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    // Run as the document extractor's child process (see documents::sandbox), before any
    // runtime or thread starts; returns at once otherwise.
    posey_agents::documents::run_child_if_requested();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("posey-agents: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(serve());
    // Dropping the runtime would wait for every blocking thread, however long it runs.
    runtime.shutdown_timeout(BLOCKING_THREADS_GRACE);
    code
}

async fn serve() -> ExitCode {
    posey_http::service::main::<posey_agents::Application>().await
}
