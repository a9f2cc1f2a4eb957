//! 10,000 tasks due in the same second across three replicas (each a dispatcher and a worker
//! pool on its own connection pool, real clock): how late runs start (p50/p99/max of
//! started_at − scheduled_for) and whether any (task, time) ran twice. Needs a PostgreSQL:
//! `bench/cron/dispatch` starts one, or set TEST_DATABASE_URL.
//! Run: `cargo bench -p posey-cron --bench dispatch`.

// Printing the figures is what this program is for.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DurationRound, TimeDelta, Utc};
use posey_cron::clock::{SharedClock, SystemClock};
use posey_cron::dispatch::{DispatchSettings, Dispatcher};
use posey_cron::notifications::Channels;
use posey_cron::worker::{Worker, WorkerSettings};
use posey_testkit::TestDatabase;
use sqlx::postgres::PgPoolOptions;
use tokio_util::sync::CancellationToken;

const TASKS: i64 = 10_000;
const REPLICAS: usize = 3;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing and should not run it.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let settings =
        posey_cron::Config::read_with_db(&mut posey_config::Env::process(), placeholder_db())
            .scheduler;
    let db = TestDatabase::new().await;
    // All due at the same whole second, a little ahead so every replica is up first.
    let due = (Utc::now() + TimeDelta::seconds(3)).duration_trunc(TimeDelta::seconds(1))?;
    sqlx::query(
        "INSERT INTO cron.tasks (id, user_id, name, kind, payload, schedule_kind, schedule, \
         time_zone, next_run_at) \
         SELECT gen_random_uuid(), gen_random_uuid(), 'bench ' || i, 'reminder', \
                '{\"title\": \"bench\"}', 'once', $1, 'UTC', $2 \
         FROM generate_series(1, $3) AS i",
    )
    .bind(due.to_rfc3339())
    .bind(due)
    .bind(TASKS)
    .execute(&db.pool)
    .await?;

    let stop = CancellationToken::new();
    let clock: SharedClock = Arc::new(SystemClock);
    for _ in 0..REPLICAS {
        let pool = PgPoolOptions::new().max_connections(12).connect(&db.url).await?;
        let dispatcher = Dispatcher::new(
            pool.clone(),
            clock.clone(),
            DispatchSettings::new(settings.poll_interval),
        );
        let worker = Worker::new(
            pool,
            clock.clone(),
            WorkerSettings::new(settings.workers, settings.lease, settings.poll_interval),
            posey_cron::jobs::webhook::Webhooks::new(Default::default()),
            // No SMTP: the bench measures scheduling, not mail.
            Channels::default(),
        );
        tokio::spawn(dispatcher.run(stop.clone()));
        tokio::spawn(worker.run(stop.clone()));
    }

    let started = Instant::now();
    loop {
        let done: i64 =
            sqlx::query_scalar("SELECT count(*) FROM cron.runs WHERE status = 'succeeded'")
                .fetch_one(&db.pool)
                .await?;
        if done >= TASKS {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "only {done} runs done after 300 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();

    let (p50, p99, max, dispatch_p99): (f64, f64, f64, f64) = sqlx::query_as(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - scheduled_for)), \
                percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - scheduled_for)), \
                max(extract(epoch FROM started_at - scheduled_for))::float8, \
                percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM created_at - scheduled_for)) \
         FROM cron.runs",
    )
    .fetch_one(&db.pool)
    .await?;
    let (runs, distinct, retried, notifications, distinct_notified): (i64, i64, i64, i64, i64) =
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM cron.runs), \
                    (SELECT count(DISTINCT (task_id, scheduled_for)) FROM cron.runs), \
                    (SELECT count(*) FROM cron.runs WHERE attempts > 1), \
                    (SELECT count(*) FROM cron.notifications), \
                    (SELECT count(DISTINCT run_id) FROM cron.notifications)",
        )
        .fetch_one(&db.pool)
        .await?;
    println!(
        "{TASKS} tasks due at one second, {REPLICAS} replicas × {} workers, poll {:?}",
        settings.workers, settings.poll_interval
    );
    println!(
        "lateness (started_at - scheduled_for): p50 {:.3} s, p99 {:.3} s, max {:.3} s",
        p50, p99, max
    );
    println!("dispatch lateness (run recorded - scheduled_for): p99 {:.3} s", dispatch_p99);
    println!(
        "runs {runs}, distinct (task, time) {distinct}, duplicates {}, retried {retried}",
        runs - distinct
    );
    println!(
        "notifications {notifications}, distinct runs notified {distinct_notified}, duplicates {}",
        notifications - distinct_notified
    );
    Ok(())
}

/// The scheduler settings come from the environment (CRON_WORKERS, CRON_POLL_INTERVAL_MS, ...);
/// the database is the bench's own.
fn placeholder_db() -> posey_config::DbConfig {
    posey_config::DbConfig {
        url: posey_config::SecretString::from(String::new()),
        pool: posey_config::PoolSettings {
            max_connections: 1,
            connect_timeout: Duration::from_secs(5),
        },
    }
}
