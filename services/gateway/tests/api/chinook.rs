//! Queries over the Chinook sample return exactly what the equivalent SQL returns.

use serde_json::{Value, json};

use crate::helpers::{load_chinook, spawn_gateway};

async fn chinook_app() -> crate::helpers::GatewayApp {
    let app = spawn_gateway(None, &[("GATEWAY_SCHEMAS", "public".to_owned())]).await;
    load_chinook(&app).await;
    app
}

async fn sql_json(app: &crate::helpers::GatewayApp, sql: &str) -> Value {
    sqlx::query_scalar::<_, Value>(sql).fetch_one(&app.db.pool).await.unwrap()
}

fn sorted_by_id(mut rows: Vec<Value>) -> Vec<Value> {
    rows.sort_by_key(|r| r["id"].as_i64());
    rows
}

#[tokio::test]
async fn the_graphql_bench_albums_query_matches_sql() {
    let app = chinook_app().await;
    let body = app
        .admin(
            r#"{ albums(where: {title: {_like: "%Rock%"}}) { id title artist { name id } } }"#,
            json!({}),
        )
        .await;
    let got = body["data"]["albums"].as_array().unwrap().clone();
    let want = sql_json(
        &app,
        "SELECT json_agg(json_build_object('id', a.id, 'title', a.title, \
         'artist', json_build_object('name', ar.name, 'id', ar.id))) \
         FROM albums a JOIN artists ar ON ar.id = a.artist_id WHERE a.title LIKE '%Rock%'",
    )
    .await;
    assert!(!got.is_empty());
    assert_eq!(sorted_by_id(got), sorted_by_id(want.as_array().unwrap().clone()));
}

#[tokio::test]
async fn albums_by_pk_matches_sql_and_a_missing_key_is_null() {
    let app = chinook_app().await;
    let body = app
        .admin(
            "query($id: Int!) { albums_by_pk(id: $id) { id title artist { id name } } }",
            json!({"id": 10}),
        )
        .await;
    let want = sql_json(
        &app,
        "SELECT json_build_object('id', a.id, 'title', a.title, 'artist', \
         json_build_object('id', ar.id, 'name', ar.name)) FROM albums a JOIN artists ar ON ar.id = a.artist_id WHERE a.id = 10",
    )
    .await;
    assert_eq!(body["data"]["albums_by_pk"], want);
    let body = app.admin("{ albums_by_pk(id: 999999) { id } }", json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["albums_by_pk"], Value::Null);
}

#[tokio::test]
async fn a_three_level_nested_query_matches_sql() {
    let app = chinook_app().await;
    let body = app
        .admin(
            r#"{ artists(where: {id: {_lte: 12}}, order_by: {id: asc}) {
                   id name
                   albums(order_by: {title: desc}) {
                     id title
                     tracks(order_by: [{milliseconds: desc}, {id: asc}], limit: 3) { id name milliseconds }
                   }
                 } }"#,
            json!({}),
        )
        .await;
    let want = sql_json(
        &app,
        "SELECT json_agg(json_build_object('id', ar.id, 'name', ar.name, 'albums', \
           (SELECT coalesce(json_agg(json_build_object('id', al.id, 'title', al.title, 'tracks', \
              (SELECT coalesce(json_agg(json_build_object('id', t.id, 'name', t.name, 'milliseconds', t.milliseconds) \
                  ORDER BY t.milliseconds DESC, t.id), '[]') \
               FROM (SELECT * FROM tracks t WHERE t.album_id = al.id ORDER BY t.milliseconds DESC, t.id LIMIT 3) t)) \
             ORDER BY al.title DESC), '[]') FROM albums al WHERE al.artist_id = ar.id)) ORDER BY ar.id) \
         FROM artists ar WHERE ar.id <= 12",
    )
    .await;
    assert_eq!(body["data"]["artists"], want, "{body}");
}

#[tokio::test]
async fn aggregates_match_sql() {
    let app = chinook_app().await;
    let body = app
        .admin(
            r#"{ tracks_aggregate(where: {album_id: {_eq: 1}}) {
                   aggregate { count total: sum { milliseconds } max { milliseconds name } avg { unit_price } }
                   nodes { id } } }"#,
            json!({}),
        )
        .await;
    let agg = &body["data"]["tracks_aggregate"];
    let want = sql_json(
        &app,
        "SELECT json_build_object('count', count(*), 'sum', sum(milliseconds), 'max', max(milliseconds), \
         'maxname', max(name), 'n', json_agg(id)) FROM tracks WHERE album_id = 1",
    )
    .await;
    assert_eq!(agg["aggregate"]["count"], want["count"]);
    assert_eq!(agg["aggregate"]["total"]["milliseconds"], want["sum"]);
    assert_eq!(agg["aggregate"]["max"]["milliseconds"], want["max"]);
    assert_eq!(agg["aggregate"]["max"]["name"], want["maxname"]);
    assert_eq!(agg["nodes"].as_array().unwrap().len(), want["n"].as_array().unwrap().len());
}

#[tokio::test]
async fn operators_ordering_by_relationship_and_distinct_on() {
    let app = chinook_app().await;
    let body = app
        .admin(
            r#"{ a: albums(where: {_and: [{id: {_in: [1, 2, 3, 4]}}, {_not: {id: {_eq: 2}}}], artist: {name: {_ilike: "ac/dc"}}}, order_by: {id: desc}) { id }
                 b: albums(order_by: [{artist: {name: asc}}, {id: asc}], limit: 2) { id artist { name } }
                 c: tracks(distinct_on: [album_id], order_by: [{album_id: asc}, {id: desc}], where: {album_id: {_lte: 2}}) { id album_id }
                 d: customers(where: {_or: [{company: {_is_null: false}}, {id: {_nin: [1]}}]}, limit: 1, offset: 2) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["a"], json!([{"id": 4}, {"id": 1}]), "{body}");
    let first = sql_json(
        &app,
        "SELECT json_agg(x) FROM (SELECT json_build_object('id', a.id, 'artist', json_build_object('name', ar.name)) x \
         FROM albums a JOIN artists ar ON ar.id = a.artist_id ORDER BY ar.name, a.id LIMIT 2) s",
    )
    .await;
    assert_eq!(body["data"]["b"], first);
    let distinct = sql_json(
        &app,
        "SELECT json_agg(json_build_object('id', id, 'album_id', album_id) ORDER BY album_id) FROM \
         (SELECT DISTINCT ON (album_id) id, album_id FROM tracks WHERE album_id <= 2 ORDER BY album_id, id DESC) s",
    )
    .await;
    assert_eq!(body["data"]["c"], distinct);
    assert_eq!(body["data"]["d"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_three_level_nested_insert_returns_what_it_made() {
    let app = chinook_app().await;
    let body = app
        .admin(
            r#"mutation { insert_artists(objects: [{name: "New Band", albums: {data: [{title: "First",
                 tracks: {data: [{name: "Opener", media_type_id: 1, milliseconds: 1000, unit_price: 0.99},
                                 {name: "Closer", media_type_id: 1, milliseconds: 2000, unit_price: 0.99}]}}]}}]) {
                 affected_rows returning { name albums { title tracks(order_by: {milliseconds: asc}) { name } } } } }"#,
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["insert_artists"]["affected_rows"], 4);
    assert_eq!(
        body["data"]["insert_artists"]["returning"],
        json!([{"name": "New Band", "albums": [{"title": "First", "tracks": [{"name": "Opener"}, {"name": "Closer"}]}]}])
    );
}

#[tokio::test]
async fn a_statement_past_the_timeout_is_cancelled_with_a_coded_error() {
    let app = spawn_gateway(
        None,
        &[
            ("GATEWAY_SCHEMAS", "public".to_owned()),
            ("GATEWAY_STATEMENT_TIMEOUT_MS", "1".to_owned()),
        ],
    )
    .await;
    load_chinook(&app).await;
    let body = app
        .admin(
            "{ artists { name albums { title tracks { name invoice_lines { invoice { customer { email } } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(crate::helpers::error_code(&body), "statement-timeout", "{body}");
    assert!(!body.to_string().contains("canceling statement"), "{body}");
}

#[tokio::test]
async fn the_spliced_answer_equals_the_field_by_field_one() {
    let app = chinook_app().await;
    let selection = r#"albums(where: {artist: {name: {_like: "A%"}}}, order_by: {id: asc}, limit: 5) {
        id title artist { name } tracks_aggregate { aggregate { count max { milliseconds } } }
        tracks(limit: 2, order_by: {id: asc}) { name genre { name } } }"#;
    // Plain table fields take the fast path; `__typename` needs the executor, field by field.
    let fast = app
        .admin(
            &format!("query Q($n: Int = 2) {{ {selection} by: albums_by_pk(id: $n) {{ title }} }}"),
            json!({}),
        )
        .await;
    let slow = app
        .admin(&format!("query Q($n: Int = 2) {{ __typename {selection} by: albums_by_pk(id: $n) {{ title }} }}"), json!({}))
        .await;
    assert!(fast["errors"].is_null() && slow["errors"].is_null(), "{fast} {slow}");
    assert_eq!(fast["data"]["albums"], slow["data"]["albums"]);
    assert_eq!(fast["data"]["by"], slow["data"]["by"]);
    assert_eq!(slow["data"]["__typename"], "query_root");
    assert_eq!(fast["data"]["albums"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn ordering_by_an_array_relationships_aggregate_matches_sql() {
    let app = chinook_app().await;
    let body = app
        .admin(
            "{ artists(order_by: [{albums_aggregate: {count: desc}}, {id: asc}], limit: 5) { id } \
               albums(order_by: [{tracks_aggregate: {max: {milliseconds: desc}}}, {id: asc}], \
                      limit: 5) { id } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let want = sql_json(
        &app,
        "SELECT json_agg(json_build_object('id', id)) FROM (SELECT ar.id FROM artists ar \
         ORDER BY (SELECT count(*) FROM albums a WHERE a.artist_id = ar.id) DESC, ar.id LIMIT 5) t",
    )
    .await;
    assert_eq!(body["data"]["artists"], want);
    let want = sql_json(
        &app,
        "SELECT json_agg(json_build_object('id', id)) FROM (SELECT a.id FROM albums a \
         ORDER BY (SELECT max(t.milliseconds) FROM tracks t WHERE t.album_id = a.id) \
         DESC NULLS FIRST, a.id LIMIT 5) t",
    )
    .await;
    assert_eq!(body["data"]["albums"], want);

    // sum/avg take numeric columns only.
    let body = app
        .admin("{ artists(order_by: {albums_aggregate: {sum: {title: asc}}}) { id } }", json!({}))
        .await;
    assert!(body["errors"].is_array(), "{body}");
}
