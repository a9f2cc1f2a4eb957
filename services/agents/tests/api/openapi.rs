//! `GET /openapi.json`: the document generated from the routes is served, every operation it
//! names is served (and every other method on its paths is a 405), it names every route the
//! service has, it is valid OpenAPI 3.1 (checked by the Node validator in posey-testkit's `openapi/`,
//! against the official schema), and real answers of every operation, errors included, match
//! the schemas it gives for them; the events of a turn's stream are the ones it describes.
//! (That it names every route the router serves is checked in `routes::openapi`'s unit test.)

use std::collections::BTreeSet;

use posey_testkit::openapi::{Samples, check_with_node, operations};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::calendar_subscriptions::{A as SUBSCRIBED, Feed};
use crate::documents::pdf;
use crate::helpers::{Models, spawn};
use crate::service::service_token;

/// Every route of the service (path, method): a new route must be added here and documented.
const ROUTES: &[(&str, &str)] = &[
    ("/healthz", "get"),
    ("/mcp", "post"),
    ("/openapi.json", "get"),
    ("/readyz", "get"),
    ("/v1/actions", "get"),
    ("/v1/actions/{id}/confirm", "post"),
    ("/v1/actions/{id}/deny", "post"),
    ("/v1/agents", "get"),
    ("/v1/calendars", "get"),
    ("/v1/calendars", "post"),
    ("/v1/calendars/subscriptions", "get"),
    ("/v1/calendars/subscriptions", "post"),
    ("/v1/calendars/{id}", "delete"),
    ("/v1/calendars/{id}", "get"),
    ("/v1/calendars/{id}", "patch"),
    ("/v1/calendars/{id}/export", "get"),
    ("/v1/calendars/{id}/feed", "delete"),
    ("/v1/calendars/{id}/feed", "post"),
    ("/v1/calendars/{id}/import", "post"),
    ("/v1/calendars/{id}/subscription", "get"),
    ("/v1/calendars/{id}/subscription", "patch"),
    ("/v1/calendars/{id}/subscription/refresh", "post"),
    ("/v1/chat/completions", "post"),
    ("/v1/conversations", "get"),
    ("/v1/conversations", "post"),
    ("/v1/conversations/{id}", "delete"),
    ("/v1/conversations/{id}", "get"),
    ("/v1/conversations/{id}", "patch"),
    ("/v1/conversations/{id}/messages", "get"),
    ("/v1/conversations/{id}/messages", "post"),
    ("/v1/documents", "get"),
    ("/v1/documents", "post"),
    ("/v1/documents/{id}", "delete"),
    ("/v1/documents/{id}", "get"),
    ("/v1/documents/{id}/chunks", "get"),
    ("/v1/documents/{id}/reindex", "post"),
    ("/v1/events", "get"),
    ("/v1/events", "post"),
    ("/v1/events/{id}", "delete"),
    ("/v1/events/{id}", "get"),
    ("/v1/events/{id}", "patch"),
    ("/v1/feeds/{token}", "get"),
    ("/v1/finance/accounts", "get"),
    ("/v1/finance/accounts", "post"),
    ("/v1/finance/accounts/{id}", "delete"),
    ("/v1/finance/accounts/{id}", "get"),
    ("/v1/finance/accounts/{id}", "patch"),
    ("/v1/finance/accounts/{id}/reconcile", "post"),
    ("/v1/finance/bills", "get"),
    ("/v1/finance/bills", "post"),
    ("/v1/finance/bills/{id}", "delete"),
    ("/v1/finance/bills/{id}", "patch"),
    ("/v1/finance/budgets", "get"),
    ("/v1/finance/budgets/{category_id}/{month}", "put"),
    ("/v1/finance/categories", "get"),
    ("/v1/finance/categories", "post"),
    ("/v1/finance/categories/{id}", "delete"),
    ("/v1/finance/categories/{id}", "patch"),
    ("/v1/finance/csv-mappings", "get"),
    ("/v1/finance/csv-mappings", "post"),
    ("/v1/finance/csv-mappings/{id}", "delete"),
    ("/v1/finance/csv-presets", "get"),
    ("/v1/finance/export.csv", "get"),
    ("/v1/finance/export.journal", "get"),
    ("/v1/finance/imports", "get"),
    ("/v1/finance/imports", "post"),
    ("/v1/finance/imports/{id}", "delete"),
    ("/v1/finance/imports/{id}", "get"),
    ("/v1/finance/imports/{id}/commit", "post"),
    ("/v1/finance/payees", "get"),
    ("/v1/finance/recurring", "get"),
    ("/v1/finance/recurring", "post"),
    ("/v1/finance/recurring/{id}", "delete"),
    ("/v1/finance/recurring/{id}", "get"),
    ("/v1/finance/recurring/{id}", "patch"),
    ("/v1/finance/recurring/{id}/skip", "post"),
    ("/v1/finance/reports/budget", "get"),
    ("/v1/finance/reports/cash-flow", "get"),
    ("/v1/finance/reports/net-worth", "get"),
    ("/v1/finance/reports/spending", "get"),
    ("/v1/finance/reports/upcoming-bills", "get"),
    ("/v1/finance/rules", "get"),
    ("/v1/finance/rules", "post"),
    ("/v1/finance/rules/{id}", "delete"),
    ("/v1/finance/rules/{id}", "patch"),
    ("/v1/finance/rules/{id}/apply", "post"),
    ("/v1/finance/rules/{id}/dry-run", "post"),
    ("/v1/finance/settings", "get"),
    ("/v1/finance/settings", "put"),
    ("/v1/finance/transactions", "get"),
    ("/v1/finance/transactions", "post"),
    ("/v1/finance/transactions/{id}", "delete"),
    ("/v1/finance/transactions/{id}", "get"),
    ("/v1/finance/transactions/{id}", "patch"),
    ("/v1/home/audit", "get"),
    ("/v1/home/connections", "get"),
    ("/v1/home/connections", "post"),
    ("/v1/home/connections/{id}", "delete"),
    ("/v1/home/entities", "get"),
    ("/v1/home/entities/{entity_id}", "get"),
    ("/v1/home/entities/{entity_id}/commands", "post"),
    ("/v1/home/entities/{entity_id}/history", "get"),
    ("/v1/home/exposure", "get"),
    ("/v1/home/exposure", "put"),
    ("/v1/home/watches", "get"),
    ("/v1/home/watches", "post"),
    ("/v1/home/watches/{id}", "delete"),
    ("/v1/me/export", "get"),
    ("/v1/me/export/progress", "get"),
    ("/v1/me/model", "get"),
    ("/v1/me/model", "put"),
    ("/v1/memories", "get"),
    ("/v1/memories", "post"),
    ("/v1/memories/export", "get"),
    ("/v1/memories/search", "get"),
    ("/v1/memories/{id}", "delete"),
    ("/v1/memories/{id}", "get"),
    ("/v1/memories/{id}", "patch"),
    ("/v1/models", "get"),
    ("/v1/plugins", "get"),
    ("/v1/profile", "get"),
    ("/v1/profile", "patch"),
    ("/v1/service/users/{user_id}/turns", "post"),
    ("/v1/todos", "get"),
    ("/v1/todos", "post"),
    ("/v1/todos/{id}", "delete"),
    ("/v1/todos/{id}", "get"),
    ("/v1/todos/{id}", "patch"),
];

#[tokio::test]
async fn every_documented_operation_is_served_and_no_other_method_is() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let spec: Value = response.json().await.unwrap();
    assert_eq!(spec["openapi"], "3.1.0");

    let methods = ["get", "post", "patch", "delete", "put"];
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        let id = uuid::Uuid::new_v4().to_string();
        let concrete = path.replace("{id}", &id).replace("{user_id}", &id);
        for method in methods {
            let request = app
                .request(method.to_uppercase().parse().unwrap(), &concrete, &token)
                .json(&json!({}));
            let response = request.send().await.unwrap();
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            if item.get(method).is_some() {
                documented.insert((path.clone(), method.to_owned()));
                assert_ne!(status, 405, "{method} {path} is documented but not served");
                assert!(
                    !body.contains("no such route"),
                    "{method} {path} is documented but not served"
                );
            } else {
                assert_eq!(status, 405, "{method} {path} is served but not documented");
            }
        }
    }
    let expected: BTreeSet<(String, String)> =
        ROUTES.iter().map(|(path, method)| ((*path).to_owned(), (*method).to_owned())).collect();
    assert_eq!(documented, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_generated_document_is_served_valid_and_true_to_the_answers() {
    // Files are read by the posey-agents binary's extractor child.
    let extractor = env!("CARGO_BIN_EXE_posey-agents").to_owned();
    // Calendar subscriptions fetch a feed served here, on loopback.
    let vars = [
        ("AGENTS_DOCUMENT_EXTRACTOR", extractor),
        ("CALENDAR_SUBSCRIPTION_ALLOW", "127.0.0.1".to_owned()),
    ];
    let app = spawn(Models::test(), None, &vars).await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.unwrap();
    let generated: Value = serde_json::from_str(&posey_agents::openapi_json()).unwrap();
    assert_eq!(document, generated, "what is served is what the code generates");

    let (person, token) = app.person();
    let me = token.as_str();
    let service = service_token(&app);
    let mut s = Samples::default();
    let (get, post, put, patch, delete) =
        (Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE);
    let call = |method: Method, path: &str, token: &str| app.request(method, path, token);

    s.send("/healthz", app.client.get(format!("{}/healthz", app.address))).await;
    s.send("/readyz", app.client.get(format!("{}/readyz", app.address))).await;

    // The companion.
    let (_, agents) = s.send("/v1/agents", call(get.clone(), "/v1/agents", me)).await;
    let router = agents["agents"][0]["name"].as_str().unwrap().to_owned();
    s.send("/v1/agents", app.client.get(format!("{}/v1/agents", app.address))).await;
    s.send("/v1/agents", call(get.clone(), "/v1/agents", &service)).await;
    s.send("/v1/plugins", call(get.clone(), "/v1/plugins", me)).await;
    s.send("/v1/models", call(get.clone(), "/v1/models", me)).await;
    s.send("/v1/me/model", call(get.clone(), "/v1/me/model", me)).await;
    s.send("/v1/me/export", call(get.clone(), "/v1/me/export", me)).await;
    s.send("/v1/me/export", app.client.get(format!("{}/v1/me/export", app.address))).await;
    let progress = "/v1/me/export/progress";
    s.send(progress, call(get.clone(), progress, me)).await;
    s.send(progress, app.client.get(format!("{}{progress}", app.address))).await;
    let (status, _) = s
        .send("/v1/me/model", call(put.clone(), "/v1/me/model", me).json(&json!({"model": null})))
        .await;
    assert_eq!(status, StatusCode::OK);
    s.send("/v1/me/model", call(put.clone(), "/v1/me/model", me).json(&json!({"model": "nope"})))
        .await;
    let broken = call(put.clone(), "/v1/me/model", me).header("content-type", "application/json");
    s.send("/v1/me/model", broken.body("{")).await;
    s.send("/v1/profile", call(get.clone(), "/v1/profile", me)).await;
    let change = json!({"name": "Ada", "time_zone": "Europe/Paris", "preferences": {"tea": true}});
    s.send("/v1/profile", call(patch.clone(), "/v1/profile", me).json(&change)).await;
    let bad = json!({"time_zone": "Mars/Olympus"});
    s.send("/v1/profile", call(patch.clone(), "/v1/profile", me).json(&bad)).await;

    // Conversations and their turns.
    let (status, conversation) =
        s.send("/v1/conversations", call(post.clone(), "/v1/conversations", me)).await;
    assert_eq!(status, StatusCode::CREATED, "{conversation}");
    let id = conversation["id"].as_str().unwrap().to_owned();
    let bad = json!({"title": "", "agent": "nobody"});
    s.send("/v1/conversations", call(post.clone(), "/v1/conversations", me).json(&bad)).await;
    s.send("/v1/conversations", call(get.clone(), "/v1/conversations?limit=10", me)).await;
    s.send("/v1/conversations", call(get.clone(), "/v1/conversations?limit=x", me)).await;
    let one = format!("/v1/conversations/{id}");
    let template = "/v1/conversations/{id}";
    let rename = json!({"title": "Plans"});
    s.send(template, call(patch.clone(), &one, me).json(&rename)).await;
    s.send(template, call(get.clone(), &one, me)).await;
    let missing = format!("/v1/conversations/{}", uuid::Uuid::new_v4());
    s.send(template, call(get.clone(), &missing, me)).await;
    let events = app.chat(me, &id, "Hello there").await;
    s.0.push(json!({"method": "post", "path": "/v1/conversations/{id}/messages", "status": 200, "body": null}));
    check_events(&document, &events);
    let messages = "/v1/conversations/{id}/messages";
    let too_long = json!({"content": "x".repeat(32_001)});
    s.send(messages, call(post.clone(), &format!("{one}/messages"), me).json(&too_long)).await;
    s.send(
        messages,
        call(post.clone(), &format!("{missing}/messages"), me).json(&json!({"content": "hi"})),
    )
    .await;
    s.send(messages, call(get.clone(), &format!("{one}/messages"), me)).await;

    // The OpenAI-compatible API.
    let completion = json!({"model": router, "messages": [{"role": "user", "content": "Hi"}]});
    let (status, answer) = s
        .send(
            "/v1/chat/completions",
            call(post.clone(), "/v1/chat/completions", me).json(&completion),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let unknown = json!({"model": "nobody", "messages": [{"role": "user", "content": "Hi"}]});
    s.send("/v1/chat/completions", call(post.clone(), "/v1/chat/completions", me).json(&unknown))
        .await;
    let wizard = json!({"model": router, "messages": [{"role": "wizard", "content": "Hi"}]});
    s.send("/v1/chat/completions", call(post.clone(), "/v1/chat/completions", me).json(&wizard))
        .await;

    // A turn another service runs for the person.
    let turns = "/v1/service/users/{user_id}/turns";
    let path = format!("/v1/service/users/{person}/turns");
    let prompt = json!({"prompt": "Brief me"});
    let (status, answer) = s
        .send(
            turns,
            call(post.clone(), &path, &service).header("Idempotency-Key", "k1").json(&prompt),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    s.send(turns, call(post.clone(), &path, me).json(&prompt)).await;
    s.send(turns, call(post.clone(), &path, &service).json(&json!({"prompt": ""}))).await;
    let elsewhere = json!({"prompt": "Brief me", "conversation_id": uuid::Uuid::new_v4()});
    s.send(turns, call(post.clone(), &path, &service).json(&elsewhere)).await;
    s.send(template, call(delete.clone(), &one, me)).await;
    s.send(template, call(delete.clone(), &one, me)).await;

    // Memories.
    let remember = json!({"text": "Ada drinks green tea", "kind": "preference"});
    let (status, memory) =
        s.send("/v1/memories", call(post.clone(), "/v1/memories", me).json(&remember)).await;
    assert_eq!(status, StatusCode::CREATED, "{memory}");
    let bad = json!({"text": "", "kind": "rumour"});
    s.send("/v1/memories", call(post.clone(), "/v1/memories", me).json(&bad)).await;
    s.send("/v1/memories", call(get.clone(), "/v1/memories?kind=preference", me)).await;
    s.send("/v1/memories", call(get.clone(), "/v1/memories?kind=rumour", me)).await;
    let search = "/v1/memories/search";
    s.send(search, call(get.clone(), "/v1/memories/search?q=tea&limit=5", me)).await;
    s.send(search, call(get.clone(), "/v1/memories/search?q=", me)).await;
    s.send("/v1/memories/export", call(get.clone(), "/v1/memories/export", me)).await;
    let one = format!("/v1/memories/{}", memory["id"].as_str().unwrap());
    let template = "/v1/memories/{id}";
    s.send(template, call(get.clone(), &one, me)).await;
    let (status, edited) = s
        .send(template, call(patch.clone(), &one, me).json(&json!({"text": "Ada drinks oolong"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    s.send(template, call(patch.clone(), &one, me).json(&json!({"kind": "rumour"}))).await;
    s.send(template, call(delete.clone(), &one, me)).await;
    s.send(template, call(get.clone(), &one, me)).await;

    // Documents.
    let upload = |bytes: Vec<u8>, name: &str| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        call(post.clone(), "/v1/documents", me)
            .multipart(reqwest::multipart::Form::new().part("file", part))
    };
    let bytes = pdf(&["The kettle is in the second cupboard."]);
    let (status, document_body) = s.send("/v1/documents", upload(bytes.clone(), "home.pdf")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{document_body}");
    let id = document_body["id"].as_str().unwrap().to_owned();
    let settled = app.settled(me, &id).await;
    assert_eq!(settled["status"], "ready", "{settled}");
    s.send("/v1/documents", upload(bytes, "home.pdf")).await;
    s.send("/v1/documents", upload(Vec::new(), "empty.txt")).await;
    s.send("/v1/documents", upload(vec![0, 159, 146, 150, 0, 1], "blob.bin")).await;
    s.send("/v1/documents", call(post.clone(), "/v1/documents", me).json(&json!({}))).await;
    s.send("/v1/documents", call(get.clone(), "/v1/documents", me)).await;
    let one = format!("/v1/documents/{id}");
    let template = "/v1/documents/{id}";
    s.send(template, call(get.clone(), &one, me)).await;
    let chunks = "/v1/documents/{id}/chunks";
    s.send(chunks, call(get.clone(), &format!("{one}/chunks?limit=5"), me)).await;
    let reindex = "/v1/documents/{id}/reindex";
    let (status, requeued) =
        s.send(reindex, call(post.clone(), &format!("{one}/reindex"), me)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{requeued}");
    s.send(reindex, call(post.clone(), &format!("{one}/reindex"), me)).await;
    app.settled(me, &id).await;
    s.send(template, call(delete.clone(), &one, me)).await;
    s.send(template, call(get.clone(), &one, me)).await;
    s.send(chunks, call(get.clone(), &format!("{one}/chunks"), me)).await;

    // The calendar: calendars, events in the three scopes with ETags, to-dos, ICS and feeds.
    let (status, calendar) = s
        .send(
            "/v1/calendars",
            call(post.clone(), "/v1/calendars", me)
                .json(&json!({"name": "Home", "time_zone": "Europe/Berlin", "colour": "#3366cc"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{calendar}");
    s.send("/v1/calendars", call(post.clone(), "/v1/calendars", me).json(&json!({}))).await;
    s.send("/v1/calendars", call(get.clone(), "/v1/calendars", me)).await;
    let cal = format!("/v1/calendars/{}", calendar["id"].as_str().unwrap());
    let cal_template = "/v1/calendars/{id}";
    s.send(cal_template, call(get.clone(), &cal, me)).await;
    s.send(cal_template, call(patch.clone(), &cal, me).json(&json!({"name": "Family"}))).await;
    s.send(cal_template, call(patch.clone(), &cal, me).json(&json!({"colour": "red"}))).await;
    let weekly = json!({"calendar_id": calendar["id"], "summary": "Swim",
        "start": {"date_time": "2030-01-07T18:00"}, "duration": "PT1H",
        "recurrence": {"rules": ["FREQ=WEEKLY;COUNT=4"]}, "alarms": [{"offset": "-PT15M"}]});
    let (status, event) =
        s.send("/v1/events", call(post.clone(), "/v1/events", me).json(&weekly)).await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let bad = json!({"summary": "x", "start": {"date": "2030-13-01"}});
    s.send("/v1/events", call(post.clone(), "/v1/events", me).json(&bad)).await;
    let window = "/v1/events?from=2030-01-01T00:00:00Z&to=2030-03-01T00:00:00Z";
    let (_, listed) = s.send("/v1/events", call(get.clone(), window, me)).await;
    s.send("/v1/events", call(get.clone(), "/v1/events?from=soon", me)).await;
    let occurrence = listed["occurrences"][1]["occurrence"].as_str().unwrap().to_owned();
    let ev = format!("/v1/events/{}", event["id"].as_str().unwrap());
    let ev_template = "/v1/events/{id}";
    s.send(ev_template, call(get.clone(), &ev, me)).await;
    let this = format!("{ev}?scope=this&occurrence={occurrence}");
    s.send(ev_template, call(patch.clone(), &this, me).json(&json!({"summary": "Swim (pool 2)"})))
        .await;
    let stale = call(patch.clone(), &ev, me).header("if-match", "\"stale\"");
    s.send(ev_template, stale.json(&json!({"summary": "Late"}))).await;
    s.send(ev_template, call(delete.clone(), &this, me)).await;
    s.send(ev_template, call(get.clone(), "/v1/events/01a248fb-0000-7000-8000-000000000000", me))
        .await;
    let todo = json!({"summary": "Pack the bag", "due": {"date": "2030-01-07"}, "priority": 2});
    let (_, todo) = s.send("/v1/todos", call(post.clone(), "/v1/todos", me).json(&todo)).await;
    s.send("/v1/todos", call(post.clone(), "/v1/todos", me).json(&json!({"summary": ""}))).await;
    s.send("/v1/todos", call(get.clone(), "/v1/todos", me)).await;
    s.send("/v1/todos", call(get.clone(), "/v1/todos?status=maybe", me)).await;
    let td = format!("/v1/todos/{}", todo["id"].as_str().unwrap());
    let td_template = "/v1/todos/{id}";
    s.send(td_template, call(get.clone(), &td, me)).await;
    s.send(td_template, call(patch.clone(), &td, me).json(&json!({"status": "completed"}))).await;
    s.send(td_template, call(patch.clone(), &td, me).json(&json!({"priority": 12}))).await;
    s.send(td_template, call(delete.clone(), &td, me)).await;
    s.send(td_template, call(delete.clone(), &td, me)).await;
    let import = "/v1/calendars/{id}/import";
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:a@b\r\n\
               DTSTAMP:20300101T000000Z\r\nDTSTART:20300110T100000Z\r\nSUMMARY:Imported\r\n\
               END:VEVENT\r\nEND:VCALENDAR\r\n";
    let as_ics = |builder: reqwest::RequestBuilder, body: &str| {
        builder.header("content-type", "text/calendar").body(body.to_owned())
    };
    s.send(import, as_ics(call(post.clone(), &format!("{cal}/import"), me), ics)).await;
    s.send(import, as_ics(call(post.clone(), &format!("{cal}/import"), me), "BEGIN:VEVENT")).await;
    s.send(import, call(post.clone(), &format!("{cal}/import"), me).json(&json!({}))).await;
    s.send("/v1/calendars/{id}/export", call(get.clone(), &format!("{cal}/export"), me)).await;
    let feed = "/v1/calendars/{id}/feed";
    let (_, made) = s.send(feed, call(post.clone(), &format!("{cal}/feed"), me)).await;
    s.send(
        "/v1/feeds/{token}",
        app.client.get(format!("{}{}", app.address, made["path"].as_str().unwrap())),
    )
    .await;
    s.send("/v1/feeds/{token}", app.client.get(format!("{}/v1/feeds/nothing.ics", app.address)))
        .await;
    s.send(feed, call(delete.clone(), &format!("{cal}/feed"), me)).await;

    // Subscriptions: made from a feed, listed, read, its interval changed, refreshed (a 304),
    // and read-only to writes.
    let source = Feed::serve(&[SUBSCRIBED]).await;
    let subscriptions = "/v1/calendars/subscriptions";
    let new = json!({"url": source.url("/feed.ics"), "refresh_interval_minutes": 30});
    let (status, made) =
        s.send(subscriptions, call(post.clone(), subscriptions, me).json(&new)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let bad = json!({"url": "ftp://example.com/feed.ics"});
    s.send(subscriptions, call(post.clone(), subscriptions, me).json(&bad)).await;
    s.send(subscriptions, call(get.clone(), subscriptions, me)).await;
    let sub_cal =
        format!("/v1/calendars/{}", made["subscription"]["calendar"]["id"].as_str().unwrap());
    let sub = format!("{sub_cal}/subscription");
    let sub_template = "/v1/calendars/{id}/subscription";
    s.send(sub_template, call(get.clone(), &sub, me)).await;
    s.send(sub_template, call(get.clone(), &format!("{cal}/subscription"), me)).await;
    s.send(
        sub_template,
        call(patch.clone(), &sub, me).json(&json!({"refresh_interval_minutes": 120})),
    )
    .await;
    s.send(
        sub_template,
        call(patch.clone(), &sub, me).json(&json!({"refresh_interval_minutes": 1})),
    )
    .await;
    let refresh = "/v1/calendars/{id}/subscription/refresh";
    let (status, refreshed) =
        s.send(refresh, call(post.clone(), &format!("{sub}/refresh"), me)).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    s.send(refresh, call(post.clone(), &format!("{cal}/subscription/refresh"), me)).await;
    let into = json!({"calendar_id": made["subscription"]["calendar"]["id"], "summary": "Mine",
        "start": {"date_time": "2030-01-07T18:00"}});
    let (status, _) = s.send("/v1/events", call(post.clone(), "/v1/events", me).json(&into)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    s.send(cal_template, call(delete.clone(), &sub_cal, me)).await;

    s.send(ev_template, call(delete.clone(), &ev, me)).await;
    s.send(cal_template, call(delete.clone(), &cal, me)).await;
    s.send(cal_template, call(delete.clone(), &cal, me)).await;

    // Actions to confirm: two asked for (as a tool's turn stores them), one confirmed (the
    // time plugin runs none, so it fails, as it says), one denied; again is a 409.
    let mut asked = Vec::new();
    for _ in 0..2 {
        let id = uuid::Uuid::now_v7();
        sqlx::query(
            "INSERT INTO agents.pending_actions (id, user_id, plugin, summary, reason, payload,
                                                 expires_at)
             VALUES ($1, $2, 'time', 'set the clock', 'a test', '{}', now() + interval '1 hour')",
        )
        .bind(id)
        .bind(person)
        .execute(&app.db.pool)
        .await
        .unwrap();
        asked.push(id);
    }
    s.send("/v1/actions", call(get.clone(), "/v1/actions", me)).await;
    let confirm = "/v1/actions/{id}/confirm";
    let deny = "/v1/actions/{id}/deny";
    s.send(confirm, call(post.clone(), &format!("/v1/actions/{}/confirm", asked[0]), me)).await;
    s.send(confirm, call(post.clone(), &format!("/v1/actions/{}/confirm", asked[0]), me)).await;
    s.send(deny, call(post.clone(), &format!("/v1/actions/{}/deny", asked[1]), me)).await;
    let nobody = uuid::Uuid::now_v7();
    s.send(deny, call(post.clone(), &format!("/v1/actions/{nobody}/deny"), me)).await;

    // Finance: the books, imports with rules and mappings, budgets, bills, reports, exports.
    crate::finance::samples(&mut s, &app, me).await;
    crate::finance_imports::samples(&mut s, &app, me).await;
    crate::finance_reports::samples(&mut s, &app, me).await;
    crate::finance_recurring::samples(&mut s, &app, me).await;

    // Home: a broker's devices, commands, exposure, audit and watches.
    crate::home::samples(&mut s, &app, me).await;

    // MCP: JSON-RPC over streamable HTTP.
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-03-26", "capabilities": {},
        "clientInfo": {"name": "openapi-test", "version": "1"}}});
    let mcp = |body: &Value, token: &str| {
        call(post.clone(), "/mcp", token)
            .header("accept", "application/json, text/event-stream")
            .json(body)
    };
    let (status, answer) = s.send("/mcp", mcp(&initialize, me)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let (status, _) = s.send("/mcp", mcp(&initialized, me)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    s.send("/mcp", mcp(&initialize, &service)).await;

    // Every operation of the document was seen answering at least once (the document itself
    // was fetched above).
    s.assert_every_operation_seen(&document, &["get /openapi.json"]);
    let report = check_with_node(&document, &s);
    assert!(report.contains("valid OpenAPI 3.1"), "{report}");
}

/// The events of a turn's stream are the ones the document describes for it: each named by
/// its `type`, with the fields its variant requires.
fn check_events(document: &Value, events: &[crate::helpers::Sse]) {
    let (_, _, operation) = operations(document)
        .into_iter()
        .find(|(method, path, _)| method == "post" && path == "/v1/conversations/{id}/messages")
        .unwrap();
    let stream = &operation["responses"]["200"]["content"]["text/event-stream"]["schema"];
    let name = stream["$ref"].as_str().unwrap().trim_start_matches("#/components/schemas/");
    let variants = document["components"]["schemas"][name]["oneOf"].as_array().unwrap();
    assert!(events.len() >= 3, "{events:?}");
    let mut seen = BTreeSet::new();
    for event in events {
        let variant = variants
            .iter()
            .find(|v| v["properties"]["type"]["enum"][0] == event.event.as_str())
            .unwrap_or_else(|| panic!("the event {event:?} is not described"));
        assert_eq!(event.data["type"], event.event, "{event:?}");
        for field in variant["required"].as_array().unwrap() {
            let field = field.as_str().unwrap();
            assert!(event.data.get(field).is_some(), "{event:?} has no {field}");
        }
        for (field, value) in event.data.as_object().unwrap() {
            assert!(variant["properties"].get(field).is_some(), "{event:?}: {field} = {value}");
        }
        seen.insert(event.event.clone());
    }
    assert!(seen.contains("agent") && seen.contains("done"), "{seen:?}");
}
