//! Webhooks may not reach loopback, private, link-local or other non-public addresses unless
//! the operator allows them (`CRON_WEBHOOK_ALLOW`): refused at creation for IP literals and
//! local names, and again on the address each run actually connects to, with a reason in run
//! history that says nothing about what was there.

use std::time::Duration;

use axum::http::{StatusCode, header};
use posey_cron::db::{self, NewTask, RunStatus, TaskKind};
use posey_cron::jobs::webhook::REFUSED;
use posey_cron::worker::WorkerSettings;
use serde_json::{Value, json};

use crate::helpers::{spawn_authed_app, spawn_authed_app_with};
use crate::scheduler::{Harness, LEASE, Receiver, utc};

fn ok(_: usize) -> (Duration, StatusCode) {
    (Duration::ZERO, StatusCode::OK)
}

fn webhook(url: &str) -> Value {
    json!({
        "name": "ping",
        "kind": "webhook",
        "payload": {"url": url},
        "schedule": {"kind": "cron", "spec": "0 0 9 * * *"},
    })
}

fn port_of(url: &str) -> u16 {
    url::Url::parse(url).unwrap().port().unwrap()
}

fn one_worker() -> WorkerSettings {
    WorkerSettings::new(1, LEASE, Duration::from_millis(50))
}

#[tokio::test]
async fn private_destinations_are_422s_naming_payload_url() {
    let app = spawn_authed_app().await;
    let (_, token) = app.person();
    let refused = [
        "http://127.0.0.1:8090/",
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0:5432/",
        "http://[::]/",
        "http://0x7f000001/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[64:ff9b::127.0.0.1]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://localhost:9000/",
        "http://api.localhost/",
    ];
    for url in refused {
        let response = app.post_as("/v1/tasks", &token, &webhook(url)).await;
        assert_eq!(response.status(), 422, "{url}");
        let body: Value = response.json().await.unwrap();
        let message = body["error"]["fields"]["payload.url"][0].as_str().unwrap_or_default();
        assert!(message.contains("private address"), "{url}: {body}");
    }
    // Changing a task's URL is checked the same way.
    let task = app.create_task(&token, &webhook("https://example.test/hook")).await;
    let id = task["id"].as_str().unwrap();
    let response = app
        .patch_as(
            &format!("/v1/tasks/{id}"),
            &token,
            &json!({"payload": {"url": "http://169.254.169.254/"}}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["fields"]["payload.url"].is_array(), "{body}");
}

#[tokio::test]
async fn the_allow_list_opens_a_trusted_internal_host() {
    let app =
        spawn_authed_app_with(&[("CRON_WEBHOOK_ALLOW", "127.0.0.1:9000, hooks.internal".into())])
            .await;
    let (_, token) = app.person();
    for url in ["http://127.0.0.1:9000/hook", "http://hooks.internal/hook"] {
        app.create_task(&token, &webhook(url)).await;
    }
    // Only that port.
    let response = app.post_as("/v1/tasks", &token, &webhook("http://127.0.0.1:9001/")).await;
    assert_eq!(response.status(), 422);
}

/// The URLs a person could not create (or whose name resolved elsewhere when created), as
/// stored tasks: each run is refused on the address it would connect to, and the receiver
/// listening there never hears of it.
#[tokio::test]
async fn runs_to_refused_addresses_never_connect_and_record_a_generic_reason() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let receiver = Receiver::start(ok).await;
    let port = port_of(&receiver.url);
    let urls = [
        // A name that resolves to loopback now, whatever it resolved to at creation.
        format!("http://localhost:{port}/hook"),
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://2130706433:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
    ];
    let mut tasks = Vec::new();
    for url in &urls {
        tasks.push(h.webhook_task(url, |_| {}).await);
    }
    h.dispatch_at(utc("2027-01-01T00:00:00Z")).await;
    // The operator trusts loopback on another port only.
    let worker = h.worker_allowing(one_worker(), "127.0.0.1:1");
    let mut done = Vec::new();
    while done.len() < urls.len() {
        let ran = worker.run_ready().await.unwrap();
        assert!(!ran.is_empty(), "runs left unrun: {done:?}");
        done.extend(ran);
    }
    for (task, url) in tasks.iter().zip(&urls) {
        let run = &h.runs(task.id).await[0];
        assert_eq!(run.status, RunStatus::Retrying, "{url}");
        assert_eq!(run.error.as_deref(), Some(REFUSED), "{url}");
    }
    assert!(receiver.calls().is_empty(), "a refused destination was called");
}

#[tokio::test]
async fn allow_listed_loopback_receivers_still_get_their_calls() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let receiver = Receiver::start(ok).await;
    let port = port_of(&receiver.url);
    let by_name = h.webhook_task(&format!("http://localhost:{port}/hook"), |_| {}).await;
    let by_address = h.webhook_task(&receiver.url, |_| {}).await;
    h.dispatch_at(utc("2027-01-01T00:00:00Z")).await;
    let worker = h.worker_allowing(one_worker(), &format!("localhost:{port},127.0.0.1:{port}"));
    let mut done = Vec::new();
    while done.len() < 2 {
        done.extend(worker.run_ready().await.unwrap());
    }
    for task in [by_name, by_address] {
        assert_eq!(h.runs(task.id).await[0].status, RunStatus::Succeeded);
    }
    assert_eq!(receiver.calls().len(), 2);
}

/// A receiver that answers every call with a redirect to `location`.
async fn redirector(location: String) -> String {
    let app = axum::Router::new().fallback(move || {
        let location = location.clone();
        async move { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, location)]) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn a_redirect_from_an_allowed_receiver_to_a_refused_address_is_not_followed() {
    let h = Harness::at("2027-01-01T00:00:00Z").await;
    let inside = Receiver::start(ok).await;
    let allowed = redirector(inside.url.clone()).await;
    let task = h.webhook_task(&allowed, |_| {}).await;
    h.dispatch_at(utc("2027-01-01T00:00:00Z")).await;
    // Only the redirecting receiver is trusted.
    let worker = h.worker_allowing(one_worker(), &format!("127.0.0.1:{}", port_of(&allowed)));
    worker.run_ready().await.unwrap();
    let run = &h.runs(task.id).await[0];
    assert_eq!(run.status, RunStatus::Retrying);
    assert_eq!(run.error.as_deref(), Some("webhook answered 307 Temporary Redirect"));
    assert!(inside.calls().is_empty(), "the redirect was followed");
}

/// Through the API: a stored task whose name now resolves to loopback (as after DNS
/// rebinding) runs on the real service with the default policy; its run history shows only
/// the generic reason.
#[tokio::test]
async fn run_history_of_a_refused_webhook_says_only_that_it_was_refused() {
    let app = spawn_authed_app().await;
    let (person, token) = app.person();
    let receiver = Receiver::start(ok).await;
    let url = format!("http://localhost:{}/hook", port_of(&receiver.url));
    let payload = json!({ "url": url, "secret": "s3cret" });
    let new = NewTask::new(
        Some(person),
        "rebound",
        TaskKind::Webhook,
        payload,
        "once",
        "2099-01-01T00:00:00Z",
        posey_domain::TimeZone::UTC,
    );
    let task = db::tasks::insert(&app.db.pool, &new, chrono::Utc::now()).await.unwrap();
    let response = app.post_as(&format!("/v1/tasks/{}/run", task.id), &token, &json!({})).await;
    assert_eq!(response.status(), 202);

    let mut error = Value::Null;
    for _ in 0..100 {
        let runs: Value =
            app.get_as(&format!("/v1/tasks/{}/runs", task.id), &token).await.json().await.unwrap();
        error = runs["runs"][0]["error"].clone();
        if !error.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(error, json!(REFUSED));
    assert!(receiver.calls().is_empty());
}
