//! The calendar plugin over REST: calendars, events with their three edit scopes and ETags,
//! to-dos, ICS import, export and private feeds, the caps on expansion, and isolation between
//! people.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, json_of, spawn};

async fn app() -> AgentsApp {
    spawn(Models::test(), None, &[]).await
}

async fn make_calendar(app: &AgentsApp, token: &str, zone: &str) -> String {
    let body = json!({"name": "Home", "time_zone": zone, "colour": "#3366CC"});
    let calendar = json_of(app.post_as("/v1/calendars", token, &body).await, 201).await;
    assert_eq!(calendar["colour"], "#3366cc");
    calendar["id"].as_str().unwrap().to_owned()
}

async fn window(app: &AgentsApp, token: &str, from: &str, to: &str) -> Vec<Value> {
    let path = format!("/v1/events?from={from}&to={to}");
    let body = json_of(app.get_as(&path, token).await, 200).await;
    body["occurrences"].as_array().unwrap().clone()
}

fn summaries(occurrences: &[Value]) -> Vec<(String, String)> {
    occurrences
        .iter()
        .map(|o| {
            (
                o["start"]["date_time"].as_str().unwrap_or_default().to_owned(),
                o["summary"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_weekly_event_is_edited_one_occurrence_the_following_ones_and_all() {
    let app = app().await;
    let (_, token) = app.person();
    let calendar = make_calendar(&app, &token, "Europe/Berlin").await;
    let body = json!({
        "calendar_id": calendar,
        "summary": "Standup",
        "start": {"date_time": "2024-03-04T10:00"},
        "duration": "PT15M",
        "recurrence": {"rules": ["FREQ=WEEKLY;BYDAY=MO;COUNT=6"]},
        "alarms": [{"offset": "-PT10M"}],
    });
    let response = app.post_as("/v1/events", &token, &body).await;
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let event = json_of(response, 201).await;
    let id = event["id"].as_str().unwrap().to_owned();
    assert_eq!(event["start"]["time_zone"], "Europe/Berlin");
    assert_eq!(event["recurrence"]["rules"], json!(["FREQ=WEEKLY;COUNT=6;BYDAY=MO"]));
    assert_eq!(event["alarms"][0]["offset"], "-PT10M");

    // Six Mondays at 10:00 Berlin time, across the change to summer time (31 March).
    let all = window(&app, &token, "2024-03-01T00:00:00Z", "2024-05-01T00:00:00Z").await;
    assert_eq!(all.len(), 6, "{all:?}");
    assert_eq!(all[0]["start"]["at"], "2024-03-04T09:00:00Z");
    assert_eq!(all[4]["start"]["at"], "2024-04-01T08:00:00Z");
    assert!(all.iter().all(|o| o["start"]["date_time"].as_str().unwrap().ends_with("T10:00:00")));

    // "This one": the second occurrence moves to 11:00 and gets its own name.
    let second = all[1]["occurrence"].as_str().unwrap().to_owned();
    let path = format!("/v1/events/{id}?scope=this&occurrence={second}");
    let edit = json!({"summary": "Standup (late)", "start": {"date_time": "2024-03-11T11:00"}});
    let stale = app
        .request(reqwest::Method::PATCH, &path, &token)
        .header("if-match", "\"0000\"")
        .json(&edit)
        .send()
        .await
        .unwrap();
    let body = json_of(stale, 412).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("changed since"), "{body}");
    let response = app
        .request(reqwest::Method::PATCH, &path, &token)
        .header("if-match", &etag)
        .json(&edit)
        .send()
        .await
        .unwrap();
    let new_etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let changed = json_of(response, 200).await;
    assert_eq!(changed["event"]["overrides"][0]["summary"], "Standup (late)");
    // The old ETag no longer holds: a second device editing from it is refused.
    let response = app
        .request(reqwest::Method::DELETE, &format!("/v1/events/{id}"), &token)
        .header("if-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    let all = window(&app, &token, "2024-03-01T00:00:00Z", "2024-05-01T00:00:00Z").await;
    assert_eq!(all.len(), 6);
    assert_eq!(summaries(&all)[1], ("2024-03-11T11:00:00".to_owned(), "Standup (late)".to_owned()));
    assert_eq!(all[2]["summary"], "Standup");

    // "This one" deleted: the third is gone, the rest stay.
    let third = all[2]["occurrence"].as_str().unwrap();
    let response =
        app.delete_as(&format!("/v1/events/{id}?scope=this&occurrence={third}"), &token).await;
    assert_eq!(response.status(), 204);
    let all = window(&app, &token, "2024-03-01T00:00:00Z", "2024-05-01T00:00:00Z").await;
    assert_eq!(all.len(), 5);

    // "This and following" from the fifth (1 April): a new series at 09:30 for the rest.
    let fifth = all[3]["occurrence"].as_str().unwrap().to_owned();
    assert_eq!(all[3]["start"]["date_time"], "2024-04-01T10:00:00");
    let path = format!("/v1/events/{id}?scope=following&occurrence={fifth}");
    let body = json!({"start": {"date_time": "2024-04-01T09:30"}, "summary": "Standup (new time)"});
    let changed = json_of(app.patch_as(&path, &token, &body).await, 200).await;
    let split = changed["split"]["id"].as_str().unwrap().to_owned();
    assert_ne!(split, id);
    assert_eq!(changed["split"]["recurrence"]["rules"][0], "FREQ=WEEKLY;COUNT=2;BYDAY=MO");
    let all = window(&app, &token, "2024-03-01T00:00:00Z", "2024-05-01T00:00:00Z").await;
    assert_eq!(
        summaries(&all),
        [
            ("2024-03-04T10:00:00", "Standup"),
            ("2024-03-11T11:00:00", "Standup (late)"),
            ("2024-03-25T10:00:00", "Standup"),
            ("2024-04-01T09:30:00", "Standup (new time)"),
            ("2024-04-08T09:30:00", "Standup (new time)"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );

    // "All" of the first series: renamed, the changed occurrence keeps its own name.
    let body = json!({"location": "Room 4"});
    let changed =
        json_of(app.patch_as(&format!("/v1/events/{id}"), &token, &body).await, 200).await;
    assert_eq!(changed["event"]["location"], "Room 4");
    let all = window(&app, &token, "2024-03-01T00:00:00Z", "2024-03-30T00:00:00Z").await;
    assert!(all.iter().all(|o| o["location"] == "Room 4"), "{all:?}");
    assert_eq!(all[1]["summary"], "Standup (late)");

    // Deleting all of the first series leaves the split-off one.
    assert_eq!(app.delete_as(&format!("/v1/events/{id}"), &token).await.status(), 204);
    let all = window(&app, &token, "2024-03-01T00:00:00Z", "2024-05-01T00:00:00Z").await;
    assert_eq!(all.len(), 2);
    assert_eq!(app.get_as(&format!("/v1/events/{id}"), &token).await.status(), 404);
}

#[tokio::test]
async fn bad_events_are_refused_with_the_field_named() {
    let app = app().await;
    let (_, token) = app.person();
    let cases = [
        (json!({"summary": "x", "start": {"date_time": "2024-13-01T10:00"}}), "start"),
        (
            json!({"summary": "x", "start": {"date_time": "2024-03-01T10:00", "time_zone": "Mars/Olympus"}}),
            "start",
        ),
        (
            json!({"summary": "x", "start": {"date": "2024-03-01"}, "end": {"date_time": "2024-03-02T10:00"}}),
            "end",
        ),
        (
            json!({"summary": "x", "start": {"date_time": "2024-03-01T10:00"}, "end": {"date_time": "2024-03-01T09:00"}}),
            "end",
        ),
        (json!({"summary": "", "start": {"date": "2024-03-01"}}), "summary"),
        (
            json!({"summary": "x", "start": {"date": "2024-03-01"}, "recurrence": {"rules": ["FREQ=FORTNIGHTLY"]}}),
            "recurrence.rules",
        ),
        (
            json!({"summary": "x", "start": {"date": "2024-03-01"}, "alarms": [{"offset": "soon"}]}),
            "alarms",
        ),
        (json!({"summary": "x", "start": {"date": "2024-03-01"}, "status": "maybe"}), "status"),
    ];
    for (body, field) in cases {
        let response = app.post_as("/v1/events", &token, &body).await;
        let (_, error) = posey_testkit::errors::error_of(response, 422).await;
        assert!(error[field].is_array(), "{field}: {error}");
    }
    // A rule that repeats every second for decades cannot exhaust the server: a clear 422.
    let body = json!({"summary": "tick", "start": {"date_time": "1990-01-01T00:00"},
                      "recurrence": {"rules": ["FREQ=SECONDLY"]}});
    let created = app.post_as("/v1/events", &token, &body).await;
    assert_eq!(created.status(), 201, "an endless rule is stored: only its expansion is bounded");
    let response =
        app.get_as("/v1/events?from=2024-01-01T00:00:00Z&to=2024-02-01T00:00:00Z", &token).await;
    let (_, error) = posey_testkit::errors::error_of(response, 422).await;
    let message = error["to"][0].as_str().unwrap();
    assert!(message.contains("SECONDLY") || message.contains("too often"), "{message}");
    // A window over ten years is refused before anything is read.
    let response =
        app.get_as("/v1/events?from=2000-01-01T00:00:00Z&to=2020-01-01T00:00:00Z", &token).await;
    posey_testkit::errors::error_of(response, 422).await;
    let response = app.get_as("/v1/events?from=yesterday&to=2020-01-01T00:00:00Z", &token).await;
    let (_, error) = posey_testkit::errors::error_of(response, 422).await;
    assert!(error["from"].is_array(), "{error}");
}

const IMPORT: &str = "BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example Corp//Calendar//EN\r
BEGIN:VTIMEZONE\r
TZID:W. Europe Standard Time\r
BEGIN:STANDARD\r
DTSTART:16010101T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:dentist-1@example.com\r
DTSTAMP:20240101T000000Z\r
DTSTART;TZID=W. Europe Standard Time:20240315T090000\r
DTEND;TZID=W. Europe Standard Time:20240315T100000\r
SUMMARY:Dentist\\, Dr. Ana\r
LOCATION:Main St. 1\r
X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r
BEGIN:VALARM\r
ACTION:DISPLAY\r
TRIGGER:-PT1H\r
DESCRIPTION:Dentist\r
END:VALARM\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:birthday-1@example.com\r
DTSTAMP:20240101T000000Z\r
DTSTART;VALUE=DATE:20240420\r
RRULE:FREQ=YEARLY\r
SUMMARY:Ana's birthday\r
END:VEVENT\r
BEGIN:VTODO\r
UID:todo-1@example.com\r
DTSTAMP:20240101T000000Z\r
SUMMARY:Renew passport\r
DUE;VALUE=DATE:20240501\r
PRIORITY:1\r
STATUS:NEEDS-ACTION\r
END:VTODO\r
END:VCALENDAR\r
";

async fn import(app: &AgentsApp, token: &str, calendar: &str, text: &str) -> reqwest::Response {
    app.request(reqwest::Method::POST, &format!("/v1/calendars/{calendar}/import"), token)
        .header("content-type", "text/calendar")
        .body(text.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_ics_file_imports_by_uid_skips_what_is_invalid_and_a_broken_one_writes_nothing() {
    let app = app().await;
    let (_, token) = app.person();
    let calendar = make_calendar(&app, &token, "Europe/Berlin").await;
    let report = json_of(import(&app, &token, &calendar, IMPORT).await, 200).await;
    assert_eq!(report["added"].as_array().unwrap().len(), 3, "{report}");
    // The same file again changes nothing.
    let again = json_of(import(&app, &token, &calendar, IMPORT).await, 200).await;
    assert_eq!(
        (again["added"].as_array().unwrap().len(), again["unchanged"].as_array().unwrap().len()),
        (0, 3),
        "{again}"
    );
    // A changed event is updated, by UID.
    let changed = IMPORT.replace("LOCATION:Main St. 1", "LOCATION:Main St. 2");
    let report = json_of(import(&app, &token, &calendar, &changed).await, 200).await;
    assert_eq!(report["updated"], json!(["dentist-1@example.com"]));

    let all = window(&app, &token, "2024-03-01T00:00:00Z", "2025-05-01T00:00:00Z").await;
    let dentist = all.iter().find(|o| o["uid"] == "dentist-1@example.com").unwrap();
    assert_eq!(dentist["summary"], "Dentist, Dr. Ana");
    assert_eq!(dentist["start"]["time_zone"], "Europe/Berlin");
    assert_eq!(dentist["start"]["at"], "2024-03-15T08:00:00Z");
    assert_eq!(dentist["location"], "Main St. 2");
    let birthdays: Vec<_> = all.iter().filter(|o| o["summary"] == "Ana's birthday").collect();
    assert_eq!(birthdays.len(), 2);
    assert_eq!(birthdays[0]["all_day"], true);
    let todos = json_of(app.get_as("/v1/todos", &token).await, 200).await;
    assert_eq!(todos["todos"][0]["summary"], "Renew passport");
    assert_eq!(todos["todos"][0]["priority"], 1);

    // A to-do wrong on its own, and a series too costly to expand, are skipped with their UIDs
    // and why; the rest of the file is imported, and the stored to-do stays as it was.
    let tick = "BEGIN:VEVENT\r\nUID:tick-1@example.com\r\nDTSTART:20240101T000000Z\r\n\
                RRULE:FREQ=MINUTELY;COUNT=5000000;BYSECOND=0\r\nEND:VEVENT\r\nBEGIN:VTODO\r\n";
    let two_bad = IMPORT
        .replace("UID:birthday-1@example.com", "UID:new-1@example.com")
        .replace("DUE;VALUE=DATE:20240501", "DUE;VALUE=DATE:2024-05-01")
        .replace("BEGIN:VTODO\r\n", tick);
    let report = json_of(import(&app, &token, &calendar, &two_bad).await, 200).await;
    assert_eq!(report["added"], json!(["new-1@example.com"]), "{report}");
    assert_eq!(report["updated"], json!(["dentist-1@example.com"]), "{report}");
    let skipped = report["skipped"].as_array().unwrap();
    let uids: Vec<_> = skipped.iter().map(|s| s["uid"].as_str().unwrap()).collect();
    assert_eq!(uids, ["todo-1@example.com", "tick-1@example.com"], "{report}");
    let reason = skipped[0]["reason"].as_str().unwrap();
    assert!(reason.contains("DUE") && reason.contains("2024-05-01"), "{reason}");
    let reason = skipped[1]["reason"].as_str().unwrap();
    assert!(reason.contains("too often"), "{reason}");
    let all = window(&app, &token, "2024-03-01T00:00:00Z", "2025-05-01T00:00:00Z").await;
    assert!(all.iter().any(|o| o["uid"] == "new-1@example.com"));
    let todos = json_of(app.get_as("/v1/todos", &token).await, 200).await;
    assert_eq!(todos["todos"].as_array().unwrap().len(), 1, "{todos}");
    assert_eq!(todos["todos"][0]["summary"], "Renew passport");

    // A file whose structure is broken: an error naming the line, and nothing of it is kept.
    let broken = IMPORT
        .replace("UID:birthday-1@example.com", "UID:new-2@example.com")
        .replace("LOCATION:Main St. 1\r\n", "LOCATION:Main St. 3\r\nX-NO-COLON\r\n");
    let response = import(&app, &token, &calendar, &broken).await;
    let (_, error) = posey_testkit::errors::error_of(response, 422).await;
    assert!(error["file"][0].as_str().unwrap().starts_with("line "), "{error}");
    let all = window(&app, &token, "2024-03-01T00:00:00Z", "2025-05-01T00:00:00Z").await;
    assert!(all.iter().all(|o| o["uid"] != "new-2@example.com"));
    let dentist = all.iter().find(|o| o["uid"] == "dentist-1@example.com").unwrap();
    assert_eq!(dentist["location"], "Main St. 1");
    let not_ics = import(&app, &token, &calendar, "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n").await;
    let (_, error) = posey_testkit::errors::error_of(not_ics, 422).await;
    assert!(error["file"][0].as_str().unwrap().starts_with("line "), "{error}");

    // The export holds the events with what Posey does not model kept.
    let export = app.get_as(&format!("/v1/calendars/{calendar}/export"), &token).await;
    assert_eq!(export.headers()["content-type"], "text/calendar; charset=utf-8");
    let text = export.text().await.unwrap();
    assert!(text.contains("UID:dentist-1@example.com"), "{text}");
    assert!(text.contains("X-MICROSOFT-CDO-BUSYSTATUS:BUSY"), "{text}");
    assert!(text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin"), "{text}");
    assert!(text.contains("SUMMARY:Dentist\\, Dr. Ana"), "{text}");

    // A private feed: read without signing in, by its token only, until revoked.
    let feed = json_of(
        app.post_as(&format!("/v1/calendars/{calendar}/feed"), &token, &json!({})).await,
        201,
    )
    .await;
    let path = feed["path"].as_str().unwrap().to_owned();
    let read = app.get(&path).await;
    assert_eq!(read.status(), 200);
    assert!(read.text().await.unwrap().contains("Renew passport"));
    assert_eq!(app.get("/v1/feeds/not-the-token.ics").await.status(), 404);
    let (_, stranger) = app.person();
    let response = app.delete_as(&format!("/v1/calendars/{calendar}/feed"), &stranger).await;
    assert_eq!(response.status(), 404);
    let response = app.delete_as(&format!("/v1/calendars/{calendar}/feed"), &token).await;
    assert_eq!(response.status(), 204);
    assert_eq!(app.get(&path).await.status(), 404);
}

#[tokio::test]
async fn another_persons_calendar_events_and_todos_are_invisible() {
    let app = app().await;
    let (_, alice) = app.person();
    let (_, bob) = app.person();
    let calendar = make_calendar(&app, &alice, "UTC").await;
    let body =
        json!({"calendar_id": calendar, "summary": "Secret", "start": {"date": "2024-06-01"}});
    let event = json_of(app.post_as("/v1/events", &alice, &body).await, 201).await;
    let id = event["id"].as_str().unwrap();
    let todo =
        json_of(app.post_as("/v1/todos", &alice, &json!({"summary": "Hidden"})).await, 201).await;
    let todo_id = todo["id"].as_str().unwrap();

    assert_eq!(json_of(app.get_as("/v1/calendars", &bob).await, 200).await["calendars"], json!([]));
    for path in [
        format!("/v1/calendars/{calendar}"),
        format!("/v1/calendars/{calendar}/export"),
        format!("/v1/events/{id}"),
        format!("/v1/todos/{todo_id}"),
    ] {
        assert_eq!(app.get_as(&path, &bob).await.status(), 404, "{path}");
    }
    assert!(window(&app, &bob, "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z").await.is_empty());
    assert_eq!(json_of(app.get_as("/v1/todos", &bob).await, 200).await["todos"], json!([]));
    let response =
        app.patch_as(&format!("/v1/events/{id}"), &bob, &json!({"summary": "Mine"})).await;
    assert_eq!(response.status(), 404);
    assert_eq!(app.delete_as(&format!("/v1/events/{id}"), &bob).await.status(), 404);
    assert_eq!(app.delete_as(&format!("/v1/calendars/{calendar}"), &bob).await.status(), 404);
    let body =
        json!({"calendar_id": calendar, "summary": "Into hers", "start": {"date": "2024-06-01"}});
    assert_eq!(app.post_as("/v1/events", &bob, &body).await.status(), 404);
    let response = import(&app, &bob, &calendar, IMPORT).await;
    assert_eq!(response.status(), 404);
    // Alice still has hers.
    assert_eq!(window(&app, &alice, "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z").await.len(), 1);
}

#[tokio::test]
async fn todos_are_listed_completed_and_nested() {
    let app = app().await;
    let (_, token) = app.person();
    let trip = json!({"summary": "Plan the trip", "due": {"date": "2024-07-01"}, "priority": 2});
    let trip = json_of(app.post_as("/v1/todos", &token, &trip).await, 201).await;
    let uid = trip["uid"].as_str().unwrap();
    let tickets = json!({"summary": "Book tickets", "parent_uid": uid, "due": {"date_time": "2024-06-01T12:00"}});
    let tickets = json_of(app.post_as("/v1/todos", &token, &tickets).await, 201).await;
    assert_eq!(tickets["parent_uid"], uid);
    // The calendar the first to-do needed was made in the person's zone.
    let calendars = json_of(app.get_as("/v1/calendars", &token).await, 200).await;
    assert_eq!(calendars["calendars"][0]["name"], "Personal");
    assert_eq!(calendars["calendars"][0]["time_zone"], "UTC");

    let open = json_of(app.get_as("/v1/todos", &token).await, 200).await;
    let names: Vec<_> =
        open["todos"].as_array().unwrap().iter().map(|t| t["summary"].clone()).collect();
    assert_eq!(names, [json!("Book tickets"), json!("Plan the trip")], "due first");

    let id = tickets["id"].as_str().unwrap();
    let done = json_of(
        app.patch_as(&format!("/v1/todos/{id}"), &token, &json!({"status": "completed"})).await,
        200,
    )
    .await;
    assert_eq!(done["event"]["status"], "completed");
    assert!(done["event"]["completed_at"].is_string());
    let open = json_of(app.get_as("/v1/todos", &token).await, 200).await;
    assert_eq!(open["todos"].as_array().unwrap().len(), 1);
    let finished = json_of(app.get_as("/v1/todos?status=done", &token).await, 200).await;
    assert_eq!(finished["todos"][0]["summary"], "Book tickets");
    let response = app.patch_as(&format!("/v1/todos/{id}"), &token, &json!({"priority": 12})).await;
    posey_testkit::errors::error_of(response, 422).await;
    // A to-do's description is bounded like an event's, made or changed.
    let long = "d".repeat(10_001);
    let response =
        app.post_as("/v1/todos", &token, &json!({"summary": "x", "description": long})).await;
    let (_, fields) = posey_testkit::errors::error_of(response, 422).await;
    assert!(fields["description"].is_array(), "{fields}");
    let response =
        app.patch_as(&format!("/v1/todos/{id}"), &token, &json!({"description": long})).await;
    posey_testkit::errors::error_of(response, 422).await;
    assert_eq!(app.delete_as(&format!("/v1/todos/{id}"), &token).await.status(), 204);
    let all = json_of(app.get_as("/v1/todos?status=all", &token).await, 200).await;
    assert_eq!(all["todos"].as_array().unwrap().len(), 1);
}
