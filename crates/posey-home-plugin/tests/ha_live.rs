//! The Home Assistant link against a real Home Assistant (see `ha/mod.rs`): the mirror, service
//! calls seen in HA, HA's changes seen by the link, a refused token, REST when the socket is
//! down, and a resynchronisation after HA restarts.

mod ha;

use std::time::Duration;

use posey_home::command::AlarmMode;
use posey_home::{Change, Command, EntityId, Secret};
use posey_home_plugin::ha::{Backoff, Changes, Delivery, Link, LinkConfig, LinkError, LinkStatus};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use ha::Hass;
use ha::proxy::Proxy;

fn id(text: &str) -> EntityId {
    EntityId::parse(text).expect("an entity id")
}

fn config(base: &str, token: &str) -> LinkConfig {
    let mut config = LinkConfig::new(base, Secret::new(token)).expect("a config");
    config.backoff = Backoff { initial: Duration::from_millis(200), max: Duration::from_secs(2) };
    config.ping_interval = Duration::from_secs(5);
    config.request_timeout = Duration::from_secs(20);
    config
}

/// The next change to `entity_id` that reaches `state`, skipping others; fails after 20 s.
async fn change_to(changes: &mut Changes, entity_id: &str, state: &str) -> Change {
    let wait = async {
        loop {
            let change = changes.recv().await.expect("the link reports changes");
            if change.entity_id.as_str() == entity_id
                && change.new.as_ref().is_some_and(|s| s.state == state)
            {
                return change;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .unwrap_or_else(|_| panic!("no change of {entity_id} to {state} within 20 s"))
}

async fn wait_for_status(
    link: &Link,
    what: &str,
    test: impl Fn(&LinkStatus) -> bool,
) -> LinkStatus {
    let mut status = link.watch_status();
    tokio::time::timeout(Duration::from_secs(60), status.wait_for(|s| test(s)))
        .await
        .unwrap_or_else(|_| panic!("the link was not {what} within 60 s: {:?}", link.status()))
        .expect("the link's status")
        .clone()
}

#[tokio::test]
async fn the_link_mirrors_home_assistant_and_calls_its_services() {
    let hass = Hass::start().await;
    // An area made as a person makes one, with the kitchen light in it.
    let created = hass
        .ws(vec![json!({"type": "config/area_registry/create", "name": "Posey kitchen"})])
        .await;
    let kitchen = created[0]["area_id"].as_str().expect("an area id").to_owned();
    hass.ws(vec![json!({
        "type": "config/entity_registry/update",
        "entity_id": "light.kitchen_ceiling",
        "area_id": kitchen,
    })])
    .await;

    let cancel = CancellationToken::new();
    let (link, mut changes) =
        Link::connect(config(&hass.base, &hass.token), &cancel).await.expect("linked");
    assert!(
        matches!(link.status(), LinkStatus::Connected { sessions: 1, ref ha_version } if ha_version.as_deref() == Some("2024.3.3"))
    );
    assert!(!format!("{link:?}").contains(&hass.token), "the token stays out of Debug");

    // The mirror: names, states, the area.
    let light = link.state(&id("light.kitchen_ceiling")).expect("the kitchen light");
    assert_eq!(light.friendly_name(), Some("Kitchen ceiling"));
    assert_eq!(light.state, "off");
    assert_eq!(link.state(&id("lock.front_door")).expect("the lock").state, "locked");
    assert_eq!(
        link.state(&id("alarm_control_panel.home_alarm")).expect("the alarm").state,
        "disarmed"
    );
    assert!(link.state(&id("input_boolean.guest_mode")).is_some());
    assert!(link.areas().iter().any(|a| a.area_id == kitchen && a.name == "Posey kitchen"));
    let area = link.read(|m| m.area_of(&id("light.kitchen_ceiling")).map(|a| a.name.clone()));
    assert_eq!(area.as_deref(), Some("Posey kitchen"));
    assert_eq!(link.ha_config().time_zone.as_deref(), Some("UTC"), "get_config was read");

    // Posey turns the light on: HA says it is on, and the link reports it.
    let on = Command::TurnOn { brightness: None, rgb: None, color_temp_kelvin: None };
    let delivery = link.call_service(&id("light.kitchen_ceiling"), &on).await.expect("turned on");
    assert_eq!(delivery, Delivery::WebSocket);
    assert_eq!(hass.state("light.kitchen_ceiling").await["state"], "on");
    let change = change_to(&mut changes, "light.kitchen_ceiling", "on").await;
    assert_eq!(change.old.map(|s| s.state).as_deref(), Some("off"));

    // A change made in HA (a wall switch, an automation) reaches the link.
    hass.call("input_boolean", "toggle", json!({"entity_id": "input_boolean.guest_mode"})).await;
    change_to(&mut changes, "input_boolean.guest_mode", "on").await;
    assert_eq!(link.state(&id("input_boolean.guest_mode")).expect("guest mode").state, "on");

    // The alarm arms with its code; a wrong code is refused, and the error names the call.
    let arm = Command::AlarmArm { mode: AlarmMode::Away, code: Some(Secret::new(ha::ALARM_CODE)) };
    link.call_service(&id("alarm_control_panel.home_alarm"), &arm).await.expect("armed");
    change_to(&mut changes, "alarm_control_panel.home_alarm", "armed_away").await;
    let wrong = Command::AlarmDisarm { code: Some(Secret::new("0000")) };
    let error = link
        .call_service(&id("alarm_control_panel.home_alarm"), &wrong)
        .await
        .expect_err("a wrong code");
    let text = error.to_string();
    assert!(
        matches!(error, LinkError::ServiceRefused { .. })
            && text.contains("alarm_control_panel.alarm_disarm")
            && text.contains("alarm_control_panel.home_alarm"),
        "{text}"
    );
    assert!(!text.contains("0000"), "the code stays out of the error: {text}");
    assert_eq!(hass.state("alarm_control_panel.home_alarm").await["state"], "armed_away");

    // A command that does not fit the entity never leaves Posey.
    let error =
        link.call_service(&id("lock.front_door"), &on).await.expect_err("a lock is not turned on");
    assert!(matches!(error, LinkError::Command(_)), "{error}");

    // The socket down while HA is up: the call goes over REST, and still happens.
    let proxy = Proxy::start(hass.port).await;
    let (link, mut changes) = Link::connect(config(&proxy.base(), &hass.token), &cancel)
        .await
        .expect("linked through the proxy");
    proxy.cut_websockets(true);
    wait_for_status(&link, "reconnecting", |s| matches!(s, LinkStatus::Reconnecting { .. })).await;
    let delivery = link
        .call_service(&id("light.kitchen_ceiling"), &Command::TurnOff)
        .await
        .expect("over REST");
    assert_eq!(delivery, Delivery::Rest);
    assert_eq!(hass.state("light.kitchen_ceiling").await["state"], "off");
    // Back: the resynchronisation reports what changed while the socket was down.
    proxy.allow_websockets();
    wait_for_status(&link, "reconnected", |s| {
        matches!(s, LinkStatus::Connected { sessions: 2, .. })
    })
    .await;
    let change = change_to(&mut changes, "light.kitchen_ceiling", "off").await;
    assert_eq!(change.old.map(|s| s.state).as_deref(), Some("on"));
    link.stop().await;
    cancel.cancel();
}

#[tokio::test]
async fn a_refused_token_is_named_and_never_retried() {
    let hass = Hass::start().await;
    let cancel = CancellationToken::new();
    let started = std::time::Instant::now();
    let error =
        Link::connect(config(&hass.base, "not-a-token"), &cancel).await.expect_err("a bad token");
    assert!(matches!(error, LinkError::BadToken { .. }), "{error}");
    let text = error.to_string();
    assert!(
        text.contains("refused the access token")
            && text.contains(&format!("127.0.0.1:{}", hass.port)),
        "{text}"
    );
    assert!(!text.contains("not-a-token"));
    assert!(started.elapsed() < Duration::from_secs(10), "refused at once, not after retries");

    // A token revoked while linked: the link tries once more, is refused, and stops.
    let (token, token_id) = hass.another_token("posey-revoked").await;
    let (link, _changes) =
        Link::connect(config(&hass.base, &token), &cancel).await.expect("linked");
    hass.ws(vec![json!({"type": "auth/delete_refresh_token", "refresh_token_id": token_id})]).await;
    let status =
        wait_for_status(&link, "stopped", |s| matches!(s, LinkStatus::Stopped { .. })).await;
    let LinkStatus::Stopped { reason } = status else { unreachable!() };
    assert!(reason.contains("refused the access token"), "{reason}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(matches!(link.status(), LinkStatus::Stopped { .. }), "it stays stopped");
}

#[tokio::test]
async fn after_home_assistant_restarts_the_link_resynchronises() {
    let mut hass = Hass::start().await;
    let cancel = CancellationToken::new();
    let (link, mut changes) =
        Link::connect(config(&hass.base, &hass.token), &cancel).await.expect("linked");
    assert!(link.state(&id("input_boolean.porch")).is_none());
    assert_eq!(link.state(&id("input_boolean.guest_mode")).expect("guest mode").state, "off");

    // While HA is down its configuration changes: a new helper, another one on from the start.
    hass.stop().await;
    wait_for_status(&link, "reconnecting", |s| matches!(s, LinkStatus::Reconnecting { .. })).await;
    let error = link
        .call_service(&id("light.kitchen_ceiling"), &Command::TurnOff)
        .await
        .expect_err("HA is down");
    assert!(matches!(error, LinkError::Unreachable { .. }), "{error}");
    hass.write_configuration("  porch:\n    name: Porch\n    initial: true\n");
    let mut config_text =
        std::fs::read_to_string(hass.config_dir().join("configuration.yaml")).expect("config");
    config_text = config_text.replace(
        "  guest_mode:\n    name: Guest mode\n",
        "  guest_mode:\n    name: Guest mode\n    initial: true\n",
    );
    std::fs::write(hass.config_dir().join("configuration.yaml"), config_text).expect("config");
    let restarted = std::time::Instant::now();
    hass.restart().await;
    wait_for_status(&link, "reconnected", |s| {
        matches!(s, LinkStatus::Connected { sessions: 2, .. })
    })
    .await;
    eprintln!("relinked {:?} after HA was started again", restarted.elapsed());

    // The differences come in entity id order.
    let guest = change_to(&mut changes, "input_boolean.guest_mode", "on").await;
    assert_eq!(guest.old.map(|s| s.state).as_deref(), Some("off"));
    let porch = change_to(&mut changes, "input_boolean.porch", "on").await;
    assert!(porch.old.is_none(), "it appeared in the gap");
    assert_eq!(link.state(&id("input_boolean.porch")).expect("porch").state, "on");

    // And it follows events again.
    hass.call("input_boolean", "turn_off", json!({"entity_id": "input_boolean.porch"})).await;
    change_to(&mut changes, "input_boolean.porch", "off").await;
    link.stop().await;
}
