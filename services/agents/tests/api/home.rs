//! The home plugin against a real broker (the harness's Mosquitto) and devices no one here
//! wrote (ha-mqtt-discoverable's, posey-testkit's `devices`): a person connects, the devices'
//! entities are mirrored with their states and history, the person's commands reach the devices
//! and are audited; the companion sees and controls only what the person exposed, and a lock
//! opens only after the person's yes through the API, never on the model's word; a watch tells
//! the person through cron, once per change; another person sees none of it.

use std::time::Duration;

use base64::Engine;
use posey_testkit::devices::Devices;
use posey_testkit::home_assistant::{ALARM_CODE, Hass, capture_logs};
use serde_json::{Value, json};

use crate::caldav_basic::{sign_up, spawn_agents_with, spawn_auth};
use crate::calendar_alarms::{notifications, spawn_all_with, wait_for_notification};
use crate::helpers::{AgentsApp, Models, Sse, events, json_of, scripted_tools, spawn};

pub(crate) const LAMP: &str = "light.posey_test_rig_desk_lamp";
pub(crate) const COFFEE: &str = "switch.posey_test_rig_coffee_maker";
pub(crate) const DOOR: &str = "lock.posey_test_rig_front_door";
pub(crate) const TEMPERATURE: &str = "sensor.posey_test_rig_living_room_temperature";

pub(crate) const AGENTS: &str = r#"
router: steward
agents:
  - name: steward
    description: Runs the home.
    prompt: You run the person's home.
    plugins: [home]
"#;

fn seal_key() -> String {
    base64::engine::general_purpose::STANDARD.encode(uuid::Uuid::new_v4().as_bytes().repeat(2))
}

pub(crate) fn home_vars() -> Vec<(&'static str, String)> {
    vec![("MQTT_URL", posey_testkit::env::mqtt_url()), ("HOME_SEAL_KEY", seal_key())]
}

pub(crate) fn unique_prefix() -> String {
    format!("posey-test-home-{}", uuid::Uuid::new_v4().simple())
}

/// The broker's host and port, from the harness's URL.
pub(crate) fn broker() -> (String, u16) {
    let url = url::Url::parse(&posey_testkit::env::mqtt_url()).unwrap();
    (url.host_str().unwrap().to_owned(), url.port().unwrap_or(1883))
}

/// Polls `path` until `check` holds on its JSON; fails after 20 s.
pub(crate) async fn until(
    app: &crate::helpers::TestApp,
    token: &str,
    path: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let body = json_of(app.get_as(path, token).await, 200).await;
        if check(&body) {
            return body;
        }
        assert!(tokio::time::Instant::now() < deadline, "{path} never became as wanted: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn entity<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list["entities"].as_array()?.iter().find(|e| e["entity_id"] == id)
}

pub(crate) fn state_of(list: &Value, id: &str) -> Option<String> {
    entity(list, id).and_then(|e| e["state"].as_str()).map(str::to_owned)
}

/// Connects the instance's broker for the person under a prefix of its own, starts the
/// devices there and waits until the four entities are mirrored.
pub(crate) async fn connect_devices(
    app: &crate::helpers::TestApp,
    token: &str,
) -> (String, Devices) {
    let prefix = unique_prefix();
    let made = app
        .post_as(
            "/v1/home/connections",
            token,
            &json!({"kind": "mqtt", "name": "Devices", "discovery_prefix": prefix}),
        )
        .await;
    let made = json_of(made, 201).await;
    assert_eq!(made["status"], "connected", "{made}");
    assert_eq!(made["url"], Value::Null, "the instance's broker: {made}");
    let (host, port) = broker();
    let devices = Devices::start(&host, port, &prefix).await;
    until(app, token, "/v1/home/entities", |list| {
        state_of(list, LAMP).as_deref() == Some("off")
            && state_of(list, DOOR).as_deref() == Some("locked")
            && state_of(list, COFFEE).as_deref() == Some("off")
            && state_of(list, TEMPERATURE).as_deref() == Some("21.5")
    })
    .await;
    (made["id"].as_str().unwrap().to_owned(), devices)
}

pub(crate) async fn tool(
    app: &AgentsApp,
    token: &str,
    conversation: &str,
    name: &str,
    args: Value,
) -> Vec<Sse> {
    let stream = app.chat(token, conversation, &format!("{name} {args}")).await;
    assert_eq!(stream.last().unwrap().event, "done", "{stream:?}");
    stream
}

pub(crate) fn result(stream: &[Sse]) -> (bool, Value) {
    let results = events(stream, "tool_result");
    assert_eq!(results.len(), 1, "{stream:?}");
    let content = results[0]["content"].as_str().unwrap();
    (results[0]["is_error"] == true, serde_json::from_str(content).unwrap_or(json!(content)))
}

#[tokio::test]
async fn a_persons_devices_are_mirrored_controlled_and_audited() {
    let app =
        spawn(Models::default().with("test", scripted_tools()), Some(AGENTS), &home_vars()).await;
    let (_, token) = app.person();
    let (connection, mut devices) = connect_devices(&app, &token).await;

    let list = json_of(app.get_as("/v1/home/entities", &token).await, 200).await;
    assert_eq!(list["entities"].as_array().unwrap().len(), 4, "{list}");
    let door = entity(&list, DOOR).unwrap();
    assert_eq!(door["security"], true, "{door}");
    assert_eq!(
        (door["visible"].clone(), door["controllable"].clone()),
        (json!(false), json!(false))
    );
    let lamp = entity(&list, LAMP).unwrap();
    assert_eq!(lamp["security"], false);
    assert_eq!(lamp["device"], "Posey Test Rig");
    let connections = json_of(app.get_as("/v1/home/connections", &token).await, 200).await;
    assert_eq!(connections["connections"][0]["entities"], 4, "{connections}");

    // The person's command reaches the device, which reports its new state.
    let path = format!("/v1/home/entities/{LAMP}/commands");
    let on = json!({"action": "turn_on", "brightness": {"level": 128}});
    let done = json_of(app.post_as(&path, &token, &on).await, 200).await;
    let said = devices.expect("command light").await;
    assert!(said.contains("ON"), "{said}");
    assert_eq!(done["entity"]["state"], "on", "{done}");
    assert_eq!(done["entity"]["attributes"]["brightness"], 128, "{done}");
    assert_eq!(done["audit"]["actor"], "person");
    assert_eq!(done["audit"]["outcome"], "done");
    assert_eq!(done["audit"]["state_after"], "on");
    assert_eq!(done["audit"]["parameters"], json!({"brightness": {"level": 128}}));
    // What the entity does not take is refused by name, and reaches no device.
    let wrong = json_of(app.post_as(&path, &token, &json!({"action": "lock"})).await, 422).await;
    assert!(wrong["error"]["fields"]["action"].is_array(), "{wrong}");
    let garbage = app.post_as(&path, &token, &json!({"action": "explode"})).await;
    assert_eq!(garbage.status(), 422);
    let nobody = app.post_as("/v1/home/entities/light.nothing/commands", &token, &on).await;
    assert_eq!(nobody.status(), 404);
    assert_eq!(devices.said_within(Duration::from_millis(300)).await, None);

    // The companion sees nothing and controls nothing until the person chooses.
    let conversation = app.conversation(&token, None).await;
    let (failed, seen) =
        result(&tool(&app, &token, &conversation, "home_entities", json!({})).await);
    assert!(!failed && seen["entities"] == json!([]), "{seen}");
    let off = json!({"entity_id": LAMP, "action": "turn_off"});
    let (failed, said) =
        result(&tool(&app, &token, &conversation, "home_control", off.clone()).await);
    assert!(failed, "{said}");
    assert_eq!(devices.said_within(Duration::from_millis(300)).await, None);

    let exposure =
        json!({"visible_entities": [TEMPERATURE], "controllable_entities": [LAMP, DOOR]});
    json_of(
        app.request(reqwest::Method::PUT, "/v1/home/exposure", &token)
            .json(&exposure)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let bad = json!({"controllable_entities": ["not an id"]});
    let bad = json_of(
        app.request(reqwest::Method::PUT, "/v1/home/exposure", &token)
            .json(&bad)
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert!(bad["error"]["fields"]["controllable_entities"].is_array(), "{bad}");
    let (_, seen) = result(&tool(&app, &token, &conversation, "home_entities", json!({})).await);
    let mut ids: Vec<&str> = seen["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entity_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [LAMP, DOOR, TEMPERATURE], "the coffee maker stays hidden: {seen}");
    let (failed, said) = result(
        &tool(&app, &token, &conversation, "home_state", json!({"entity_id": COFFEE})).await,
    );
    assert!(failed, "{said}");
    let (failed, said) = result(&tool(&app, &token, &conversation, "home_control", off).await);
    assert!(!failed, "{said}");
    assert!(devices.expect("command light").await.contains("OFF"));
    until(&app, &token, "/v1/home/entities", |l| state_of(l, LAMP).as_deref() == Some("off")).await;

    // No sequence of the model's calls moves the lock: each security command only asks.
    let mut asked = Vec::new();
    for action in ["unlock", "open", "unlock", "toggle", "turn_off", "alarm_disarm", "unlock"] {
        let stream = tool(
            &app,
            &token,
            &conversation,
            "home_control",
            json!({"entity_id": DOOR, "action": action}),
        )
        .await;
        for confirmation in events(&stream, "confirmation") {
            asked.push(confirmation["action_id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(asked.len(), 4, "unlock three times and open once ask; the rest are refused");
    assert_eq!(
        devices.said_within(Duration::from_millis(500)).await,
        None,
        "no command reached the lock"
    );
    let list = json_of(app.get_as("/v1/home/entities", &token).await, 200).await;
    assert_eq!(state_of(&list, DOOR).as_deref(), Some("locked"));

    // The person's yes runs it, once.
    let confirm = format!("/v1/actions/{}/confirm", asked[0]);
    let confirmed = json_of(app.post_as(&confirm, &token, &json!({})).await, 200).await;
    assert_eq!(confirmed["status"], "done", "{confirmed}");
    assert_eq!(devices.expect("command lock").await, "command lock UNLOCK");
    until(&app, &token, "/v1/home/entities", |l| state_of(l, DOOR).as_deref() == Some("unlocked"))
        .await;
    assert_eq!(app.post_as(&confirm, &token, &json!({})).await.status(), 409);
    json_of(app.post_as(&format!("/v1/actions/{}/deny", asked[1]), &token, &json!({})).await, 200)
        .await;
    assert_eq!(devices.said_within(Duration::from_millis(300)).await, None);

    // Every command is in the audit log, newest first, with who gave it.
    let audit = json_of(app.get_as("/v1/home/audit", &token).await, 200).await;
    let entries = audit["entries"].as_array().unwrap();
    let of = |actor: &str, command: &str, outcome: &str| {
        entries
            .iter()
            .filter(|e| e["actor"] == actor && e["command"] == command && e["outcome"] == outcome)
            .count()
    };
    assert_eq!(of("person", "turn_on", "done"), 1, "{audit}");
    assert_eq!(of("person", "lock", "refused"), 1, "{audit}");
    // Before it was allowed the tool saw no lamp at all: nothing was commanded. On the lock,
    // which has no off, it was refused.
    assert_eq!(of("agent", "turn_off", "refused"), 1, "{audit}");
    assert_eq!(of("agent", "turn_off", "done"), 1, "{audit}");
    assert_eq!(of("agent", "unlock", "awaiting_confirmation"), 3, "{audit}");
    assert_eq!(of("agent", "unlock", "done"), 1, "{audit}");
    assert_eq!(entries[0]["command"], "unlock");
    assert_eq!(entries[0]["state_after"], "unlocked", "{audit}");

    // History: the lamp went on and off again.
    let history =
        json_of(app.get_as(&format!("/v1/home/entities/{LAMP}/history"), &token).await, 200).await;
    let mut states: Vec<&str> = history["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    // An attribute's change (the brightness) is a state of its own.
    states.dedup();
    assert!(states.ends_with(&["off", "on", "off"]), "{history}");

    // Another person sees none of it, on any surface.
    let (_, bob) = app.person();
    let theirs = json_of(app.get_as("/v1/home/entities", &bob).await, 200).await;
    assert_eq!(theirs["entities"], json!([]));
    assert_eq!(app.get_as(&format!("/v1/home/entities/{LAMP}"), &bob).await.status(), 404);
    assert_eq!(app.post_as(&path, &bob, &on).await.status(), 404);
    assert_eq!(
        app.get_as(&format!("/v1/home/entities/{LAMP}/history"), &bob).await.status(),
        404,
        "Ada's history is not Bob's to read"
    );
    assert_eq!(json_of(app.get_as("/v1/home/audit", &bob).await, 200).await["entries"], json!([]));
    // Bob's exposure is his own: putting it leaves Ada's as it was, and her companion still
    // sees no coffee maker.
    let adas = json_of(app.get_as("/v1/home/exposure", &token).await, 200).await;
    let his = json!({"visible_entities": [COFFEE], "controllable_entities": [COFFEE, LAMP],
        "controllable_areas": ["kitchen"]});
    let put = app.request(reqwest::Method::PUT, "/v1/home/exposure", &bob).json(&his);
    json_of(put.send().await.unwrap(), 200).await;
    assert_eq!(json_of(app.get_as("/v1/home/exposure", &token).await, 200).await, adas);
    assert_eq!(adas["controllable_entities"], json!([LAMP, DOOR]), "{adas}");
    assert_eq!(adas["visible_entities"], json!([TEMPERATURE]), "{adas}");
    let (failed, said) = result(
        &tool(&app, &token, &conversation, "home_state", json!({"entity_id": COFFEE})).await,
    );
    assert!(failed, "{said}");
    assert_eq!(
        json_of(app.get_as("/v1/home/connections", &bob).await, 200).await["connections"],
        json!([])
    );
    assert_eq!(
        app.delete_as(&format!("/v1/home/connections/{connection}"), &bob).await.status(),
        404
    );
    let bobs = app.conversation(&bob, None).await;
    let (failed, _) = result(
        &tool(&app, &bob, &bobs, "home_control", json!({"entity_id": LAMP, "action": "turn_on"}))
            .await,
    );
    assert!(failed);
    assert_eq!(devices.said_within(Duration::from_millis(300)).await, None);

    // Removing the connection takes its entities; the audit log stays.
    json_of(app.delete_as(&format!("/v1/home/connections/{connection}"), &token).await, 204).await;
    let list = json_of(app.get_as("/v1/home/entities", &token).await, 200).await;
    assert_eq!(list["entities"], json!([]));
    let audit = json_of(app.get_as("/v1/home/audit", &token).await, 200).await;
    assert!(audit["entries"].as_array().unwrap().len() >= 8);
    devices.quit().await;
}

/// A turn cron started for the person (a scheduled task's, on a service token) commands as
/// the automation: only what the companion may control, and a lock still waits for the
/// person's yes. The person's own turns stay the agent's.
#[tokio::test]
async fn a_scheduled_turns_commands_are_the_automations() {
    let app =
        spawn(Models::default().with("test", scripted_tools()), Some(AGENTS), &home_vars()).await;
    let (person, token) = app.person();
    let (_, mut devices) = connect_devices(&app, &token).await;
    let exposure = json!({"controllable_entities": [LAMP, DOOR]});
    let put = app.request(reqwest::Method::PUT, "/v1/home/exposure", &token).json(&exposure);
    json_of(put.send().await.unwrap(), 200).await;
    let service = crate::service::service_token(&app);
    let scheduled = |key: &'static str, call: Value| {
        let request = app
            .request(reqwest::Method::POST, &format!("/v1/service/users/{person}/turns"), &service)
            .header("Idempotency-Key", key)
            .json(&json!({"prompt": format!("home_control {call}")}));
        async move { json_of(request.send().await.unwrap(), 200).await }
    };

    scheduled("task:1", json!({"entity_id": LAMP, "action": "turn_on"})).await;
    assert!(devices.expect("command light").await.contains("ON"));
    scheduled("task:2", json!({"entity_id": DOOR, "action": "unlock"})).await;
    scheduled("task:3", json!({"entity_id": COFFEE, "action": "turn_on"})).await;
    assert_eq!(devices.said_within(Duration::from_millis(500)).await, None, "nothing else ran");
    let actions = json_of(app.get_as("/v1/actions", &token).await, 200).await;
    assert_eq!(actions["actions"].as_array().unwrap().len(), 1, "the unlock asks: {actions}");

    let conversation = app.conversation(&token, None).await;
    let off = json!({"entity_id": LAMP, "action": "turn_off"});
    let (failed, said) = result(&tool(&app, &token, &conversation, "home_control", off).await);
    assert!(!failed, "{said}");
    assert!(devices.expect("command light").await.contains("OFF"));

    let audit = json_of(app.get_as("/v1/home/audit", &token).await, 200).await;
    let mut seen: Vec<(&str, &str, &str, &str)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap(),
                e["agent"].as_str().unwrap_or("-"),
                e["command"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    seen.reverse();
    assert_eq!(
        seen,
        [
            ("automation", "scheduled task", "turn_on", "done"),
            ("automation", "scheduled task", "unlock", "awaiting_confirmation"),
            ("agent", "-", "turn_off", "done"),
        ],
        "the coffee maker is not the companion's to see: no command, no entry; {audit}"
    );
    devices.quit().await;
}

#[tokio::test]
async fn a_connection_that_cannot_be_made_is_refused_by_field() {
    let app = spawn(Models::test(), None, &home_vars()).await;
    let (_, token) = app.person();
    let refused = |body: Value| {
        let app = &app;
        let token = token.clone();
        async move { json_of(app.post_as("/v1/home/connections", &token, &body).await, 422).await }
    };
    let unreachable = refused(json!({"kind": "home_assistant", "name": "HA",
        "url": "http://127.0.0.1:9", "token": "abc"}))
    .await;
    assert!(unreachable["error"]["fields"]["url"].is_array(), "{unreachable}");
    let no_token =
        refused(json!({"kind": "home_assistant", "name": "HA", "url": "http://127.0.0.1:9"})).await;
    assert!(no_token["error"]["fields"]["token"].is_array(), "{no_token}");
    let not_mqtt = refused(json!({"kind": "mqtt", "name": "B", "url": "http://broker"})).await;
    assert!(not_mqtt["error"]["fields"]["url"].is_array(), "{not_mqtt}");
    let no_broker =
        refused(json!({"kind": "mqtt", "name": "B", "url": "mqtt://127.0.0.1:9"})).await;
    assert!(
        no_broker["error"]["fields"]["url"].as_array().unwrap()[0]
            .as_str()
            .unwrap()
            .contains("could not connect"),
        "{no_broker}"
    );
    let wildcard = refused(json!({"kind": "mqtt", "name": "B", "discovery_prefix": "a/#"})).await;
    assert!(wildcard["error"]["fields"]["discovery_prefix"].is_array(), "{wildcard}");
    let made = json!({"kind": "mqtt", "name": "Broker", "discovery_prefix": unique_prefix()});
    json_of(app.post_as("/v1/home/connections", &token, &made).await, 201).await;
    json_of(app.post_as("/v1/home/connections", &token, &made).await, 409).await;
    let listed = json_of(app.get_as("/v1/home/connections", &token).await, 200).await;
    assert_eq!(
        listed["connections"].as_array().unwrap().len(),
        1,
        "nothing refused was stored: {listed}"
    );

    // A password in the broker's URL is kept sealed (the harness's broker takes any login),
    // never stored or shown in the URL.
    let (host, port) = broker();
    let with_login = json!({"kind": "mqtt", "name": "Locked broker", "discovery_prefix": unique_prefix(),
        "url": format!("mqtt://posey:s3cret-pw@{host}:{port}")});
    let made = json_of(app.post_as("/v1/home/connections", &token, &with_login).await, 201).await;
    assert_eq!(made["url"], format!("mqtt://posey@{host}:{port}"), "{made}");
    let sealed: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT secret_sealed FROM home.connections WHERE id = $1")
            .bind(uuid::Uuid::parse_str(made["id"].as_str().unwrap()).unwrap())
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let sealed = sealed.expect("the URL's password is kept, sealed");
    assert!(!sealed.windows(9).any(|w| w == b"s3cret-pw"));
}

#[tokio::test]
async fn a_watch_tells_the_person_through_cron_once_per_change() {
    let (auth, cron, agents) = spawn_all_with(&home_vars()).await;
    let (_, token) = sign_up(&auth).await;
    let (_, mut devices) = connect_devices(&agents, &token).await;
    let watch = json!({"entity_id": TEMPERATURE, "name": "Living room too warm",
        "threshold": {"above": 25.0}});
    let made = json_of(agents.post_as("/v1/home/watches", &token, &watch).await, 201).await;
    assert_eq!(made["threshold"]["above"], 25.0, "{made}");
    let bad = json!({"entity_id": TEMPERATURE, "name": "x", "window": {"start": "9pm", "end": "06:00"}, "to": "on"});
    let bad = json_of(agents.post_as("/v1/home/watches", &token, &bad).await, 422).await;
    assert!(bad["error"]["fields"]["window.start"].is_array(), "{bad}");

    // Bob watches an entity of the same id, which he does not have: Ada's changes are not his.
    let (_, bob) = sign_up(&auth).await;
    let his = json!({"entity_id": TEMPERATURE, "name": "Bob's room too warm",
        "threshold": {"above": 25.0}});
    let his = json_of(agents.post_as("/v1/home/watches", &bob, &his).await, 201).await;
    let listed = json_of(agents.get_as("/v1/home/watches", &bob).await, 200).await;
    let ids: Vec<&Value> = listed["watches"].as_array().unwrap().iter().map(|w| &w["id"]).collect();
    assert_eq!(ids, [&his["id"]], "Bob lists only his own watch: {listed}");
    let adas = format!("/v1/home/watches/{}", made["id"].as_str().unwrap());
    assert_eq!(agents.delete_as(&adas, &bob).await.status(), 404);
    let listed = json_of(agents.get_as("/v1/home/watches", &token).await, 200).await;
    assert_eq!(listed["watches"][0]["id"], made["id"], "Ada's watch stays: {listed}");
    assert_eq!(listed["watches"].as_array().unwrap().len(), 1, "{listed}");

    devices.tell("sensor 30").await;
    let told = wait_for_notification(&cron, &token, "Living room too warm").await;
    assert!(told["body"].as_str().unwrap().contains("from 21.5 to 30"), "{told}");
    let number = |l: &Value| state_of(l, TEMPERATURE).and_then(|s| s.parse::<f64>().ok());
    // Still above: not a new crossing. Down and up again: a second one.
    devices.tell("sensor 31").await;
    devices.tell("sensor 20").await;
    until(&agents, &token, "/v1/home/entities", |l| number(l) == Some(20.0)).await;
    let count =
        |list: Vec<Value>| list.iter().filter(|n| n["title"] == "Living room too warm").count();
    assert_eq!(count(notifications(&cron, &token).await), 1);
    devices.tell("sensor 28").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while count(notifications(&cron, &token).await) < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no second notification");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(notifications(&cron, &bob).await, Vec::<Value>::new(), "Bob was told nothing");
    let watches = json_of(agents.get_as("/v1/home/watches", &bob).await, 200).await;
    assert!(watches["watches"][0]["last_fired_at"].is_null(), "{watches}");
    let watches = json_of(agents.get_as("/v1/home/watches", &token).await, 200).await;
    assert!(watches["watches"][0]["last_fired_at"].is_string(), "{watches}");
    let id = watches["watches"][0]["id"].as_str().unwrap();
    json_of(agents.delete_as(&format!("/v1/home/watches/{id}"), &token).await, 204).await;
    devices.quit().await;
}

/// History is kept `HOME_HISTORY_DAYS`: what is older is forgotten (a replica forgets it when
/// it starts, then hourly), what is newer stays.
#[tokio::test]
async fn history_older_than_its_retention_is_forgotten() {
    let auth = spawn_auth().await;
    let vars = [home_vars(), vec![("HOME_HISTORY_DAYS", "3".to_owned())]].concat();
    let agents = spawn_agents_with(&auth, &vars).await;
    let (_, token) = sign_up(&auth).await;
    let (connection, devices) = connect_devices(&agents, &token).await;
    let connection = uuid::Uuid::parse_str(&connection).unwrap();
    let pool = &agents.db.pool;
    // What was recorded of the lamp goes four days back; an older state and one two days old
    // (inside the three days) are added beside it.
    let moved = sqlx::query(
        "UPDATE home.history SET at = at - interval '4 days' \
         WHERE connection_id = $1 AND entity_id = $2",
    )
    .bind(connection)
    .bind(LAMP)
    .execute(pool)
    .await
    .unwrap()
    .rows_affected();
    assert!(moved >= 1, "the lamp's state was recorded");
    for (entity, days) in [(LAMP, 12), (COFFEE, 2)] {
        sqlx::query(
            "INSERT INTO home.history (connection_id, entity_id, user_id, state, attributes, at) \
             SELECT id, $2, user_id, 'on', '{}', now() - make_interval(days => $3) \
             FROM home.connections WHERE id = $1",
        )
        .bind(connection)
        .bind(entity)
        .bind(days)
        .execute(pool)
        .await
        .unwrap();
    }
    let old = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM home.history WHERE connection_id = $1 \
             AND at < now() - interval '3 days'",
        )
        .bind(connection)
        .fetch_one(pool)
        .await
        .unwrap()
    };
    assert_eq!(old().await, 1 + i64::try_from(moved).unwrap());

    // Another replica starts on the same database and forgets what is past the three days.
    let _replica = spawn_agents_with(&auth, &vars).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while old().await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "old history was never forgotten");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let month_ago = (chrono::Utc::now() - chrono::Duration::days(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let history = |entity: &'static str| {
        let path = format!("/v1/home/entities/{entity}/history?since={month_ago}");
        let agents = &agents;
        let token = token.clone();
        async move { json_of(agents.get_as(&path, &token).await, 200).await }
    };
    let two_days_ago = chrono::Utc::now() - chrono::Duration::days(2);
    let coffee = history(COFFEE).await;
    let kept: Vec<&Value> = coffee["states"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            let at: chrono::DateTime<chrono::Utc> = s["at"].as_str().unwrap().parse().unwrap();
            at < two_days_ago + chrono::Duration::hours(1)
        })
        .collect();
    assert_eq!(kept.len(), 1, "the two-day-old state stays: {coffee}");
    let lamp = history(LAMP).await;
    assert!(
        lamp["states"].as_array().unwrap().iter().all(|s| {
            let at: chrono::DateTime<chrono::Utc> = s["at"].as_str().unwrap().parse().unwrap();
            at > chrono::Utc::now() - chrono::Duration::days(3)
        }),
        "nothing older than three days is left: {lamp}"
    );
    devices.quit().await;
}

/// Polls Home Assistant until `entity_id` is in `state`; fails after 20 s.
async fn ha_state_becomes(hass: &Hass, entity_id: &str, state: &str) {
    ha_becomes(hass, entity_id, state, |now| now["state"] == state).await;
}

/// Polls Home Assistant until `entity_id`'s state and attributes pass `check`; fails after
/// 20 s, saying `what` was awaited.
async fn ha_becomes(hass: &Hass, entity_id: &str, what: &str, check: impl Fn(&Value) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = hass.state(entity_id).await;
        if check(&now) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{entity_id} never became {what}: {now}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A number, as HA gives it (some attributes are strings).
fn number(value: &Value) -> Option<f64> {
    value.as_f64().or_else(|| value.as_str()?.parse().ok())
}

/// Makes an area in Home Assistant as a person does and puts `entities` in it; its id.
async fn ha_area(hass: &Hass, name: &str, entities: &[&str]) -> String {
    let made = hass.ws(vec![json!({"type": "config/area_registry/create", "name": name})]).await;
    let id = made[0]["area_id"].as_str().unwrap().to_owned();
    let put = entities.iter().map(|entity| {
        json!({"type": "config/entity_registry/update", "entity_id": entity, "area_id": id})
    });
    hass.ws(put.collect()).await;
    id
}

pub(crate) async fn put_exposure(app: &crate::helpers::TestApp, token: &str, exposure: Value) {
    let put = app.request(reqwest::Method::PUT, "/v1/home/exposure", token).json(&exposure);
    json_of(put.send().await.unwrap(), 200).await;
}

fn ids_of(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entity_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort_unstable();
    ids
}

async fn connect_home_assistant(app: &crate::helpers::TestApp, token: &str, hass: &Hass) -> Value {
    let wrong =
        json!({"kind": "home_assistant", "name": "Home", "url": hass.base, "token": "not-a-token"});
    let refused = json_of(app.post_as("/v1/home/connections", token, &wrong).await, 422).await;
    assert!(refused["error"]["fields"]["token"].is_array(), "{refused}");
    let right =
        json!({"kind": "home_assistant", "name": "Home", "url": hass.base, "token": hass.token});
    let made = json_of(app.post_as("/v1/home/connections", token, &right).await, 201).await;
    assert!(!made.to_string().contains(&hass.token), "the token is never shown: {made}");
    until(app, token, "/v1/home/entities", |list| {
        state_of(list, "light.kitchen_ceiling").as_deref() == Some("off")
            && state_of(list, "lock.front_door").as_deref() == Some("locked")
            && state_of(list, "alarm_control_panel.home_alarm").as_deref() == Some("disarmed")
    })
    .await;
    made
}

/// A real Home Assistant (posey-testkit's): mirrored, its light turned on by the companion,
/// its lock opened only after the person's yes, its own changes seen; the token kept sealed.
#[tokio::test]
async fn a_home_assistant_is_mirrored_and_run_by_the_companion_with_the_persons_yes() {
    let hass = Hass::start().await;
    let app =
        spawn(Models::default().with("test", scripted_tools()), Some(AGENTS), &home_vars()).await;
    let (_, token) = app.person();
    let made = connect_home_assistant(&app, &token, &hass).await;
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT secret_sealed FROM home.connections WHERE id = $1")
            .bind(uuid::Uuid::parse_str(made["id"].as_str().unwrap()).unwrap())
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(
        !sealed.windows(hass.token.len()).any(|w| w == hass.token.as_bytes()),
        "sealed at rest"
    );

    let exposure = json!({"controllable_entities": ["light.kitchen_ceiling", "lock.front_door"]});
    json_of(
        app.request(reqwest::Method::PUT, "/v1/home/exposure", &token)
            .json(&exposure)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let conversation = app.conversation(&token, None).await;
    let on = json!({"entity_id": "light.kitchen_ceiling", "action": "turn_on"});
    let (failed, said) = result(&tool(&app, &token, &conversation, "home_control", on).await);
    assert!(!failed, "{said}");
    ha_state_becomes(&hass, "light.kitchen_ceiling", "on").await;

    let unlock = json!({"entity_id": "lock.front_door", "action": "unlock"});
    let stream = tool(&app, &token, &conversation, "home_control", unlock).await;
    let asked = events(&stream, "confirmation");
    assert_eq!(asked.len(), 1, "{stream:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(hass.state("lock.front_door").await["state"], "locked", "not on the model's word");
    let confirm = format!("/v1/actions/{}/confirm", asked[0]["action_id"].as_str().unwrap());
    json_of(app.post_as(&confirm, &token, &json!({})).await, 200).await;
    ha_state_becomes(&hass, "lock.front_door", "unlocked").await;

    // What changes in Home Assistant itself reaches the mirror.
    hass.call("input_boolean", "turn_off", json!({"entity_id": "input_boolean.kitchen_power"}))
        .await;
    until(&app, &token, "/v1/home/entities", |l| {
        state_of(l, "light.kitchen_ceiling").as_deref() == Some("off")
    })
    .await;
}

/// A change made in Home Assistant fires the person's watch, told through cron.
#[tokio::test]
async fn a_change_in_home_assistant_fires_a_watch() {
    let hass = Hass::start().await;
    let (auth, cron, agents) = spawn_all_with(&home_vars()).await;
    let (_, token) = sign_up(&auth).await;
    connect_home_assistant(&agents, &token, &hass).await;
    let watch =
        json!({"entity_id": "lock.front_door", "name": "Front door unlocked", "to": "unlocked"});
    json_of(agents.post_as("/v1/home/watches", &token, &watch).await, 201).await;
    hass.call("lock", "unlock", json!({"entity_id": "lock.front_door"})).await;
    let told = wait_for_notification(&cron, &token, "Front door unlocked").await;
    assert!(told["body"].as_str().unwrap().contains("from locked to unlocked"), "{told}");
}

const KITCHEN_LIGHT: &str = "light.kitchen_ceiling";
const BLINDS: &str = "cover.living_room_blinds";
const TV: &str = "media_player.living_room_tv";
const THERMOSTAT: &str = "climate.study";
const ALARM: &str = "alarm_control_panel.home_alarm";

/// Areas made in Home Assistant: the entities are listed by area on the API and by the
/// companion's tool, and an area the person exposes makes its entities visible or
/// controllable, the others staying as they were.
#[tokio::test]
async fn a_home_assistant_home_is_listed_and_exposed_by_area() {
    let hass = Hass::start().await;
    let kitchen = ha_area(&hass, "Posey kitchen", &[KITCHEN_LIGHT]).await;
    // (Onboarding made a "Living Room" of its own.)
    let living = ha_area(&hass, "Posey living room", &[BLINDS, TV]).await;
    let app =
        spawn(Models::default().with("test", scripted_tools()), Some(AGENTS), &home_vars()).await;
    let (_, token) = app.person();
    connect_home_assistant(&app, &token, &hass).await;
    until(&app, &token, "/v1/home/entities", |l| {
        entity(l, BLINDS).is_some_and(|e| e["area"] == "Posey living room")
            && entity(l, TV).is_some_and(|e| e["area"] == "Posey living room")
    })
    .await;

    let in_kitchen = format!("/v1/home/entities?area={kitchen}");
    let listed = json_of(app.get_as(&in_kitchen, &token).await, 200).await;
    assert_eq!(ids_of(&listed), [KITCHEN_LIGHT], "{listed}");
    assert_eq!(listed["areas"], json!([{"area_id": kitchen, "name": "Posey kitchen"}]));
    let listed =
        json_of(app.get_as(&format!("/v1/home/entities?area={living}"), &token).await, 200).await;
    assert_eq!(ids_of(&listed), [BLINDS, TV], "{listed}");
    let all = json_of(app.get_as("/v1/home/entities", &token).await, 200).await;
    assert!(ids_of(&all).len() > 5, "{all}");

    // The kitchen is the companion's to control, the living room only to see.
    put_exposure(&app, &token, json!({"visible_areas": [living], "controllable_areas": [kitchen]}))
        .await;
    let all = json_of(app.get_as("/v1/home/entities", &token).await, 200).await;
    let exposed = |id: &str| {
        let e = entity(&all, id).unwrap();
        (e["visible"].as_bool().unwrap(), e["controllable"].as_bool().unwrap())
    };
    assert_eq!(exposed(KITCHEN_LIGHT), (true, true), "{all}");
    assert_eq!(exposed(BLINDS), (true, false), "{all}");
    assert_eq!(exposed(TV), (true, false), "{all}");
    assert_eq!(exposed("lock.front_door"), (false, false), "{all}");
    assert_eq!(exposed(THERMOSTAT), (false, false), "{all}");

    let conversation = app.conversation(&token, None).await;
    let entities = |area: Option<&str>| {
        let args = area.map_or_else(|| json!({}), |area| json!({"area": area}));
        let (app, token, conversation) = (&app, token.clone(), conversation.clone());
        async move {
            let (failed, seen) =
                result(&tool(app, &token, &conversation, "home_entities", args).await);
            assert!(!failed, "{seen}");
            seen
        }
    };
    let seen = entities(Some("Posey living room")).await;
    assert_eq!(ids_of(&seen), [BLINDS, TV], "{seen}");
    assert!(seen["entities"].as_array().unwrap().iter().all(|e| e["controllable"] == false));
    let seen = entities(Some("posey kitchen")).await;
    assert_eq!(ids_of(&seen), [KITCHEN_LIGHT], "{seen}");
    assert_eq!(seen["entities"][0]["controllable"], true, "{seen}");
    let seen = entities(None).await;
    assert_eq!(ids_of(&seen), [BLINDS, KITCHEN_LIGHT, TV], "only the two areas: {seen}");

    let on = json!({"entity_id": KITCHEN_LIGHT, "action": "turn_on"});
    let (failed, said) = result(&tool(&app, &token, &conversation, "home_control", on).await);
    assert!(!failed, "{said}");
    ha_state_becomes(&hass, KITCHEN_LIGHT, "on").await;
    let open = json!({"entity_id": BLINDS, "action": "open_cover"});
    let (failed, said) = result(&tool(&app, &token, &conversation, "home_control", open).await);
    assert!(failed, "seen, not controlled: {said}");
    let warm = json!({"entity_id": THERMOSTAT, "action": "set_temperature", "temperature": 25});
    let (failed, said) = result(&tool(&app, &token, &conversation, "home_control", warm).await);
    assert!(failed, "not even seen: {said}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hass.state(BLINDS).await["state"], "closed");
    assert_eq!(hass.state(THERMOSTAT).await["attributes"]["temperature"], 19.0);
}

/// The companion runs a Home Assistant scene and script with `home_scene`, and a watch it made
/// with `home_watch` fires when the scene changes what it watches.
#[tokio::test]
async fn the_companion_runs_scenes_and_scripts_and_makes_watches() {
    let hass = Hass::start().await;
    let app =
        spawn(Models::default().with("test", scripted_tools()), Some(AGENTS), &home_vars()).await;
    let (_, token) = app.person();
    connect_home_assistant(&app, &token, &hass).await;
    until(&app, &token, "/v1/home/entities", |l| {
        entity(l, "scene.evening").is_some() && entity(l, "script.guest_arrival").is_some()
    })
    .await;
    put_exposure(
        &app,
        &token,
        json!({"visible_entities": [KITCHEN_LIGHT, "input_boolean.guest_mode"],
            "controllable_entities": ["scene.evening", "script.guest_arrival"]}),
    )
    .await;
    let conversation = app.conversation(&token, None).await;
    let call = |name: &'static str, args: Value| {
        let (app, token, conversation) = (&app, token.clone(), conversation.clone());
        async move { result(&tool(app, &token, &conversation, name, args).await) }
    };

    let watch = json!({"entity_id": KITCHEN_LIGHT, "name": "Kitchen lit", "to": "on"});
    let (failed, made) = call("home_watch", watch).await;
    assert!(!failed, "{made}");
    assert_eq!(made["watching"], KITCHEN_LIGHT, "{made}");
    let watches = json_of(app.get_as("/v1/home/watches", &token).await, 200).await;
    assert_eq!(watches["watches"][0]["id"], made["id"], "{watches}");
    assert!(watches["watches"][0]["last_fired_at"].is_null(), "{watches}");

    let (failed, said) = call("home_scene", json!({"entity_id": "scene.evening"})).await;
    assert!(!failed, "{said}");
    ha_state_becomes(&hass, KITCHEN_LIGHT, "on").await;
    until(&app, &token, "/v1/home/watches", |w| w["watches"][0]["last_fired_at"].is_string()).await;

    let (failed, said) = call("home_scene", json!({"entity_id": "script.guest_arrival"})).await;
    assert!(!failed, "{said}");
    ha_state_becomes(&hass, "input_boolean.guest_mode", "on").await;
    let (failed, said) = call("home_scene", json!({"entity_id": KITCHEN_LIGHT})).await;
    assert!(failed, "a light is no scene: {said}");

    let audit = json_of(app.get_as("/v1/home/audit", &token).await, 200).await;
    let done: Vec<(&str, &str)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "agent" && e["outcome"] == "done")
        .map(|e| (e["entity_id"].as_str().unwrap(), e["command"].as_str().unwrap()))
        .collect();
    assert_eq!(
        done,
        [("script.guest_arrival", "run_script"), ("scene.evening", "activate_scene")],
        "{audit}"
    );
}

/// A Home Assistant's thermostat, blinds and TV, run by the person through the API: each
/// command changes them in Home Assistant, and the mirror follows.
#[tokio::test]
async fn a_home_assistants_thermostat_blinds_and_tv_are_run_through_the_api() {
    let hass = Hass::start().await;
    let app = spawn(Models::test(), None, &home_vars()).await;
    let (_, token) = app.person();
    connect_home_assistant(&app, &token, &hass).await;
    until(&app, &token, "/v1/home/entities", |l| {
        state_of(l, THERMOSTAT).as_deref() == Some("off")
            && state_of(l, BLINDS).as_deref() == Some("closed")
            && state_of(l, TV).as_deref() == Some("paused")
    })
    .await;
    let command = |entity_id: &'static str, body: Value| {
        let (app, token) = (&app, token.clone());
        async move {
            let path = format!("/v1/home/entities/{entity_id}/commands");
            let done = json_of(app.post_as(&path, &token, &body).await, 200).await;
            assert_eq!(done["audit"]["outcome"], "done", "{done}");
            done
        }
    };

    command(THERMOSTAT, json!({"action": "set_hvac_mode", "mode": "heat"})).await;
    ha_state_becomes(&hass, THERMOSTAT, "heat").await;
    let done =
        command(THERMOSTAT, json!({"action": "set_temperature", "target": {"single": 22.5}})).await;
    assert_eq!(done["audit"]["parameters"], json!({"target": {"single": 22.5}}), "{done}");
    ha_becomes(&hass, THERMOSTAT, "22.5 °C", |s| s["attributes"]["temperature"] == 22.5).await;

    command(BLINDS, json!({"action": "open_cover"})).await;
    ha_state_becomes(&hass, BLINDS, "open").await;
    command(BLINDS, json!({"action": "set_cover_position", "position": 40})).await;
    ha_becomes(&hass, BLINDS, "40 % open", |s| {
        number(&s["attributes"]["current_position"]) == Some(40.0)
    })
    .await;
    command(BLINDS, json!({"action": "close_cover"})).await;
    ha_state_becomes(&hass, BLINDS, "closed").await;

    command(TV, json!({"action": "media_play"})).await;
    ha_state_becomes(&hass, TV, "playing").await;
    command(TV, json!({"action": "set_volume", "level": 0.35})).await;
    ha_becomes(&hass, TV, "volume 0.35", |s| {
        number(&s["attributes"]["volume_level"]) == Some(0.35)
    })
    .await;
    command(TV, json!({"action": "media_pause"})).await;
    ha_state_becomes(&hass, TV, "paused").await;

    // The mirror follows Home Assistant.
    let list = until(&app, &token, "/v1/home/entities", |l| {
        state_of(l, THERMOSTAT).as_deref() == Some("heat")
            && state_of(l, BLINDS).as_deref() == Some("closed")
            && state_of(l, TV).as_deref() == Some("paused")
    })
    .await;
    assert_eq!(entity(&list, THERMOSTAT).unwrap()["attributes"]["temperature"], 22.5, "{list}");
}

/// An alarm code goes to the alarm and nowhere else: given with the person's command, or with
/// their yes to the companion's disarm, it is in no audit entry, stored action, conversation,
/// model request or log line.
#[tokio::test]
async fn an_alarm_code_reaches_the_alarm_and_nothing_else() {
    let logs = capture_logs();
    let hass = Hass::start().await;
    let model = scripted_tools();
    let app =
        spawn(Models::default().with("test", model.clone()), Some(AGENTS), &home_vars()).await;
    let (_, token) = app.person();
    connect_home_assistant(&app, &token, &hass).await;
    let path = format!("/v1/home/entities/{ALARM}/commands");
    let arm = json!({"action": "alarm_arm", "mode": "away", "code": ALARM_CODE});

    // The person's own commands, with the code.
    json_of(app.post_as(&path, &token, &arm).await, 200).await;
    ha_state_becomes(&hass, ALARM, "armed_away").await;
    let refused = app.post_as(&path, &token, &json!({"action": "alarm_disarm"})).await;
    assert_eq!(refused.status(), 409, "Home Assistant wants the code");
    assert_eq!(hass.state(ALARM).await["state"], "armed_away");
    let disarm = json!({"action": "alarm_disarm", "code": ALARM_CODE});
    let done = json_of(app.post_as(&path, &token, &disarm).await, 200).await;
    assert_eq!(done["audit"]["parameters"], json!({}), "{done}");
    ha_state_becomes(&hass, ALARM, "disarmed").await;

    // The companion's disarm asks; the person's yes carries the code.
    json_of(app.post_as(&path, &token, &arm).await, 200).await;
    ha_state_becomes(&hass, ALARM, "armed_away").await;
    put_exposure(&app, &token, json!({"controllable_entities": [ALARM]})).await;
    let conversation = app.conversation(&token, None).await;
    let ask = || {
        let (app, token, conversation) = (&app, token.clone(), conversation.clone());
        let disarm = json!({"entity_id": ALARM, "action": "alarm_disarm"});
        async move {
            let stream = tool(app, &token, &conversation, "home_control", disarm).await;
            let asked = events(&stream, "confirmation");
            assert_eq!(asked.len(), 1, "{stream:?}");
            format!("/v1/actions/{}/confirm", asked[0]["action_id"].as_str().unwrap())
        }
    };
    // A yes without the code: Home Assistant refuses it.
    let confirm = ask().await;
    let failed = json_of(app.post_as(&confirm, &token, &json!({})).await, 200).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(hass.state(ALARM).await["state"], "armed_away");
    // With it, the alarm is disarmed; a code that is no code is refused by name first.
    let confirm = ask().await;
    let empty = json_of(app.post_as(&confirm, &token, &json!({"code": ""})).await, 422).await;
    assert!(empty["error"]["fields"]["code"].is_array(), "{empty}");
    json_of(app.post_as(&confirm, &token, &json!({"pin": ALARM_CODE})).await, 422).await;
    let done =
        json_of(app.post_as(&confirm, &token, &json!({"code": ALARM_CODE})).await, 200).await;
    assert_eq!(done["status"], "done", "{done}");
    ha_state_becomes(&hass, ALARM, "disarmed").await;
    // The model hears what came of it in the next turn.
    let (failed, said) =
        result(&tool(&app, &token, &conversation, "home_state", json!({"entity_id": ALARM})).await);
    assert!(!failed && said["state"] == "disarmed", "{said}");

    // Nowhere else.
    let audit = json_of(app.get_as("/v1/home/audit", &token).await, 200).await;
    let by = |actor: &str, outcome: &str| {
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["actor"] == actor && e["command"] == "alarm_disarm" && e["outcome"] == outcome
            })
            .count()
    };
    assert_eq!((by("person", "done"), by("person", "failed")), (1, 1), "{audit}");
    assert_eq!((by("agent", "done"), by("agent", "failed")), (1, 1), "{audit}");
    let history = app.history(&token, &conversation).await;
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT row_to_json(a)::text FROM agents.pending_actions a \
         UNION ALL SELECT row_to_json(h)::text FROM home.audit h",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(stored.len() >= 6, "{stored:?}");
    let asked_of_the_model = format!("{:?}", model.requests());
    assert!(asked_of_the_model.contains("disarmed"), "the model was told the outcome");
    let logged = logs.text();
    // What the service did with the code was captured: each command's audit entry is logged
    // (as sqlx's statement, without its values).
    assert!(logged.contains("INSERT INTO home.audit"), "the logs were captured: {logged}");
    // Nor is Home Assistant's token, with which the link connected (and its statement stored
    // it sealed), in a log.
    assert!(logged.contains("linked to Home Assistant"), "the connecting was captured: {logged}");
    assert!(logged.contains("INSERT INTO home.connections"), "{logged}");
    assert!(!logged.contains(&hass.token), "the Home Assistant token is in the service's logs");
    for (place, text) in [
        ("the audit log", audit.to_string()),
        ("the conversation", json!(history).to_string()),
        ("the database", stored.join("\n")),
        ("the model's requests", asked_of_the_model),
        ("the service's logs", logged),
    ] {
        assert!(!text.contains(ALARM_CODE), "the code is in {place}: {text}");
    }
}

/// Each home operation answering, for the OpenAPI check (`openapi.rs`).
pub async fn samples(s: &mut posey_testkit::openapi::Samples, app: &AgentsApp, token: &str) {
    use reqwest::Method;
    let call = |method: Method, path: &str| app.request(method, path, token);
    let connections = "/v1/home/connections";
    let prefix = unique_prefix();
    let broker = json!({"kind": "mqtt", "name": "Samples", "url": posey_testkit::env::mqtt_url(),
        "discovery_prefix": prefix});
    let (_, made) = s.send(connections, call(Method::POST, connections).json(&broker)).await;
    s.send(connections, call(Method::POST, connections).json(&broker)).await;
    s.send(connections, call(Method::POST, connections).json(&json!({"kind": "mqtt", "name": ""})))
        .await;
    let (host, port) = self::broker();
    let mut devices = Devices::start(&host, port, &prefix).await;
    until(app, token, "/v1/home/entities", |l| state_of(l, LAMP).as_deref() == Some("off")).await;
    s.send(connections, call(Method::GET, connections)).await;

    let entities = "/v1/home/entities";
    s.send(entities, call(Method::GET, "/v1/home/entities?domain=light")).await;
    s.send(entities, call(Method::GET, "/v1/home/entities?colour=red")).await;
    let one = "/v1/home/entities/{entity_id}";
    s.send(one, call(Method::GET, &format!("/v1/home/entities/{LAMP}"))).await;
    s.send(one, call(Method::GET, "/v1/home/entities/light.nobody")).await;
    let history = "/v1/home/entities/{entity_id}/history";
    s.send(history, call(Method::GET, &format!("/v1/home/entities/{LAMP}/history"))).await;
    s.send(history, call(Method::GET, &format!("/v1/home/entities/{LAMP}/history?limit=0"))).await;
    let commands = "/v1/home/entities/{entity_id}/commands";
    let lamp = format!("/v1/home/entities/{LAMP}/commands");
    s.send(commands, call(Method::POST, &lamp).json(&json!({"action": "turn_on"}))).await;
    devices.expect("command light").await;
    s.send(commands, call(Method::POST, &lamp).json(&json!({"action": "lock"}))).await;
    s.send(
        commands,
        call(Method::POST, "/v1/home/entities/light.nobody/commands")
            .json(&json!({"action": "turn_on"})),
    )
    .await;

    let exposure = "/v1/home/exposure";
    s.send(exposure, call(Method::GET, exposure)).await;
    s.send(exposure, call(Method::PUT, exposure).json(&json!({"visible_entities": [LAMP]}))).await;
    s.send(exposure, call(Method::PUT, exposure).json(&json!({"visible_entities": ["lamp"]})))
        .await;
    let audit = "/v1/home/audit";
    s.send(audit, call(Method::GET, audit)).await;
    s.send(audit, call(Method::GET, "/v1/home/audit?limit=0")).await;

    let watches = "/v1/home/watches";
    let watch = json!({"entity_id": LAMP, "name": "Lamp on", "to": "on"});
    let (_, made_watch) = s.send(watches, call(Method::POST, watches).json(&watch)).await;
    s.send(watches, call(Method::POST, watches).json(&json!({"entity_id": LAMP, "name": "x"})))
        .await;
    s.send(watches, call(Method::GET, watches)).await;
    let watch_one = "/v1/home/watches/{id}";
    let id = made_watch["id"].as_str().unwrap();
    s.send(watch_one, call(Method::DELETE, &format!("/v1/home/watches/{id}"))).await;
    s.send(watch_one, call(Method::DELETE, &format!("/v1/home/watches/{id}"))).await;

    let connection = "/v1/home/connections/{id}";
    let id = made["id"].as_str().unwrap();
    s.send(connection, call(Method::DELETE, &format!("/v1/home/connections/{id}"))).await;
    s.send(connection, call(Method::DELETE, &format!("/v1/home/connections/{id}"))).await;
    devices.quit().await;
}
