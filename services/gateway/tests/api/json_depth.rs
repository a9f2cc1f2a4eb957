//! JSON nested 100,000 levels deep (issue 21): arrays and objects as a whole request body, deep
//! in variables and extensions, from a person and from the operator, and as a WebSocket
//! message. Each is refused promptly as a client error in the gateway's shape (serde_json stops
//! at 128 levels, before the GraphQL limits are even reached), and the gateway answers the next
//! request as usual. (`hostile::deep_variables_are_refused` has deep objects in variables.)

use std::time::{Duration, Instant};

use futures::SinkExt;
use posey_testkit::hostile::nested;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{ADMIN_SECRET, GatewayApp, error_code, spawn_gateway};
use crate::subscriptions::{connect, next, send};

const LEVELS: usize = 100_000;
const USER: &str = "00000000-0000-4000-8000-00000000000b";
const METADATA: &str = r#"
tables:
  - table: {schema: app, name: notes}
    select_permissions:
      - role: user
        permission:
          columns: [id, body]
          filter: {}
"#;

async fn app() -> GatewayApp {
    let app = spawn_gateway(Some(METADATA), &[]).await;
    app.sql(
        "CREATE TABLE app.notes (id int PRIMARY KEY, body jsonb);
         INSERT INTO app.notes VALUES (1, '{\"k\": [[1]]}');",
    )
    .await;
    app.reload().await;
    app
}

async fn post_raw(app: &GatewayApp, header: (&str, &str), body: String) -> (u16, Value, Duration) {
    let started = Instant::now();
    let response = app
        .client
        .post(app.url())
        .header(header.0, header.1)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:.300}"));
    (status, body, started.elapsed())
}

async fn still_answers(app: &GatewayApp, token: &str) {
    let query = "query($b: jsonb) { notes(where: {body: {_contains: $b}}) { id body } }";
    let body = app.as_user(token, query, json!({"b": {"k": [[1]]}})).await;
    assert_eq!(body["data"]["notes"], json!([{"id": 1, "body": {"k": [[1]]}}]), "{body}");
}

#[tokio::test]
async fn bodies_nested_100_000_deep_are_refused_as_invalid_json() {
    let app = app().await;
    let token = app.token(USER, &[]);
    let bearer = format!("Bearer {token}");
    let arrays = nested("[", "1", "]", LEVELS);
    let objects = nested(r#"{"a": "#, "1", "}", LEVELS);
    let query = json!("query($b: jsonb) { notes(where: {body: {_contains: $b}}) { id } }");
    let bodies = [
        arrays.clone(),
        objects.clone(),
        format!(r#"{{"query": {query}, "variables": {{"b": {arrays}}}}}"#),
        format!(r#"{{"query": {query}, "variables": {{"b": {objects}}}}}"#),
        format!(r#"{{"query": {query}, "variables": {{}}, "extensions": {objects}}}"#),
        format!(r#"[{{"query": {query}}}, {arrays}]"#),
    ];
    let mut seen = Vec::new();
    for header in [("authorization", bearer.as_str()), ("x-hasura-admin-secret", ADMIN_SECRET)] {
        for body in &bodies {
            let (status, answer, took) = post_raw(&app, header, body.clone()).await;
            seen.push(format!("{} {:.60}: {status} {answer} ({took:?})", header.0, body));
            assert!(took < Duration::from_secs(5), "{seen:#?}");
            assert_eq!(status, 400, "{seen:#?}");
            assert_eq!(error_code(&answer), "invalid-json", "{seen:#?}");
        }
    }
    still_answers(&app, &token).await;
}

#[tokio::test]
async fn a_websocket_message_nested_100_000_deep_closes_only_its_socket() {
    let app = app().await;
    let token = app.token(USER, &[]);
    let init = json!({"type": "connection_init", "payload": {"headers": {"Authorization": format!("Bearer {token}")}}});
    let mut socket = connect(&app, "graphql-transport-ws").await;
    send(&mut socket, init.clone()).await;
    assert_eq!(next(&mut socket).await["type"], "connection_ack");
    let deep = format!(
        r#"{{"id": "1", "type": "subscribe", "payload": {{"query": "subscription {{ notes {{ id }} }}", "variables": {}}}}}"#,
        nested(r#"{"a": "#, "1", "}", LEVELS)
    );
    socket.send(Message::Text(deep.into())).await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(5), next(&mut socket)).await.unwrap();
    assert_eq!(answer["type"], "closed", "{answer}");
    // Closed as a protocol error (1002), saying why.
    let frame = answer["frame"].as_str().unwrap();
    assert!(frame.contains("Protocol") && frame.contains("recursion limit exceeded"), "{frame}");

    // Another socket subscribes as usual, and the gateway still answers over HTTP.
    let mut socket = connect(&app, "graphql-transport-ws").await;
    send(&mut socket, init).await;
    assert_eq!(next(&mut socket).await["type"], "connection_ack");
    let query = "subscription { notes { id } }";
    send(&mut socket, json!({"id": "2", "type": "subscribe", "payload": {"query": query}})).await;
    let answer = next(&mut socket).await;
    assert_eq!(answer["payload"]["data"]["notes"], json!([{"id": 1}]), "{answer}");
    still_answers(&app, &token).await;
}
