//! The built-in metadata over the home plugin's tables (created by the plugin's own migrations,
//! run here as the agents service runs them): a person reads only their own entities and audit
//! entries, and changes nothing.

use serde_json::json;

use crate::helpers::{GatewayApp, error_code, spawn_gateway};

const ADA: &str = "00000000-0000-4000-8000-0000000000ad";
const BOB: &str = "00000000-0000-4000-8000-0000000000b0";
const CONNECTION_ADA: &str = "ad000000-0000-4000-8000-0000000000ad";
const CONNECTION_BOB: &str = "b0000000-0000-4000-8000-0000000000b0";
const AUDIT_ADA: &str = "ad100000-0000-4000-8000-0000000000ad";

/// Creates schema `home` with the plugin's migrations, as the agents service does at start.
async fn create_home_tables(app: &GatewayApp) {
    for migration in posey_home_plugin::migrations::MIGRATIONS {
        app.sql(migration.sql).await;
    }
}

/// Ada has a lamp and a front door and unlocked the door once; Bob has a lamp of his own.
async fn insert_homes(app: &GatewayApp) {
    app.sql(&format!(
        "INSERT INTO home.connections (id, user_id, kind, name, url) VALUES
            ('{CONNECTION_ADA}', '{ADA}', 'home_assistant', 'Ada''s house', 'http://ha.local:8123'),
            ('{CONNECTION_BOB}', '{BOB}', 'mqtt', 'Bob''s flat', NULL);
         INSERT INTO home.entities (connection_id, entity_id, user_id, domain, name, area, state,
                                    attributes, last_changed, last_updated) VALUES
            ('{CONNECTION_ADA}', 'light.kitchen', '{ADA}', 'light', 'Kitchen', 'Kitchen', 'on',
             '{{\"brightness\": 200}}', '2026-03-02T10:00:00Z', '2026-03-02T10:00:00Z'),
            ('{CONNECTION_ADA}', 'lock.front_door', '{ADA}', 'lock', 'Front door', 'Hall', 'unlocked',
             '{{}}', '2026-03-02T11:00:00Z', '2026-03-02T11:00:00Z'),
            ('{CONNECTION_BOB}', 'light.bobs_lamp', '{BOB}', 'light', 'Bob''s lamp', NULL, 'off',
             '{{}}', '2026-03-02T12:00:00Z', '2026-03-02T12:00:00Z');
         INSERT INTO home.audit (id, user_id, at, actor, agent, connection_id, entity_id, command,
                                 parameters, outcome, state_after) VALUES
            ('{AUDIT_ADA}', '{ADA}', '2026-03-02T11:00:00Z', 'person', NULL, '{CONNECTION_ADA}',
             'lock.front_door', 'unlock', '{{}}', 'done', 'unlocked'),
            ('b0100000-0000-4000-8000-0000000000b0', '{BOB}', '2026-03-02T12:00:00Z', 'agent',
             'companion', '{CONNECTION_BOB}', 'light.bobs_lamp', 'turn_off', '{{}}', 'done', 'off');"
    ))
    .await;
}

async fn app_with_homes() -> GatewayApp {
    let app = spawn_gateway(None, &[]).await;
    create_home_tables(&app).await;
    insert_homes(&app).await;
    app.reload().await;
    app
}

#[tokio::test]
async fn a_person_reads_only_their_own_home() {
    let app = app_with_homes().await;
    let ada = app.token(ADA, &[]);
    let body = app
        .as_user(
            &ada,
            "{ home_entities(order_by: {entity_id: asc}) {
                 connection_id entity_id user_id domain name area_id area device device_class
                 state attributes last_changed last_updated }
               home_audit { id user_id at actor agent connection_id entity_id command parameters
                 outcome error state_after } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let entities = body["data"]["home_entities"].as_array().unwrap();
    assert_eq!(
        entities.iter().map(|e| e["entity_id"].as_str().unwrap()).collect::<Vec<_>>(),
        ["light.kitchen", "lock.front_door"],
        "{body}"
    );
    assert_eq!(entities[0]["connection_id"], CONNECTION_ADA);
    assert_eq!(entities[0]["user_id"], ADA);
    assert_eq!(entities[0]["attributes"], json!({"brightness": 200}));
    assert_eq!(entities[1]["state"], "unlocked");
    assert_eq!(entities[1]["area"], "Hall");
    let audit = body["data"]["home_audit"].as_array().unwrap();
    assert_eq!(audit.len(), 1, "{body}");
    assert_eq!(audit[0]["id"], AUDIT_ADA);
    assert_eq!(
        (&audit[0]["actor"], &audit[0]["command"], &audit[0]["outcome"], &audit[0]["state_after"]),
        (&json!("person"), &json!("unlock"), &json!("done"), &json!("unlocked"))
    );

    // Bob's rows do not exist for Ada, even asked for by key or by condition...
    let body = app
        .as_user(
            &ada,
            "query($c: uuid!) {
               home_entities_by_pk(connection_id: $c, entity_id: \"light.bobs_lamp\") { state }
               home_entities_aggregate(where: {connection_id: {_eq: $c}}) { aggregate { count } }
               home_audit(where: {user_id: {_neq: \"00000000-0000-4000-8000-0000000000ad\"}}) { id } }",
            json!({"c": CONNECTION_BOB}),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({"home_entities_by_pk": null,
               "home_entities_aggregate": {"aggregate": {"count": 0}},
               "home_audit": []}),
        "{body}"
    );
    // ...and none of Ada's exist for Bob, who sees his own.
    let bob = app.token(BOB, &[]);
    let body = app
        .as_user(
            &bob,
            "query($c: uuid!) {
               ada: home_entities(where: {connection_id: {_eq: $c}}) { entity_id }
               home_entities { entity_id user_id }
               home_audit { entity_id actor agent } }",
            json!({"c": CONNECTION_ADA}),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({"ada": [],
               "home_entities": [{"entity_id": "light.bobs_lamp", "user_id": BOB}],
               "home_audit": [{"entity_id": "light.bobs_lamp", "actor": "agent", "agent": "companion"}]}),
        "{body}"
    );
}

#[tokio::test]
async fn people_cannot_change_their_home_through_the_gateway() {
    let app = app_with_homes().await;
    let ada = app.token(ADA, &[]);
    let mutations = [
        format!(
            r#"mutation {{ insert_home_entities_one(object: {{connection_id: "{CONNECTION_ADA}",
                 entity_id: "switch.new", user_id: "{ADA}", domain: "switch", name: "new",
                 state: "on", last_changed: "2026-03-03T00:00:00Z",
                 last_updated: "2026-03-03T00:00:00Z"}}) {{ entity_id }} }}"#
        ),
        r#"mutation { update_home_entities(where: {}, _set: {state: "changed"}) { affected_rows } }"#
            .to_owned(),
        "mutation { delete_home_entities(where: {}) { affected_rows } }".to_owned(),
        format!(
            r#"mutation {{ insert_home_audit(objects: [{{id: "{}", user_id: "{ADA}",
                 actor: "person", entity_id: "lock.front_door", command: "lock",
                 outcome: "done"}}]) {{ affected_rows }} }}"#,
            "ad200000-0000-4000-8000-0000000000ad"
        ),
        format!(
            r#"mutation {{ update_home_audit_by_pk(pk_columns: {{id: "{AUDIT_ADA}"}},
                 _set: {{outcome: "failed"}}) {{ id }} }}"#
        ),
        format!(r#"mutation {{ delete_home_audit_by_pk(id: "{AUDIT_ADA}") {{ id }} }}"#),
    ];
    for mutation in &mutations {
        let body = app.as_user(&ada, mutation, json!({})).await;
        assert_eq!(error_code(&body), "validation-failed", "{mutation}: {body}");
        // Refused because the field does not exist for the role, not for a typo here.
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("Unknown field \"") && message.contains("_home_"), "{body}");
    }
    let (entities, audit, changed): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM home.entities),
            (SELECT count(*) FROM home.audit),
            (SELECT count(*) FROM home.entities WHERE state = 'changed')
              + (SELECT count(*) FROM home.audit WHERE outcome <> 'done')",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!((entities, audit, changed), (3, 2, 0));
}
