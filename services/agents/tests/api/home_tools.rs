//! The home tools between two people and on entities the person marked "always ask first":
//! Bob's tools, given the ids of Ada's entities (his own rig of the same devices has the same
//! ids), find and change nothing of hers; a switch Ada marked is run by the model's call only
//! after her yes, whatever its kind.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Models, events, json_of, scripted_tools, spawn};
use crate::home::{
    AGENTS, COFFEE, DOOR, LAMP, TEMPERATURE, connect_devices, home_vars, put_exposure, result,
    state_of, tool, until,
};

#[tokio::test]
async fn bobs_tools_find_and_change_nothing_of_adas_home() {
    let app =
        spawn(Models::default().with("test", scripted_tools()), Some(AGENTS), &home_vars()).await;
    let (_, ada) = app.person();
    let (adas_connection, mut adas_devices) = connect_devices(&app, &ada).await;
    // Her lamp is on at a brightness of its own; the companion may do anything with her four
    // devices, and she watches her door.
    let path = format!("/v1/home/entities/{LAMP}/commands");
    let on = json!({"action": "turn_on", "brightness": {"level": 201}});
    json_of(app.post_as(&path, &ada, &on).await, 200).await;
    adas_devices.expect("command light").await;
    until(&app, &ada, "/v1/home/entities", |l| state_of(l, LAMP).as_deref() == Some("on")).await;
    put_exposure(&app, &ada, json!({"controllable_entities": [LAMP, COFFEE, DOOR, TEMPERATURE]}))
        .await;
    let watch = json!({"entity_id": DOOR, "name": "Ada's door at night", "to": "unlocked"});
    let adas_watch = json_of(app.post_as("/v1/home/watches", &ada, &watch).await, 201).await;
    let adas_watch = adas_watch["id"].as_str().unwrap().to_owned();

    // Bob has the same devices (the same entity ids) on his own connection; his companion may
    // control his lamp only.
    let (_, bob) = app.person();
    let (bobs_connection, mut bobs_devices) = connect_devices(&app, &bob).await;
    put_exposure(&app, &bob, json!({"controllable_entities": [LAMP]})).await;
    let conversation = app.conversation(&bob, None).await;

    let hers = [
        adas_connection.as_str(),
        adas_watch.as_str(),
        "Ada's door",
        "201",
        adas_devices.state_prefix.as_str(),
    ];
    let calls = [
        ("home_entities", json!({})),
        ("home_entities", json!({"domain": "lock"})),
        ("home_entities", json!({"domain": "sensor"})),
        ("home_state", json!({"entity_id": LAMP})),
        ("home_state", json!({"entity_id": DOOR})),
        ("home_state", json!({"entity_id": TEMPERATURE})),
        ("home_state", json!({"entity_id": "light.nothing_of_his"})),
        ("home_scene", json!({"entity_id": DOOR})),
        ("home_scene", json!({"entity_id": COFFEE})),
        ("home_scene", json!({"entity_id": LAMP})),
        ("home_scene", json!({"entity_id": "scene.adas_movie_night"})),
        ("home_watch", json!({"entity_id": DOOR, "name": "Bob's door", "to": "unlocked"})),
        (
            "home_watch",
            json!({"entity_id": TEMPERATURE, "name": "Bob's heat",
            "threshold": {"above": 25.0}}),
        ),
        ("home_control", json!({"entity_id": DOOR, "action": "unlock"})),
        ("home_control", json!({"entity_id": COFFEE, "action": "turn_on"})),
    ];
    let mut answers = Vec::new();
    for (name, arguments) in calls {
        let stream = tool(&app, &bob, &conversation, name, arguments.clone()).await;
        assert_eq!(events(&stream, "confirmation"), Vec::<&Value>::new(), "{name} asked Bob");
        let (failed, said) = result(&stream);
        let text = said.to_string();
        for secret in hers {
            assert!(!text.contains(secret), "{name} {arguments} told Bob {secret:?}: {text}");
        }
        answers.push((name, arguments, failed, said));
    }
    let answer = |at: usize| &answers[at].3;
    let failed = |at: usize| answers[at].2;
    // His list is his lamp alone, off as his is; her lock and sensor are not his.
    let listed = answer(0)["entities"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{}", answer(0));
    assert_eq!(
        (listed[0]["entity_id"].as_str(), listed[0]["state"].as_str()),
        (Some(LAMP), Some("off"))
    );
    assert_eq!(answer(1)["entities"], json!([]), "{}", answer(1));
    assert_eq!(answer(2)["entities"], json!([]), "{}", answer(2));
    // His lamp's state is his own; her door, sensor and the rest are no entity of his.
    assert!(!failed(3), "{}", answer(3));
    assert_eq!(answer(3)["state"], "off", "{}", answer(3));
    assert!(answer(3)["attributes"].get("brightness").is_none_or(Value::is_null), "{}", answer(3));
    for (at, asked) in answers.iter().enumerate().take(9).skip(4) {
        assert!(failed(at), "{:?}: {}", asked.1, answer(at));
    }
    // His lamp is no scene; nothing of hers is his to run, watch or control.
    for (at, asked) in answers.iter().enumerate().skip(9) {
        assert!(failed(at), "{} {}: {}", asked.0, asked.1, answer(at));
    }

    // Nothing reached either rig, nothing was asked, nothing of Ada's moved.
    assert_eq!(adas_devices.said_within(Duration::from_millis(300)).await, None);
    assert_eq!(bobs_devices.said_within(Duration::from_millis(300)).await, None);
    let asked: i64 = sqlx::query_scalar("SELECT count(*) FROM agents.pending_actions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(asked, 0, "a confirmation was asked");
    let adas = json_of(app.get_as("/v1/home/entities", &ada).await, 200).await;
    assert_eq!(state_of(&adas, LAMP).as_deref(), Some("on"));
    assert_eq!(state_of(&adas, DOOR).as_deref(), Some("locked"));
    assert_eq!(state_of(&adas, COFFEE).as_deref(), Some("off"));
    let watches = json_of(app.get_as("/v1/home/watches", &ada).await, 200).await;
    let ids: Vec<&Value> =
        watches["watches"].as_array().unwrap().iter().map(|w| &w["id"]).collect();
    assert_eq!(ids, [&json!(adas_watch)], "{watches}");
    assert_eq!(
        json_of(app.get_as("/v1/home/watches", &bob).await, 200).await["watches"],
        json!([]),
        "Bob's watches on Ada's entities were not made"
    );
    let audit = json_of(app.get_as("/v1/home/audit", &ada).await, 200).await;
    let by_agent =
        audit["entries"].as_array().unwrap().iter().filter(|e| e["actor"] == "agent").count();
    assert_eq!(by_agent, 0, "{audit}");
    let exposure = json_of(app.get_as("/v1/home/exposure", &ada).await, 200).await;
    assert_eq!(exposure["controllable_entities"], json!([LAMP, DOOR, TEMPERATURE, COFFEE]));
    // Bob's refused commands are audited as his, on his own connection.
    let his = json_of(app.get_as("/v1/home/audit", &bob).await, 200).await;
    assert!(
        his["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["connection_id"] == json!(bobs_connection)),
        "{his}"
    );
    adas_devices.quit().await;
    bobs_devices.quit().await;
}

/// A switch is nothing the rule on kinds asks about, but one the person marked "always ask
/// first" (a garage opener wired to a relay) is run by the model's call only after her yes.
#[tokio::test]
async fn a_switch_marked_ask_first_runs_only_on_the_persons_yes() {
    let app =
        spawn(Models::default().with("test", scripted_tools()), Some(AGENTS), &home_vars()).await;
    let (_, token) = app.person();
    let (_, mut devices) = connect_devices(&app, &token).await;
    put_exposure(
        &app,
        &token,
        json!({"controllable_entities": [COFFEE, LAMP], "ask_first_entities": [COFFEE]}),
    )
    .await;
    let exposure = json_of(app.get_as("/v1/home/exposure", &token).await, 200).await;
    assert_eq!(exposure["ask_first_entities"], json!([COFFEE]), "{exposure}");
    let bad = json!({"ask_first_entities": ["not an id"]});
    let bad = app.request(reqwest::Method::PUT, "/v1/home/exposure", &token).json(&bad);
    let bad = json_of(bad.send().await.unwrap(), 422).await;
    assert!(bad["error"]["fields"]["ask_first_entities"].is_array(), "{bad}");
    let list = json_of(app.get_as("/v1/home/entities", &token).await, 200).await;
    let flags = |id: &str| {
        let entity = list["entities"].as_array().unwrap().iter().find(|e| e["entity_id"] == id);
        entity.map(|e| (e["ask_first"].clone(), e["security"].clone()))
    };
    assert_eq!(flags(COFFEE), Some((json!(true), json!(false))), "{list}");
    assert_eq!(flags(LAMP), Some((json!(false), json!(false))), "{list}");

    // The lamp, not marked, the model switches on its own.
    let conversation = app.conversation(&token, None).await;
    let lamp = json!({"entity_id": LAMP, "action": "turn_on"});
    let (failed, said) = result(&tool(&app, &token, &conversation, "home_control", lamp).await);
    assert!(!failed, "{said}");
    assert!(devices.expect("command light").await.contains("ON"));

    // The marked switch: every command only asks, and nothing reaches it.
    let mut asked = Vec::new();
    for action in ["turn_on", "toggle", "turn_off"] {
        let arguments = json!({"entity_id": COFFEE, "action": action});
        let stream = tool(&app, &token, &conversation, "home_control", arguments).await;
        let confirmations = events(&stream, "confirmation");
        assert_eq!(confirmations.len(), 1, "{action}: {stream:?}");
        asked.push(confirmations[0]["action_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(devices.said_within(Duration::from_millis(500)).await, None);
    let list = json_of(app.get_as("/v1/home/entities", &token).await, 200).await;
    assert_eq!(state_of(&list, COFFEE).as_deref(), Some("off"));

    // The person's no sends nothing; her yes runs it, once.
    let deny = format!("/v1/actions/{}/deny", asked[2]);
    json_of(app.post_as(&deny, &token, &json!({})).await, 200).await;
    assert_eq!(devices.said_within(Duration::from_millis(300)).await, None);
    let confirm = format!("/v1/actions/{}/confirm", asked[0]);
    let confirmed = json_of(app.post_as(&confirm, &token, &json!({})).await, 200).await;
    assert_eq!(confirmed["status"], "done", "{confirmed}");
    assert!(devices.expect("command switch").await.contains("ON"));
    until(&app, &token, "/v1/home/entities", |l| state_of(l, COFFEE).as_deref() == Some("on"))
        .await;
    assert_eq!(app.post_as(&confirm, &token, &json!({})).await.status(), 409);
    assert_eq!(devices.said_within(Duration::from_millis(300)).await, None);

    // Audited as the others: asked three times, done once on the yes.
    let audit = json_of(app.get_as("/v1/home/audit", &token).await, 200).await;
    let of = |command: &str, outcome: &str| {
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["entity_id"] == COFFEE
                    && e["actor"] == "agent"
                    && e["command"] == command
                    && e["outcome"] == outcome
            })
            .count()
    };
    assert_eq!(of("turn_on", "awaiting_confirmation"), 1, "{audit}");
    assert_eq!(of("toggle", "awaiting_confirmation"), 1, "{audit}");
    assert_eq!(of("turn_off", "awaiting_confirmation"), 1, "{audit}");
    assert_eq!(of("turn_on", "done"), 1, "{audit}");

    // Unmarked again, the model switches it on its own.
    put_exposure(&app, &token, json!({"controllable_entities": [COFFEE, LAMP]})).await;
    let off = json!({"entity_id": COFFEE, "action": "turn_off"});
    let stream = tool(&app, &token, &conversation, "home_control", off).await;
    assert_eq!(events(&stream, "confirmation"), Vec::<&Value>::new());
    assert!(devices.expect("command switch").await.contains("OFF"));
    devices.quit().await;
}
