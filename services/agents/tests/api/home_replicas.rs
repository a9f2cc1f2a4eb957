//! Two agents replicas on one database, one broker (the harness's Mosquitto) and one person's
//! devices (ha-mqtt-discoverable's): every replica keeps a link to the broker, but an MQTT
//! message carries no time or id of its own, so only the replica holding the connection's
//! mirror lease records it. Each change is one row of history and, when it fires a watch, one
//! notice and one notification through cron; a command given on the other replica still
//! reaches the device; when the holder stops, the other takes over and it stays so.

use std::sync::Arc;
use std::time::Duration;

use posey_http::Service as _;
use posey_testkit::devices::Devices;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::caldav_basic::{ISSUER, sign_up, spawn_auth_with};
use crate::calendar_alarms::{notifications, spawn_cron, wait_for_notification};
use crate::helpers::{TestApp, json_of};
use crate::home::{LAMP, TEMPERATURE, connect_devices, home_vars, state_of, until};

const SECRET: &str = "agents-home-replica-s3cret-0123456789";
const WATCH: &str = "Living room too warm";

/// An agents replica on auth's database, telling the person through `cron`, with `home` (the
/// same broker and seal key for every replica); cancelling the token stops it as SIGTERM does.
async fn spawn_replica(
    auth: &TestApp,
    cron: &TestApp,
    home: &[(&'static str, String)],
) -> (TestApp, CancellationToken) {
    let mut vars = vec![
        ("AUTH_JWKS_URL", format!("{}/.well-known/jwks.json", auth.address)),
        ("AUTH_ISSUER", ISSUER.to_owned()),
        ("AUTH_URL", format!("{}/", auth.address)),
        ("CRON_URL", format!("{}/", cron.address)),
        ("AGENTS_SERVICE_CLIENT_ID", "agents".to_owned()),
        ("AGENTS_SERVICE_CLIENT_SECRET", SECRET.to_owned()),
        ("POSEY_MODEL", "test".to_owned()),
        ("POSEY_DATA_DIR", posey_testkit::data_dir().display().to_string()),
    ];
    vars.extend(home.iter().cloned());
    let stop = CancellationToken::new();
    let stopping = stop.clone();
    let app = posey_testkit::spawn_service_on(
        auth.db.clone(),
        posey_agents::Config::PORT_VAR,
        &vars,
        posey_agents::Config::read_with_db,
        |config| async move {
            let model = posey_models::testing::TestModel::new();
            let source = move |_spec: &str| anyhow::Ok(model.clone().into());
            let parts = posey_agents::Parts {
                models: Some(Arc::new(source)),
                extra_plugins: Vec::new(),
                embedder: Some(posey_models::testing::local_embedder().await),
            };
            let app = posey_agents::Application::build_with(config, parts)
                .await
                .expect("building agents");
            let port = app.port();
            tokio::spawn(app.run_until_stopped(async move { stopping.cancelled().await }));
            port
        },
    )
    .await;
    (app, stop)
}

/// Which replica holds the connection's mirror lease now (its lease unexpired), if any.
async fn holder(db: &sqlx::PgPool, connection: Uuid) -> Option<Uuid> {
    sqlx::query_scalar(
        "SELECT mirror_holder FROM home.connections \
         WHERE id = $1 AND mirror_lease_until > now()",
    )
    .bind(connection)
    .fetch_optional(db)
    .await
    .unwrap()
    .flatten()
}

/// How many history rows the entity has in this state.
async fn kept(db: &sqlx::PgPool, connection: Uuid, entity: &str, state: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM home.history WHERE connection_id = $1 AND entity_id = $2 \
         AND state = $3",
    )
    .bind(connection)
    .bind(entity)
    .bind(state)
    .fetch_one(db)
    .await
    .unwrap()
}

/// How many of the entity's history rows repeat the one before them: a change recorded twice
/// (each change moves the state or the attributes).
async fn repeats(db: &sqlx::PgPool, connection: Uuid, entity: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT state, attributes, \
             lag(state) OVER w AS state_before, lag(attributes) OVER w AS attributes_before \
             FROM home.history WHERE connection_id = $1 AND entity_id = $2 \
             WINDOW w AS (ORDER BY at)) h \
         WHERE state = state_before AND attributes = attributes_before",
    )
    .bind(connection)
    .bind(entity)
    .fetch_one(db)
    .await
    .unwrap()
}

async fn notices(db: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM home.notices").fetch_one(db).await.unwrap()
}

/// The person's notifications titled [`WATCH`], once `want` of them are there and a moment
/// has passed for any other to arrive.
async fn told(cron: &TestApp, token: &str, want: usize) -> Vec<Value> {
    let count = |list: &[Value]| list.iter().filter(|n| n["title"] == WATCH).count();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while count(&notifications(cron, token).await) < want {
        assert!(tokio::time::Instant::now() < deadline, "never {want} notifications");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    notifications(cron, token).await.into_iter().filter(|n| n["title"] == WATCH).collect()
}

/// Sends the lamp a command through `replica` until its link to the person's broker is up
/// (it looks for connections made elsewhere every 10 s): the command reaches the device.
async fn command_through(replica: &TestApp, token: &str, devices: &mut Devices, on: bool) {
    let path = format!("/v1/home/entities/{LAMP}/commands");
    let action = json!({"action": if on { "turn_on" } else { "turn_off" }});
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        let response = replica.post_as(&path, token, &action).await;
        match response.status().as_u16() {
            200 => break,
            503 => {
                assert!(tokio::time::Instant::now() < deadline, "the replica never linked");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => panic!("{other}: {}", response.text().await.unwrap()),
        }
    }
    let said = devices.expect("command light").await;
    assert!(said.contains(if on { "ON" } else { "OFF" }), "{said}");
}

#[tokio::test]
async fn two_replicas_record_and_tell_each_mqtt_change_once() {
    let auth = spawn_auth_with(&[
        ("AUTH_SERVICE_CLIENTS", format!("agents:{SECRET}")),
        ("AUTH_SERVICE_CLIENT_SCOPES", "agents=cron:act-for-person".to_owned()),
        ("AUTH_OPEN_SIGNUP", "true".to_owned()),
    ])
    .await;
    let cron = spawn_cron(&auth).await;
    let home = home_vars();
    let (first, stop_first) = spawn_replica(&auth, &cron, &home).await;
    let (second, stop_second) = spawn_replica(&auth, &cron, &home).await;
    let db = &auth.db.pool;
    let (_, token) = sign_up(&auth).await;
    let (connection, mut devices) = connect_devices(&first, &token).await;
    let connection: Uuid = connection.parse().unwrap();
    let watch = json!({"entity_id": TEMPERATURE, "name": WATCH, "threshold": {"above": 25.0}});
    json_of(first.post_as("/v1/home/watches", &token, &watch).await, 201).await;

    // The replica the person connected through holds the lease; the other links too (a command
    // given there reaches the lamp) and reads the same mirror.
    let owner = holder(db, connection).await.expect("a holder");
    command_through(&second, &token, &mut devices, true).await;
    assert_eq!(holder(db, connection).await, Some(owner), "the lease stayed where it was");
    for replica in [&first, &second] {
        until(replica, &token, "/v1/home/entities", |l| state_of(l, LAMP).as_deref() == Some("on"))
            .await;
    }

    // Each change is kept once and tells the person once, though both replicas saw it.
    devices.tell("sensor 30").await;
    let first_told = wait_for_notification(&cron, &token, WATCH).await;
    assert!(first_told["body"].as_str().unwrap().contains("from 21.5 to 30"), "{first_told}");
    assert_eq!(told(&cron, &token, 1).await.len(), 1, "one notification for one change");
    assert_eq!(notices(db).await, 1, "one notice");
    assert_eq!(kept(db, connection, TEMPERATURE, "30.0").await, 1, "one row of history");
    assert_eq!(repeats(db, connection, LAMP).await, 0, "the lamp's changes, each once");

    // The holder, the replica the person connected through, stops (as on SIGTERM): the other
    // takes the connection over, and a change is still kept and told once.
    stop_first.cancel();
    let staying = &second;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = holder(db, connection).await;
        if now.is_some_and(|h| h != owner) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the lease was never taken over: {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    devices.tell("sensor 20").await;
    until(staying, &token, "/v1/home/entities", |l| {
        state_of(l, TEMPERATURE).as_deref() == Some("20.0")
    })
    .await;
    devices.tell("sensor 28").await;
    let all = told(&cron, &token, 2).await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(notices(db).await, 2);
    for state in ["20.0", "28.0"] {
        assert_eq!(kept(db, connection, TEMPERATURE, state).await, 1, "{state} kept once");
    }
    // Commands still go through the one left.
    command_through(staying, &token, &mut devices, false).await;
    until(staying, &token, "/v1/home/entities", |l| state_of(l, LAMP).as_deref() == Some("off"))
        .await;
    assert_eq!(repeats(db, connection, LAMP).await, 0, "the lamp's changes, each once");
    assert_eq!(repeats(db, connection, TEMPERATURE).await, 0);
    stop_second.cancel();
    devices.quit().await;
}
