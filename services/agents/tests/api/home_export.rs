//! The home plugin's part of `GET /v1/me/export` (`home/`): the person's connections,
//! entities, exposure, watches, whole audit log and history (CSV), never a broker's password,
//! and nothing of anyone else's home.

use base64::Engine;
use serde_json::json;
use uuid::Uuid;

use crate::export::{export_of, json_in};
use crate::helpers::{Models, json_of, spawn};

const PASSWORD: &str = "s3cret-broker-pw";

fn home_vars() -> Vec<(&'static str, String)> {
    let seal_key =
        base64::engine::general_purpose::STANDARD.encode(Uuid::new_v4().as_bytes().repeat(2));
    vec![("MQTT_URL", posey_testkit::env::mqtt_url()), ("HOME_SEAL_KEY", seal_key)]
}

fn unique_prefix() -> String {
    format!("posey-test-home-{}", Uuid::new_v4().simple())
}

#[tokio::test]
async fn a_persons_home_is_in_their_export_without_secrets_or_anyone_elses() {
    let app = spawn(Models::test(), None, &home_vars()).await;
    let (ada_id, ada) = app.person();
    let (_, bob) = app.person();

    // Ada's broker, with a password in its URL (the harness's broker takes any login).
    let broker = url::Url::parse(&posey_testkit::env::mqtt_url()).unwrap();
    let (host, port) = (broker.host_str().unwrap().to_owned(), broker.port().unwrap_or(1883));
    let connection = json!({"kind": "mqtt", "name": "Ada's broker", "discovery_prefix": unique_prefix(),
        "url": format!("mqtt://posey:{PASSWORD}@{host}:{port}")});
    let made = json_of(app.post_as("/v1/home/connections", &ada, &connection).await, 201).await;
    let connection_id = Uuid::parse_str(made["id"].as_str().unwrap()).unwrap();
    let exposure =
        json!({"visible_areas": ["kitchen"], "controllable_entities": ["light.kitchen"]});
    let put = app.request(reqwest::Method::PUT, "/v1/home/exposure", &ada).json(&exposure);
    json_of(put.send().await.unwrap(), 200).await;
    let watch =
        json!({"entity_id": "binary_sensor.front_door", "name": "Front door opened", "to": "on"});
    json_of(app.post_as("/v1/home/watches", &ada, &watch).await, 201).await;
    // What the links and commands would have kept: states (one a CSV must quote) and commands.
    for (state, at) in [("on", "2026-12-01T10:00:00Z"), ("off, \"really\"", "2026-12-01T11:00:00Z")]
    {
        sqlx::query(
            "INSERT INTO home.history (connection_id, entity_id, user_id, state, attributes, at) \
             VALUES ($1, 'light.kitchen', $2, $3, '{\"brightness\": 128}', $4::timestamptz)",
        )
        .bind(connection_id)
        .bind(ada_id)
        .bind(state)
        .bind(at)
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
    for command in ["turn_on", "turn_off", "toggle"] {
        sqlx::query(
            "INSERT INTO home.audit (id, user_id, at, actor, connection_id, entity_id, command, \
             outcome) VALUES ($1, $2, '2026-12-01T12:00:00Z', 'person', $3, 'light.kitchen', $4, \
             'done')",
        )
        .bind(Uuid::new_v4())
        .bind(ada_id)
        .bind(connection_id)
        .bind(command)
        .execute(&app.db.pool)
        .await
        .unwrap();
    }
    // Bob's home, which must not be in Ada's export.
    let his = json!({"kind": "mqtt", "name": "Bob's broker", "discovery_prefix": unique_prefix()});
    json_of(app.post_as("/v1/home/connections", &bob, &his).await, 201).await;

    let files = export_of(&app, &ada).await;
    let connections = json_in(&files, "home/connections.json");
    let listed = json_of(app.get_as("/v1/home/connections", &ada).await, 200).await;
    assert_eq!(connections, listed, "as the REST list gives them");
    assert_eq!(connections["connections"].as_array().unwrap().len(), 1, "{connections}");
    assert_eq!(connections["connections"][0]["name"], "Ada's broker");
    let entities = json_in(&files, "home/entities.json");
    assert!(entities["entities"].is_array() && entities["areas"].is_array(), "{entities}");
    assert_eq!(json_in(&files, "home/exposure.json")["visible_areas"], json!(["kitchen"]));
    let watches = json_in(&files, "home/watches.json");
    assert_eq!(watches["watches"][0]["name"], "Front door opened", "{watches}");
    let audit = json_in(&files, "home/audit.json");
    let commands: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["command"].as_str().unwrap())
        .collect();
    assert_eq!(commands.len(), 3, "every entry, those of one moment too: {audit}");

    let csv = String::from_utf8(files["home/history.csv"].clone()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines,
        [
            "entity_id,state,changed_at,attributes",
            r#"light.kitchen,on,2026-12-01T10:00:00.000000Z,"{""brightness"":128}""#,
            r#"light.kitchen,"off, ""really""",2026-12-01T11:00:00.000000Z,"{""brightness"":128}""#,
        ],
        "{csv}"
    );

    for (name, content) in &files {
        let text = String::from_utf8_lossy(content);
        assert!(!text.contains(PASSWORD), "{name} holds the broker's password");
        assert!(!text.contains("Bob's broker"), "{name} holds Bob's home: {text}");
    }
    let bobs = export_of(&app, &bob).await;
    let his = json_in(&bobs, "home/connections.json");
    assert_eq!(his["connections"].as_array().unwrap().len(), 1, "{his}");
    assert_eq!(json_in(&bobs, "home/audit.json"), json!({"entries": []}));
    assert_eq!(
        String::from_utf8(bobs["home/history.csv"].clone()).unwrap(),
        "entity_id,state,changed_at,attributes\n"
    );
}
