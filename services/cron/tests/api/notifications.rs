//! Notifications: the list, marking read, the SSE stream, push subscriptions and delivery by
//! email (through a real SMTP server) with retries.

use std::time::Duration;

use posey_cron::notifications::{self, Channels, NewNotification};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{CronApp, spawn_authed_app, spawn_authed_app_with};

/// A notification queued on the in-app stream (and Web Push) only.
async fn notify(db: &PgPool, user_id: Uuid, title: &str) -> Uuid {
    notify_on(db, Channels::default(), user_id, title).await
}

/// A notification queued on `channels` too.
async fn notify_on(db: &PgPool, channels: Channels, user_id: Uuid, title: &str) -> Uuid {
    let mut tx = db.begin().await.unwrap();
    let data = json!({"k": 1});
    let new = NewNotification {
        user_id,
        title,
        body: "the body",
        data: &data,
        task_id: None,
        run_id: None,
        key: None,
    };
    let id = notifications::create(&mut tx, channels, &new).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn a_person_lists_and_marks_read_only_their_own() {
    let app = spawn_authed_app().await;
    let (alice, alice_token) = app.person();
    let (bob, bob_token) = app.person();
    let first = notify(&app.db.pool, alice, "one").await;
    notify(&app.db.pool, alice, "two").await;
    let bobs = notify(&app.db.pool, bob, "bob's").await;

    let list: Value = app.get_as("/v1/notifications", &alice_token).await.json().await.unwrap();
    let titles: Vec<&str> = list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["two", "one"]);

    let response =
        app.post_as(&format!("/v1/notifications/{first}/read"), &alice_token, &json!({})).await;
    assert_eq!(response.status(), 200);
    let unread: Value =
        app.get_as("/v1/notifications?unread=true", &alice_token).await.json().await.unwrap();
    assert_eq!(unread["notifications"].as_array().unwrap().len(), 1);
    let page: Value =
        app.get_as("/v1/notifications?limit=1", &alice_token).await.json().await.unwrap();
    let before = page["next_before"].as_str().unwrap();
    let next: Value = app
        .get_as(
            &format!("/v1/notifications?limit=1&before={}", before.replace('+', "%2B")),
            &alice_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["notifications"][0]["title"], "one");

    // Bob can neither see nor touch Alice's, nor Alice Bob's.
    let response =
        app.post_as(&format!("/v1/notifications/{first}/read"), &bob_token, &json!({})).await;
    assert_eq!(response.status(), 404);
    let response =
        app.post_as(&format!("/v1/notifications/{bobs}/read"), &alice_token, &json!({})).await;
    assert_eq!(response.status(), 404);
    let read_all: Value = app
        .post_as("/v1/notifications/read-all", &alice_token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read_all["updated"], 1);
    let bob_unread: Value =
        app.get_as("/v1/notifications?unread=true", &bob_token).await.json().await.unwrap();
    assert_eq!(bob_unread["notifications"].as_array().unwrap().len(), 1);
}

/// Reads the stream until an event with `needle` arrives (or panics after `timeout`); returns
/// everything read.
async fn read_until(response: &mut reqwest::Response, needle: &str, timeout: Duration) -> String {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + timeout;
    while !text.contains(needle) {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in the stream within {timeout:?}: {text}"))
            .unwrap()
            .expect("the stream ended");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

#[tokio::test]
async fn the_stream_carries_a_persons_new_notifications_only() {
    let app = spawn_authed_app().await;
    let (alice, alice_token) = app.person();
    let (bob, _) = app.person();
    let mut stream = app.get_as("/v1/notifications/stream", &alice_token).await;
    assert_eq!(stream.status(), 200);
    assert!(stream.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));

    notify(&app.db.pool, bob, "for bob").await;
    let id = notify(&app.db.pool, alice, "for alice").await;
    let text = read_until(&mut stream, "for alice", Duration::from_secs(10)).await;
    assert!(text.contains("event: notification"), "{text}");
    assert!(text.contains(&format!("id: {id}")), "{text}");
    assert!(!text.contains("for bob"), "{text}");

    // A reconnect with Last-Event-ID catches up on what it missed.
    drop(stream);
    let missed = notify(&app.db.pool, alice, "while away").await;
    let mut again = app
        .request(reqwest::Method::GET, "/v1/notifications/stream", &alice_token)
        .header("Last-Event-ID", id.to_string())
        .send()
        .await
        .unwrap();
    let text = read_until(&mut again, "while away", Duration::from_secs(10)).await;
    assert!(text.contains(&missed.to_string()) && !text.contains("for alice"), "{text}");
}

#[tokio::test]
async fn push_subscriptions_are_checked_and_owned() {
    let app = spawn_authed_app().await;
    let (alice, alice_token) = app.person();
    let (_, bob_token) = app.person();
    let p256dh = format!("BA{}", "A".repeat(85)); // 65 bytes, starting 0x04
    let auth = "AAAAAAAAAAAAAAAAAAAAAA"; // 16 bytes
    let bad = app
        .post_as(
            "/v1/push/subscriptions",
            &alice_token,
            &json!({"endpoint": "http://push.test/x", "keys": {"p256dh": "short", "auth": "!!"}}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let fields = bad.json::<Value>().await.unwrap()["error"]["fields"].clone();
    for field in ["endpoint", "keys.p256dh", "keys.auth"] {
        assert!(fields.get(field).is_some(), "{field}: {fields}");
    }
    let response = app
        .post_as(
            "/v1/push/subscriptions",
            &alice_token,
            &json!({"endpoint": "https://push.test/x", "keys": {"p256dh": p256dh, "auth": auth}}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

    // A notification queues a web push, which fails plainly (no VAPID key here) and stays failed;
    // the notification itself stays.
    let notification = notify(&app.db.pool, alice, "pushed").await;
    let (status, error) = wait_for_attempt(&app.db.pool, notification, "web_push").await;
    assert_eq!(status, "failed");
    assert!(error.contains("web push is not configured"), "{error}");
    assert_eq!(app.get("/v1/push/vapid-public-key").await.status(), 404);

    let path = format!("/v1/push/subscriptions/{id}");
    assert_eq!(app.delete_as(&path, &bob_token).await.status(), 404);
    assert_eq!(app.delete_as(&path, &alice_token).await.status(), 204);
}

/// Waits for the first attempt of `notification`'s `channel` delivery; its (status, last_error).
async fn wait_for_attempt(db: &PgPool, notification: Uuid, channel: &str) -> (String, String) {
    for _ in 0..100 {
        let row: Option<(String, i32, Option<String>)> = sqlx::query_as(
            "SELECT status, attempts, last_error FROM cron.deliveries \
             WHERE notification_id = $1 AND channel = $2",
        )
        .bind(notification)
        .bind(channel)
        .fetch_optional(db)
        .await
        .unwrap();
        if let Some((status, attempts, error)) = row
            && attempts > 0
        {
            return (status, error.unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {channel} delivery attempt for {notification}");
}

async fn person_with_email(db: &PgPool, email: &str) -> Uuid {
    let id = Uuid::new_v4();
    add_email(db, id, email).await;
    id
}

/// The person's row in auth's table, where cron finds their address.
async fn add_email(db: &PgPool, id: Uuid, email: &str) {
    sqlx::query("INSERT INTO auth.users (id, email) VALUES ($1, $2)")
        .bind(id)
        .bind(email)
        .execute(db)
        .await
        .unwrap();
}

/// Creates a reminder for `token`'s person through the API, runs it now and waits for the
/// service's own worker to finish it; returns the notification the run created.
async fn remind_now(app: &CronApp, token: &str, title: &str) -> Uuid {
    let task = app
        .create_task(
            token,
            &json!({
                "name": "passport",
                "kind": "reminder",
                "payload": {"title": title, "body": "the body"},
                "schedule": {"kind": "cron", "spec": "0 0 9 1 1 *"},
            }),
        )
        .await;
    let id = task["id"].as_str().unwrap();
    let response = app.post_as(&format!("/v1/tasks/{id}/run"), token, &json!({})).await;
    assert_eq!(response.status(), 202);
    let run_id = response.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    for _ in 0..150 {
        let notification: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM cron.notifications WHERE run_id = $1")
                .bind(run_id)
                .fetch_optional(&app.db.pool)
                .await
                .unwrap();
        if let Some(notification) = notification {
            return notification;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the reminder's run {run_id} never notified");
}

#[tokio::test]
async fn a_reminder_is_emailed_through_smtp_when_smtp_is_configured() {
    let app = spawn_authed_app_with(&[
        ("SMTP_URL", posey_testkit::mail::smtp_url()),
        ("CRON_SMTP_FROM", "Posey <cron@posey.test>".into()),
    ])
    .await;
    let (user, token) = app.person();
    let email = format!("{}@example.test", Uuid::new_v4());
    add_email(&app.db.pool, user, &email).await;
    // The service's worker creates the notification with the channels its configuration set.
    let notification = remind_now(&app, &token, "Renew the passport").await;

    let mail =
        posey_testkit::mail::Mailbox::from_env().wait_for(&email, Duration::from_secs(15)).await;
    assert_eq!(mail.subject, "Renew the passport");
    assert!(mail.body.contains("the body"), "{}", mail.body);
    let (status, _) = wait_for_attempt(&app.db.pool, notification, "email").await;
    assert_eq!(status, "delivered");
}

#[tokio::test]
async fn no_email_is_attempted_when_smtp_is_not_configured() {
    // Another test's service in this process has SMTP; this one must not be affected by it.
    let _with_smtp = spawn_authed_app_with(&[("SMTP_URL", posey_testkit::mail::smtp_url())]).await;
    let app = spawn_authed_app().await;
    let (user, token) = app.person();
    let email = format!("{}@example.test", Uuid::new_v4());
    add_email(&app.db.pool, user, &email).await;
    let notification = remind_now(&app, &token, "Stays in the app").await;

    let channels: Vec<String> =
        sqlx::query_scalar("SELECT channel FROM cron.deliveries WHERE notification_id = $1")
            .bind(notification)
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert!(channels.is_empty(), "no delivery was queued: {channels:?}");
    let listed: Value = app.get_as("/v1/notifications", &token).await.json().await.unwrap();
    assert_eq!(listed["notifications"][0]["title"], "Stays in the app");
}

#[tokio::test]
async fn a_failing_channel_keeps_the_notification_and_retries() {
    let closed = posey_testkit::free_port();
    let app = spawn_authed_app_with(&[("SMTP_URL", format!("smtp://127.0.0.1:{closed}"))]).await;
    let email = format!("{}@example.test", Uuid::new_v4());
    let user = person_with_email(&app.db.pool, &email).await;
    let notification = notify_on(&app.db.pool, Channels { email: true }, user, "Unsendable").await;

    let (status, error) = wait_for_attempt(&app.db.pool, notification, "email").await;
    assert_eq!(status, "pending", "a connection failure is retried");
    assert!(!error.is_empty());
    let retry_in: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM next_attempt_at - now())::float8 FROM cron.deliveries \
         WHERE notification_id = $1",
    )
    .bind(notification)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(retry_in > 10.0, "the retry waits: {retry_in}s");
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM cron.notifications WHERE id = $1")
        .bind(notification)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(kept, 1);
}

#[tokio::test]
async fn an_auth_email_whose_delivery_failed_is_retried() {
    let app = spawn_authed_app_with(&[("SMTP_URL", posey_testkit::mail::smtp_url())]).await;
    let address = format!("{}@example.test", Uuid::new_v4());
    // What the auth service leaves when its own SMTP attempt failed, long enough ago.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO auth.outbox (recipient, subject, body, kind, attempts, last_error, created_at) \
         VALUES ($1, 'Confirm your signup', 'the link', 'signup', 1, 'connection refused', \
                 now() - interval '5 minutes') RETURNING id",
    )
    .bind(&address)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    // One auth never tried (outbox-only mode) is not sent by cron.
    let untried = format!("{}@example.test", Uuid::new_v4());
    sqlx::query(
        "INSERT INTO auth.outbox (recipient, subject, body, kind, created_at) \
         VALUES ($1, 's', 'b', 'signup', now() - interval '5 minutes')",
    )
    .bind(&untried)
    .execute(&app.db.pool)
    .await
    .unwrap();

    let mailbox = posey_testkit::mail::Mailbox::from_env();
    let mail = mailbox.wait_for(&address, Duration::from_secs(15)).await;
    assert_eq!(mail.subject, "Confirm your signup");
    // The row is updated in the transaction that claimed it, committed after the send.
    let mut recorded = (0, false);
    for _ in 0..50 {
        recorded =
            sqlx::query_as("SELECT attempts, sent_at IS NOT NULL FROM auth.outbox WHERE id = $1")
                .bind(id)
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        if recorded.1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(recorded, (2, true));
    assert!(mailbox.all_for(&untried).is_empty());
}

/// A token from auth's client-credentials grant, as auth mints it for the agents service.
fn agents_service_token(app: &CronApp) -> String {
    let mut claims = posey_testkit::TestKeys::claims_for("service:agents");
    claims["role"] = json!("service_role");
    claims["client_id"] = json!("agents");
    claims["scope"] = json!("cron:act-for-person");
    app.keys.signing_key().sign(&claims)
}

async fn hand_over(app: &CronApp, token: &str, person: Uuid, body: &Value) -> reqwest::Response {
    app.client
        .post(format!("{}/v1/notifications", app.address))
        .bearer_auth(token)
        .header("x-posey-person", person.to_string())
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_service_hands_over_a_notice_once_per_key_and_it_is_emailed() {
    let app = spawn_authed_app_with(&[
        ("SMTP_URL", posey_testkit::mail::smtp_url()),
        ("CRON_SMTP_FROM", "Posey <cron@posey.test>".into()),
    ])
    .await;
    let (ada, ada_token) = app.person();
    let (_, bob_token) = app.person();
    let email = format!("{}@example.test", Uuid::new_v4());
    add_email(&app.db.pool, ada, &email).await;
    let service = agents_service_token(&app);
    let notice = json!({
        "key": "calendar-alarm:1:2:3",
        "title": "Dentist",
        "body": "Thu 19 Mar, 09:00–10:00 CET · Main St 1",
        "data": {"kind": "calendar_alarm", "uid": "d@t"},
    });

    let mut stream = app
        .client
        .get(format!("{}/v1/notifications/stream", app.address))
        .bearer_auth(&ada_token)
        .send()
        .await
        .unwrap();
    let first = hand_over(&app, &service, ada, &notice).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["created"], true);
    assert_eq!(first["notification"]["title"], "Dentist");
    assert_eq!(first["notification"]["data"]["uid"], "d@t");
    // On the person's stream, as any notification.
    let seen = read_until(&mut stream, "Dentist", Duration::from_secs(10)).await;
    assert!(seen.contains("Main St 1"), "{seen}");

    // Handed over again (an answer lost on the way back): the same notification, nothing new.
    let again = hand_over(&app, &service, ada, &notice).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["created"], false);
    assert_eq!(again["notification"]["id"], first["notification"]["id"]);
    let list: Value = app.get_as("/v1/notifications", &ada_token).await.json().await.unwrap();
    assert_eq!(list["notifications"].as_array().unwrap().len(), 1, "{list}");
    let bobs: Value = app.get_as("/v1/notifications", &bob_token).await.json().await.unwrap();
    assert!(bobs["notifications"].as_array().unwrap().is_empty(), "{bobs}");

    // Delivered in the person's channels: email, once.
    let mail =
        posey_testkit::mail::Mailbox::from_env().wait_for(&email, Duration::from_secs(15)).await;
    assert_eq!(mail.subject, "Dentist");
    let id: Uuid = first["notification"]["id"].as_str().unwrap().parse().unwrap();
    let (status, _) = wait_for_attempt(&app.db.pool, id, "email").await;
    assert_eq!(status, "delivered");
    let emails: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM cron.deliveries WHERE channel = 'email' AND notification_id = $1",
    )
    .bind(id)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(emails, 1);
}

#[tokio::test]
async fn only_services_hand_over_notices_and_bad_ones_are_refused_by_field() {
    let app = spawn_authed_app().await;
    let (ada, ada_token) = app.person();
    let service = agents_service_token(&app);
    let good = json!({"key": "k1", "title": "t"});

    // A person's own token may not make notifications, not even their own.
    let response = hand_over(&app, &ada_token, ada, &good).await;
    assert_eq!(response.status(), 403);
    // A service must say whom it is for.
    let response = app
        .client
        .post(format!("{}/v1/notifications", app.address))
        .bearer_auth(&service)
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = app
        .client
        .post(format!("{}/v1/notifications", app.address))
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    let long = "x".repeat(201);
    for (body, field) in [
        (json!({"key": " ", "title": "t"}), "key"),
        (json!({"key": long, "title": "t"}), "key"),
        (json!({"key": "k", "title": ""}), "title"),
        (json!({"key": "k", "title": "t", "body": "b".repeat(4001)}), "body"),
        (json!({"key": "k", "title": "t", "data": [1]}), "data"),
    ] {
        let response = hand_over(&app, &service, ada, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let error: Value = response.json().await.unwrap();
        assert!(error["error"]["fields"].get(field).is_some(), "{field}: {error}");
    }
    let response =
        hand_over(&app, &service, ada, &json!({"key": "k", "title": "t", "colour": 1})).await;
    assert_eq!(response.status(), 422);
    let list: Value = app.get_as("/v1/notifications", &ada_token).await.json().await.unwrap();
    assert!(list["notifications"].as_array().unwrap().is_empty(), "nothing was made: {list}");
}
