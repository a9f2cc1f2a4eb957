//! A lower-level harness for the scheduler tests: a dispatcher and workers built directly on a
//! fresh test database with a `ManualClock`, and a local webhook receiver that records calls.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, TimeDelta, Utc};
use posey_cron::clock::{Clock, ManualClock, SharedClock};
use posey_cron::db::{self, NewTask, Run, Task, TaskKind};
use posey_cron::dispatch::{DispatchSettings, Dispatcher};
use posey_cron::jobs::webhook::{DestinationPolicy, Webhooks};
use posey_cron::notifications::Channels;
use posey_cron::schedule::{Schedule, ScheduleKind};
use posey_cron::worker::{Worker, WorkerSettings};
use posey_testkit::TestDatabase;
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

pub const POLL: Duration = Duration::from_millis(500);
pub const LEASE: Duration = Duration::from_secs(2);

pub struct Harness {
    pub db: TestDatabase,
    pub clock: Arc<ManualClock>,
}

impl Harness {
    pub async fn at(now: &str) -> Self {
        Self { db: TestDatabase::new().await, clock: ManualClock::new(utc(now)) }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn shared_clock(&self) -> SharedClock {
        self.clock.clone()
    }

    /// A separate pool on the same database: another replica's connections.
    pub async fn replica_pool(&self) -> PgPool {
        PgPoolOptions::new().max_connections(4).connect(&self.db.url).await.unwrap()
    }

    pub fn dispatcher_on(&self, pool: PgPool) -> Dispatcher {
        Dispatcher::new(pool, self.shared_clock(), DispatchSettings::new(POLL))
    }

    /// A dispatcher claiming `batch` tasks per transaction (small batches make replicas race).
    pub fn dispatcher_batching(&self, pool: PgPool, batch: i64) -> Dispatcher {
        let settings = DispatchSettings { batch, ..DispatchSettings::new(POLL) };
        Dispatcher::new(pool, self.shared_clock(), settings)
    }

    pub fn dispatcher(&self) -> Dispatcher {
        self.dispatcher_on(self.db.pool.clone())
    }

    /// A worker whose webhooks may reach the test receivers on 127.0.0.1 (allow-listed, as an
    /// operator would a trusted internal host; the default refuses loopback).
    pub fn worker_with(&self, settings: WorkerSettings) -> Worker {
        self.worker_allowing(settings, "127.0.0.1")
    }

    /// A worker whose webhooks may reach public addresses and `allow` (`CRON_WEBHOOK_ALLOW`).
    pub fn worker_allowing(&self, settings: WorkerSettings, allow: &str) -> Worker {
        let webhooks = Webhooks::new(DestinationPolicy::parse(allow).unwrap());
        // No SMTP here: notifications stay in the app (and Web Push).
        Worker::new(
            self.db.pool.clone(),
            self.shared_clock(),
            settings,
            webhooks,
            Channels::default(),
        )
    }

    pub fn worker(&self) -> Worker {
        self.worker_with(WorkerSettings::new(4, LEASE, Duration::from_millis(50)))
    }

    /// A task of `kind` on a `kind_of_schedule` schedule, first due at the schedule's first
    /// time at or after now (or `edit` sets `next_run_at` itself).
    pub async fn task(
        &self,
        kind: TaskKind,
        payload: Value,
        (schedule_kind, spec, zone): (&str, &str, &str),
        edit: impl FnOnce(&mut NewTask),
    ) -> Task {
        let schedule =
            Schedule::parse(ScheduleKind::parse(schedule_kind).unwrap(), spec, zone).unwrap();
        let mut new = NewTask::new(
            Some(Uuid::new_v4()),
            "test task",
            kind,
            payload,
            schedule_kind,
            schedule.spec(),
            schedule.time_zone(),
        );
        new.next_run_at = schedule.first_at_or_after(self.now());
        edit(&mut new);
        db::tasks::insert(&self.db.pool, &new, self.now()).await.unwrap()
    }

    pub async fn webhook_task(&self, url: &str, edit: impl FnOnce(&mut NewTask)) -> Task {
        let payload = json!({ "url": url, "secret": "s3cret", "body": { "hello": "world" } });
        self.task(TaskKind::Webhook, payload, ("cron", "0 0 * * * *", "UTC"), edit).await
    }

    pub async fn runs(&self, task_id: Uuid) -> Vec<Run> {
        let mut runs = db::runs::list_for_task(&self.db.pool, task_id, 1000, 0).await.unwrap();
        runs.reverse();
        runs
    }

    pub async fn task_row(&self, id: Uuid) -> Task {
        db::tasks::find(&self.db.pool, id).await.unwrap().unwrap()
    }

    /// Sets the clock to `at`, dispatches, and returns the runs created.
    pub async fn dispatch_at(&self, at: DateTime<Utc>) -> usize {
        self.clock.set(at);
        self.dispatcher().dispatch_due().await.unwrap().runs
    }
}

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

/// One call the webhook receiver got.
#[derive(Debug, Clone)]
pub struct Call {
    pub key: String,
    pub signature: String,
    pub body: Bytes,
}

/// How the receiver answers its n-th call (0-based): after a delay, with a status.
type Behaviour = dyn Fn(usize) -> (Duration, StatusCode) + Send + Sync;
type ReceiverState = (Arc<Mutex<Vec<Call>>>, Arc<Behaviour>);

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Receiver {
    pub async fn start(
        behaviour: impl Fn(usize) -> (Duration, StatusCode) + Send + Sync + 'static,
    ) -> Self {
        let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
        let behaviour: Arc<Behaviour> = Arc::new(behaviour);
        let state = (calls.clone(), behaviour);
        let app =
            axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, calls }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Waits (wall time) until the receiver has had `n` calls.
    pub async fn wait_for_calls(&self, n: usize) {
        for _ in 0..200 {
            if self.calls().len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the webhook receiver never got {n} calls");
    }
}

async fn receive(
    State((calls, behaviour)): State<ReceiverState>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header =
        |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let n = {
        let mut calls = calls.lock().unwrap();
        calls.push(Call {
            key: header("x-posey-idempotency-key"),
            signature: header("x-posey-signature"),
            body,
        });
        calls.len() - 1
    };
    let (delay, status) = behaviour(n);
    tokio::time::sleep(delay).await;
    status
}
