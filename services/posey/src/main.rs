//! `posey`: run everything on one machine (`posey up`) and operate it.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use posey::LauncherConfig;

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
    /// Run all four services in this process, with embedded defaults for unconfigured parts.
    Up,
    /// Apply the database migrations and exit.
    Migrate,
    /// Check each backing part: what is used, what is missing, and how to fix it.
    Doctor,
    /// Operator tasks.
    Admin {
        #[command(subcommand)]
        task: AdminTask,
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
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = posey_http::telemetry::init() {
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
        Command::Doctor => {
            let findings = posey::doctor::check(&config).await;
            return if posey::doctor::report(&findings) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
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

async fn migrate(config: LauncherConfig) -> anyhow::Result<()> {
    let database = posey::database::Database::open(&config).await?;
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
