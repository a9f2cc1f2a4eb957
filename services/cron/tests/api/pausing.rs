//! Pause and resume on real Postgres with a manual clock: runs not yet started are cancelled,
//! nothing of the paused window is replayed, retries of a run already begun wait for the
//! resume, a one-off missed while paused follows the misfire policy, a pause racing a
//! dispatch cancels what that dispatch recorded, and deleting a task while a worker finishes
//! one of its runs neither deadlocks nor fails.

use std::time::Duration;

use axum::http::StatusCode;
use posey_cron::db::{self, MisfirePolicy, RunStatus, Task, TaskKind};
use posey_cron::pausing::{self, CANCELLED_BY_PAUSE};
use serde_json::json;

use crate::helpers::spawn_authed_app;
use crate::scheduler::{Harness, Receiver, utc};

async fn pause(h: &Harness, task: &Task) -> u64 {
    pausing::pause(&h.db.pool, task.user_id.unwrap(), task.id, h.now())
        .await
        .unwrap()
        .unwrap()
        .cancelled
}

async fn resume(h: &Harness, task: &Task) -> Task {
    pausing::resume(&h.db.pool, task.user_id.unwrap(), task.id, h.now()).await.unwrap().unwrap()
}

/// Each run's scheduled time (RFC 3339) and status, oldest first.
async fn history(h: &Harness, task: &Task) -> Vec<(String, RunStatus)> {
    h.runs(task.id).await.into_iter().map(|r| (r.scheduled_for.to_rfc3339(), r.status)).collect()
}

#[tokio::test]
async fn pause_cancels_pending_runs_and_resume_does_not_replay_the_pause() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let every_minute = ("cron", "0 * * * * *", "UTC");
    let mut tasks = Vec::new();
    for policy in [MisfirePolicy::RunOnce, MisfirePolicy::RunAll, MisfirePolicy::Skip] {
        tasks.push(
            h.task(TaskKind::Reminder, json!({ "title": "t" }), every_minute, |t| {
                t.misfire_policy = policy;
            })
            .await,
        );
    }
    assert_eq!(h.dispatch_at(utc("2027-01-01T00:00:00Z")).await, 3);

    // Paused before any worker got to the runs: they are cancelled, and no worker runs them.
    h.clock.set(utc("2027-01-01T00:00:10Z"));
    for task in &tasks {
        assert_eq!(pause(&h, task).await, 1);
        let run = h.runs(task.id).await.remove(0);
        assert_eq!(run.status, RunStatus::Skipped);
        assert_eq!(run.error.as_deref(), Some(CANCELLED_BY_PAUSE));
        assert_eq!(run.finished_at, Some(h.now()));
        // Pausing twice changes nothing.
        assert_eq!(pause(&h, task).await, 0);
    }
    assert!(h.worker().run_ready().await.unwrap().is_empty());

    // Nothing is dispatched while paused.
    assert_eq!(h.dispatch_at(utc("2027-01-01T00:05:00Z")).await, 0);

    // Resumed half-way through a minute: the next run is the next minute, whatever the misfire
    // policy; the five minutes of the pause are not replayed.
    h.clock.set(utc("2027-01-01T00:05:30Z"));
    for task in &tasks {
        let resumed = resume(&h, task).await;
        assert!(!resumed.paused);
        assert_eq!(resumed.next_run_at, Some(utc("2027-01-01T00:06:00Z")));
    }
    assert_eq!(h.dispatch_at(utc("2027-01-01T00:05:30Z")).await, 0);
    assert_eq!(h.dispatch_at(utc("2027-01-01T00:06:00Z")).await, 3);
    let done = h.worker().run_ready().await.unwrap();
    assert_eq!(done.len(), 3);
    assert!(done.iter().all(|(_, s)| *s == Some(RunStatus::Succeeded)), "{done:?}");
    for task in &tasks {
        assert_eq!(
            history(&h, task).await,
            [
                ("2027-01-01T00:00:00+00:00".to_owned(), RunStatus::Skipped),
                ("2027-01-01T00:06:00+00:00".to_owned(), RunStatus::Succeeded),
            ]
        );
    }
    // One notification per task: the one after the resume.
    let notified: i64 = sqlx::query_scalar("SELECT count(*) FROM cron.notifications")
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    assert_eq!(notified, 3);
}

#[tokio::test]
async fn retries_of_a_run_begun_before_the_pause_wait_for_the_resume() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    // The first attempt fails; the receiver is fixed after that.
    let receiver = Receiver::start(|n| {
        let status = if n == 0 { StatusCode::BAD_GATEWAY } else { StatusCode::OK };
        (Duration::ZERO, status)
    })
    .await;
    let task = h.webhook_task(&receiver.url, |_| {}).await;
    h.dispatch_at(utc("2027-01-01T00:00:00Z")).await;
    let worker = h.worker();
    assert_eq!(worker.run_ready().await.unwrap()[0].1, Some(RunStatus::Retrying));

    assert_eq!(pause(&h, &task).await, 0, "a retrying run has begun: held, not cancelled");
    // Long past the backoff, still nothing runs while paused.
    h.clock.set(utc("2027-01-01T00:10:00Z"));
    assert!(worker.run_ready().await.unwrap().is_empty());
    assert_eq!(receiver.calls().len(), 1);

    resume(&h, &task).await;
    assert_eq!(worker.run_ready().await.unwrap()[0].1, Some(RunStatus::Succeeded));
    assert_eq!(receiver.calls().len(), 2);
    let runs = h.runs(task.id).await;
    assert_eq!((runs.len(), runs[0].attempts), (1, 2));
}

#[tokio::test]
async fn a_one_off_missed_while_paused_follows_the_misfire_policy() {
    let h = Harness::at("2027-03-01T09:00:00Z").await;
    let once = ("once", "2027-03-03T09:00:00Z", "UTC");
    let run_once = h.task(TaskKind::Reminder, json!({ "title": "passport" }), once, |_| {}).await;
    let skip = h
        .task(TaskKind::Reminder, json!({ "title": "passport" }), once, |t| {
            t.misfire_policy = MisfirePolicy::Skip;
        })
        .await;
    // Due and recorded, but paused before it started: cancelled.
    let dispatched_then_paused = h
        .task(TaskKind::Reminder, json!({ "title": "passport" }), once, |t| {
            t.misfire_policy = MisfirePolicy::RunAll;
        })
        .await;
    pause(&h, &run_once).await;
    pause(&h, &skip).await;
    h.clock.set(utc("2027-03-03T09:00:00Z"));
    assert_eq!(h.dispatcher().dispatch_due().await.unwrap().runs, 1);
    assert_eq!(pause(&h, &dispatched_then_paused).await, 1);

    // Resumed two days after its time: the person still wants it, once, now — unless `skip`.
    h.clock.set(utc("2027-03-05T12:00:00Z"));
    assert_eq!(resume(&h, &run_once).await.next_run_at, Some(h.now()));
    assert_eq!(resume(&h, &dispatched_then_paused).await.next_run_at, Some(h.now()));
    assert_eq!(resume(&h, &skip).await.next_run_at, None);
    assert_eq!(h.dispatcher().dispatch_due().await.unwrap().runs, 2);
    assert_eq!(h.worker().run_ready().await.unwrap().len(), 2);
    let at = |s: &str| s.to_owned();
    assert_eq!(
        history(&h, &run_once).await,
        [(at("2027-03-05T12:00:00+00:00"), RunStatus::Succeeded)]
    );
    assert_eq!(
        history(&h, &dispatched_then_paused).await,
        [
            (at("2027-03-03T09:00:00+00:00"), RunStatus::Skipped),
            (at("2027-03-05T12:00:00+00:00"), RunStatus::Succeeded),
        ]
    );
    assert!(history(&h, &skip).await.is_empty());
    for task in [&run_once, &dispatched_then_paused] {
        assert_eq!(h.task_row(task.id).await.next_run_at, None, "a one-off runs once");
    }

    // A one-off that already ran is not run again by a pause and resume.
    pause(&h, &run_once).await;
    h.clock.set(utc("2027-03-06T12:00:00Z"));
    assert_eq!(resume(&h, &run_once).await.next_run_at, None);
}

#[tokio::test]
async fn a_pause_racing_a_dispatch_cancels_what_the_dispatch_recorded() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let task = h.task(TaskKind::Reminder, json!({}), ("cron", "0 0 * * * *", "UTC"), |_| {}).await;
    // A dispatcher in the middle of its transaction: the task locked, its run recorded.
    let mut dispatch = h.db.pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM cron.tasks WHERE id = $1 FOR UPDATE")
        .bind(task.id)
        .execute(&mut *dispatch)
        .await
        .unwrap();
    sqlx::query("INSERT INTO cron.runs (task_id, scheduled_for, available_at) VALUES ($1, $2, $2)")
        .bind(task.id)
        .bind(h.now())
        .execute(&mut *dispatch)
        .await
        .unwrap();
    let pool = h.db.pool.clone();
    let (user, id, now) = (task.user_id.unwrap(), task.id, h.now());
    let pausing = tokio::spawn(async move { pausing::pause(&pool, user, id, now).await });
    // The pause waits for the task's lock, so it sees the run once the dispatch commits.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!pausing.is_finished(), "the pause waits for the dispatcher's lock");
    dispatch.commit().await.unwrap();
    let paused = pausing.await.unwrap().unwrap().unwrap();
    assert_eq!(paused.cancelled, 1);
    assert_eq!(history(&h, &task).await[0].1, RunStatus::Skipped);
}

#[tokio::test]
async fn deleting_a_task_while_a_worker_finishes_its_run_does_not_deadlock() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let task = h.task(TaskKind::Reminder, json!({}), ("cron", "0 0 * * * *", "UTC"), |_| {}).await;
    let user = task.user_id.unwrap();
    let run: i64 = sqlx::query_scalar(
        "INSERT INTO cron.runs (task_id, scheduled_for, available_at, status, lease_owner) \
         VALUES ($1, $2, $2, 'running', 'w') RETURNING id",
    )
    .bind(task.id)
    .bind(h.now())
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    // A reminder worker in the middle of its statement: the run marked done (its row locked)...
    let mut worker = h.db.pool.begin().await.unwrap();
    sqlx::query("UPDATE cron.runs SET status = 'succeeded' WHERE id = $1")
        .bind(run)
        .execute(&mut *worker)
        .await
        .unwrap();
    let pool = h.db.pool.clone();
    let deleting =
        tokio::spawn(async move { db::tasks::delete_for_user(&pool, user, task.id).await });
    // ...while the delete waits for a lock...
    let mut waits = 0;
    while waits < 100 {
        let waiting: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity \
             WHERE wait_event_type = 'Lock' AND datname = current_database())",
        )
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
        if waiting {
            break;
        }
        waits += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(waits < 100, "the delete never waited for the worker's lock");
    // ...then its notification, which references the task and the run.
    sqlx::query(
        "INSERT INTO cron.notifications (id, user_id, title, task_id, run_id) \
         VALUES (gen_random_uuid(), $1, 't', $2, $3)",
    )
    .bind(user)
    .bind(task.id)
    .bind(run)
    .execute(&mut *worker)
    .await
    .expect("the worker's notification is not the victim of a deadlock");
    worker.commit().await.unwrap();
    assert!(deleting.await.unwrap().expect("the delete succeeds"));
    assert!(h.runs(task.id).await.is_empty());
}

#[tokio::test]
async fn run_now_on_a_paused_task_is_refused_through_the_api() {
    let app = spawn_authed_app().await;
    let (_, token) = app.person();
    let task = app
        .create_task(
            &token,
            &json!({
                "name": "stretch",
                "kind": "reminder",
                "payload": {"title": "Stretch"},
                "schedule": {"kind": "cron", "spec": "0 30 7 * * *"},
            }),
        )
        .await;
    let id = task["id"].as_str().unwrap();
    let paused = app.post_as(&format!("/v1/tasks/{id}/pause"), &token, &json!({})).await;
    assert_eq!(paused.status(), 200);
    let response = app.post_as(&format!("/v1/tasks/{id}/run"), &token, &json!({})).await;
    assert_eq!(response.status(), 409);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("paused"), "{body}");
    let resumed = app.post_as(&format!("/v1/tasks/{id}/resume"), &token, &json!({})).await;
    assert_eq!(resumed.status(), 200);
    let response = app.post_as(&format!("/v1/tasks/{id}/run"), &token, &json!({})).await;
    assert_eq!(response.status(), 202);
}
