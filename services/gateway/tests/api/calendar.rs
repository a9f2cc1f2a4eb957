//! The built-in metadata over the calendar plugin's tables (created by the plugin's own
//! migrations, run here exactly as the agents service runs them): a person reads only their own
//! calendars, events and to-dos, never a tombstone nor a feed token's hash, and changes nothing;
//! tables created after the gateway started appear without a restart.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{GatewayApp, error_code, spawn_gateway};

const A: &str = "00000000-0000-4000-8000-00000000000a";
const B: &str = "00000000-0000-4000-8000-00000000000b";
const CALENDAR_A: &str = "c0000000-0000-4000-8000-00000000000a";
const CALENDAR_B: &str = "c0000000-0000-4000-8000-00000000000b";
const EVENT_A: &str = "e0000000-0000-4000-8000-00000000000a";
const TODO_A: &str = "d0000000-0000-4000-8000-00000000000a";
const DELETED_A: &str = "f0000000-0000-4000-8000-00000000000a";
const EVENT_B: &str = "e0000000-0000-4000-8000-00000000000b";

/// Creates schema `calendar` with the plugin's migrations, as the agents service does at start.
async fn create_calendar_tables(app: &GatewayApp) {
    for migration in posey_calendar_plugin::migrations::MIGRATIONS {
        app.sql(migration.sql).await;
    }
}

/// A calendar each for A and B; A has an event, a to-do and a deleted event (a tombstone), B an
/// event.
async fn insert_calendars(app: &GatewayApp) {
    app.sql(&format!(
        r"INSERT INTO calendar.calendars (id, user_id, name, time_zone, feed_token_hash) VALUES
            ('{CALENDAR_A}', '{A}', 'home of a', 'Europe/Paris', '\x0102'),
            ('{CALENDAR_B}', '{B}', 'home of b', 'UTC', NULL);
          INSERT INTO calendar.objects
            (id, calendar_id, user_id, uid, href, kind, ics, etag, seq, summary, first_start,
             status, deleted_at) VALUES
            ('{EVENT_A}', '{CALENDAR_A}', '{A}', 'ev-a', 'ev-a.ics', 'event',
             'BEGIN:VCALENDAR' || chr(13) || chr(10) || 'END:VCALENDAR', '1', 1, 'dentist',
             '2026-03-02T09:00:00Z', NULL, NULL),
            ('{TODO_A}', '{CALENDAR_A}', '{A}', 'td-a', 'td-a.ics', 'todo', 'BEGIN:VCALENDAR', '2',
             2, 'buy bread', NULL, 'NEEDS-ACTION', NULL),
            ('{DELETED_A}', '{CALENDAR_A}', '{A}', 'gone-a', 'gone-a.ics', 'event', NULL, '3', 3,
             'cancelled party', '2026-03-03T20:00:00Z', NULL, now()),
            ('{EVENT_B}', '{CALENDAR_B}', '{B}', 'ev-b', 'ev-b.ics', 'event', 'BEGIN:VCALENDAR',
             '1', 1, 'secret meeting of b', '2026-03-02T10:00:00Z', NULL, NULL);"
    ))
    .await;
}

/// The gateway with the calendar tables and rows, its catalog re-read.
async fn app_with_calendars() -> GatewayApp {
    let app = spawn_gateway(None, &[]).await;
    create_calendar_tables(&app).await;
    insert_calendars(&app).await;
    app.reload().await;
    app
}

fn sorted(rows: &Value, key: &str) -> Vec<String> {
    let rows = rows.as_array().unwrap_or_else(|| panic!("not a list: {rows}"));
    let mut values: Vec<String> =
        rows.iter().map(|r| r[key].as_str().unwrap_or_default().to_owned()).collect();
    values.sort();
    values
}

#[tokio::test]
async fn a_person_reads_only_their_own_calendars_events_and_todos() {
    let app = app_with_calendars().await;
    let a = app.token(A, &[]);
    let body = app
        .as_user(
            &a,
            "{ calendar_calendars { id name time_zone objects(order_by: {uid: asc}) { uid kind summary } }
               calendar_objects { summary kind status ics etag calendar { name } }
               calendar_objects_aggregate { aggregate { count } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["calendar_calendars"],
        json!([{"id": CALENDAR_A, "name": "home of a", "time_zone": "Europe/Paris", "objects": [
            {"uid": "ev-a", "kind": "event", "summary": "dentist"},
            {"uid": "td-a", "kind": "todo", "summary": "buy bread"},
        ]}]),
        "{body}"
    );
    let objects = &body["data"]["calendar_objects"];
    assert_eq!(sorted(objects, "summary"), ["buy bread", "dentist"], "{body}");
    let dentist = objects.as_array().unwrap().iter().find(|o| o["summary"] == "dentist").unwrap();
    assert_eq!(dentist["ics"], "BEGIN:VCALENDAR\r\nEND:VCALENDAR");
    assert_eq!(dentist["calendar"]["name"], "home of a");
    assert_eq!(body["data"]["calendar_objects_aggregate"]["aggregate"]["count"], 2, "{body}");

    // B's rows do not exist for A, even asked for by id.
    let body = app
        .as_user(
            &a,
            "query($c: uuid!, $e: uuid!) { calendar_calendars_by_pk(id: $c) { name }
               calendar_objects_by_pk(id: $e) { summary } }",
            json!({"c": CALENDAR_B, "e": EVENT_B}),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({"calendar_calendars_by_pk": null, "calendar_objects_by_pk": null}),
        "{body}"
    );
    // And B sees theirs.
    let b = app.token(B, &[]);
    let body = app.as_user(&b, "{ calendar_objects { summary user_id } }", json!({})).await;
    assert_eq!(
        body["data"]["calendar_objects"],
        json!([{"summary": "secret meeting of b", "user_id": B}]),
        "{body}"
    );
}

#[tokio::test]
async fn deleted_objects_are_not_shown() {
    let app = app_with_calendars().await;
    let a = app.token(A, &[]);
    let body = app
        .as_user(
            &a,
            "query($d: uuid!) {
               calendar_objects(where: {uid: {_eq: \"gone-a\"}}) { summary }
               calendar_objects_by_pk(id: $d) { summary }
               calendar_calendars { objects { uid } objects_aggregate { aggregate { count } } }
               calendar_objects_aggregate(where: {kind: {_eq: \"event\"}}) { aggregate { count } } }",
            json!({"d": DELETED_A}),
        )
        .await;
    assert_eq!(body["data"]["calendar_objects"], json!([]), "{body}");
    assert_eq!(body["data"]["calendar_objects_by_pk"], Value::Null, "{body}");
    let calendar = &body["data"]["calendar_calendars"][0];
    assert_eq!(sorted(&calendar["objects"], "uid"), ["ev-a", "td-a"], "{body}");
    assert_eq!(calendar["objects_aggregate"]["aggregate"]["count"], 2, "{body}");
    assert_eq!(body["data"]["calendar_objects_aggregate"]["aggregate"]["count"], 1, "{body}");
}

#[tokio::test]
async fn a_calendars_feed_token_hash_is_not_exposed() {
    let app = app_with_calendars().await;
    let a = app.token(A, &[]);
    for (query, column) in [
        ("{ calendar_calendars { name feed_token_hash } }", "feed_token_hash"),
        // Not even as a condition, which would tell whether a feed exists.
        (
            "{ calendar_calendars(where: {feed_token_hash: {_is_null: false}}) { name } }",
            "feed_token_hash",
        ),
        ("{ calendar_objects { calendar { feed_token_hash } } }", "feed_token_hash"),
        // Nor the CalDAV bookkeeping.
        ("{ calendar_calendars { sync_seq } }", "sync_seq"),
        ("{ calendar_objects { href } }", "href"),
        ("{ calendar_objects { deleted_at } }", "deleted_at"),
    ] {
        let body = app.as_user(&a, query, json!({})).await;
        assert_eq!(error_code(&body), "validation-failed", "{query}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("\"{column}\"")), "{query}: {body}");
    }
    // The column is there (the operator sees it): only the role may not.
    let body = app
        .admin(
            "{ calendar_calendars(where: {feed_token_hash: {_is_null: false}}) { name } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["calendar_calendars"], json!([{"name": "home of a"}]), "{body}");
}

#[tokio::test]
async fn people_cannot_change_calendars_through_the_gateway() {
    let app = app_with_calendars().await;
    let a = app.token(A, &[]);
    let mutations = [
        format!(
            r#"mutation {{ insert_calendar_calendars_one(object: {{id: "{}", user_id: "{A}",
                 name: "new", time_zone: "UTC"}}) {{ id }} }}"#,
            "c0000000-0000-4000-8000-0000000000aa"
        ),
        format!(
            r#"mutation {{ insert_calendar_objects(objects: [{{calendar_id: "{CALENDAR_A}",
                 uid: "x", kind: "event", ics: "BEGIN:VCALENDAR"}}]) {{ affected_rows }} }}"#
        ),
        r#"mutation { update_calendar_objects(where: {}, _set: {summary: "changed"}) { affected_rows } }"#.to_owned(),
        format!(
            r#"mutation {{ update_calendar_calendars_by_pk(pk_columns: {{id: "{CALENDAR_A}"}},
                 _set: {{name: "changed"}}) {{ id }} }}"#
        ),
        "mutation { delete_calendar_objects(where: {}) { affected_rows } }".to_owned(),
        format!(r#"mutation {{ delete_calendar_calendars_by_pk(id: "{CALENDAR_A}") {{ id }} }}"#),
    ];
    for mutation in &mutations {
        let body = app.as_user(&a, mutation, json!({})).await;
        assert_eq!(error_code(&body), "validation-failed", "{mutation}: {body}");
        // Refused because the field does not exist for the role, not for a typo here.
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("Unknown field \"") && message.contains("_calendar_"),
            "{body}"
        );
    }
    let (calendars, objects, changed): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM calendar.calendars),
                (SELECT count(*) FROM calendar.objects),
                (SELECT count(*) FROM calendar.objects WHERE summary = 'changed')
                  + (SELECT count(*) FROM calendar.calendars WHERE name = 'changed')",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!((calendars, objects, changed), (2, 4, 0));
}

#[tokio::test]
async fn calendar_tables_created_after_the_gateway_started_appear_without_a_restart() {
    // As under `posey up` or docker compose when the gateway starts before the agents service:
    // the metadata names tables that do not exist yet, and the gateway serves regardless.
    let app = spawn_gateway(None, &[]).await;
    let a = app.token(A, &[]);
    let body = app.as_user(&a, "{ cron_notifications { id } }", json!({})).await;
    assert_eq!(body["data"]["cron_notifications"], json!([]), "{body}");
    let query = "{ calendar_objects { summary } }";
    let body = app.as_user(&a, query, json!({})).await;
    assert_eq!(error_code(&body), "validation-failed", "{body}");

    // The agents service starts and migrates; no reload is asked for: the gateway's own check
    // (every GATEWAY_RELOAD_INTERVAL_MS) finds the tables.
    create_calendar_tables(&app).await;
    insert_calendars(&app).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let body = loop {
        let body = app.as_user(&a, query, json!({})).await;
        if body.get("errors").is_none() || Instant::now() > deadline {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(body.get("errors").is_none(), "the tables never appeared: {body}");
    assert_eq!(
        sorted(&body["data"]["calendar_objects"], "summary"),
        ["buy bread", "dentist"],
        "{body}"
    );
}
