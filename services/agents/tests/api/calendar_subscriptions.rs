//! Calendar subscriptions against a real feed served here on 127.0.0.1 (with ETags, and able to
//! fail, serve a web page or too much), which `CALENDAR_SUBSCRIPTION_ALLOW` opens for these
//! tests: subscribing fills a read-only calendar seen over REST and CalDAV; a refresh makes it
//! exactly what the feed holds and moves the sync token only for real changes; a 304 changes
//! nothing; a failure keeps the events and backs off; refused, unreachable, too big and
//! non-iCalendar URLs make nothing; people see only their own, and have at most fifty; the
//! agents' tools leave it alone; and the background refresher refreshes what is due, once a
//! lease no longer holds it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, events, json_of, scripted_tools, spawn};

/// The allow-list these tests run with: loopback, where the feed is served.
fn allow_loopback() -> Vec<(&'static str, String)> {
    vec![("CALENDAR_SUBSCRIPTION_ALLOW", "127.0.0.1".to_owned())]
}

async fn app() -> AgentsApp {
    spawn(Models::test(), None, &allow_loopback()).await
}

// --- The feed ----------------------------------------------------------------------------------

/// One event of a feed: its UID, summary, and DTSTART (with whatever else) lines.
pub(crate) type Event<'a> = (&'a str, &'a str, &'a str);

/// A feed's text; `{stamp}` is put in when served (a DTSTAMP of the fetch, as Google's feeds
/// have).
fn calendar(events: &[Event]) -> String {
    let mut text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Feed test//EN\r\n\
                    X-WR-CALNAME:Team holidays\r\nX-WR-TIMEZONE:Europe/Berlin\r\n"
        .to_owned();
    for (uid, summary, when) in events {
        text.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:{{stamp}}\r\n{when}SUMMARY:{summary}\r\n\
             END:VEVENT\r\n"
        ));
    }
    // One that is wrong on its own: skipped, with why.
    text.push_str(
        "BEGIN:VEVENT\r\nUID:broken\r\nDTSTAMP:{stamp}\r\nSUMMARY:No start\r\nEND:VEVENT\r\n",
    );
    text.push_str("END:VCALENDAR\r\n");
    text
}

pub(crate) const A: Event = (
    "a@feed",
    "Standup",
    "DTSTART:20300107T090000Z\r\nDURATION:PT15M\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n",
);
const B: Event = ("b@feed", "Offsite", "DTSTART;VALUE=DATE:20300110\r\n");
const C: Event = ("c@feed", "Retro", "DTSTART:20300111T150000Z\r\nDURATION:PT1H\r\n");
const B2: Event = ("b@feed", "Offsite (moved)", "DTSTART;VALUE=DATE:20300117\r\n");
const D: Event = ("d@feed", "Planning", "DTSTART:20300114T100000Z\r\nDURATION:PT2H\r\n");

#[derive(Default)]
struct FeedState {
    template: Mutex<String>,
    version: AtomicUsize,
    fetches: AtomicUsize,
    not_modified: AtomicUsize,
    no_etags: AtomicBool,
    failing: AtomicBool,
}

/// An iCalendar feed on 127.0.0.1: `/feed.ics` (with ETags and 304s), `/page` (a web page),
/// `/big` (11 MiB, streamed without a length), anything else 404.
pub(crate) struct Feed {
    state: Arc<FeedState>,
    port: u16,
}

impl Feed {
    pub(crate) async fn serve(events: &[Event<'_>]) -> Self {
        let state = Arc::new(FeedState::default());
        let router = Router::new()
            .route("/feed.ics", get(feed))
            .route(
                "/page",
                get(|| async {
                    ([(header::CONTENT_TYPE, "text/html")], "<!doctype html><p>Sign in</p>")
                }),
            )
            .route(
                "/big",
                get(|| async {
                    let chunk = "X-PADDING:".to_owned() + &"x".repeat(64 * 1024 - 12) + "\r\n";
                    let chunks = (0..176).map(move |_| Ok::<_, std::io::Error>(chunk.clone()));
                    let head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n";
                    let body =
                        futures::stream::iter(std::iter::once(Ok(head.to_owned())).chain(chunks));
                    ([(header::CONTENT_TYPE, "text/calendar")], Body::from_stream(body))
                }),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let feed = Self { state, port };
        feed.set(events);
        feed
    }

    fn set(&self, events: &[Event<'_>]) {
        *self.state.template.lock().unwrap() = calendar(events);
        self.state.version.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn fetches(&self) -> usize {
        self.state.fetches.load(Ordering::SeqCst)
    }
}

async fn feed(State(state): State<Arc<FeedState>>, headers: HeaderMap) -> Response {
    let fetch = state.fetches.fetch_add(1, Ordering::SeqCst) + 1;
    if state.failing.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
    }
    let etags = !state.no_etags.load(Ordering::SeqCst);
    let etag = format!("\"v{}\"", state.version.load(Ordering::SeqCst));
    if etags && headers.get(header::IF_NONE_MATCH).is_some_and(|given| given == etag.as_str()) {
        state.not_modified.fetch_add(1, Ordering::SeqCst);
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let stamp = format!("20290101T0000{:02}Z", fetch % 60);
    let body = state.template.lock().unwrap().replace("{stamp}", &stamp);
    let mut response =
        ([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], body).into_response();
    if etags {
        response.headers_mut().insert(header::ETAG, etag.parse().unwrap());
    }
    response
}

// --- The API -----------------------------------------------------------------------------------

/// Subscribes to `url`: the 201's body.
async fn subscribe(app: &AgentsApp, token: &str, url: &str) -> Value {
    let body = json!({"url": url});
    json_of(app.post_as("/v1/calendars/subscriptions", token, &body).await, 201).await
}

/// The 422's message on `url`.
async fn refused(app: &AgentsApp, token: &str, body: Value) -> String {
    let answer = json_of(app.post_as("/v1/calendars/subscriptions", token, &body).await, 422).await;
    answer["error"]["fields"]["url"][0].as_str().unwrap_or_else(|| panic!("{answer}")).to_owned()
}

async fn refresh(app: &AgentsApp, token: &str, id: &str, status: u16) -> Value {
    let path = format!("/v1/calendars/{id}/subscription/refresh");
    json_of(app.post_as(&path, token, &json!({})).await, status).await
}

async fn status(app: &AgentsApp, token: &str, id: &str) -> Value {
    json_of(app.get_as(&format!("/v1/calendars/{id}/subscription"), token).await, 200).await
}

async fn sync_seq(app: &AgentsApp, token: &str, id: &str) -> i64 {
    let calendar = json_of(app.get_as(&format!("/v1/calendars/{id}"), token).await, 200).await;
    calendar["sync_seq"].as_i64().unwrap()
}

/// The calendar's occurrences in January 2030: (summary, start).
async fn occurrences(app: &AgentsApp, token: &str, id: &str) -> Vec<(String, String)> {
    let path =
        format!("/v1/events?from=2030-01-01T00:00:00Z&to=2030-02-01T00:00:00Z&calendar_id={id}");
    let body = json_of(app.get_as(&path, token).await, 200).await;
    body["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let start = o["start"]["date"].as_str().or(o["start"]["at"].as_str()).unwrap_or("");
            (o["summary"].as_str().unwrap().to_owned(), start.to_owned())
        })
        .collect()
}

fn sorted(list: &Value) -> Vec<String> {
    let mut values: Vec<String> =
        list.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    values.sort();
    values
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap_or_else(|| panic!("not a time: {value}")).parse().unwrap()
}

/// Within a minute of `expected`.
fn about(at: DateTime<Utc>, expected: DateTime<Utc>) -> bool {
    (at - expected).num_seconds().abs() < 60
}

// --- CalDAV ------------------------------------------------------------------------------------

struct Dav {
    status: u16,
    body: String,
}

async fn dav(
    app: &AgentsApp,
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Dav {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.request(method, path, token).body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    Dav { status: response.status().as_u16(), body: response.text().await.unwrap() }
}

const XML: (&str, &str) = ("content-type", "application/xml; charset=utf-8");

fn sync_collection(token: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"#
    )
}

/// A sync-collection report: the hrefs it names and its new token.
async fn sync(app: &AgentsApp, path: &str, token: &str, since: &str) -> (Vec<String>, String) {
    let answer =
        dav(app, "REPORT", path, token, &[XML, ("depth", "1")], &sync_collection(since)).await;
    assert_eq!(answer.status, 207, "{}", answer.body);
    let hrefs = answer
        .body
        .split("<d:href>")
        .skip(1)
        .map(|part| part.split("</d:href>").next().unwrap().to_owned())
        .collect();
    let next = answer.body.split("<d:sync-token>").nth(1).unwrap().split("</d:sync-token>");
    (hrefs, next.into_iter().next().unwrap().to_owned())
}

fn event_ics(uid: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20300101T000000Z\r\nDTSTART:20300120T100000Z\r\nDURATION:PT1H\r\n\
         SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

// --- The tests ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_subscription_fills_a_calendar_that_each_refresh_makes_the_feed_again() {
    let app = app().await;
    let (person, token) = app.person();
    let feed = Feed::serve(&[A, B, C]).await;

    // Subscribing fetches once: the feed's events, its name and zone, and what it skipped.
    let made = subscribe(&app, &token, &feed.url("/feed.ics")).await;
    assert_eq!(feed.fetches(), 1);
    let subscription = &made["subscription"];
    let id = subscription["calendar"]["id"].as_str().unwrap().to_owned();
    assert_eq!(subscription["calendar"]["name"], "Team holidays");
    assert_eq!(subscription["calendar"]["time_zone"], "Europe/Berlin");
    assert_eq!(subscription["calendar"]["subscribed"], true);
    assert_eq!(subscription["url"], feed.url("/feed.ics"));
    assert_eq!(subscription["refresh_interval_minutes"], 60);
    assert_eq!(subscription["last_error"], Value::Null);
    let refreshed = time(&subscription["last_refreshed_at"]);
    assert!(about(time(&subscription["next_refresh_at"]), refreshed + chrono::Duration::hours(1)));
    assert_eq!(sorted(&made["report"]["added"]), ["a@feed", "b@feed", "c@feed"]);
    let skipped = &made["report"]["skipped"];
    assert_eq!(skipped[0]["uid"], "broken", "{skipped}");
    assert!(skipped[0]["reason"].as_str().unwrap().contains("start"), "{skipped}");
    assert_eq!(subscription["skipped"], *skipped);

    // Over REST, like any calendar's.
    let seen = occurrences(&app, &token, &id).await;
    assert_eq!(seen.iter().filter(|(summary, _)| summary == "Standup").count(), 4, "{seen:?}");
    assert!(seen.contains(&("Offsite".to_owned(), "2030-01-10".to_owned())), "{seen:?}");
    assert!(seen.contains(&("Retro".to_owned(), "2030-01-11T15:00:00Z".to_owned())), "{seen:?}");
    let listed = json_of(app.get_as("/v1/calendars/subscriptions", &token).await, 200).await;
    assert_eq!(listed["subscriptions"][0]["calendar"]["id"], id.as_str());
    let calendars = json_of(app.get_as("/v1/calendars", &token).await, 200).await;
    assert_eq!(calendars["calendars"][0]["subscribed"], true);

    // And over CalDAV, read-only.
    let collection = format!("/dav/calendars/{person}/{id}/");
    let (hrefs, first_token) = sync(&app, &collection, &token, "").await;
    assert_eq!(hrefs.len(), 3, "{hrefs:?}");
    let body = r#"<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:current-user-privilege-set/></d:prop></d:propfind>"#;
    let privileges = dav(&app, "PROPFIND", &collection, &token, &[XML, ("depth", "0")], body).await;
    assert_eq!(privileges.status, 207);
    assert!(privileges.body.contains("<d:read/>"), "{}", privileges.body);
    assert!(!privileges.body.contains("<d:write"), "{}", privileges.body);
    let before = sync_seq(&app, &token, &id).await;

    // Nothing changed at the source: a 304, and nothing changes here either.
    let answer = refresh(&app, &token, &id, 200).await;
    assert_eq!(answer["report"]["not_modified"], true, "{answer}");
    assert_eq!(feed.state.not_modified.load(Ordering::SeqCst), 1);
    assert_eq!(sync_seq(&app, &token, &id).await, before);
    assert!(time(&answer["subscription"]["last_refreshed_at"]) >= refreshed);

    // One event edited, one removed, one added: exactly that, and the sync token moves by it.
    feed.set(&[A, B2, D]);
    let answer = refresh(&app, &token, &id, 200).await;
    let report = &answer["report"];
    assert_eq!(report["not_modified"], false);
    assert_eq!(sorted(&report["added"]), ["d@feed"], "{report}");
    assert_eq!(sorted(&report["updated"]), ["b@feed"], "{report}");
    assert_eq!(sorted(&report["removed"]), ["c@feed"], "{report}");
    assert_eq!(report["unchanged"], 1, "{report}");
    assert_eq!(sync_seq(&app, &token, &id).await, before + 3);
    let seen = occurrences(&app, &token, &id).await;
    assert!(seen.contains(&("Offsite (moved)".to_owned(), "2030-01-17".to_owned())), "{seen:?}");
    assert!(seen.contains(&("Planning".to_owned(), "2030-01-14T10:00:00Z".to_owned())), "{seen:?}");
    assert!(!seen.iter().any(|(summary, _)| summary == "Retro" || summary == "Offsite"));
    let (changed, second_token) = sync(&app, &collection, &token, &first_token).await;
    assert_ne!(second_token, first_token);
    let mut names: Vec<&str> =
        changed.iter().map(|href| href.rsplit('/').next().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["b@feed.ics", "c@feed.ics", "d@feed.ics"], "{changed:?}");

    // A feed without ETags stamps every event anew each time: that alone is no change.
    feed.state.no_etags.store(true, Ordering::SeqCst);
    let answer = refresh(&app, &token, &id, 200).await;
    let report = &answer["report"];
    assert_eq!(
        (report["not_modified"].clone(), report["unchanged"].clone()),
        (json!(false), json!(3))
    );
    assert!(
        report["added"] == json!([])
            && report["updated"] == json!([])
            && report["removed"] == json!([]),
        "{report}"
    );
    assert_eq!(sync_seq(&app, &token, &id).await, before + 3);

    // A failing feed: the events stay, the error is said, and each failure waits longer.
    feed.state.failing.store(true, Ordering::SeqCst);
    let answer = refresh(&app, &token, &id, 422).await;
    let message = answer["error"]["fields"]["url"][0].as_str().unwrap().to_owned();
    assert!(message.contains("503") && message.contains("tried again later"), "{message}");
    let now = Utc::now();
    let failed = status(&app, &token, &id).await;
    assert_eq!(failed["last_error"], message.as_str());
    assert!(about(time(&failed["next_refresh_at"]), now + chrono::Duration::hours(1)), "{failed}");
    refresh(&app, &token, &id, 422).await;
    let failed = status(&app, &token, &id).await;
    assert!(about(time(&failed["next_refresh_at"]), now + chrono::Duration::hours(2)), "{failed}");
    assert_eq!(occurrences(&app, &token, &id).await.len(), seen.len());
    assert_eq!(sync_seq(&app, &token, &id).await, before + 3);
    feed.state.failing.store(false, Ordering::SeqCst);
    let answer = refresh(&app, &token, &id, 200).await;
    assert_eq!(answer["subscription"]["last_error"], Value::Null, "{answer}");

    // The interval changes within its bounds; the next refresh moves with it.
    let path = format!("/v1/calendars/{id}/subscription");
    let changed =
        json_of(app.patch_as(&path, &token, &json!({"refresh_interval_minutes": 15})).await, 200)
            .await;
    assert_eq!(changed["refresh_interval_minutes"], 15);
    let last = time(&changed["last_refreshed_at"]);
    assert!(about(time(&changed["next_refresh_at"]), last + chrono::Duration::minutes(15)));
    for bad in [14, 10081] {
        let answer = app.patch_as(&path, &token, &json!({"refresh_interval_minutes": bad})).await;
        let body = json_of(answer, 422).await;
        assert!(body["error"]["fields"]["refresh_interval_minutes"].is_array(), "{body}");
    }

    // Unsubscribing is deleting the calendar.
    assert_eq!(app.delete_as(&format!("/v1/calendars/{id}"), &token).await.status(), 204);
    assert_eq!(app.get_as(&path, &token).await.status(), 404);
    let listed = json_of(app.get_as("/v1/calendars/subscriptions", &token).await, 200).await;
    assert_eq!(listed["subscriptions"], json!([]));
}

#[tokio::test]
async fn a_subscribed_calendar_is_read_only_on_every_surface_but_reads_as_any() {
    let app = app().await;
    let (person, token) = app.person();
    let feed = Feed::serve(&[A, B, C]).await;
    let made = subscribe(&app, &token, &feed.url("/feed.ics")).await;
    let id = made["subscription"]["calendar"]["id"].as_str().unwrap().to_owned();
    let before = sync_seq(&app, &token, &id).await;
    let read_only = |body: &Value| {
        let message = body["error"]["message"].as_str().unwrap_or_default();
        message.contains("is a subscription") && message.contains("read-only")
    };

    // REST: making, changing and deleting events and to-dos, and importing.
    let event =
        json!({"calendar_id": id, "summary": "Mine", "start": {"date_time": "2030-01-20T10:00"}});
    let body = json_of(app.post_as("/v1/events", &token, &event).await, 403).await;
    assert!(read_only(&body), "{body}");
    let todo = json!({"calendar_id": id, "summary": "Mine too"});
    assert!(read_only(&json_of(app.post_as("/v1/todos", &token, &todo).await, 403).await));
    let listed = json_of(
        app.get_as(
            &format!(
                "/v1/events?from=2030-01-11T00:00:00Z&to=2030-01-12T00:00:00Z&calendar_id={id}"
            ),
            &token,
        )
        .await,
        200,
    )
    .await;
    let retro = listed["occurrences"][0]["event_id"].as_str().unwrap().to_owned();
    let change = json!({"summary": "Changed"});
    let answer = app.patch_as(&format!("/v1/events/{retro}"), &token, &change).await;
    assert!(read_only(&json_of(answer, 403).await));
    let answer = app.delete_as(&format!("/v1/events/{retro}"), &token).await;
    assert!(read_only(&json_of(answer, 403).await));
    let import = app
        .request(reqwest::Method::POST, &format!("/v1/calendars/{id}/import"), &token)
        .header("content-type", "text/calendar")
        .body(event_ics("import@x", "Imported"))
        .send()
        .await
        .unwrap();
    assert!(read_only(&json_of(import, 403).await));

    // CalDAV: PUT (new or over a resource), DELETE and PROPPATCH, refused as WebDAV does.
    let collection = format!("/dav/calendars/{person}/{id}/");
    let calendar_data = ("content-type", "text/calendar; charset=utf-8");
    for (href, uid) in [("new.ics", "new@x"), ("c@feed.ics", "c@feed")] {
        let path = format!("{collection}{href}");
        let put = dav(&app, "PUT", &path, &token, &[calendar_data], &event_ics(uid, "Mine")).await;
        assert_eq!(put.status, 403, "{href}: {}", put.body);
        assert!(
            put.body.contains("<d:need-privileges/>") && put.body.contains("read-only"),
            "{}",
            put.body
        );
    }
    let delete = dav(&app, "DELETE", &format!("{collection}c@feed.ics"), &token, &[], "").await;
    assert_eq!(delete.status, 403, "{}", delete.body);
    let rename = r#"<?xml version="1.0"?><d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>Renamed</d:displayname></d:prop></d:set></d:propertyupdate>"#;
    let proppatch = dav(&app, "PROPPATCH", &collection, &token, &[XML], rename).await;
    assert_eq!(proppatch.status, 403, "{}", proppatch.body);
    assert!(proppatch.body.contains("need-privileges"), "{}", proppatch.body);

    // Nothing of it changed the calendar.
    assert_eq!(sync_seq(&app, &token, &id).await, before);
    let calendar = json_of(app.get_as(&format!("/v1/calendars/{id}"), &token).await, 200).await;
    assert_eq!(calendar["name"], "Team holidays");

    // Reads work as for any calendar: an object over CalDAV, the export, a private feed.
    let object = dav(&app, "GET", &format!("{collection}c@feed.ics"), &token, &[], "").await;
    assert_eq!(object.status, 200);
    assert!(object.body.contains("SUMMARY:Retro"));
    let export = app.get_as(&format!("/v1/calendars/{id}/export"), &token).await;
    assert_eq!(export.status(), 200);
    assert!(export.text().await.unwrap().contains("SUMMARY:Offsite"));
    let made =
        json_of(app.post_as(&format!("/v1/calendars/{id}/feed"), &token, &json!({})).await, 201)
            .await;
    let shared = app.get(made["path"].as_str().unwrap()).await;
    assert_eq!(shared.status(), 200);
    assert!(shared.text().await.unwrap().contains("SUMMARY:Standup"));

    // An event made without a calendar goes to one of the person's own, made for it.
    let mine = json!({"summary": "Mine", "start": {"date_time": "2030-01-20T10:00"}});
    let created = json_of(app.post_as("/v1/events", &token, &mine).await, 201).await;
    assert_ne!(created["calendar_id"], id.as_str());
    let calendars = json_of(app.get_as("/v1/calendars", &token).await, 200).await;
    let own: Vec<&Value> = calendars["calendars"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["subscribed"] == false)
        .collect();
    assert_eq!(own.len(), 1, "{calendars}");
    assert_eq!(own[0]["id"], created["calendar_id"]);

    // Deleting the collection over CalDAV is unsubscribing, as deleting it over REST is.
    assert_eq!(dav(&app, "DELETE", &collection, &token, &[], "").await.status, 204);
    let path = format!("/v1/calendars/{id}/subscription");
    assert_eq!(app.get_as(&path, &token).await.status(), 404);
}

/// An agent whose scripted model calls the tool named in a message (`tool {json}`).
const KEEPER: &str = r#"
router: keeper
agents:
  - name: keeper
    description: Keeps the calendar.
    prompt: You keep the person's calendar.
    plugins: [calendar]
"#;

#[tokio::test]
async fn the_agents_tools_leave_a_subscribed_calendar_alone() {
    let models = Models::default().with("test", scripted_tools());
    let app = spawn(models, Some(KEEPER), &allow_loopback()).await;
    let (_, token) = app.person();
    let feed = Feed::serve(&[A, B, C]).await;
    let made = subscribe(&app, &token, &feed.url("/feed.ics")).await;
    let id = made["subscription"]["calendar"]["id"].as_str().unwrap().to_owned();
    let before = sync_seq(&app, &token, &id).await;
    let window =
        format!("/v1/events?from=2030-01-11T00:00:00Z&to=2030-01-12T00:00:00Z&calendar_id={id}");
    let listed = json_of(app.get_as(&window, &token).await, 200).await;
    let retro = listed["occurrences"][0]["event_id"].as_str().unwrap().to_owned();
    let conversation = app.conversation(&token, None).await;
    let result = |stream: &[crate::helpers::Sse]| {
        let results = events(stream, "tool_result");
        assert_eq!(results.len(), 1, "{stream:?}");
        results[0].clone()
    };

    // Moving or cancelling one of its events is refused, saying why.
    for (tool, arguments) in [
        ("move_event", json!({"event_id": retro, "new_start": "2030-01-11T18:00"})),
        ("cancel_event", json!({"event_id": retro})),
    ] {
        let stream = app.chat(&token, &conversation, &format!("{tool} {arguments}")).await;
        let refused = result(&stream);
        assert_eq!(refused["is_error"], true, "{refused}");
        assert!(refused["content"].as_str().unwrap().contains("is a subscription"), "{refused}");
    }
    assert_eq!(sync_seq(&app, &token, &id).await, before);

    // A new event goes to a calendar of the person's own.
    let arguments = json!({"summary": "Dentist", "start": "2030-01-15T09:00"});
    let stream = app.chat(&token, &conversation, &format!("create_event {arguments}")).await;
    let created = result(&stream);
    assert_eq!(created["is_error"], false, "{created}");
    assert_eq!(sync_seq(&app, &token, &id).await, before);
    let mine: Value = serde_json::from_str(created["content"].as_str().unwrap()).unwrap();
    assert_ne!(mine["calendar"], "Team holidays", "{mine}");
}

#[tokio::test]
async fn a_url_that_cannot_be_subscribed_to_says_why_and_makes_nothing() {
    let feed = Feed::serve(&[A]).await;

    // Without the allow-list, loopback is refused, before anything is asked of it.
    let closed = spawn(Models::test(), None, &[]).await;
    let (_, token) = closed.person();
    for url in [feed.url("/feed.ics"), format!("http://localhost:{}/feed.ics", feed.port)] {
        let message = refused(&closed, &token, json!({"url": url})).await;
        assert!(
            message.contains("not allowed") && message.contains("CALENDAR_SUBSCRIPTION_ALLOW"),
            "{message}"
        );
    }
    assert_eq!(feed.fetches(), 0);
    let none = json_of(closed.get_as("/v1/calendars", &token).await, 200).await;
    assert_eq!(none["calendars"], json!([]));

    // With it, what is there decides.
    let app = app().await;
    let (_, token) = app.person();
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for (url, expected) in [
        (feed.url("/page"), vec!["does not serve an iCalendar file", "web page"]),
        (feed.url("/big"), vec!["larger than 10 MiB"]),
        (feed.url("/missing.ics"), vec!["answered 404", "no calendar at this address"]),
        (format!("http://127.0.0.1:{unused}/feed.ics"), vec!["could not reach 127.0.0.1"]),
        ("ftp://example.com/feed.ics".to_owned(), vec!["http, https or webcal"]),
        ("not a url".to_owned(), vec!["is not a URL"]),
    ] {
        let message = refused(&app, &token, json!({"url": url})).await;
        for part in expected {
            assert!(message.contains(part), "{url}: {message}");
        }
    }
    let body = json!({"url": feed.url("/feed.ics"), "refresh_interval_minutes": 5});
    let answer =
        json_of(app.post_as("/v1/calendars/subscriptions", &token, &body).await, 422).await;
    assert!(answer["error"]["fields"]["refresh_interval_minutes"].is_array(), "{answer}");
    let none = json_of(app.get_as("/v1/calendars", &token).await, 200).await;
    assert_eq!(none["calendars"], json!([]));
    let none = json_of(app.get_as("/v1/calendars/subscriptions", &token).await, 200).await;
    assert_eq!(none["subscriptions"], json!([]));
}

#[tokio::test]
async fn another_person_can_neither_see_nor_refresh_a_subscription() {
    let app = app().await;
    let (owner, token) = app.person();
    let (_, other) = app.person();
    let feed = Feed::serve(&[A, B]).await;
    let made = subscribe(&app, &token, &feed.url("/feed.ics")).await;
    let id = made["subscription"]["calendar"]["id"].as_str().unwrap().to_owned();

    let path = format!("/v1/calendars/{id}/subscription");
    assert_eq!(app.get_as(&path, &other).await.status(), 404);
    let patch = json!({"refresh_interval_minutes": 30});
    assert_eq!(app.patch_as(&path, &other, &patch).await.status(), 404);
    let answer = app.post_as(&format!("{path}/refresh"), &other, &json!({})).await;
    assert_eq!(answer.status(), 404);
    assert_eq!(app.delete_as(&format!("/v1/calendars/{id}"), &other).await.status(), 404);
    let listed = json_of(app.get_as("/v1/calendars/subscriptions", &other).await, 200).await;
    assert_eq!(listed["subscriptions"], json!([]));
    assert!(occurrences(&app, &other, &id).await.is_empty());
    let collection = format!("/dav/calendars/{owner}/{id}/");
    let answer = dav(&app, "PROPFIND", &collection, &other, &[("depth", "0")], "").await;
    assert_eq!(answer.status, 404);
    // Only the subscription's first fetch reached the feed.
    assert_eq!(feed.fetches(), 1);
    // The owner's is as it was.
    assert_eq!(status(&app, &token, &id).await["refresh_interval_minutes"], 60);
}

#[tokio::test]
async fn a_person_has_at_most_fifty_subscriptions() {
    let app = app().await;
    let (_, token) = app.person();
    let feed = Feed::serve(&[A]).await;
    let mut made = Vec::new();
    for _ in 0..50 {
        let subscription = subscribe(&app, &token, &feed.url("/feed.ics")).await;
        made.push(subscription["subscription"]["calendar"]["id"].as_str().unwrap().to_owned());
    }
    let body = json!({"url": feed.url("/feed.ics")});
    let full = json_of(app.post_as("/v1/calendars/subscriptions", &token, &body).await, 409).await;
    assert!(full["error"]["message"].as_str().unwrap().contains("50 subscriptions"), "{full}");
    assert_eq!(feed.fetches(), 50);
    // Someone else's are their own; and one deleted makes room again.
    let (_, other) = app.person();
    subscribe(&app, &other, &feed.url("/feed.ics")).await;
    assert_eq!(app.delete_as(&format!("/v1/calendars/{}", made[0]), &token).await.status(), 204);
    subscribe(&app, &token, &feed.url("/feed.ics")).await;
}

#[tokio::test]
async fn the_refresher_refreshes_what_is_due_by_itself_once_no_lease_holds_it() {
    let mut vars = allow_loopback();
    vars.push(("CALENDAR_SUBSCRIPTION_POLL_SECS", "1".to_owned()));
    let app = spawn(Models::test(), None, &vars).await;
    let (_, token) = app.person();
    let feed = Feed::serve(&[A]).await;
    let made = subscribe(&app, &token, &feed.url("/feed.ics")).await;
    let id = made["subscription"]["calendar"]["id"].as_str().unwrap().to_owned();
    feed.set(&[A, D]);

    // Not due: left alone.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(feed.fetches(), 1);

    // Due but held by a lease (another replica refreshing it): left alone, and a refresh asked
    // for meanwhile is told so.
    let db = &app.db.pool;
    sqlx::query(
        "UPDATE calendar.subscriptions SET next_refresh_at = now() - interval '1 second', \
         refreshing_until = now() + interval '1 hour'",
    )
    .execute(db)
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(feed.fetches(), 1);
    assert_eq!(status(&app, &token, &id).await["refreshing"], true);
    let busy = refresh(&app, &token, &id, 409).await;
    assert!(busy["error"]["message"].as_str().unwrap().contains("under way"), "{busy}");

    // The lease lapses: the refresher takes it within a poll or two, once.
    sqlx::query("UPDATE calendar.subscriptions SET refreshing_until = now() - interval '1 second'")
        .execute(db)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let seen = occurrences(&app, &token, &id).await;
        if seen.iter().any(|(summary, _)| summary == "Planning") {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not refreshed: {seen:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let after = status(&app, &token, &id).await;
    assert_eq!(after["refreshing"], false, "{after}");
    assert_eq!(after["last_error"], Value::Null);
    let last = time(&after["last_refreshed_at"]);
    assert!(about(time(&after["next_refresh_at"]), last + chrono::Duration::hours(1)), "{after}");
    // Refreshed once, then not due again for an hour.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(feed.fetches(), 2);
}
