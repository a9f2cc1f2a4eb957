//! Hostile input (issue 12): requests nested thousands of levels deep (filters, values,
//! selections, types, variables, over HTTP and WebSocket), fragments and variables that fan out,
//! and NUL characters are refused with a GraphQL error before anything recurses over them or
//! reaches the database; the gateway keeps answering afterwards. Without the bounds, the deep
//! requests abort this test process with a stack overflow in a release build; in a debug build
//! the parser's own stack probe refuses them first, with its error and the query echoed back.

use posey_testkit::hostile::nested;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_SECRET, GatewayApp, error_code, spawn_gateway};
use crate::subscriptions::{connect, next, send};

const METADATA: &str = r#"
tables:
  - table: {schema: app, name: nodes}
    select_permissions:
      - role: user
        permission:
          columns: [id, parent_id, label]
          limit: 3
  - table: {schema: app, name: docs}
    select_permissions:
      - role: user
        permission:
          columns: [id, title, body]
          filter: {owner: {_eq: X-Hasura-User-Id}}
    insert_permissions:
      - role: user
        permission:
          columns: [id, title, body]
          set: {owner: X-Hasura-User-Id}
    update_permissions:
      - role: user
        permission:
          columns: [title, body]
          filter: {owner: {_eq: X-Hasura-User-Id}}
"#;

const USER: &str = "00000000-0000-4000-8000-00000000000a";

async fn app_with(vars: &[(&str, String)]) -> GatewayApp {
    let app = spawn_gateway(Some(METADATA), vars).await;
    app.sql(&format!(
        "CREATE TABLE app.nodes (id int PRIMARY KEY, parent_id int REFERENCES app.nodes (id), label text NOT NULL);
         INSERT INTO app.nodes SELECT g, NULLIF(g - 1, 0), 'n' || g FROM generate_series(1, 10) g;
         CREATE TABLE app.docs (id int PRIMARY KEY, owner uuid NOT NULL, title text NOT NULL, body jsonb);
         INSERT INTO app.docs VALUES (1, '{USER}', 'first', '{{}}');"
    ))
    .await;
    app.reload().await;
    app
}

fn assert_too_deep(body: &Value) {
    assert_eq!(error_code(body), "validation-failed", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("nested more than 64 levels"), "{message}");
}

/// A plain query still gets its rows.
async fn assert_still_answers(app: &GatewayApp, token: &str) {
    let body = app.as_user(token, "{ nodes(order_by: {id: asc}) { id } }", json!({})).await;
    assert_eq!(body["data"]["nodes"], json!([{"id": 1}, {"id": 2}, {"id": 3}]), "{body}");
}

#[tokio::test]
async fn filters_nested_thousands_deep_are_refused_before_parsing() {
    // Query texts as long as a body may be, so that nesting is what refuses them.
    let app = app_with(&[("GATEWAY_MAX_QUERY_BYTES", "1048576".into())]).await;
    let token = app.token(USER, &[]);
    for levels in [2_000, 100_000] {
        let filter = nested("{_not: ", "{id: {_eq: 1}}", "}", levels);
        let query = format!("{{ nodes(where: {filter}) {{ id }} }}");
        assert_too_deep(&app.as_user(&token, &query, json!({})).await);
    }
    // The operator's requests are bounded too: this limit is the stack's, not a policy.
    let filter = nested("{_and: [", "{id: {_eq: 1}}", "]}", 2_000);
    let query = format!("{{ nodes(where: {filter}) {{ id }} }}");
    assert_too_deep(&app.admin(&query, json!({})).await);
    // A real filter a few levels deep is fine.
    let body = app
        .as_user(
            &token,
            "{ nodes(where: {_and: [{_not: {id: {_gt: 2}}}, {parent: {label: {_eq: \"n1\"}}}]}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["nodes"], json!([{"id": 2}]), "{body}");
    assert_still_answers(&app, &token).await;
}

#[tokio::test]
async fn the_deepest_nesting_allowed_runs_within_a_threads_stack() {
    // The highest GATEWAY_MAX_NESTING accepted, on this test's thread (2 MiB of stack, as a
    // tokio worker has): parsing, validation, compiling and Postgres all take it.
    let app = app_with(&[("GATEWAY_MAX_NESTING", "256".into())]).await;
    let filter = nested("{_not: ", "{id: {_eq: 1}}", "}", 250);
    let body = app.admin(&format!("{{ nodes(where: {filter}) {{ id }} }}"), json!({})).await;
    assert_eq!(body["data"]["nodes"], json!([{"id": 1}]), "{body}");
    let filter = nested("{_and: [", "{id: {_eq: 1}}", "]}", 125);
    let body = app.admin(&format!("{{ nodes(where: {filter}) {{ id }} }}"), json!({})).await;
    assert_eq!(body["data"]["nodes"], json!([{"id": 1}]), "{body}");
}

#[tokio::test]
async fn deep_lists_selections_and_types_are_refused() {
    let app = app_with(&[]).await;
    let token = app.token(USER, &[]);
    let list = nested("[", "1", "]", 2_000);
    let selection = nested("parent { ", "id", " }", 2_000);
    let list_type = nested("[", "Int", "]", 2_000);
    for query in [
        format!("{{ nodes(where: {{id: {{_in: {list}}}}}) {{ id }} }}"),
        format!("{{ nodes {{ {selection} }} }}"),
        format!("query($v: {list_type}) {{ nodes {{ id }} }}"),
        format!(
            "{{ nodes {{ ... on nodes {} }} }}",
            nested("{ ... on nodes ", "{ id }", "}", 2_000)
        ),
    ] {
        assert_too_deep(&app.as_user(&token, &query, json!({})).await);
    }
    assert_still_answers(&app, &token).await;
}

#[tokio::test]
async fn deep_variables_are_refused() {
    let app = app_with(&[]).await;
    let token = app.token(USER, &[]);
    let query = "query($w: nodes_bool_exp) { nodes(where: $w) { id } }";
    // Within JSON's own recursion limit (128), past the gateway's.
    let filter: Value =
        serde_json::from_str(&nested(r#"{"_not": "#, r#"{"id": {"_eq": 1}}"#, "}", 100)).unwrap();
    assert_too_deep(&app.as_user(&token, query, json!({"w": filter})).await);
    // Far past it: the body is refused as JSON, in the gateway's error shape. (Built as text:
    // a value this deep would overflow this test's own stack.)
    let deep = nested(r#"{"_not": "#, "{}", "}", 100_000);
    let body = format!(r#"{{"query": {}, "variables": {{"w": {deep}}}}}"#, json!(query));
    let response = app
        .client
        .post(app.url())
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "invalid-json", "{body}");
    assert_still_answers(&app, &token).await;
}

#[tokio::test]
async fn a_deep_subscription_is_refused_and_the_socket_keeps_working() {
    let app = app_with(&[]).await;
    let token = app.token(USER, &[]);
    let mut socket = connect(&app, "graphql-transport-ws").await;
    send(&mut socket, json!({"type": "connection_init", "payload": {"headers": {"Authorization": format!("Bearer {token}")}}})).await;
    assert_eq!(next(&mut socket).await["type"], "connection_ack");
    let filter = nested("{_not: ", "{id: {_eq: 1}}", "}", 2_000);
    let query = format!("subscription {{ nodes(where: {filter}) {{ id }} }}");
    send(&mut socket, json!({"id": "1", "type": "subscribe", "payload": {"query": query}})).await;
    // async-graphql answers a refused operation with its errors, then `complete`.
    let refused = next(&mut socket).await;
    assert_eq!((refused["type"].as_str(), refused["id"].as_str()), (Some("next"), Some("1")));
    let message = refused["payload"]["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("nested more than 64 levels"), "{message}");
    assert_eq!(next(&mut socket).await["type"], "complete");
    let query = "subscription { nodes(where: {id: {_eq: 2}}) { id } }";
    send(&mut socket, json!({"id": "2", "type": "subscribe", "payload": {"query": query}})).await;
    let answer = next(&mut socket).await;
    assert_eq!(answer["type"], "next", "{answer}");
    assert_eq!(answer["payload"]["data"]["nodes"], json!([{"id": 2}]));
}

#[tokio::test]
async fn fragments_and_variables_that_fan_out_are_bounded() {
    let app = app_with(&[("GATEWAY_MAX_NODES", "200".into())]).await;
    let token = app.token(USER, &[]);
    // Two fragments of ten spreads each: 22 fields written; 211 fields and 111 argument values
    // once expanded.
    let spreads = |next: &str| -> String {
        (0..10).map(|i| format!("a{i}: nodes(limit: 1) {{ ...{next} }} ")).collect()
    };
    let query = format!(
        "{{ nodes(limit: 1) {{ ...F0 }} }}
         fragment F0 on nodes {{ {} }}
         fragment F1 on nodes {{ {} }}
         fragment F2 on nodes {{ id }}",
        spreads("F1"),
        spreads("F2")
    );
    for body in [app.admin(&query, json!({})).await, app.as_user(&token, &query, json!({})).await] {
        assert_eq!(error_code(&body), "validation-failed", "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("more than 200 fields and argument values"), "{message}");
    }
    // One list of 100 ids, used in 10 fields: over 1,000 values once expanded.
    let ids: Vec<i32> = (0..100).collect();
    let fields: String =
        (0..10).map(|i| format!("n{i}: nodes(where: {{id: {{_in: $ids}}}}) {{ id }} ")).collect();
    let query = format!("query($ids: [Int!]) {{ {fields} }}");
    let body = app.as_user(&token, &query, json!({"ids": ids})).await;
    assert_eq!(error_code(&body), "validation-failed", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("more than 200 fields and argument values"), "{message}");
    assert_still_answers(&app, &token).await;
}

#[tokio::test]
async fn long_query_texts_are_refused() {
    let app = app_with(&[("GATEWAY_MAX_QUERY_BYTES", "1000".into())]).await;
    let token = app.token(USER, &[]);
    let query = format!("{{ nodes {{ id }} }} # {}", "x".repeat(1000));
    let body = app.as_user(&token, &query, json!({})).await;
    assert_eq!(error_code(&body), "validation-failed", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("more than the limit of 1000"));
    assert_still_answers(&app, &token).await;
}

fn assert_nul_refused(body: &Value) {
    assert_eq!(error_code(body), "data-exception", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("NUL"), "{message}");
}

#[tokio::test]
async fn nul_characters_are_client_errors_and_nothing_is_written() {
    let app = app_with(&[]).await;
    let token = app.token(USER, &[]);
    // In a filter: as a literal (GraphQL's own escape), in a variable, in a list, in jsonb.
    let literal = r#"{ nodes(where: {label: {_eq: "n1\u0000"}}) { id } }"#;
    assert_nul_refused(&app.as_user(&token, literal, json!({})).await);
    let query = "query($l: String) { nodes(where: {label: {_eq: $l}}) { id } }";
    assert_nul_refused(&app.as_user(&token, query, json!({"l": "n1\u{0}"})).await);
    let query = "query($l: [String!]) { nodes(where: {label: {_in: $l}}) { id } }";
    assert_nul_refused(&app.as_user(&token, query, json!({"l": ["n1", "\u{0}"]})).await);
    let query = "query($b: jsonb) { docs(where: {body: {_contains: $b}}) { id } }";
    assert_nul_refused(&app.as_user(&token, query, json!({"b": {"k": ["\u{0}"]}})).await);
    // In inserts and updates, nothing is written: not even a field before the bad one.
    let insert = r#"mutation { ok: insert_docs_one(object: {id: 2, title: "fine"}) { id }
                              bad: insert_docs_one(object: {id: 3, title: "x\u0000"}) { id } }"#;
    assert_nul_refused(&app.as_user(&token, insert, json!({})).await);
    let insert = "mutation($o: docs_insert_input!) { insert_docs_one(object: $o) { id } }";
    let object = json!({"id": 4, "title": "ok", "body": {"k": {"\u{0}": 1}}});
    assert_nul_refused(&app.as_user(&token, insert, json!({"o": object})).await);
    let update = "mutation($t: String) { update_docs(where: {id: {_eq: 1}}, _set: {title: $t}) { affected_rows } }";
    assert_nul_refused(&app.as_user(&token, update, json!({"t": "\u{0}"})).await);
    let admin = r#"mutation { insert_nodes_one(object: {id: 50, label: "\u0000"}) { id } }"#;
    assert_nul_refused(&app.admin(admin, json!({})).await);
    let docs: Vec<(i32, String)> = sqlx::query_as("SELECT id, title FROM app.docs ORDER BY id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(docs, [(1, "first".to_owned())]);
    let nodes: i64 =
        sqlx::query_scalar("SELECT count(*) FROM app.nodes").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(nodes, 10);
    assert_still_answers(&app, &token).await;
}

#[tokio::test]
async fn refusals_off_the_post_path_keep_the_error_shape() {
    let app = app_with(&[]).await;
    // A plain GET (no WebSocket upgrade), and an upgrade with an unknown subprotocol.
    let response = app.client.get(app.url()).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "bad-request", "{body}");
    let response = app
        .client
        .get(app.url())
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-protocol", "chat")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "bad-request", "{body}");
    // A wrong method, on the GraphQL path and an operator's.
    for (method, path) in [("PUT", "/v1/graphql"), ("GET", "/v1/metadata/reload")] {
        let response = app
            .client
            .request(method.parse().unwrap(), format!("{}{path}", app.address))
            .header("x-hasura-admin-secret", ADMIN_SECRET)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "method-not-allowed", "{body}");
    }
}
