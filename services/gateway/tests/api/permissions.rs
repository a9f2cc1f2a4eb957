//! Per-role permissions from the metadata: a person reads and writes only their own rows through
//! every root field, relationship, aggregate and mutation; hidden columns do not exist for them;
//! a failed insert check rolls the whole request back.

use serde_json::{Value, json};

use crate::helpers::{ADMIN_SECRET, GatewayApp, error_code, spawn_gateway};

const METADATA: &str = r#"
tables:
  - table: {schema: app, name: todos}
    select_permissions:
      - role: user
        permission:
          columns: [id, user_id, title, done]
          filter: {user_id: {_eq: X-Hasura-User-Id}}
          allow_aggregations: true
    insert_permissions:
      - role: user
        permission:
          columns: [id, title, done]
          check: {user_id: {_eq: X-Hasura-User-Id}}
          set: {user_id: X-Hasura-User-Id}
    update_permissions:
      - role: user
        permission:
          columns: [title, done]
          filter: {user_id: {_eq: X-Hasura-User-Id}}
          check: {user_id: {_eq: X-Hasura-User-Id}}
    delete_permissions:
      - role: user
        permission:
          filter: {user_id: {_eq: X-Hasura-User-Id}}
  - table: {schema: app, name: notes}
    select_permissions:
      - role: user
        permission:
          columns: "*"
          filter: {todo: {user_id: {_eq: X-Hasura-User-Id}}}
    insert_permissions:
      - role: user
        permission:
          columns: [todo_id, body]
          check: {todo: {user_id: {_eq: X-Hasura-User-Id}}}
"#;

const A: &str = "00000000-0000-4000-8000-00000000000a";
const B: &str = "00000000-0000-4000-8000-00000000000b";

async fn app_with_todos() -> GatewayApp {
    let app = spawn_gateway(Some(METADATA), &[]).await;
    app.sql(&format!(
        "CREATE TABLE app.todos (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid NOT NULL,
            title text NOT NULL, secret text, done boolean NOT NULL DEFAULT false);
         CREATE TABLE app.notes (id serial PRIMARY KEY, todo_id uuid NOT NULL REFERENCES app.todos (id), body text NOT NULL);
         INSERT INTO app.todos (id, user_id, title, secret) VALUES
           ('10000000-0000-4000-8000-000000000001', '{A}', 'a1', 'sa'),
           ('10000000-0000-4000-8000-000000000002', '{A}', 'a2', 'sa'),
           ('20000000-0000-4000-8000-000000000001', '{B}', 'b1', 'sb');
         INSERT INTO app.notes (todo_id, body) VALUES
           ('10000000-0000-4000-8000-000000000001', 'note of a'),
           ('20000000-0000-4000-8000-000000000001', 'note of b');"
    ))
    .await;
    app.reload().await;
    app
}

fn titles(rows: &Value) -> Vec<String> {
    let mut titles: Vec<String> =
        rows.as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap().to_owned()).collect();
    titles.sort();
    titles
}

#[tokio::test]
async fn a_person_reads_only_their_own_rows_everywhere() {
    let app = app_with_todos().await;
    let a = app.token(A, &[]);
    let body = app
        .as_user(
            &a,
            r#"{ todos { title notes { body } }
                 todos_aggregate { aggregate { count } }
                 other: todos_by_pk(id: "20000000-0000-4000-8000-000000000001") { title }
                 notes { body todo { title } }
                 through: todos(where: {notes: {body: {_eq: "note of b"}}}) { title } }"#,
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(titles(&body["data"]["todos"]), ["a1", "a2"], "{body}");
    assert_eq!(body["data"]["todos_aggregate"]["aggregate"]["count"], 2);
    assert_eq!(body["data"]["other"], Value::Null);
    assert_eq!(body["data"]["notes"], json!([{"body": "note of a", "todo": {"title": "a1"}}]));
    assert_eq!(body["data"]["through"], json!([]));
    // The operator sees everything.
    let all = app.admin("{ todos_aggregate { aggregate { count } } }", json!({})).await;
    assert_eq!(all["data"]["todos_aggregate"]["aggregate"]["count"], 3);
}

#[tokio::test]
async fn a_person_cannot_change_or_delete_anothers_rows() {
    let app = app_with_todos().await;
    let a = app.token(A, &[]);
    let body = app
        .as_user(
            &a,
            r#"mutation {
                 u: update_todos(where: {}, _set: {title: "mine now"}) { affected_rows }
                 p: update_todos_by_pk(pk_columns: {id: "20000000-0000-4000-8000-000000000001"}, _set: {done: true}) { id }
                 d: delete_todos_by_pk(id: "20000000-0000-4000-8000-000000000001") { id }
                 all: delete_todos(where: {title: {_eq: "b1"}}) { affected_rows } }"#,
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["u"]["affected_rows"], 2, "{body}");
    assert_eq!(body["data"]["p"], Value::Null);
    assert_eq!(body["data"]["d"], Value::Null);
    assert_eq!(body["data"]["all"]["affected_rows"], 0);
    let b_row: (String, bool) =
        sqlx::query_as("SELECT title, done FROM app.todos WHERE user_id = $1::uuid")
            .bind(B)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(b_row, ("b1".to_owned(), false));
}

#[tokio::test]
async fn inserts_take_the_owner_from_the_token_and_a_failed_check_rolls_back() {
    let app = app_with_todos().await;
    let a = app.token(A, &[]);
    let body = app
        .as_user(
            &a,
            r#"mutation { insert_todos_one(object: {title: "new"}) { title user_id done } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["insert_todos_one"],
        json!({"title": "new", "user_id": A, "done": false}),
        "{body}"
    );
    // The owner is not an input at all.
    let body = app
        .as_user(&a, &format!(r#"mutation {{ insert_todos(objects: [{{title: "x", user_id: "{B}"}}]) {{ affected_rows }} }}"#), json!({}))
        .await;
    assert_eq!(error_code(&body), "validation-failed", "{body}");
    // A note on B's todo fails its check; the todo inserted before it in the request is undone.
    let body = app
        .as_user(
            &a,
            r#"mutation {
                 insert_todos(objects: [{title: "undone"}]) { affected_rows }
                 insert_notes(objects: [{todo_id: "20000000-0000-4000-8000-000000000001", body: "sneaky"}]) { affected_rows } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "permission-error", "{body}");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM app.todos WHERE title = 'undone'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
    let notes: i64 = sqlx::query_scalar("SELECT count(*) FROM app.notes WHERE body = 'sneaky'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(notes, 0);
}

#[tokio::test]
async fn hidden_columns_are_refused_everywhere() {
    let app = app_with_todos().await;
    let a = app.token(A, &[]);
    // Valid for the operator first: what was validated for one role proves nothing for another.
    let body = app.admin("{ todos { secret } }", json!({})).await;
    assert_eq!(body["data"]["todos"].as_array().unwrap().len(), 3, "{body}");
    for query in [
        "{ todos { secret } }",
        r#"{ todos(where: {secret: {_eq: "sb"}}) { title } }"#,
        "{ todos(order_by: {secret: asc}) { title } }",
        "{ todos(distinct_on: [secret]) { title } }",
        "{ todos_aggregate { aggregate { max { secret } } } }",
        r#"mutation { update_todos(where: {}, _set: {secret: "x"}) { affected_rows } }"#,
        r#"mutation { update_todos(where: {}, _set: {user_id: "00000000-0000-4000-8000-00000000000b"}) { affected_rows } }"#,
    ] {
        for _ in 0..2 {
            let body = app.as_user(&a, query, json!({})).await;
            assert_eq!(error_code(&body), "validation-failed", "{query}: {body}");
        }
        let body = app.as_user(&a, query, json!({})).await;
        assert!(body["data"].is_null(), "{query}: {body}");
        assert!(
            !body.to_string().contains("Did you mean"),
            "suggestions leak hidden names: {body}"
        );
    }
}

#[tokio::test]
async fn tables_without_rules_do_not_exist_for_a_role() {
    let app = app_with_todos().await;
    app.sql("CREATE TABLE app.private (id int PRIMARY KEY, v text)").await;
    app.reload().await;
    let a = app.token(A, &[]);
    let body = app.as_user(&a, "{ private { id } }", json!({})).await;
    assert_eq!(error_code(&body), "validation-failed");
    let body = app.admin("{ private { id } }", json!({})).await;
    assert_eq!(body["data"]["private"], json!([]), "{body}");
}

#[tokio::test]
async fn credentials_are_checked() {
    let app = app_with_todos().await;
    let query = json!({"query": "{ todos { title } }"});
    let (status, body) = app.post(&[], &query).await;
    assert_eq!((status, error_code(&body)), (401, "access-denied"));
    let (status, body) = app.post(&[("authorization", "Bearer not-a-token")], &query).await;
    assert_eq!((status, error_code(&body)), (401, "invalid-jwt"));
    let (status, body) =
        app.post(&[("x-hasura-admin-secret", "wrong-secret-wrong-secret")], &query).await;
    assert_eq!((status, error_code(&body)), (401, "access-denied"));
    let a = format!("Bearer {}", app.token(A, &[]));
    let (status, body) =
        app.post(&[("authorization", &a), ("x-hasura-role", "admin")], &query).await;
    assert_eq!((status, error_code(&body)), (401, "access-denied"), "{body}");
    // The operator may act as a role with the session variables they give.
    let (status, body) = app
        .post(
            &[
                ("x-hasura-admin-secret", ADMIN_SECRET),
                ("x-hasura-role", "user"),
                ("x-hasura-user-id", B),
            ],
            &query,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["todos"], json!([{"title": "b1"}]));
}

#[tokio::test]
async fn an_anonymous_role_only_when_configured() {
    let app = spawn_gateway(
        Some("tables:\n- table: {schema: app, name: pub}\n  select_permissions:\n  - role: anonymous\n    permission: {columns: [id]}\n"),
        &[("GATEWAY_UNAUTHORIZED_ROLE", "anonymous".to_owned())],
    )
    .await;
    app.sql("CREATE TABLE app.pub (id int PRIMARY KEY, hidden text); INSERT INTO app.pub VALUES (1, 'h')").await;
    app.reload().await;
    let (status, body) = app.post(&[], &json!({"query": "{ pub { id } }"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["pub"], json!([{"id": 1}]));
}

#[tokio::test]
async fn metadata_changes_apply_without_restart() {
    let app = app_with_todos().await;
    let a = app.token(A, &[]);
    let body = app.as_user(&a, "{ todos { title } }", json!({})).await;
    assert_eq!(titles(&body["data"]["todos"]), ["a1", "a2"]);
    // A new column appears for the operator after DDL.
    app.sql("ALTER TABLE app.todos ADD COLUMN priority int NOT NULL DEFAULT 3").await;
    app.reload().await;
    let body = app.admin("{ todos(limit: 1) { priority } }", json!({})).await;
    assert_eq!(body["data"]["todos"], json!([{"priority": 3}]), "{body}");
}

#[tokio::test]
async fn nested_inserts_go_through_relationships_under_each_tables_rules() {
    let app = app_with_todos().await;
    let a = app.token(A, &[]);
    let body = app
        .as_user(
            &a,
            r#"mutation {
                 down: insert_todos_one(object: {title: "with notes", notes: {data: [{body: "n1"}, {body: "n2"}]}}) {
                   title user_id notes(order_by: {body: asc}) { body } }
                 up: insert_notes(objects: [{body: "orphan no more", todo: {data: {title: "parent"}}}]) {
                   affected_rows returning { body todo { title user_id } } } }"#,
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(
        body["data"]["down"],
        json!({"title": "with notes", "user_id": A, "notes": [{"body": "n1"}, {"body": "n2"}]})
    );
    assert_eq!(body["data"]["up"]["affected_rows"], 2);
    assert_eq!(
        body["data"]["up"]["returning"],
        json!([{"body": "orphan no more", "todo": {"title": "parent", "user_id": A}}])
    );
    // A nested row that breaks its table's check undoes the whole request.
    let body = app
        .as_user(
            &a,
            r#"mutation { insert_notes_one(object: {body: "b's", todo_id: "20000000-0000-4000-8000-000000000001"}) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "permission-error", "{body}");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM app.todos WHERE user_id = $1::uuid")
        .bind(A)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 4);
}

#[tokio::test]
async fn an_edited_metadata_file_applies_without_restart() {
    let app = app_with_todos().await;
    let a = app.token(A, &[]);
    let body = app.as_user(&a, "{ todos { secret } }", json!({})).await;
    assert_eq!(error_code(&body), "validation-failed");
    // Grant the column; the reload endpoint (or the next poll) picks the file up.
    let granted = METADATA.replacen(
        "columns: [id, user_id, title, done]",
        "columns: [id, user_id, title, done, secret]",
        1,
    );
    std::fs::write(app.metadata.as_ref().unwrap().path(), granted).unwrap();
    app.reload().await;
    let body = app.as_user(&a, "{ todos(order_by: {title: asc}) { secret } }", json!({})).await;
    assert_eq!(body["data"]["todos"], json!([{"secret": "sa"}, {"secret": "sa"}]), "{body}");
    // A broken file is refused and the last good metadata stays.
    std::fs::write(app.metadata.as_ref().unwrap().path(), "tables: [{oops: 1}]").unwrap();
    let response = app
        .client
        .post(format!("{}/v1/metadata/reload", app.address))
        .header("x-hasura-admin-secret", crate::helpers::ADMIN_SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body = app.as_user(&a, "{ todos { secret } }", json!({})).await;
    assert_eq!(body["data"]["todos"].as_array().unwrap().len(), 2, "{body}");
}
