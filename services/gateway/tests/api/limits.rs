//! Limits and bad input: depth, cost, batch size, body size, per-role row caps, introspection
//! and suggestions for roles, and errors in GraphQL's shape without database detail.

use serde_json::{Value, json};

use crate::helpers::{GatewayApp, error_code, spawn_gateway};

const METADATA: &str = r#"
tables:
  - table: {schema: app, name: nodes}
    select_permissions:
      - role: user
        permission:
          columns: [id, parent_id, label]
          limit: 3
"#;

const USER: &str = "00000000-0000-4000-8000-00000000000a";

async fn app_with(vars: &[(&str, String)]) -> GatewayApp {
    let app = spawn_gateway(Some(METADATA), vars).await;
    app.sql(
        "CREATE TABLE app.nodes (id int PRIMARY KEY, parent_id int REFERENCES app.nodes (id), label text NOT NULL);
         INSERT INTO app.nodes SELECT g, NULLIF(g - 1, 0), 'n' || g FROM generate_series(1, 10) g;",
    )
    .await;
    app.reload().await;
    app
}

#[tokio::test]
async fn a_roles_row_cap_applies_to_every_list() {
    let app = app_with(&[]).await;
    let token = app.token(USER, &[]);
    let body = app.as_user(&token, "{ nodes(limit: 100) { id nodes { id } } }", json!({})).await;
    assert_eq!(body["data"]["nodes"].as_array().unwrap().len(), 3, "{body}");
    let body = app.admin("{ nodes(limit: 100) { id } }", json!({})).await;
    assert_eq!(body["data"]["nodes"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn too_deep_or_too_costly_queries_are_refused() {
    let app =
        app_with(&[("GATEWAY_MAX_DEPTH", "4".into()), ("GATEWAY_MAX_COST", "50".into())]).await;
    let token = app.token(USER, &[]);
    let deep = "{ nodes { parent { parent { parent { parent { id } } } } } }";
    let body = app.as_user(&token, deep, json!({})).await;
    assert_eq!(error_code(&body), "validation-failed", "{body}");
    // 2 rows x (1 + 2 x (1 + 2 x 3)) = 30 fits; 3 x (1 + 3 x (1 + 3 x 3)) = 93 does not.
    let fits =
        "{ nodes(limit: 2) { id nodes(limit: 2) { id nodes(limit: 2) { id label parent_id } } } }";
    let body = app.as_user(&token, fits, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    let costly =
        "{ nodes(limit: 3) { id nodes(limit: 3) { id nodes(limit: 3) { id label parent_id } } } }";
    let body = app.as_user(&token, costly, json!({})).await;
    assert_eq!(error_code(&body), "validation-failed", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("cost"));
}

#[tokio::test]
async fn batches_are_capped_and_answered_in_order() {
    let app = app_with(&[("GATEWAY_MAX_BATCH", "2".into())]).await;
    let auth = format!("Bearer {}", app.token(USER, &[]));
    let one = json!({"query": "{ nodes(limit: 1) { id } }"});
    let (status, body) = app.post(&[("authorization", &auth)], &json!([one, one])).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!([{"data": {"nodes": [{"id": 1}]}}, {"data": {"nodes": [{"id": 1}]}}]));
    let (status, body) = app.post(&[("authorization", &auth)], &json!([one, one, one])).await;
    assert_eq!((status, error_code(&body)), (400, "validation-failed"));
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_refused() {
    let app = app_with(&[("GATEWAY_MAX_BODY_BYTES", "200".into())]).await;
    let auth = format!("Bearer {}", app.token(USER, &[]));
    let big = json!({"query": format!("{{ nodes {{ id }} }} #{}", "x".repeat(300))});
    let (status, body) = app.post(&[("authorization", &auth)], &big).await;
    assert_eq!((status, error_code(&body)), (413, "payload-too-large"));
    let response = app
        .client
        .post(app.url())
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "invalid-json");
}

#[tokio::test]
async fn introspection_is_for_operators_only_by_default() {
    let app = app_with(&[]).await;
    let token = app.token(USER, &[]);
    let body = app.as_user(&token, "{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(error_code(&body), "validation-failed", "{body}");
    let body = app.admin("{ __type(name: \"nodes\") { fields { name } } }", json!({})).await;
    assert!(body["data"]["__type"]["fields"].as_array().unwrap().len() >= 3, "{body}");
    // Misspelt fields get no suggestions for a role.
    let body = app.as_user(&token, "{ nodes { lable } }", json!({})).await;
    assert!(!body.to_string().contains("Did you mean"), "{body}");
}

#[tokio::test]
async fn a_role_can_introspect_its_own_schema_when_allowed() {
    let app = app_with(&[("GATEWAY_ROLE_INTROSPECTION", "true".into())]).await;
    let token = app.token(USER, &[]);
    let body = app
        .as_user(
            &token,
            "{ __schema { mutationType { name } } n: __type(name: \"nodes\") { fields { name } } }",
            json!({}),
        )
        .await;
    // No mutation for a read-only role, and only its columns.
    assert_eq!(body["data"]["__schema"]["mutationType"], Value::Null, "{body}");
    let mut fields: Vec<&str> = body["data"]["n"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(fields, ["id", "label", "nodes", "parent", "parent_id"]);
}

#[tokio::test]
async fn database_errors_are_coded_without_detail() {
    let app = app_with(&[]).await;
    let body = app
        .admin(r#"mutation { insert_nodes_one(object: {id: 1, label: "dup"}) { id } }"#, json!({}))
        .await;
    assert_eq!(error_code(&body), "constraint-violation", "{body}");
    let text = body.to_string();
    assert!(!text.contains("INSERT") && !text.contains("duplicate key"), "{text}");
    let body = app.admin(r#"mutation { insert_nodes_one(object: {id: 50, parent_id: 999, label: "orphan"}) { id } }"#, json!({})).await;
    assert_eq!(error_code(&body), "constraint-violation", "{body}");
    let body =
        app.admin(r#"{ nodes(where: {label: {_gt: "a"}}, limit: -1) { id } }"#, json!({})).await;
    assert_eq!(error_code(&body), "validation-failed", "{body}");
    let body = app.admin("query($n: Int!) { nodes_by_pk(id: $n) { id } }", json!({"n": "x"})).await;
    assert_eq!(error_code(&body), "validation-failed", "{body}");
}

#[tokio::test]
async fn operator_mutations_upsert_increment_and_return() {
    let app = app_with(&[]).await;
    let body = app
        .admin(
            r#"mutation {
                 up: insert_nodes(objects: [{id: 1, label: "one"}, {id: 11, label: "eleven"}],
                                  on_conflict: {constraint: nodes_pkey, update_columns: [label]}) {
                   affected_rows returning { id label } }
                 inc: update_nodes(where: {id: {_eq: 11}}, _inc: {id: 100}) { returning { id } }
                 del: delete_nodes(where: {id: {_gt: 100}}) { affected_rows } }"#,
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["up"]["affected_rows"], 2);
    assert_eq!(body["data"]["inc"]["returning"], json!([{"id": 111}]));
    assert_eq!(body["data"]["del"]["affected_rows"], 1);
    let label: String = sqlx::query_scalar("SELECT label FROM app.nodes WHERE id = 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(label, "one");
}

#[tokio::test]
async fn the_gateways_row_cap_bounds_rows_sent_not_counts() {
    let metadata = "tables:\n- table: {schema: app, name: nodes}\n  select_permissions:\n  - role: user\n    permission: {columns: [id], allow_aggregations: true}\n";
    let app = spawn_gateway(Some(metadata), &[("GATEWAY_MAX_ROWS", "4".into())]).await;
    app.sql(
        "CREATE TABLE app.nodes (id int PRIMARY KEY);
         INSERT INTO app.nodes SELECT g FROM generate_series(1, 10) g;",
    )
    .await;
    app.reload().await;
    let token = app.token(USER, &[]);
    let body = app
        .as_user(
            &token,
            "{ nodes { id } c: nodes_aggregate { aggregate { count } } n: nodes_aggregate { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["nodes"].as_array().unwrap().len(), 4, "{body}");
    assert_eq!(body["data"]["c"]["aggregate"]["count"], 10);
    assert_eq!(body["data"]["n"]["nodes"].as_array().unwrap().len(), 4);
}
