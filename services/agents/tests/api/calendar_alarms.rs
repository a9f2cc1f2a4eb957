//! Alarms ring as notifications, through the real services on one database as under
//! `posey up`: the agents service writes out when an event's alarms ring, its worker hands
//! each due ring to cron with the agents' own service token from auth, and cron delivers it in
//! the person's channels. A ring is one notification, even when it is handed over again after
//! a lost answer; edits move rings, deletions take them away, a ring too late is missed, and
//! an endless series is written out further as the days pass.

use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};
use posey_http::Service as _;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::caldav_basic::{ISSUER, sign_up, spawn_agents_with, spawn_auth_with};
use crate::helpers::TestApp;

const SECRET: &str = "agents-alarm-test-s3cret-0123456789";

pub(crate) async fn spawn_cron(auth: &TestApp) -> TestApp {
    let vars = [
        ("AUTH_JWKS_URL", format!("{}/.well-known/jwks.json", auth.address)),
        ("AUTH_ISSUER", ISSUER.to_owned()),
        ("CRON_POLL_INTERVAL_MS", "100".to_owned()),
    ];
    posey_testkit::spawn_service_on(
        auth.db.clone(),
        posey_cron::Config::PORT_VAR,
        &vars,
        posey_cron::Config::read_with_db,
        |config| async move {
            let app = posey_cron::Application::build(config).await.expect("building cron");
            let port = app.port();
            tokio::spawn(app.run_until_stopped(std::future::pending()));
            port
        },
    )
    .await
}

/// Auth knowing the agents' client, cron, and the agents service with that client.
async fn spawn_all() -> (TestApp, TestApp, TestApp) {
    spawn_all_with(&[]).await
}

/// As [`spawn_all`], with `extra` variables for the agents service.
pub(crate) async fn spawn_all_with(extra: &[(&str, String)]) -> (TestApp, TestApp, TestApp) {
    let auth = spawn_auth_with(&[
        ("AUTH_SERVICE_CLIENTS", format!("agents:{SECRET}")),
        ("AUTH_SERVICE_CLIENT_SCOPES", "agents=cron:act-for-person".to_owned()),
        ("AUTH_OPEN_SIGNUP", "true".to_owned()),
    ])
    .await;
    let cron = spawn_cron(&auth).await;
    let agents = spawn_agents_with(
        &auth,
        &[
            ("CRON_URL", format!("{}/", cron.address)),
            ("AGENTS_SERVICE_CLIENT_ID", "agents".to_owned()),
            ("AGENTS_SERVICE_CLIENT_SECRET", SECRET.to_owned()),
        ]
        .into_iter()
        .chain(extra.iter().cloned())
        .collect::<Vec<_>>(),
    )
    .await;
    (auth, cron, agents)
}

pub(crate) async fn notifications(cron: &TestApp, token: &str) -> Vec<Value> {
    let list: Value = cron.get_as("/v1/notifications", token).await.json().await.unwrap();
    list["notifications"].as_array().unwrap().clone()
}

/// Waits until `token`'s person has a notification titled `title`.
pub(crate) async fn wait_for_notification(cron: &TestApp, token: &str, title: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(found) =
            notifications(cron, token).await.into_iter().find(|n| n["title"] == title)
        {
            return found;
        }
        assert!(Instant::now() < deadline, "no notification {title:?} arrived");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Creates an event; returns its id and ETag.
async fn create_event(agents: &TestApp, token: &str, body: Value) -> (Uuid, String) {
    let response = agents.post_as("/v1/events", token, &body).await;
    let status = response.status();
    let etag = response.headers().get("etag").map(|v| v.to_str().unwrap().to_owned());
    let event: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{event}");
    (event["id"].as_str().unwrap().parse().unwrap(), etag.unwrap())
}

/// The object's rings: (when, outcome), in time order.
async fn rings(agents: &TestApp, object: Uuid) -> Vec<(DateTime<Utc>, Option<String>)> {
    sqlx::query_as(
        "SELECT ring_at, outcome FROM calendar.alarms WHERE object_id = $1 ORDER BY ring_at",
    )
    .bind(object)
    .fetch_all(&agents.db.pool)
    .await
    .unwrap()
}

/// Waits until every ring of `object` is done; returns them.
async fn wait_until_done(agents: &TestApp, object: Uuid) -> Vec<(DateTime<Utc>, Option<String>)> {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let found = rings(agents, object).await;
        if !found.is_empty() && found.iter().all(|(_, outcome)| outcome.is_some()) {
            return found;
        }
        assert!(Instant::now() < deadline, "rings of {object} not done: {found:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alarm_rings_once_as_a_notification_for_its_person_only() {
    let (auth, cron, agents) = spawn_all().await;
    let (_, ada) = sign_up(&auth).await;
    let (_, bob) = sign_up(&auth).await;

    // Ten minutes from now; the alarm rings fifteen seconds from now (a ring already past when
    // the event is written is not made, so the margin covers a slow machine's request).
    let starts = Utc::now().trunc_subsecs(0) + chrono::Duration::minutes(10);
    let (event, _) = create_event(
        &agents,
        &ada,
        json!({
            "summary": "Dentist",
            "location": "Main St 1",
            "start": {"date_time": rfc3339(starts)},
            "duration": "PT30M",
            "alarms": [{"offset": "-PT9M45S", "description": "Leave now"}],
        }),
    )
    .await;
    let pending = rings(&agents, event).await;
    assert_eq!(pending, vec![(starts - chrono::Duration::seconds(585), None)]);

    let notification = wait_for_notification(&cron, &ada, "Dentist").await;
    let body = notification["body"].as_str().unwrap();
    assert!(body.contains("Main St 1") && body.contains("Leave now"), "{body}");
    assert_eq!(notification["data"]["kind"], "calendar_alarm");
    assert_eq!(notification["data"]["starts"], rfc3339(starts));
    assert_eq!(wait_until_done(&agents, event).await[0].1.as_deref(), Some("sent"));
    assert!(notifications(&cron, &bob).await.is_empty(), "Bob is told nothing of Ada's alarm");

    // The answer was lost on the way back (as if the agents replica died before recording
    // it): the ring is handed over again, and cron still has one notification.
    sqlx::query(
        "UPDATE calendar.alarms SET done_at = NULL, outcome = NULL, next_attempt_at = now()
         WHERE object_id = $1",
    )
    .bind(event)
    .execute(&agents.db.pool)
    .await
    .unwrap();
    assert_eq!(wait_until_done(&agents, event).await[0].1.as_deref(), Some("sent"));
    let dentist: Vec<Value> =
        notifications(&cron, &ada).await.into_iter().filter(|n| n["title"] == "Dentist").collect();
    assert_eq!(dentist.len(), 1, "{dentist:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_move_rings_deletions_take_them_away_and_late_ones_are_missed() {
    let (auth, cron, agents) = spawn_all().await;
    let (_, ada) = sign_up(&auth).await;

    let starts = Utc::now().trunc_subsecs(0) + chrono::Duration::hours(2);
    let (call, etag) = create_event(
        &agents,
        &ada,
        json!({
            "summary": "Call",
            "start": {"date_time": rfc3339(starts)},
            "alarms": [{"offset": "-PT1H"}, {"offset": "PT0S", "related": "end"}],
        }),
    )
    .await;
    assert_eq!(
        rings(&agents, call).await,
        vec![(starts - chrono::Duration::hours(1), None), (starts, None)]
    );
    // Moved a day later, with one alarm: its rings follow, the other's goes.
    let moved = starts + chrono::Duration::days(1);
    let response = agents
        .client
        .patch(format!("{}/v1/events/{call}", agents.address))
        .bearer_auth(&ada)
        .header("if-match", &etag)
        .json(&json!({"start": {"date_time": rfc3339(moved)}, "alarms": [{"offset": "-PT1H"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert_eq!(rings(&agents, call).await, vec![(moved - chrono::Duration::hours(1), None)]);
    let response = agents
        .client
        .delete(format!("{}/v1/events/{call}", agents.address))
        .bearer_auth(&ada)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert!(rings(&agents, call).await.is_empty());

    // A ring two hours late (nothing ran to ring it) is given up, not sent.
    let (late, _) = create_event(
        &agents,
        &ada,
        json!({
            "summary": "Late",
            "start": {"date_time": rfc3339(starts)},
            "alarms": [{"offset": "-PT1H"}],
        }),
    )
    .await;
    sqlx::query(
        "UPDATE calendar.alarms SET ring_at = now() - interval '2 hours',
             next_attempt_at = now() - interval '2 hours' WHERE object_id = $1",
    )
    .bind(late)
    .execute(&agents.db.pool)
    .await
    .unwrap();
    assert_eq!(wait_until_done(&agents, late).await[0].1.as_deref(), Some("missed"));
    assert!(notifications(&cron, &ada).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_series_is_written_out_further_as_the_days_pass() {
    let (auth, _cron, agents) = spawn_all().await;
    let (_, ada) = sign_up(&auth).await;
    let tomorrow = (Utc::now() + chrono::Duration::days(1)).date_naive();
    let (pills, _) = create_event(
        &agents,
        &ada,
        json!({
            "summary": "Pills",
            "start": {"date": tomorrow.to_string()},
            "recurrence": {"rules": ["FREQ=DAILY"]},
            "alarms": [{"offset": "PT8H"}],
        }),
    )
    .await;
    // A week ahead is written out: one ring a day.
    let written = rings(&agents, pills).await;
    assert!((6..=7).contains(&written.len()), "{written:?}");
    let until: DateTime<Utc> =
        sqlx::query_scalar("SELECT alarms_until FROM calendar.objects WHERE id = $1")
            .bind(pills)
            .fetch_one(&agents.db.pool)
            .await
            .unwrap();
    assert!(until > Utc::now() + chrono::Duration::days(6), "{until}");

    // As if the week had passed: nothing is written out beyond now. The worker writes the next
    // week out by itself.
    sqlx::query("DELETE FROM calendar.alarms WHERE object_id = $1")
        .bind(pills)
        .execute(&agents.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE calendar.objects SET alarms_until = now() WHERE id = $1")
        .bind(pills)
        .execute(&agents.db.pool)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let written = rings(&agents, pills).await;
        if (6..=7).contains(&written.len()) {
            break;
        }
        assert!(Instant::now() < deadline, "not written out again: {written:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subscribed_calendars_alarms_stay_silent() {
    let auth = spawn_auth_with(&[("AUTH_OPEN_SIGNUP", "true".to_owned())]).await;
    let agents =
        spawn_agents_with(&auth, &[("CALENDAR_SUBSCRIPTION_ALLOW", "127.0.0.1".to_owned())]).await;
    let (_, ada) = sign_up(&auth).await;
    // A publisher's event a week from now, with its own reminder an hour before.
    let starts = Utc::now().trunc_subsecs(0) + chrono::Duration::days(1);
    let when = format!(
        "DTSTART:{}\r\nDURATION:PT1H\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT1H\r\n\
         DESCRIPTION:From the publisher\r\nEND:VALARM\r\n",
        starts.format("%Y%m%dT%H%M%SZ")
    );
    let feed = crate::calendar_subscriptions::Feed::serve(&[("p@feed", "Published", &when)]).await;
    let response = agents
        .post_as("/v1/calendars/subscriptions", &ada, &json!({"url": feed.url("/feed.ics")}))
        .await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let (count,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM calendar.alarms a JOIN calendar.objects o ON o.id = a.object_id
         WHERE o.uid = 'p@feed'",
    )
    .fetch_one(&agents.db.pool)
    .await
    .unwrap();
    assert_eq!(count, 0, "the publisher's reminder is not the person's");

    // The same event in the person's own calendar rings.
    let (own, _) = create_event(
        &agents,
        &ada,
        json!({"summary": "Own", "start": {"date_time": rfc3339(starts)}, "alarms": [{"offset": "-PT1H"}]}),
    )
    .await;
    assert_eq!(rings(&agents, own).await.len(), 1);
}
