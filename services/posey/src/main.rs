//! `posey`: run everything on one machine (`posey up`) and operate it.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use posey::LauncherConfig;
use posey::service::Service;

/// How long the exit waits for blocking threads still busy once the work is done.
const BLOCKING_THREADS_GRACE: Duration = Duration::from_secs(1);

/// mimalloc rather than glibc's malloc, as posey-agents uses: the agents' turns make many small
/// short-lived allocations, and glibc's malloc was ~17% of their CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "posey", version, about = "Posey, a self-hosted lifelong AI companion")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run all four services and the web app, each in its own process (one that crashes is
    /// started again), with embedded defaults for unconfigured parts.
    Up,
    /// Apply the database migrations and exit.
    Migrate,
    /// Check each backing part: what is used, what is missing, and how to fix it.
    Doctor,
    /// List the GGUF chat models in `<data dir>/models`, the one in use, and how to switch.
    Models,
    /// Operator tasks.
    Admin {
        #[command(subcommand)]
        task: AdminTask,
    },
    /// One service, as a child process of `posey up` (which hands it the run on stdin).
    #[command(hide = true)]
    Serve { service: Service },
    /// Another program (the web app's Node.js server) as a child process of `posey up`:
    /// becomes `program` once it is bound to die with its parent.
    #[command(name = "__child", hide = true)]
    Child {
        #[arg(long)]
        parent: u32,
        program: std::path::PathBuf,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// The embedded PostgreSQL, as a child process of a posey command: becomes `postgres`
    /// once it is bound to die with its parent.
    #[command(name = "__postmaster", hide = true)]
    Postmaster {
        #[arg(long)]
        parent: u32,
        #[arg(long)]
        uid: Option<u32>,
        #[arg(long)]
        gid: Option<u32>,
        program: std::path::PathBuf,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
}

#[derive(Debug, Subcommand)]
enum AdminTask {
    /// Rebuild vector collections from Postgres (after losing the vector store, or to switch
    /// embedding models). Stop the services first when the vector store is embedded.
    Reindex {
        /// Only this collection (`memories`, `documents`); all of them when unset.
        collection: Option<String>,
    },
    /// Back the whole system up into DIR (new or empty) while it serves: the database as one
    /// consistent dump, the data dir's keys, and a manifest with checksums and row counts.
    Backup { dir: std::path::PathBuf },
    /// Restore a backup from DIR into an empty database and data dir (checked against its
    /// manifest first), then rebuild the vector collections. Stop the services first.
    Restore { dir: std::path::PathBuf },
}

fn main() -> ExitCode {
    // The documents extractor's child process re-runs this program with a hidden first
    // argument (posey_agents::documents::sandbox); it must not reach the CLI. Returns at once
    // otherwise.
    posey_agents::documents::run_child_if_requested();
    let cli = Cli::parse();
    // The hidden children of `posey up`: what must happen before any thread starts.
    match &cli.command {
        Command::Postmaster { parent, uid, gid, program, args } => {
            let e = posey::embedded::postgres::exec_postmaster(*parent, *uid, *gid, program, args);
            eprintln!("posey: {e:#}");
            return ExitCode::FAILURE;
        }
        Command::Child { parent, program, args } => {
            let e = posey::web::exec_bound_to_parent(*parent, program, args);
            eprintln!("posey: {e:#}");
            return ExitCode::FAILURE;
        }
        Command::Serve { .. } => {
            if let Err(e) = posey::service::die_with_parent() {
                eprintln!("posey: {e:#}");
                return ExitCode::FAILURE;
            }
        }
        _ => {}
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("posey: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(cli));
    // Dropping the runtime would wait for every blocking thread, however long it runs (a local
    // model still evaluating a prompt for a turn that was cancelled at shutdown).
    runtime.shutdown_timeout(BLOCKING_THREADS_GRACE);
    code
}

async fn run(cli: Cli) -> ExitCode {
    // The embedded MQTT broker's router logs every connection at info.
    if let Err(e) =
        posey_http::telemetry::init_with(&[posey_home_plugin::mqtt::broker::LOG_DIRECTIVE])
    {
        eprintln!("posey: {e}");
        return ExitCode::FAILURE;
    }
    let config = match LauncherConfig::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("posey: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Up => posey::up::run(config).await,
        Command::Migrate => migrate(config).await,
        Command::Admin { task: AdminTask::Reindex { collection } } => {
            posey::admin::reindex(&config, collection.as_deref()).await
        }
        Command::Admin { task: AdminTask::Backup { dir } } => {
            posey::backup::backup(&config, &dir).await
        }
        Command::Admin { task: AdminTask::Restore { dir } } => {
            posey::backup::restore(&config, &dir).await
        }
        Command::Doctor => {
            let findings = posey::doctor::check(&config).await;
            return if posey::doctor::report(&findings) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
        Command::Models => {
            let lookup = |name: &str| std::env::var(name).ok();
            posey::models::report(&config.data_dir, lookup).and_then(|text| {
                use std::io::Write;
                // A listing for the person (or a pipe), so on stdout.
                std::io::stdout().write_all(text.as_bytes()).map_err(Into::into)
            })
        }
        Command::Serve { service } => serve(service, config).await,
        Command::Postmaster { .. } | Command::Child { .. } => {
            Err(anyhow::anyhow!("started by posey itself, not by hand"))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // User errors (bad URL, no PostgreSQL, port taken) read as one message.
            eprintln!("posey: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// One service of `posey up`, in the process `posey up` started for it.
async fn serve(service: Service, config: LauncherConfig) -> anyhow::Result<()> {
    let facts = tokio::task::spawn_blocking(posey::service::read_run_facts).await??;
    posey::service::serve(service, config.with_run_facts(&facts)?).await
}

async fn migrate(config: LauncherConfig) -> anyhow::Result<()> {
    let database =
        posey::database::Database::open(&config, posey::database::Sharing::Shared).await?;
    let result = async {
        let pool = posey_db::connect(&database.config).await?;
        posey_db::migrate(&pool).await?;
        pool.close().await;
        tracing::info!("migrations applied");
        anyhow::Ok(())
    }
    .await;
    let closed = database.close().await;
    result.and(closed)
}
