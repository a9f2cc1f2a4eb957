//! The home plugin against a real broker (the harness's Mosquitto) and devices no one here
//! wrote (ha-mqtt-discoverable's, posey-testkit's `devices`): a person connects, the devices'
//! entities are mirrored with their states and history, the person's commands reach the devices
//! and are audited; the companion sees and controls only what the person exposed, and a lock
//! opens only after the person's yes through the API, never on the model's word; a watch tells
//! the person through cron, once per change; another person sees none of it.

use std::time::Duration;

use base64::Engine;
use posey_testkit::devices::Devices;
use posey_testkit::home_assistant::Hass;
use serde_json::{Value, json};

use crate::caldav_basic::sign_up;
use crate::calendar_alarms::{notifications, spawn_all_with, wait_for_notification};
use crate::helpers::{AgentsApp, Models, Sse, events, json_of, scripted_tools, spawn};

const LAMP: &str = "light.posey_test_rig_desk_lamp";
const COFFEE: &str = "switch.posey_test_rig_coffee_maker";
const DOOR: &str = "lock.posey_test_rig_front_door";
const TEMPERATURE: &str = "sensor.posey_test_rig_living_room_temperature";

const AGENTS: &str = r#"
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

fn home_vars() -> Vec<(&'static str, String)> {
    vec![("MQTT_URL", posey_testkit::env::mqtt_url()), ("HOME_SEAL_KEY", seal_key())]
}

fn unique_prefix() -> String {
    format!("posey-test-home-{}", uuid::Uuid::new_v4().simple())
}

/// The broker's host and port, from the harness's URL.
fn broker() -> (String, u16) {
    let url = url::Url::parse(&posey_testkit::env::mqtt_url()).unwrap();
    (url.host_str().unwrap().to_owned(), url.port().unwrap_or(1883))
}

/// Polls `path` until `check` holds on its JSON; fails after 20 s.
async fn until(
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

fn entity<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list["entities"].as_array()?.iter().find(|e| e["entity_id"] == id)
}

fn state_of(list: &Value, id: &str) -> Option<String> {
    entity(list, id).and_then(|e| e["state"].as_str()).map(str::to_owned)
}

/// Connects the instance's broker for the person under a prefix of its own, starts the
/// devices there and waits until the four entities are mirrored.
async fn connect_devices(app: &crate::helpers::TestApp, token: &str) -> (String, Devices) {
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

async fn tool(
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

fn result(stream: &[Sse]) -> (bool, Value) {
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
    assert_eq!(json_of(app.get_as("/v1/home/audit", &bob).await, 200).await["entries"], json!([]));
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
    let watches = json_of(agents.get_as("/v1/home/watches", &token).await, 200).await;
    assert!(watches["watches"][0]["last_fired_at"].is_string(), "{watches}");
    let id = watches["watches"][0]["id"].as_str().unwrap();
    json_of(agents.delete_as(&format!("/v1/home/watches/{id}"), &token).await, 204).await;
    devices.quit().await;
}

/// Polls Home Assistant until `entity_id` is in `state`; fails after 20 s.
async fn ha_state_becomes(hass: &Hass, entity_id: &str, state: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = hass.state(entity_id).await;
        if now["state"] == state {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{entity_id} never became {state}: {now}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
