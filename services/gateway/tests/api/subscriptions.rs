//! Subscriptions over WebSocket (graphql-transport-ws and the legacy graphql-ws): a person's
//! change reaches their subscription, another person's does not; bad tokens are refused at
//! connection_init; subscribers of the same query share one poller.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{GatewayApp, spawn_gateway};

const METADATA: &str = r#"
tables:
  - table: {schema: app, name: items}
    select_permissions:
      - role: user
        permission:
          columns: [id, owner, label]
          filter: {owner: {_eq: X-Hasura-User-Id}}
"#;

const A: &str = "00000000-0000-4000-8000-00000000000a";
const B: &str = "00000000-0000-4000-8000-00000000000b";

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn app_with_items() -> GatewayApp {
    let app = spawn_gateway(Some(METADATA), &[]).await;
    app.sql(
        "CREATE TABLE app.items (id serial PRIMARY KEY, owner uuid NOT NULL, label text NOT NULL)",
    )
    .await;
    app.reload().await;
    app
}

pub async fn connect(app: &GatewayApp, protocol: &str) -> Socket {
    let url = app.url().replace("http://", "ws://");
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", protocol.parse().unwrap());
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
}

pub async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.unwrap();
}

/// The next JSON message, skipping keep-alives and pings.
pub async fn next(socket: &mut Socket) -> Value {
    loop {
        match socket.next().await.expect("the socket stays open").unwrap() {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if matches!(value["type"].as_str(), Some("ka" | "ping" | "pong")) {
                    continue;
                }
                return value;
            }
            Message::Close(frame) => {
                return json!({"type": "closed", "frame": format!("{frame:?}")});
            }
            _ => continue,
        }
    }
}

fn labels(message: &Value) -> Vec<String> {
    let mut labels: Vec<String> = message["payload"]["data"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {message}"))
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_owned())
        .collect();
    labels.sort();
    labels
}

async fn subscribe_as(app: &GatewayApp, token: &str, protocol: &str) -> Socket {
    let mut socket = connect(app, protocol).await;
    send(&mut socket, json!({"type": "connection_init", "payload": {"headers": {"Authorization": format!("Bearer {token}")}}})).await;
    assert_eq!(next(&mut socket).await["type"], "connection_ack");
    let start = if protocol == "graphql-transport-ws" { "subscribe" } else { "start" };
    send(&mut socket, json!({"id": "1", "type": start, "payload": {"query": "subscription { items(order_by: {id: asc}) { label } }"}})).await;
    socket
}

#[tokio::test]
async fn a_change_reaches_its_owner_and_not_others() {
    let app = app_with_items().await;
    let mut socket = subscribe_as(&app, &app.token(A, &[]), "graphql-transport-ws").await;
    let first = next(&mut socket).await;
    assert_eq!(first["type"], "next", "{first}");
    assert!(labels(&first).is_empty());
    // B's row changes nothing A can see: no message. A's next row is the next message, and it
    // holds only A's rows.
    app.sql(&format!("INSERT INTO app.items (owner, label) VALUES ('{B}', 'of b')")).await;
    app.sql(&format!("INSERT INTO app.items (owner, label) VALUES ('{A}', 'of a')")).await;
    let second = next(&mut socket).await;
    assert_eq!(labels(&second), ["of a"], "{second}");
}

#[tokio::test]
async fn the_legacy_protocol_works_too() {
    let app = app_with_items().await;
    app.sql(&format!("INSERT INTO app.items (owner, label) VALUES ('{A}', 'one')")).await;
    let mut socket = subscribe_as(&app, &app.token(A, &[]), "graphql-ws").await;
    let first = next(&mut socket).await;
    assert_eq!(first["type"], "data", "{first}");
    assert_eq!(labels(&first), ["one"]);
    app.sql(&format!("UPDATE app.items SET label = 'two' WHERE owner = '{A}'")).await;
    assert_eq!(labels(&next(&mut socket).await), ["two"]);
}

#[tokio::test]
async fn a_bad_token_is_refused_at_connection_init() {
    let app = app_with_items().await;
    let mut socket = connect(&app, "graphql-transport-ws").await;
    send(&mut socket, json!({"type": "connection_init", "payload": {"headers": {"Authorization": "Bearer nope"}}})).await;
    let answer = next(&mut socket).await;
    assert_eq!(answer["type"], "closed", "{answer}");
    assert!(answer["frame"].as_str().unwrap().contains("token"), "{answer}");
    // graphql-transport-ws: a rejected connection closes with 4403 Forbidden.
    assert!(answer["frame"].as_str().unwrap().contains("4403"), "{answer}");
}

#[tokio::test]
async fn the_connection_closes_when_the_token_expires() {
    let app = app_with_items().await;
    let mut claims = posey_testkit::TestKeys::claims_for(A);
    claims["exp"] = json!(claims["iat"].as_i64().unwrap() + 2);
    claims["https://hasura.io/jwt/claims"] = json!({"x-hasura-user-id": A, "x-hasura-default-role": "user", "x-hasura-allowed-roles": ["user"]});
    let token = app.keys.signing_key().sign(&claims);
    let mut socket = subscribe_as(&app, &token, "graphql-transport-ws").await;
    assert_eq!(next(&mut socket).await["type"], "next");
    let end = next(&mut socket).await;
    assert_eq!(end["type"], "closed", "{end}");
    assert!(end["frame"].as_str().unwrap().contains("4403"), "{end}");
}

#[tokio::test]
async fn subscribers_of_one_query_share_one_poller() {
    let app = app_with_items().await;
    let mut a1 = subscribe_as(&app, &app.token(A, &[]), "graphql-transport-ws").await;
    let mut a2 = subscribe_as(&app, &app.token(A, &[]), "graphql-ws").await;
    let mut b = subscribe_as(&app, &app.token(B, &[]), "graphql-transport-ws").await;
    for socket in [&mut a1, &mut a2, &mut b] {
        assert!(labels(&next(socket).await).is_empty());
    }
    let stats: Value = app
        .client
        .get(format!("{}/v1/subscriptions/stats", app.address))
        .header("x-hasura-admin-secret", crate::helpers::ADMIN_SECRET)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // One statement shape polled, for two sets of session variables.
    assert_eq!(stats, json!({"pollers": 1, "groups": 2}));
    app.sql(&format!("INSERT INTO app.items (owner, label) VALUES ('{A}', 'a only')")).await;
    assert_eq!(labels(&next(&mut a1).await), ["a only"]);
    assert_eq!(labels(&next(&mut a2).await), ["a only"]);
    app.sql(&format!("INSERT INTO app.items (owner, label) VALUES ('{B}', 'b only')")).await;
    assert_eq!(labels(&next(&mut b).await), ["b only"]);
}
