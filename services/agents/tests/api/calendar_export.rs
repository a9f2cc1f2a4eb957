//! The calendar plugin's part of `GET /v1/me/export` (`calendar/`): each calendar as the ICS its
//! export route gives, and `calendars.json` as the lists give it, with whether a feed is on but
//! never its token; nothing of anyone else's calendars.

use serde_json::json;

use crate::export::{export_of, json_in};
use crate::helpers::{Models, json_of, spawn};

#[tokio::test]
async fn a_persons_calendars_are_in_their_export_without_feed_tokens_or_anyone_elses() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, ada) = app.person();
    let (_, bob) = app.person();

    // A name with a slash, which must not make a folder.
    let body = json!({"name": "Work/Home", "time_zone": "Europe/London"});
    let calendar = json_of(app.post_as("/v1/calendars", &ada, &body).await, 201).await;
    let id = calendar["id"].as_str().unwrap().to_owned();
    let event = json!({"calendar_id": id, "summary": "Dentist", "start": {"date": "2026-03-02"}});
    json_of(app.post_as("/v1/events", &ada, &event).await, 201).await;
    let feed =
        json_of(app.post_as(&format!("/v1/calendars/{id}/feed"), &ada, &json!({})).await, 201)
            .await;
    let token = feed["token"].as_str().unwrap().to_owned();
    // Bob's calendar, which must not be in Ada's export.
    let his = json!({"name": "Bob's secrets", "time_zone": "UTC"});
    let his = json_of(app.post_as("/v1/calendars", &bob, &his).await, 201).await;
    let his_event = json!({"calendar_id": his["id"], "summary": "Surprise party",
                           "start": {"date": "2026-03-03"}});
    json_of(app.post_as("/v1/events", &bob, &his_event).await, 201).await;

    let files = export_of(&app, &ada).await;
    let name = format!("calendar/Work-Home ({}).ics", id.replace('-', ""));
    let ics = String::from_utf8(
        files.get(&name).unwrap_or_else(|| panic!("no {name} in {:?}", files.keys())).clone(),
    )
    .unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    assert!(ics.contains("SUMMARY:Dentist"), "{ics}");
    let exported = app.get_as(&format!("/v1/calendars/{id}/export"), &ada).await;
    let exported = exported.text().await.unwrap();
    let without_stamps = |text: &str| -> Vec<String> {
        text.lines().filter(|l| !l.starts_with("DTSTAMP")).map(str::to_owned).collect()
    };
    assert_eq!(without_stamps(&ics), without_stamps(&exported), "as the export route gives it");

    let listed = json_in(&files, "calendar/calendars.json");
    let calendars = json_of(app.get_as("/v1/calendars", &ada).await, 200).await;
    assert_eq!(listed["calendars"], calendars["calendars"], "as the REST list gives them");
    let mine = listed["calendars"].as_array().unwrap().iter().find(|c| c["id"] == id.as_str());
    assert_eq!(mine.unwrap()["has_feed"], true, "whether a feed is on is said");
    let subscriptions = json_of(app.get_as("/v1/calendars/subscriptions", &ada).await, 200).await;
    assert_eq!(listed["subscriptions"], subscriptions["subscriptions"]);

    let everything: String = files
        .iter()
        .filter(|(path, _)| path.starts_with("calendar/"))
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .collect();
    assert!(!everything.contains(&token), "a feed's token is a password: never exported");
    assert!(!everything.contains("feed_token"), "nor its hash");
    assert!(!everything.contains("Surprise party") && !everything.contains("Bob's secrets"));
    let ics_files = files.keys().filter(|p| p.starts_with("calendar/") && p.ends_with(".ics"));
    assert_eq!(ics_files.count(), listed["calendars"].as_array().unwrap().len());
}
