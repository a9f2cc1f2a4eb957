//! The scheduler on real Postgres with a manual clock: dispatch once across replicas, misfire
//! and DST behaviour, leases and take-over, timeouts, retries to dead-letter, a database outage
//! and a shutdown mid-run.

use std::collections::HashSet;
use std::time::Duration;

use axum::http::StatusCode;
use posey_cron::db::{MisfirePolicy, OverlapPolicy, RunStatus, TaskKind};
use posey_cron::worker::WorkerSettings;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::scheduler::{Harness, LEASE, Receiver, secs, utc};

fn ok(_: usize) -> (Duration, StatusCode) {
    (Duration::ZERO, StatusCode::OK)
}

#[tokio::test]
async fn dispatch_two_replicas_record_each_run_once() {
    let h = Harness::at("2027-01-01T00:00:30Z").await;
    let mut ids = Vec::new();
    for _ in 0..200 {
        let task = h
            .task(
                TaskKind::Reminder,
                json!({ "title": "t" }),
                ("cron", "0 * * * * *", "UTC"),
                |t| {
                    t.next_run_at = Some(utc("2027-01-01T00:00:00Z"));
                    t.overlap_policy = OverlapPolicy::Allow;
                },
            )
            .await;
        ids.push(task.id);
    }
    let one = h.dispatcher_batching(h.replica_pool().await, 10);
    let two = h.dispatcher_batching(h.replica_pool().await, 10);
    for round in 0..3 {
        let (a, b) = tokio::join!(one.dispatch_due(), two.dispatch_due());
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.runs + b.runs, 200, "round {round}: {a:?} {b:?}");
        assert!(a.runs > 0 && b.runs > 0, "both replicas took a share: {a:?} {b:?}");
        h.clock.advance(secs(60));
    }
    let (total, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT (task_id, scheduled_for)) FROM cron.runs")
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert_eq!((total, distinct), (600, 600));
    let next = h.task_row(ids[0]).await.next_run_at.unwrap();
    assert_eq!(next, utc("2027-01-01T00:03:00Z"));
}

#[tokio::test]
async fn dispatch_misfire_policies_after_a_long_outage() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let hourly = ("cron", "0 0 * * * *", "UTC");
    let mut tasks = Vec::new();
    for policy in [MisfirePolicy::RunOnce, MisfirePolicy::RunAll, MisfirePolicy::Skip] {
        let task = h
            .task(TaskKind::Reminder, json!({ "title": "t" }), hourly, |t| {
                t.misfire_policy = policy;
                t.misfire_limit = 5;
            })
            .await;
        assert_eq!(task.next_run_at, Some(utc("2027-01-01T00:00:00Z")));
        tasks.push(task);
    }
    // Everything was down for two and a half days.
    h.dispatch_at(utc("2027-01-03T12:30:00Z")).await;

    let times = |runs: Vec<posey_cron::db::Run>| {
        runs.iter().map(|r| r.scheduled_for.to_rfc3339()).collect::<Vec<_>>()
    };
    assert_eq!(times(h.runs(tasks[0].id).await), ["2027-01-03T12:00:00+00:00"]);
    assert_eq!(
        times(h.runs(tasks[1].id).await),
        [
            "2027-01-01T00:00:00+00:00",
            "2027-01-01T01:00:00+00:00",
            "2027-01-01T02:00:00+00:00",
            "2027-01-01T03:00:00+00:00",
            "2027-01-01T04:00:00+00:00",
        ]
    );
    assert!(h.runs(tasks[2].id).await.is_empty());
    for task in &tasks {
        assert_eq!(h.task_row(task.id).await.next_run_at, Some(utc("2027-01-03T13:00:00Z")));
    }

    // Merely a tick late, `skip` still runs.
    h.dispatch_at(utc("2027-01-03T13:00:01Z")).await;
    assert_eq!(times(h.runs(tasks[2].id).await), ["2027-01-03T13:00:00+00:00"]);
}

/// Walks the clock from `from` to `to` in `step`s, dispatching at each, and returns the
/// scheduled times recorded for the task.
async fn walk(h: &Harness, task: uuid::Uuid, from: &str, to: &str, step: i64) -> Vec<String> {
    let mut at = utc(from);
    while at <= utc(to) {
        h.dispatch_at(at).await;
        at += secs(step);
    }
    h.runs(task).await.iter().map(|r| r.scheduled_for.to_rfc3339()).collect()
}

#[tokio::test]
async fn dispatch_dst_gap_and_fold_in_berlin_and_new_york() {
    let h = Harness::at("2027-03-27T12:00:00Z").await;
    let daily = |zone| ("cron", "0 30 2 * * *", zone);
    let berlin = h
        .task(TaskKind::Reminder, json!({}), daily("Europe/Berlin"), |t| {
            t.misfire_policy = MisfirePolicy::Skip
        })
        .await;
    // 02:30 does not exist on 28 March in Berlin: it runs right after the gap, 03:00 CEST.
    let runs = walk(&h, berlin.id, "2027-03-27T12:00:00Z", "2027-03-29T12:00:00Z", 900).await;
    assert_eq!(runs, ["2027-03-28T01:00:00+00:00", "2027-03-29T00:30:00+00:00"]);

    // 02:30 happens twice on 31 October in Berlin: it runs once, at the first (CEST).
    h.clock.set(utc("2027-10-30T12:00:00Z"));
    let berlin = h
        .task(TaskKind::Reminder, json!({}), daily("Europe/Berlin"), |t| {
            t.misfire_policy = MisfirePolicy::Skip
        })
        .await;
    let runs = walk(&h, berlin.id, "2027-10-30T12:00:00Z", "2027-11-01T12:00:00Z", 900).await;
    assert_eq!(runs, ["2027-10-31T00:30:00+00:00", "2027-11-01T01:30:00+00:00"]);

    // New York: 02:30 on 14 March is in the gap (runs 03:00 EDT); 01:30 on 7 November repeats.
    h.clock.set(utc("2027-03-13T12:00:00Z"));
    let ny = h.task(TaskKind::Reminder, json!({}), daily("America/New_York"), |_| {}).await;
    let runs = walk(&h, ny.id, "2027-03-13T12:00:00Z", "2027-03-15T12:00:00Z", 900).await;
    assert_eq!(runs, ["2027-03-14T07:00:00+00:00", "2027-03-15T06:30:00+00:00"]);
    h.clock.set(utc("2027-11-06T12:00:00Z"));
    let ny = h
        .task(TaskKind::Reminder, json!({}), ("cron", "0 30 1 * * *", "America/New_York"), |_| {})
        .await;
    let runs = walk(&h, ny.id, "2027-11-06T12:00:00Z", "2027-11-08T12:00:00Z", 900).await;
    assert_eq!(runs, ["2027-11-07T05:30:00+00:00", "2027-11-08T06:30:00+00:00"]);
}

#[tokio::test]
async fn dispatch_overlap_skip_records_skipped_runs() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let task = h.task(TaskKind::Reminder, json!({}), ("cron", "0 * * * * *", "UTC"), |_| {}).await;
    h.dispatch_at(utc("2027-01-01T00:00:00Z")).await;
    // The first run is still pending when the next falls due.
    h.dispatch_at(utc("2027-01-01T00:01:00Z")).await;
    let runs = h.runs(task.id).await;
    let statuses: Vec<_> = runs.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [RunStatus::Pending, RunStatus::Skipped]);
}

#[tokio::test]
async fn dispatch_worker_killed_mid_job_is_taken_over_once() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    // The first call hangs (the worker dies during it); later ones answer at once.
    let receiver =
        Receiver::start(|n| if n == 0 { (Duration::from_secs(30), StatusCode::OK) } else { ok(n) })
            .await;
    let task = h.webhook_task(&receiver.url, |_| {}).await;
    h.dispatch_at(utc("2027-01-01T00:00:00Z")).await;

    let doomed = h.worker();
    let job = tokio::spawn(async move { doomed.run_ready().await });
    receiver.wait_for_calls(1).await;
    job.abort();

    // While the lease holds, nobody else runs it.
    let other = h.worker();
    h.clock.advance(secs(1));
    assert!(other.run_ready().await.unwrap().is_empty());
    // Once it lapses, the run is taken over and finishes.
    h.clock.advance(secs(LEASE.as_secs() as i64 + 1));
    let done = other.run_ready().await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].1, Some(RunStatus::Succeeded));

    let runs = h.runs(task.id).await;
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].status, runs[0].attempts), (RunStatus::Succeeded, 2));
    // Two deliveries of one idempotency key: the receiver applies it once.
    let calls = receiver.calls();
    let keys: HashSet<_> = calls.iter().map(|c| c.key.clone()).collect();
    assert_eq!(keys.len(), 1);
    assert_eq!(calls[0].key, format!("{}:2027-01-01T00:00:00Z", task.id));
    // The signature is HMAC-SHA256 over "<t>.<body>" with the task's secret.
    let call = &calls[1];
    let t: i64 =
        call.signature.split(',').next().unwrap().trim_start_matches("t=").parse().unwrap();
    assert_eq!(call.signature, posey_cron::jobs::webhook::signature(b"s3cret", t, &call.body));
    let body: serde_json::Value = serde_json::from_slice(&call.body).unwrap();
    assert_eq!(body["body"], json!({ "hello": "world" }));
    assert_eq!(body["task_id"], json!(task.id));
}

#[tokio::test]
async fn dispatch_hanging_job_times_out() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let receiver = Receiver::start(|_| (Duration::from_secs(30), StatusCode::OK)).await;
    let task = h.webhook_task(&receiver.url, |t| t.timeout_seconds = 1).await;
    h.dispatch_at(utc("2027-01-01T00:00:00Z")).await;
    let done = h.worker().run_ready().await.unwrap();
    assert_eq!(done[0].1, Some(RunStatus::Retrying));
    let run = &h.runs(task.id).await[0];
    assert_eq!(run.error.as_deref(), Some("timed out after 1s"));
}

#[tokio::test]
async fn dispatch_always_failing_job_ends_dead_after_backoff() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let receiver = Receiver::start(|_| (Duration::ZERO, StatusCode::INTERNAL_SERVER_ERROR)).await;
    let task = h.webhook_task(&receiver.url, |t| t.max_attempts = 3).await;
    h.dispatch_at(utc("2027-01-01T00:00:00Z")).await;
    let worker = h.worker();

    let mut available = Vec::new();
    for expected in [RunStatus::Retrying, RunStatus::Retrying, RunStatus::Dead] {
        let done = worker.run_ready().await.unwrap();
        assert_eq!(done[0].1, Some(expected));
        let run = h.runs(task.id).await.remove(0);
        available.push(run.available_at - h.now());
        // Nothing runs again before the backoff is over.
        assert!(worker.run_ready().await.unwrap().is_empty());
        h.clock.set(run.available_at);
    }
    assert_eq!(available[..2], [secs(2), secs(4)]);
    let run = h.runs(task.id).await.remove(0);
    assert_eq!((run.status, run.attempts), (RunStatus::Dead, 3));
    assert_eq!(run.error.as_deref(), Some("webhook answered 500 Internal Server Error"));
    assert_eq!(receiver.calls().len(), 3);
}

#[tokio::test]
async fn dispatch_database_outage_loses_no_run() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let task = h.task(TaskKind::Reminder, json!({}), ("cron", "0 0 * * * *", "UTC"), |_| {}).await;
    let dispatcher = h.dispatcher_on(h.replica_pool().await);

    h.db.cut_off().await;
    assert!(dispatcher.dispatch_due().await.is_err());

    let admin = posey_testkit::required_url("TEST_DATABASE_URL");
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    sqlx::query(&format!(r#"ALTER DATABASE "{}" ALLOW_CONNECTIONS true"#, h.db.name))
        .execute(&mut conn)
        .await
        .unwrap();

    h.clock.advance(secs(1));
    assert_eq!(dispatcher.dispatch_due().await.unwrap().runs, 1);
    let runs = h.runs(task.id).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].scheduled_for, utc("2027-01-01T00:00:00Z"));
}

#[tokio::test]
async fn dispatch_shutdown_mid_run_then_restart_completes() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let receiver =
        Receiver::start(|n| if n == 0 { (Duration::from_secs(30), StatusCode::OK) } else { ok(n) })
            .await;
    let task = h.webhook_task(&receiver.url, |_| {}).await;
    h.dispatch_at(utc("2027-01-01T00:00:00Z")).await;

    let mut settings = WorkerSettings::new(2, LEASE, Duration::from_millis(20));
    settings.shutdown_grace = Duration::from_millis(100);
    let before = h.worker_with(settings);
    let cancel = CancellationToken::new();
    let running = tokio::spawn(before.clone().run(cancel.clone()));
    receiver.wait_for_calls(1).await;
    cancel.cancel();
    running.await.unwrap();

    // Left with its lease for whoever comes next.
    let run = h.runs(task.id).await.remove(0);
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(run.lease_owner.as_deref(), Some(before.owner()));

    // The restarted replica takes it over once the lease has lapsed.
    h.clock.advance(secs(3));
    let after = h.worker();
    let cancel = CancellationToken::new();
    let running = tokio::spawn(after.run(cancel.clone()));
    receiver.wait_for_calls(2).await;
    for _ in 0..100 {
        if h.runs(task.id).await[0].status == RunStatus::Succeeded {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cancel.cancel();
    running.await.unwrap();
    assert_eq!(h.runs(task.id).await[0].status, RunStatus::Succeeded);
}

#[tokio::test]
async fn dispatch_shutdown_lets_a_short_run_finish() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let receiver = Receiver::start(|_| (Duration::from_millis(300), StatusCode::OK)).await;
    let task = h.webhook_task(&receiver.url, |_| {}).await;
    h.dispatch_at(utc("2027-01-01T00:00:00Z")).await;

    let cancel = CancellationToken::new();
    let running = tokio::spawn(h.worker().run(cancel.clone()));
    receiver.wait_for_calls(1).await;
    cancel.cancel();
    running.await.unwrap();
    assert_eq!(h.runs(task.id).await[0].status, RunStatus::Succeeded);
}

#[tokio::test]
async fn dispatch_agent_task_fails_clearly_and_once_task_stops() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let task = h
        .task(
            TaskKind::AgentTask,
            json!({ "prompt": "brief me" }),
            ("once", "2027-01-01T00:00:00Z", "UTC"),
            |t| {
                t.max_attempts = 1;
            },
        )
        .await;
    h.dispatch_at(utc("2027-01-01T00:00:00Z")).await;
    assert_eq!(h.task_row(task.id).await.next_run_at, None);
    let done = h.worker().run_ready().await.unwrap();
    assert_eq!(done[0].1, Some(RunStatus::Dead));
    let run = h.runs(task.id).await.remove(0);
    assert_eq!(run.error.as_deref(), Some(posey_cron::jobs::AGENT_TASKS_UNAVAILABLE));
}

#[tokio::test]
async fn dispatch_maintenance_tasks_register_once_and_clean() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    for _ in 0..2 {
        posey_cron::jobs::maintenance::register_system_tasks(&h.db.pool, h.now(), None)
            .await
            .unwrap();
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM cron.tasks WHERE user_id IS NULL")
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 2);
    h.dispatch_at(utc("2027-01-01T01:00:00Z")).await;
    let done = h.worker().run_ready().await.unwrap();
    assert_eq!(done.len(), 2);
    assert!(done.iter().all(|(_, s)| *s == Some(RunStatus::Succeeded)), "{done:?}");
}

#[tokio::test]
async fn dispatch_auth_cleanup_removes_what_expired_and_keeps_the_rest() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let db = &h.db.pool;
    let (past, future) = ("2026-12-31T00:00:00Z", "2027-01-02T00:00:00Z");
    let user = uuid::Uuid::new_v4();
    let seed = format!(
        "INSERT INTO auth.users (id, email) VALUES ('{user}', 'dana@example.com');
         INSERT INTO auth.sessions (id, user_id, not_after) VALUES
           ('{old}', '{user}', '{past}'), ('{live}', '{user}', '{future}');
         INSERT INTO auth.revoked_sessions (session_id, expires_at) VALUES
           (gen_random_uuid(), '{past}'), (gen_random_uuid(), '{future}');
         INSERT INTO auth.one_time_tokens
           (user_id, kind, token_hash, otp_hash, relates_to, expires_at, used_at) VALUES
           ('{user}', 'recovery', 'a', 'a', 'dana@example.com', '{past}', NULL),
           ('{user}', 'recovery', 'b', 'b', 'dana@example.com', '{future}', '{past}'),
           ('{user}', 'recovery', 'c', 'c', 'dana@example.com', '{future}', NULL);
         INSERT INTO auth.flow_states
           (id, code_challenge, code_challenge_method, authentication_method, expires_at) VALUES
           (gen_random_uuid(), 'x', 's256', 'magiclink', '{past}'),
           (gen_random_uuid(), 'y', 's256', 'magiclink', '{future}');
         -- A live session's refresh tokens: spent two days ago, spent an hour ago, and its
         -- current one; a token revoked without a rotation two days ago.
         INSERT INTO auth.refresh_tokens (token_hash, session_id, user_id, revoked, rotated_at, created_at) VALUES
           ('r1', '{live}', '{user}', true, '2026-12-30T00:00:00Z', '2026-12-29T00:00:00Z'),
           ('r2', '{live}', '{user}', true, '2026-12-31T23:00:00Z', '2026-12-30T00:00:00Z'),
           ('r3', '{live}', '{user}', false, NULL, '2026-12-31T23:00:00Z'),
           ('r4', '{live}', '{user}', true, NULL, '2026-12-29T00:00:00Z');
         INSERT INTO auth.oauth_clients (client_id, client_name, client_type, token_endpoint_auth_method,
             redirect_uris, grant_types, scope) VALUES
           ('{client}', 'Wiki', 'public', 'none', '{{https://wiki.test/cb}}', '{{authorization_code}}', 'openid');
         INSERT INTO auth.oauth_grants (id, client_id, user_id, scope) VALUES
           ('{grant}', '{client}', '{user}', 'openid');
         -- Codes: expired two days ago (used), a minute ago (unused); refresh tokens: spent two
         -- days ago, an hour ago, and the live one.
         INSERT INTO auth.oauth_codes (code_hash, client_id, user_id, redirect_uri, scope, auth_time,
             expires_at, used_at, grant_id) VALUES
           ('c1', '{client}', '{user}', 'https://wiki.test/cb', 'openid', '{past}', '2026-12-30T00:00:00Z', '2026-12-30T00:00:00Z', '{grant}'),
           ('c2', '{client}', '{user}', 'https://wiki.test/cb', 'openid', '{past}', '2026-12-31T23:59:00Z', NULL, NULL);
         INSERT INTO auth.oauth_refresh_tokens (token_hash, grant_id, used_at) VALUES
           ('o1', '{grant}', '2026-12-30T00:00:00Z'),
           ('o2', '{grant}', '2026-12-31T23:00:00Z'),
           ('o3', '{grant}', NULL);
         INSERT INTO auth.oauth_browser_sessions (token_hash, user_id, auth_time, expires_at) VALUES
           ('b1', '{user}', '{past}', '2026-12-31T12:00:00Z'),
           ('b2', '{user}', '{past}', '{future}');",
        old = uuid::Uuid::new_v4(),
        live = uuid::Uuid::new_v4(),
        client = uuid::Uuid::new_v4(),
        grant = uuid::Uuid::new_v4(),
    );
    sqlx::raw_sql(&seed).execute(db).await.unwrap();

    let purged = posey_cron::jobs::maintenance::clean_auth(db, h.now()).await.unwrap();
    assert_eq!(
        purged,
        json!({ "sessions": 1, "revoked_sessions": 1, "one_time_tokens": 2, "flow_states": 1,
                "refresh_tokens": 2, "oauth_codes": 1, "oauth_refresh_tokens": 1,
                "oauth_browser_sessions": 1 })
    );
    let left: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM auth.sessions WHERE not_after >= $1),
                (SELECT count(*) FROM auth.revoked_sessions WHERE expires_at >= $1),
                (SELECT count(*) FROM auth.one_time_tokens WHERE token_hash = 'c'),
                (SELECT count(*) FROM auth.flow_states WHERE expires_at >= $1)",
    )
    .bind(h.now())
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(left, (1, 1, 1, 1));
    let kept = |table: &'static str| {
        let sql = format!(
            "SELECT array_agg(convert_from(token_hash, 'UTF8') ORDER BY token_hash) FROM auth.{table}"
        );
        async move { sqlx::query_scalar::<_, Vec<String>>(&sql).fetch_one(db).await.unwrap() }
    };
    assert_eq!(kept("refresh_tokens").await, ["r2", "r3"], "spent within the day, and live");
    assert_eq!(kept("oauth_refresh_tokens").await, ["o2", "o3"]);
    assert_eq!(kept("oauth_browser_sessions").await, ["b2"]);
    let codes: Vec<String> =
        sqlx::query_scalar("SELECT convert_from(code_hash, 'UTF8') FROM auth.oauth_codes")
            .fetch_all(db)
            .await
            .unwrap();
    assert_eq!(codes, ["c2"], "a code stays a day past its expiry");
    let grants: i64 =
        sqlx::query_scalar("SELECT count(*) FROM auth.oauth_grants").fetch_one(db).await.unwrap();
    assert_eq!(grants, 1, "the record of the app's sign-in stays");
    // Nothing more is due: a second run removes nothing.
    let again = posey_cron::jobs::maintenance::clean_auth(db, h.now()).await.unwrap();
    assert_eq!(
        again,
        json!({ "sessions": 0, "revoked_sessions": 0, "one_time_tokens": 0, "flow_states": 0,
                "refresh_tokens": 0, "oauth_codes": 0, "oauth_refresh_tokens": 0,
                "oauth_browser_sessions": 0 })
    );
}

#[tokio::test]
async fn dispatch_reminder_taken_over_notifies_once() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let reminder = json!({ "title": "Renew the passport", "body": "It expires in March" });
    let task = h.task(TaskKind::Reminder, reminder, ("cron", "0 0 * * * *", "UTC"), |_| {}).await;
    h.dispatch_at(utc("2027-01-01T00:00:00Z")).await;

    // A worker claims the run and dies before doing anything.
    let doomed = h.worker();
    assert_eq!(doomed.claim(1).await.unwrap().len(), 1);
    drop(doomed);
    h.clock.advance(secs(LEASE.as_secs() as i64 + 1));
    let done = h.worker().run_ready().await.unwrap();
    assert_eq!(done[0].1, Some(RunStatus::Succeeded));

    let (count, title): (i64, Option<String>) =
        sqlx::query_as("SELECT count(*), max(title) FROM cron.notifications WHERE task_id = $1")
            .bind(task.id)
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert_eq!((count, title.as_deref()), (1, Some("Renew the passport")));
    let run = h.runs(task.id).await.remove(0);
    assert_eq!((run.status, run.attempts), (RunStatus::Succeeded, 2));
}

#[tokio::test]
async fn dispatch_leased_reminders_finish_as_a_batch_without_the_ones_taken_over() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let hourly = ("cron", "0 0 * * * *", "UTC");
    let kept = h.task(TaskKind::Reminder, json!({ "title": "kept" }), hourly, |_| {}).await;
    let lost = h.task(TaskKind::Reminder, json!({ "title": "lost" }), hourly, |_| {}).await;
    h.dispatch_at(utc("2027-01-01T00:00:00Z")).await;

    // A worker claims both with a lease (the fallback path), then stalls; it keeps one lease
    // alive, the other lapses and another worker sends that reminder.
    let slow = h.worker();
    let claimed = slow.claim(4).await.unwrap();
    assert_eq!(claimed.len(), 2);
    let kept_run = claimed.iter().find(|r| r.task_id == kept.id).unwrap().id;
    h.clock.advance(secs(LEASE.as_secs() as i64 + 1));
    let until = h.now() + secs(60);
    assert!(
        posey_cron::db::runs::heartbeat(&h.db.pool, kept_run, slow.owner(), until).await.unwrap()
    );
    let other = h.worker().run_ready().await.unwrap();
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].1, Some(RunStatus::Succeeded));

    let done = slow.finish_claimed(claimed).await;
    assert!(done.contains(&(kept_run, Some(RunStatus::Succeeded))), "{done:?}");
    assert!(done.iter().any(|(_, s)| s.is_none()), "the lost one is not done here: {done:?}");
    let kept_row = h.runs(kept.id).await.remove(0);
    assert_eq!((kept_row.status, kept_row.attempts), (RunStatus::Succeeded, 1));
    let lost_row = h.runs(lost.id).await.remove(0);
    assert_eq!((lost_row.status, lost_row.attempts), (RunStatus::Succeeded, 2));
    let notified: Vec<(String, i64)> = sqlx::query_as(
        "SELECT title, count(*) FROM cron.notifications GROUP BY title ORDER BY title",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(notified, [("kept".to_owned(), 1), ("lost".to_owned(), 1)]);
}

#[tokio::test]
async fn dispatch_reminders_in_one_statement_keep_their_texts_and_one_without_owner_dead_letters() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let hourly = ("cron", "0 0 * * * *", "UTC");
    let full = json!({ "title": "Renew", "body": "the passport", "data": { "k": 1 } });
    let full = h.task(TaskKind::Reminder, full, hourly, |_| {}).await;
    // A non-string title falls back to the task's name.
    let bare = h.task(TaskKind::Reminder, json!({ "title": 7 }), hourly, |_| {}).await;
    let orphan = h
        .task(TaskKind::Reminder, json!({ "title": "nobody's" }), hourly, |t| {
            t.user_id = None;
            t.max_attempts = 1;
        })
        .await;
    h.dispatch_at(utc("2027-01-01T00:00:00Z")).await;
    let done = h.worker().run_ready().await.unwrap();
    assert_eq!(done.len(), 3);

    let rows: Vec<(uuid::Uuid, uuid::Uuid, String, String, serde_json::Value)> = sqlx::query_as(
        "SELECT task_id, user_id, title, body, data FROM cron.notifications ORDER BY title",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0],
        (full.id, full.user_id.unwrap(), "Renew".into(), "the passport".into(), json!({ "k": 1 }))
    );
    assert_eq!(
        rows[1],
        (bare.id, bare.user_id.unwrap(), "test task".into(), String::new(), json!({}))
    );
    let run = h.runs(full.id).await.remove(0);
    assert_eq!((run.status, run.attempts), (RunStatus::Succeeded, 1));
    assert_eq!(run.started_at, Some(h.now()));
    assert_eq!(
        run.output.unwrap()["scheduled_for"].as_str().unwrap()[..19],
        *"2027-01-01T00:00:00"
    );
    let run = h.runs(orphan.id).await.remove(0);
    assert_eq!(run.status, RunStatus::Dead);
    assert!(run.error.unwrap().contains("needs the task's owner"));
}

#[tokio::test]
async fn dispatch_a_stored_zone_that_is_not_one_is_an_error_naming_it_never_utc() {
    let h = Harness::at("2027-03-01T07:30:00Z").await;
    let task = h
        .task(
            TaskKind::Reminder,
            json!({ "title": "t" }),
            ("cron", "0 30 7 * * *", "Europe/Berlin"),
            |t| {
                t.next_run_at = Some(utc("2027-03-01T07:30:00Z"));
            },
        )
        .await;
    // A row edited by hand: the API never stores a name that is not a zone.
    sqlx::query("UPDATE cron.tasks SET time_zone = 'Mars/Olympus' WHERE id = $1")
        .bind(task.id)
        .execute(&h.db.pool)
        .await
        .unwrap();

    // Reading the task is an error naming the zone, not a task in UTC.
    let error = posey_cron::db::tasks::find(&h.db.pool, task.id).await.unwrap_err();
    assert!(error.to_string().contains("\"Mars/Olympus\""), "{error}");
    let user = task.user_id.unwrap();
    let error = posey_cron::db::tasks::list_for_user(&h.db.pool, user, 10, 0).await.unwrap_err();
    assert!(error.to_string().contains("\"Mars/Olympus\""), "{error}");

    // The dispatcher runs what was due, once, and stops the task there instead of moving it on
    // in UTC (07:30 UTC tomorrow) or any other zone.
    assert_eq!(h.dispatch_at(utc("2027-03-01T07:30:01Z")).await, 1);
    let next: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT next_run_at FROM cron.tasks WHERE id = $1")
            .bind(task.id)
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert_eq!(next, None);

    // Pausing reads it too. (Last: its failed transaction holds the task's row lock until the
    // connection rolls it back, which a dispatch would skip.)
    let error = posey_cron::pausing::pause(&h.db.pool, user, task.id, h.now()).await.unwrap_err();
    assert!(format!("{error:#}").contains("\"Mars/Olympus\""), "{error:#}");
}
