//! CalDAV on the calendar plugin's data, with raw WebDAV requests: discovery, calendars as
//! collections, resources with ETags, the calendar-query, calendar-multiget and
//! sync-collection reports, and isolation between people; then the Python `caldav` library
//! (PyPI) as a real client.

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, spawn};
use crate::openai::python;

async fn app() -> AgentsApp {
    spawn(Models::test(), None, &[]).await
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }

    /// Each `<d:response>` as (href, its XML).
    fn responses(&self) -> Vec<(String, String)> {
        self.body
            .split("<d:response>")
            .skip(1)
            .map(|part| {
                let href = part.split("<d:href>").nth(1).unwrap().split("</d:href>").next();
                (href.unwrap().to_owned(), part.split("</d:response>").next().unwrap().to_owned())
            })
            .collect()
    }

    fn hrefs(&self) -> Vec<String> {
        self.responses().into_iter().map(|(href, _)| href).collect()
    }
}

async fn dav(
    app: &AgentsApp,
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.request(method, path, token).body(body.to_owned());
    if !body.is_empty() && !headers.iter().any(|(name, _)| *name == "content-type") {
        request = request.header("content-type", "application/xml; charset=utf-8");
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    Answer { status, headers, body: response.text().await.unwrap() }
}

async fn propfind(app: &AgentsApp, path: &str, token: &str, depth: &str, props: &str) -> Answer {
    let body = format!(
        r#"<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/" xmlns:ic="http://apple.com/ns/ical/"><d:prop>{props}</d:prop></d:propfind>"#
    );
    let answer = dav(app, "PROPFIND", path, token, &[("depth", depth)], &body).await;
    assert_eq!(answer.status, 207, "{}", answer.body);
    assert!(answer.header("content-type").starts_with("application/xml"));
    answer
}

fn event(uid: &str, summary: &str, start: &str, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTAMP:20240101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nSUMMARY:{summary}\r\n\
         {extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

async fn put(
    app: &AgentsApp,
    path: &str,
    token: &str,
    ics: &str,
    extra: &[(&str, &str)],
) -> Answer {
    let mut headers = vec![("content-type", "text/calendar; charset=utf-8")];
    headers.extend_from_slice(extra);
    dav(app, "PUT", path, token, &headers, ics).await
}

async fn rest_calendar(app: &AgentsApp, token: &str, name: &str) -> String {
    let body = json!({"name": name, "time_zone": "Europe/Berlin", "colour": "#3366cc"});
    let response = app.post_as("/v1/calendars", token, &body).await;
    assert_eq!(response.status(), 201);
    let calendar: Value = response.json().await.unwrap();
    calendar["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn discovery_leads_from_the_well_known_url_to_the_calendars() {
    let app = app().await;
    let (person, token) = app.person();
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build();
    let response =
        plain.unwrap().get(format!("{}/.well-known/caldav", app.address)).send().await.unwrap();
    assert_eq!(response.status(), 301);
    assert_eq!(response.headers()["location"], "/dav/");

    let options = dav(&app, "OPTIONS", "/dav/", "", &[], "").await;
    assert_eq!(options.status, 200);
    assert!(options.header("dav").contains("calendar-access"), "{:?}", options.headers);
    assert!(options.header("allow").contains("REPORT"));
    let anonymous = app.client.request(
        reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
        format!("{}/dav/", app.address),
    );
    let anonymous = anonymous.send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let challenges: Vec<_> = anonymous.headers().get_all("www-authenticate").iter().collect();
    assert!(challenges.iter().any(|c| c.to_str().unwrap().starts_with("Basic realm=\"Posey\"")));
    let bad = propfind_status(&app, "/dav/", "not-a-token").await;
    assert_eq!(bad, 401);

    let root = propfind(&app, "/dav/", &token, "0", "<d:current-user-principal/>").await;
    let principal = format!("/dav/principals/{person}/");
    assert!(root.body.contains(&format!("<d:current-user-principal><d:href>{principal}</d:href>")));
    let found = propfind(
        &app,
        &principal,
        &token,
        "0",
        "<c:calendar-home-set/><d:displayname/><x:nope xmlns:x=\"urn:x\"/>",
    )
    .await;
    let home = format!("/dav/calendars/{person}/");
    assert!(
        found.body.contains(&format!("<c:calendar-home-set><d:href>{home}</d:href>")),
        "{}",
        found.body
    );
    assert!(found.body.contains("HTTP/1.1 404 Not Found"), "an unknown property is a 404 propstat");

    let id = rest_calendar(&app, &token, "Home").await;
    let props = "<d:resourcetype/><d:displayname/><ic:calendar-color/><cs:getctag/><d:sync-token/><c:supported-calendar-component-set/><c:calendar-timezone-id/><d:supported-report-set/>";
    let listing = propfind(&app, &home, &token, "1", props).await;
    assert_eq!(listing.hrefs(), vec![home.clone(), format!("{home}{id}/")]);
    let (_, calendar) = &listing.responses()[1];
    for part in [
        "<d:collection/><c:calendar/>",
        "<d:displayname>Home</d:displayname>",
        "<ic:calendar-color>#3366cc</ic:calendar-color>",
        "<c:comp name=\"VEVENT\"/><c:comp name=\"VTODO\"/>",
        "<c:calendar-timezone-id>Europe/Berlin</c:calendar-timezone-id>",
        "<d:sync-token>http://posey/sync/",
        "<c:calendar-multiget/>",
    ] {
        assert!(calendar.contains(part), "{part} in {calendar}");
    }

    // MKCALENDAR keeps the client's segment; the calendar is the REST API's too.
    let make = r#"<?xml version="1.0"?><c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop><d:displayname>Work</d:displayname><c:calendar-timezone-id>America/New_York</c:calendar-timezone-id></d:prop></d:set></c:mkcalendar>"#;
    let work = format!("{home}work%20stuff/");
    assert_eq!(dav(&app, "MKCALENDAR", &work, &token, &[], make).await.status, 201);
    assert_eq!(dav(&app, "MKCALENDAR", &work, &token, &[], make).await.status, 405);
    let listing = propfind(&app, &home, &token, "1", "<d:displayname/>").await;
    assert!(listing.hrefs().contains(&work), "{:?}", listing.hrefs());
    let patch = r#"<?xml version="1.0"?><d:propertyupdate xmlns:d="DAV:" xmlns:ic="http://apple.com/ns/ical/"><d:set><d:prop><d:displayname>Office</d:displayname><ic:calendar-color>#FF0000FF</ic:calendar-color><ic:calendar-order>3</ic:calendar-order></d:prop></d:set></d:propertyupdate>"#;
    let patched = dav(&app, "PROPPATCH", &work, &token, &[], patch).await;
    assert_eq!(patched.status, 207, "{}", patched.body);
    assert!(
        patched.body.contains("<ic:calendar-order/></d:prop><d:status>HTTP/1.1 403"),
        "{}",
        patched.body
    );
    let calendars: Value = app.get_as("/v1/calendars", &token).await.json().await.unwrap();
    let office = calendars["calendars"].as_array().unwrap().iter().find(|c| c["name"] == "Office");
    let office = office.expect("the PROPPATCH renamed the calendar");
    assert_eq!(office["colour"], "#ff0000");
    assert_eq!(office["time_zone"], "America/New_York");
    assert_eq!(dav(&app, "DELETE", &work, &token, &[], "").await.status, 204);
    assert_eq!(propfind_status(&app, &work, &token).await, 404);
}

async fn propfind_status(app: &AgentsApp, path: &str, token: &str) -> u16 {
    dav(app, "PROPFIND", path, token, &[("depth", "0")], "").await.status
}

#[tokio::test]
async fn resources_are_put_read_and_deleted_with_etags() {
    let app = app().await;
    let (person, token) = app.person();
    let id = rest_calendar(&app, &token, "Home").await;
    let calendar = format!("/dav/calendars/{person}/{id}/");
    let path = format!("{calendar}lunch.ics");
    let lunch = event("lunch-1", "Lunch", "20240310T120000Z", "");

    let made = put(&app, &path, &token, &lunch, &[("if-none-match", "*")]).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let etag = made.header("etag").to_owned();
    assert!(etag.starts_with('"'));
    assert_eq!(put(&app, &path, &token, &lunch, &[("if-none-match", "*")]).await.status, 412);
    let got = dav(&app, "GET", &path, &token, &[], "").await;
    assert_eq!((got.status, got.header("etag")), (200, etag.as_str()));
    assert!(got.body.contains("SUMMARY:Lunch") && got.body.contains("UID:lunch-1"));
    let rest: Value = app
        .get_as("/v1/events?from=2024-03-10T00:00:00Z&to=2024-03-11T00:00:00Z", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["occurrences"][0]["summary"], "Lunch");
    assert_eq!(rest["occurrences"][0]["etag"], etag.as_str());

    let later = event("lunch-1", "Late lunch", "20240310T130000Z", "");
    let stale = put(&app, &path, &token, &later, &[("if-match", "\"stale\"")]).await;
    assert_eq!(stale.status, 412);
    let changed = put(&app, &path, &token, &later, &[("if-match", &etag)]).await;
    assert_eq!(changed.status, 204, "{}", changed.body);
    let new_etag = changed.header("etag").to_owned();
    assert_ne!(new_etag, etag);
    assert_eq!(dav(&app, "GET", &path, &token, &[], "").await.header("etag"), new_etag);

    // One UID is one resource, and a resource keeps its UID.
    let elsewhere = put(&app, &format!("{calendar}copy.ics"), &token, &later, &[]).await;
    assert_eq!(elsewhere.status, 403);
    assert!(elsewhere.body.contains("<c:no-uid-conflict/>"), "{}", elsewhere.body);
    let other = event("dinner-1", "Dinner", "20240310T190000Z", "");
    let replaced = put(&app, &path, &token, &other, &[]).await;
    assert_eq!(replaced.status, 403);
    assert!(replaced.body.contains("no-uid-conflict"));
    let broken = put(
        &app,
        &format!("{calendar}bad.ics"),
        &token,
        "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        &[],
    )
    .await;
    assert_eq!(broken.status, 403);
    assert!(broken.body.contains("<c:valid-calendar-data/>"), "{}", broken.body);
    assert!(broken.body.contains("no VEVENT or VTODO"), "{}", broken.body);
    let typed = dav(
        &app,
        "PUT",
        &format!("{calendar}x.ics"),
        &token,
        &[("content-type", "text/plain")],
        &other,
    )
    .await;
    assert_eq!(typed.status, 415);
    let nowhere =
        put(&app, &format!("/dav/calendars/{person}/nothing/x.ics"), &token, &other, &[]).await;
    assert_eq!(nowhere.status, 409);

    let members = propfind(&app, &calendar, &token, "1", "<d:getetag/><d:getcontenttype/>").await;
    assert_eq!(members.hrefs(), vec![calendar.clone(), path.clone()]);
    assert!(
        members
            .body
            .contains(&format!("<d:getetag>{}</d:getetag>", new_etag.replace('"', "&quot;")))
    );
    assert!(members.body.contains("component=vevent"));

    let refused = dav(&app, "DELETE", &path, &token, &[("if-match", &etag)], "").await;
    assert_eq!(refused.status, 412);
    assert_eq!(
        dav(&app, "DELETE", &path, &token, &[("if-match", &new_etag)], "").await.status,
        204
    );
    assert_eq!(dav(&app, "GET", &path, &token, &[], "").await.status, 404);
    assert_eq!(dav(&app, "DELETE", &path, &token, &[], "").await.status, 404);
    // The name is free again, for another UID too.
    assert_eq!(put(&app, &path, &token, &other, &[("if-none-match", "*")]).await.status, 201);
}

async fn report(app: &AgentsApp, path: &str, token: &str, body: &str) -> Answer {
    let answer = dav(app, "REPORT", path, token, &[("depth", "1")], body).await;
    assert_eq!(answer.status, 207, "{}", answer.body);
    answer
}

fn query(component: &str, range: &str, more: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="{component}">{range}{more}</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"#
    )
}

#[tokio::test]
async fn calendar_query_and_multiget_find_resources() {
    let app = app().await;
    let (person, token) = app.person();
    let id = rest_calendar(&app, &token, "Home").await;
    let calendar = format!("/dav/calendars/{person}/{id}/");
    let objects = [
        ("single.ics", event("single", "Sunday brunch", "20240310T100000Z", "")),
        (
            "weekly.ics",
            event("weekly", "Standup", "20240101T090000Z", "RRULE:FREQ=WEEKLY;BYDAY=MO\r\n"),
        ),
        (
            "short.ics",
            event("short", "January only", "20240101T150000Z", "RRULE:FREQ=WEEKLY;COUNT=3\r\n"),
        ),
        (
            "todo.ics",
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VTODO\r\nUID:todo\r\n\
             DTSTAMP:20240101T000000Z\r\nDUE:20240311T170000Z\r\nSUMMARY:Taxes\r\nEND:VTODO\r\n\
             END:VCALENDAR\r\n"
                .to_owned(),
        ),
    ];
    for (name, ics) in &objects {
        let made = put(&app, &format!("{calendar}{name}"), &token, ics, &[]).await;
        assert_eq!(made.status, 201, "{}", made.body);
    }

    // Monday 11 March: the weekly series (which began in January) has an occurrence then.
    let monday = r#"<c:time-range start="20240311T000000Z" end="20240312T000000Z"/>"#;
    let found = report(&app, &calendar, &token, &query("VEVENT", monday, "")).await;
    assert_eq!(found.hrefs(), vec![format!("{calendar}weekly.ics")], "{}", found.body);
    assert!(found.body.contains("<c:calendar-data>BEGIN:VCALENDAR"));
    assert!(found.body.contains("RRULE:FREQ=WEEKLY;BYDAY=MO"));
    let sunday = r#"<c:time-range start="20240310T000000Z" end="20240311T000000Z"/>"#;
    let found = report(&app, &calendar, &token, &query("VEVENT", sunday, "")).await;
    assert_eq!(found.hrefs(), vec![format!("{calendar}single.ics")]);
    let january = r#"<c:time-range start="20240108T000000Z" end="20240109T000000Z"/>"#;
    let mut hrefs = report(&app, &calendar, &token, &query("VEVENT", january, "")).await.hrefs();
    hrefs.sort();
    assert_eq!(hrefs, vec![format!("{calendar}short.ics"), format!("{calendar}weekly.ics")]);
    let open_ended = r#"<c:time-range start="20300101T000000Z"/>"#;
    let found = report(&app, &calendar, &token, &query("VEVENT", open_ended, "")).await;
    assert_eq!(found.hrefs(), vec![format!("{calendar}weekly.ics")]);
    let todos = report(&app, &calendar, &token, &query("VTODO", monday, "")).await;
    assert_eq!(todos.hrefs(), vec![format!("{calendar}todo.ics")]);
    let by_uid = r#"<c:prop-filter name="UID"><c:text-match collation="i;octet">single</c:text-match></c:prop-filter>"#;
    let found = report(&app, &calendar, &token, &query("VEVENT", "", by_uid)).await;
    assert_eq!(found.hrefs(), vec![format!("{calendar}single.ics")]);
    let everything = report(&app, &calendar, &token, &query("VEVENT", "", "")).await;
    assert_eq!(everything.hrefs().len(), 3);

    let multiget = format!(
        r#"<?xml version="1.0"?><c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop><d:href>{calendar}single.ics</d:href><d:href>{calendar}gone.ics</d:href><d:href>{}{calendar}todo.ics</d:href></c:calendar-multiget>"#,
        app.address
    );
    let got = report(&app, &calendar, &token, &multiget).await;
    let responses = got.responses();
    assert_eq!(responses.len(), 3, "{}", got.body);
    assert!(responses[0].1.contains("SUMMARY:Sunday brunch"));
    assert!(responses[1].1.contains("HTTP/1.1 404 Not Found"));
    assert!(responses[2].1.contains("SUMMARY:Taxes"));
}

fn sync_body(token: &str, limit: Option<u32>) -> String {
    let limit = limit.map(|n| format!("<d:limit><d:nresults>{n}</d:nresults></d:limit>"));
    format!(
        r#"<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>{}<d:prop><d:getetag/></d:prop></d:sync-collection>"#,
        limit.unwrap_or_default()
    )
}

fn token_of(answer: &Answer) -> String {
    answer
        .body
        .split("<d:sync-token>")
        .nth(1)
        .unwrap()
        .split("</d:sync-token>")
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn sync_collection_reports_what_changed_since_a_token() {
    let app = app().await;
    let (person, token) = app.person();
    let id = rest_calendar(&app, &token, "Home").await;
    let calendar = format!("/dav/calendars/{person}/{id}/");
    for name in ["a", "b", "c"] {
        let ics = event(name, name, "20240310T100000Z", "");
        assert_eq!(
            put(&app, &format!("{calendar}{name}.ics"), &token, &ics, &[]).await.status,
            201
        );
    }
    let first = report(&app, &calendar, &token, &sync_body("", None)).await;
    assert_eq!(first.hrefs().len(), 3, "{}", first.body);
    let first_token = token_of(&first);
    let ctag = propfind(&app, &calendar, &token, "0", "<d:sync-token/>").await;
    assert!(ctag.body.contains(&first_token));

    // A change, an addition (over REST) and a deletion.
    let changed = event("a", "a changed", "20240310T110000Z", "");
    assert_eq!(put(&app, &format!("{calendar}a.ics"), &token, &changed, &[]).await.status, 204);
    let body = json!({"calendar_id": id, "summary": "From REST", "start": {"date_time": "2024-03-12T10:00"}, "duration": "PT1H"});
    assert_eq!(app.post_as("/v1/events", &token, &body).await.status(), 201);
    assert_eq!(dav(&app, "DELETE", &format!("{calendar}b.ics"), &token, &[], "").await.status, 204);

    let next = report(&app, &calendar, &token, &sync_body(&first_token, None)).await;
    let responses = next.responses();
    assert_eq!(responses.len(), 3, "{}", next.body);
    assert_eq!(responses[0].0, format!("{calendar}a.ics"));
    assert!(responses[0].1.contains("<d:getetag>"));
    assert!(responses[1].0.ends_with("@posey.ics"), "the REST event: {}", responses[1].0);
    assert_eq!(responses[2].0, format!("{calendar}b.ics"));
    assert!(
        responses[2].1.contains("HTTP/1.1 404 Not Found") && !responses[2].1.contains("getetag")
    );
    let second_token = token_of(&next);
    assert_ne!(second_token, first_token);
    let quiet = report(&app, &calendar, &token, &sync_body(&second_token, None)).await;
    assert!(quiet.responses().is_empty(), "{}", quiet.body);
    assert_eq!(token_of(&quiet), second_token);

    // A limit gives the first changes and a token to go on from.
    let limited = report(&app, &calendar, &token, &sync_body(&first_token, Some(1))).await;
    let responses = limited.responses();
    assert_eq!(responses.len(), 2, "{}", limited.body);
    assert!(responses[0].1.contains("507"));
    let rest = report(&app, &calendar, &token, &sync_body(&token_of(&limited), None)).await;
    assert_eq!(rest.hrefs().len(), 2);

    for bad in [
        "http://posey/sync/nonsense",
        "urn:x",
        &second_token.replace(&id, &uuid::Uuid::nil().to_string()),
        &format!("http://posey/sync/{id}/99"),
    ] {
        let refused = dav(&app, "REPORT", &calendar, &token, &[], &sync_body(bad, None)).await;
        assert_eq!(refused.status, 403, "{bad}");
        assert!(refused.body.contains("<d:valid-sync-token/>"), "{}", refused.body);
        assert!(refused.header("content-type").starts_with("application/xml"));
    }
}

#[tokio::test]
async fn another_persons_calendars_are_not_found() {
    let app = app().await;
    let (owner, token) = app.person();
    let (_, stranger) = app.person();
    let id = rest_calendar(&app, &token, "Private").await;
    let calendar = format!("/dav/calendars/{owner}/{id}/");
    let secret = event("secret", "Secret", "20240310T100000Z", "");
    assert_eq!(put(&app, &format!("{calendar}secret.ics"), &token, &secret, &[]).await.status, 201);

    for path in [
        format!("/dav/principals/{owner}/"),
        format!("/dav/calendars/{owner}/"),
        calendar.clone(),
        format!("{calendar}secret.ics"),
    ] {
        assert_eq!(propfind_status(&app, &path, &stranger).await, 404, "{path}");
    }
    assert_eq!(
        dav(&app, "GET", &format!("{calendar}secret.ics"), &stranger, &[], "").await.status,
        404
    );
    assert_eq!(
        put(&app, &format!("{calendar}mine.ics"), &stranger, &secret, &[]).await.status,
        404
    );
    assert_eq!(
        dav(&app, "DELETE", &format!("{calendar}secret.ics"), &stranger, &[], "").await.status,
        404
    );
    assert_eq!(dav(&app, "DELETE", &calendar, &stranger, &[], "").await.status, 404);
    let query = query("VEVENT", "", "");
    assert_eq!(dav(&app, "REPORT", &calendar, &stranger, &[], &query).await.status, 404);
    let mkcalendar = format!("/dav/calendars/{owner}/new/");
    assert_eq!(dav(&app, "MKCALENDAR", &mkcalendar, &stranger, &[], "").await.status, 404);
    let answer = dav(&app, "PROPFIND", &format!("/dav/calendars/{owner}/"), "", &[], "").await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        dav(&app, "GET", &format!("{calendar}secret.ics"), &token, &[], "").await.status,
        200
    );
}

/// Hostile XML is refused before anything is read from it.
#[tokio::test]
async fn hostile_xml_is_refused() {
    let app = app().await;
    let (person, token) = app.person();
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE d:propfind [<!ENTITY x SYSTEM "file:///etc/passwd">]><d:propfind xmlns:d="DAV:"><d:prop><d:displayname>&x;</d:displayname></d:prop></d:propfind>"#;
    let answer =
        dav(&app, "PROPFIND", &format!("/dav/principals/{person}/"), &token, &[], xxe).await;
    assert_eq!(answer.status, 400);
    assert!(answer.body.contains("DOCTYPE"), "{}", answer.body);
    let deep = "<a>".repeat(1000) + &"</a>".repeat(1000);
    assert_eq!(dav(&app, "PROPFIND", "/dav/", &token, &[], &deep).await.status, 400);
    let huge = format!("<d:propfind xmlns:d=\"DAV:\">{}</d:propfind>", " ".repeat(2 << 20));
    assert_eq!(dav(&app, "PROPFIND", "/dav/", &token, &[], &huge).await.status, 413);
}

#[tokio::test]
async fn the_python_caldav_client_keeps_a_calendar() {
    let app = app().await;
    let (person, token) = app.person();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/caldav_client.py");
    let output = tokio::process::Command::new(python())
        .arg(script)
        .env("POSEY_DAV_URL", format!("{}/dav/principals/{person}/", app.address))
        .env("POSEY_TOKEN", &token)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("caldav client ok"), "{stdout}");

    // What the client left is what the REST API and the database hold.
    let calendars: Value = app.get_as("/v1/calendars", &token).await.json().await.unwrap();
    let names: Vec<&str> = calendars["calendars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Python"), "{names:?}");
    let events: Value = app
        .get_as("/v1/events?from=2024-05-01T00:00:00Z&to=2024-06-01T00:00:00Z", &token)
        .await
        .json()
        .await
        .unwrap();
    let summaries: Vec<&str> = events["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["summary"].as_str().unwrap())
        .collect();
    assert!(summaries.contains(&"Dentist (moved)"), "{summaries:?}");
    assert!(summaries.iter().filter(|s| **s == "Yoga").count() >= 4, "{summaries:?}");
    let (live, dead): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE ics IS NOT NULL), count(*) FILTER (WHERE ics IS NULL) \
         FROM calendar.objects WHERE user_id = $1",
    )
    .bind(person)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!((live, dead), (2, 1), "the dentist and yoga live, the to-do's tombstone stays");
}
