//! Building and running the service: connect and migrate, start token verification (with the
//! revoked-sessions poll) and the scheduler, bind first (port 0 works), then serve until the
//! shutdown future completes; the background work stops with it.

use std::sync::Arc;

use posey_http::auth::start_verifier;
use posey_http::backing::Backing;
use posey_http::server::Server;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::clock::{SharedClock, SystemClock};
use crate::config::{Config, SERVICE};
use crate::dispatch::{DispatchSettings, Dispatcher};
use crate::jobs::agent_task::AgentTasks;
use crate::notifications::delivery::Deliverer;
use crate::notifications::stream::Hub;
use crate::state::AppState;
use crate::worker::{Worker, WorkerSettings};
use crate::{jobs, routes};

pub struct Application {
    server: Server,
    background: CancellationToken,
    /// The dispatcher and workers, when this replica schedules; awaited at shutdown so runs in
    /// progress get their grace.
    scheduler: Option<JoinHandle<()>>,
}

impl posey_http::Service for Application {
    const PROGRAM: &str = "posey-cron";

    type Config = Config;

    async fn build(config: Config) -> anyhow::Result<Self> {
        let backing = Backing::connect(SERVICE, &config.service).await?;
        let background = CancellationToken::new();
        let verifier =
            start_verifier(backing.db.clone(), &config.tokens, background.clone()).await?;
        let scheduler = if config.scheduler.enabled {
            Some(start_scheduler(&backing.db, &config, background.clone()).await?)
        } else {
            tracing::info!("scheduler disabled on this replica (CRON_SCHEDULER_ENABLED=false)");
            None
        };
        let notifications = start_notifications(&backing.db, &config, background.clone()).await?;
        crate::erasure::start(backing.db.clone(), background.clone());
        let readiness = backing.readiness();
        let http = config.service.http.clone();
        let state = AppState::new(config, backing.clone(), Arc::new(verifier), notifications);
        let router = routes::router().with_state(state).merge(readiness.router());
        let server = Server::bind(SERVICE, &http, router, backing).await?;
        Ok(Self { server, background, scheduler })
    }

    fn port(&self) -> u16 {
        self.server.port()
    }

    async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // The scheduler stops inside the shutdown future, before the server closes the pool:
        // runs in progress need the database for their grace.
        let background = self.background.clone();
        let scheduler = self.scheduler;
        let shutdown = async move {
            shutdown.await;
            background.cancel();
            if let Some(scheduler) = scheduler
                && let Err(error) = scheduler.await
            {
                tracing::error!(error = %error, "the scheduler ended abnormally");
            }
        };
        let served = self.server.run_until_stopped(shutdown).await;
        self.background.cancel();
        served
    }
}

/// Registers the system's maintenance tasks and starts the dispatcher and the workers on the
/// system clock; both stop when `cancel` fires (the workers after their grace).
async fn start_scheduler(
    db: &sqlx::PgPool,
    config: &Config,
    cancel: CancellationToken,
) -> anyhow::Result<JoinHandle<()>> {
    let settings = &config.scheduler;
    let clock: SharedClock = Arc::new(SystemClock);
    let backups = config.backup.rotation().map(|rotation| {
        Arc::new(jobs::maintenance::Backups {
            rotation,
            db: config.service.db.clone(),
            tools: config.backup.tools.clone(),
            files: config.backup.files.clone(),
        })
    });
    let schedule = backups.is_some().then_some(config.backup.schedule.as_str());
    jobs::maintenance::register_system_tasks(db, clock.now(), schedule).await?;
    let dispatcher =
        Dispatcher::new(db.clone(), clock.clone(), DispatchSettings::new(settings.poll_interval));
    let worker = Worker::new(
        db.clone(),
        clock,
        WorkerSettings::new(settings.workers, settings.lease, settings.poll_interval),
        jobs::webhook::Webhooks::new(config.webhooks.clone()),
        config.notify.channels(),
    )
    .with_agent_tasks(agent_tasks(config)?)
    .with_backups(backups);
    Ok(tokio::spawn(async move {
        tokio::join!(dispatcher.run(cancel.clone()), worker.run(cancel));
    }))
}

/// What runs `agent_task` jobs, when the agents service and cron's credentials are configured.
fn agent_tasks(config: &Config) -> anyhow::Result<Option<Arc<AgentTasks>>> {
    match config.agent_tasks.settings() {
        Ok(settings) => {
            tracing::info!(agents = %settings.agents_url, "agent tasks run on the agents service");
            Ok(Some(Arc::new(AgentTasks::new(settings)?)))
        }
        Err(missing) => {
            tracing::info!(missing = missing.join(", "), "agent tasks are not configured");
            Ok(None)
        }
    }
}

/// Starts the notification streams' listener and the delivery loop; both stop with `cancel`.
async fn start_notifications(
    db: &sqlx::PgPool,
    config: &Config,
    cancel: CancellationToken,
) -> anyhow::Result<Hub> {
    let hub = Hub::start(db, cancel.clone()).await?;
    let deliverer = Deliverer::new(db.clone(), &config.notify, config.scheduler.poll_interval)?;
    tokio::spawn(deliverer.run(cancel));
    Ok(hub)
}
