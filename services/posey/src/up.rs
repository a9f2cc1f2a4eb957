//! `posey up`: every service in this process on its own port, sharing one database (a server's
//! or the embedded cluster), until Ctrl-C or SIGTERM; then the services drain and the embedded
//! cluster stops.

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::LauncherConfig;
use crate::database::Database;

pub async fn run(config: LauncherConfig) -> anyhow::Result<()> {
    let database = Database::open(&config).await?;
    // Every service reads the same REDIS_URL: one line for all.
    posey_http::backing::log_cache_choice(config.auth.service.redis.as_ref());
    let result = serve(config.with_database(&database.config), &database).await;
    let closed = database.close().await;
    result.and(closed)
}

async fn serve(config: LauncherConfig, database: &Database) -> anyhow::Result<()> {
    // Once here, so the services (which each migrate too) find nothing left to do.
    let pool = posey_db::connect(&database.config).await?;
    posey_db::migrate(&pool).await?;
    pool.close().await;

    let stop = CancellationToken::new();
    let apps = [
        ("auth", tokio::spawn(build_and_run_auth(config.auth, stop.clone()))),
        ("agents", tokio::spawn(build_and_run_agents(config.agents, stop.clone()))),
        ("gateway", tokio::spawn(build_and_run_gateway(config.gateway, stop.clone()))),
        ("cron", tokio::spawn(build_and_run_cron(config.cron, stop.clone()))),
    ];

    // The first of: a signal, or any service ending (which it only does on error).
    let signal = {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = posey_http::shutdown::signal() => stop.cancel(),
                () = stop.cancelled() => {}
            }
        })
    };
    let mut first_error = None;
    for (name, handle) in apps {
        let outcome = handle.await.with_context(|| format!("the {name} service crashed"));
        if let Err(e) =
            outcome.and_then(|r| r.with_context(|| format!("the {name} service failed")))
        {
            tracing::error!(service = name, error = %format!("{e:#}"), "stopping everything");
            stop.cancel();
            first_error.get_or_insert(e);
        }
    }
    stop.cancel();
    let _ = signal.await;
    match first_error {
        Some(e) => Err(e),
        None => {
            tracing::info!("all services stopped");
            Ok(())
        }
    }
}

/// One function per service: each builds (cancelling the others if it cannot) and serves
/// until `stop`.
macro_rules! build_and_run {
    ($fn_name:ident, $krate:ident) => {
        async fn $fn_name(config: $krate::Config, stop: CancellationToken) -> anyhow::Result<()> {
            let app = match $krate::Application::build(config).await {
                Ok(app) => app,
                Err(e) => {
                    stop.cancel();
                    return Err(e);
                }
            };
            app.run_until_stopped(async move { stop.cancelled().await }).await
        }
    };
}

build_and_run!(build_and_run_auth, posey_auth);
build_and_run!(build_and_run_agents, posey_agents);
build_and_run!(build_and_run_gateway, posey_gateway);
build_and_run!(build_and_run_cron, posey_cron);
