//! The home benchmark's two latencies (issue 18), with LIGHTS lights and one sensor mirrored
//! through the plugin's embedded broker into a fresh database of its own (see bench/home/run,
//! which builds and runs this):
//!
//! control: the `home_control` tool called as an agent's turn calls it (exposure checked, the
//!   command audited), until a plain MQTT client subscribed to the lights' command topics
//!   receives the command. The lights are optimistic, so no device echo is waited for.
//! watch: a state published on the broker for the watched sensor, until the watch's notice is
//!   handed to the host's notifier (what would pass it to cron).
//!
//! Each RUNS times; prints p50 and p99 next to the aims.
//!
//! Usage: posey-home-bench <database url> <lights> <runs>

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::future::BoxFuture;
use posey_home::EntityId;
use posey_home::exposure::ExposurePolicy;
use posey_home::watch::Watch;
use posey_home_plugin::db::connections::{self, Connection, Kind};
use posey_home_plugin::db::watches;
use posey_home_plugin::mqtt::{BrokerUrl, broker};
use posey_home_plugin::{HomePlugin, HomeSettings};
use posey_http::auth::{JwksVerifier, VerifierConfig};
use posey_plugin::{
    CancellationToken, Host, Notice, Notifier, Plugin, Profile, ProfileSource, ToolContext,
    TurnProfile,
};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::json;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection as _, PgConnection, PgPool};
use tokio::sync::mpsc;
use uuid::Uuid;

/// How long one measured event may take before the run counts as failed.
const WAIT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, lights, runs] = args.as_slice() else {
        bail!("usage: posey-home-bench <database url> <lights> <runs>");
    };
    let (lights, runs): (usize, usize) = (lights.parse()?, runs.parse()?);

    // A database of its own, dropped at the end.
    let name = format!("posey_home_bench_{}", std::process::id());
    let mut admin = PgConnection::connect(url).await.context("connecting to the server")?;
    sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
    let url = with_database(url, &name);
    let outcome = run(&url, lights, runs.max(1)).await;
    sqlx::raw_sql(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).await?;
    outcome
}

/// `url` naming database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |at| at + 3);
    let base = match base[scheme_end..].rfind('/') {
        Some(at) => &base[..scheme_end + at],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Everyone has the default profile (UTC).
struct Defaults;

impl ProfileSource for Defaults {
    fn profile(&self, _person: Uuid) -> BoxFuture<'static, anyhow::Result<Profile>> {
        Box::pin(async { Ok(Profile::defaults()) })
    }
}

/// Takes every notice at once, noting when it was handed over: the end of (b).
struct Clock(mpsc::UnboundedSender<Instant>);

impl Notifier for Clock {
    fn notify(&self, _notice: Notice) -> BoxFuture<'static, anyhow::Result<()>> {
        let _ = self.0.send(Instant::now());
        Box::pin(async { Ok(()) })
    }
}

/// A plain MQTT client on `broker`: its handle, and each message's arrival on a channel.
async fn client(
    broker: &str,
    id: &str,
    topics: &[&str],
) -> anyhow::Result<(AsyncClient, mpsc::UnboundedReceiver<(Instant, String)>)> {
    let parsed = url::Url::parse(broker)?;
    let mut options = MqttOptions::new(
        id,
        parsed.host_str().unwrap_or("127.0.0.1"),
        parsed.port().unwrap_or(1883),
    );
    options.set_keep_alive(Duration::from_secs(30));
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut events) = AsyncClient::new(options, 4096);
    let (tx, rx) = mpsc::unbounded_channel();
    let (ready_tx, ready) = tokio::sync::oneshot::channel();
    let mut ready_tx = Some(ready_tx);
    tokio::spawn(async move {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    let _ = tx.send((Instant::now(), publish.topic));
                }
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    if let Some(ready) = ready_tx.take() {
                        let _ = ready.send(());
                    }
                }
                Ok(_) => {}
                // Reconnects (the broker drops a client that floods it); quiet at the end.
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    tokio::time::timeout(WAIT, ready).await.context("the bench's MQTT client connecting")??;
    for topic in topics {
        client.subscribe(*topic, QoS::AtMostOnce).await?;
    }
    Ok((client, rx))
}

async fn run(url: &str, lights: usize, runs: usize) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new().max_connections(10).connect(url).await?;
    for migration in posey_home_plugin::migrations::MIGRATIONS {
        sqlx::raw_sql(migration.sql).execute(&pool).await.context(migration.name)?;
    }
    let broker = broker::start("127.0.0.1:0".parse()?).await?;
    let (notices, mut noticed) = mpsc::unbounded_channel();
    let host = Host {
        db: pool.clone(),
        // The routes are never called: any verifier does.
        verifier: Arc::new(JwksVerifier::new(VerifierConfig::new(
            url::Url::parse("http://127.0.0.1:9/.well-known/jwks.json")?,
            "posey-home-bench",
        ))),
        profiles: Arc::new(Defaults),
        notifier: Some(Arc::new(Clock(notices))),
    };
    let plugin = HomePlugin::new(HomeSettings {
        broker: Some(BrokerUrl::parse(&broker.url())?),
        ..HomeSettings::default()
    });
    let _routes = plugin.routes(&host);

    // The person's connection to the instance's broker, stored as the plugin stores one; the
    // background work starts the link of every stored connection, as on any replica.
    let person = Uuid::now_v7();
    let now = chrono_now(&pool).await?;
    connections::insert(
        &pool,
        &Connection {
            id: Uuid::now_v7(),
            user_id: person,
            kind: Kind::Mqtt,
            name: "Bench".into(),
            url: None,
            secret_sealed: None,
            discovery_prefix: "homeassistant".into(),
            zigbee2mqtt_base: None,
            status: "connected".into(),
            last_error: None,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    let stop = CancellationToken::new();
    let background = plugin.background(&host, stop.clone()).context("the plugin's background")?;
    let background = tokio::spawn(background);

    // The devices: retained discovery configs and states.
    let (devices, _) = client(&broker.url(), "bench-devices", &[]).await?;
    let started = Instant::now();
    for i in 0..lights {
        let config = json!({
            "name": format!("Bench light {i}"),
            "unique_id": format!("bench_light_{i}"),
            "state_topic": format!("bench/light/{i}/state"),
            "command_topic": format!("bench/light/{i}/set"),
            "optimistic": true,
        });
        devices
            .publish(
                format!("homeassistant/light/bench_{i}/config"),
                QoS::AtLeastOnce,
                true,
                config.to_string(),
            )
            .await?;
        devices.publish(format!("bench/light/{i}/state"), QoS::AtLeastOnce, true, "OFF").await?;
        // Paced: rumqttd drops a client whose messages outrun its buffers.
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let sensor_config = json!({
        "name": "Bench door",
        "unique_id": "bench_door",
        "state_topic": "bench/door/state",
    });
    devices
        .publish(
            "homeassistant/sensor/bench_door/config",
            QoS::AtLeastOnce,
            true,
            sensor_config.to_string(),
        )
        .await?;
    devices.publish("bench/door/state", QoS::AtLeastOnce, true, "closed").await?;
    let total = (lights + 1) as i64;
    loop {
        let mirrored: i64 =
            sqlx::query_scalar("SELECT count(*) FROM home.entities WHERE user_id = $1")
                .bind(person)
                .fetch_one(&pool)
                .await?;
        if mirrored >= total {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let kinds: Vec<(String, i64)> = sqlx::query_as(
                "SELECT domain, count(*) FROM home.entities WHERE user_id = $1 GROUP BY domain",
            )
            .bind(person)
            .fetch_all(&pool)
            .await?;
            bail!("only {mirrored} of {total} entities mirrored after 60 s: {kinds:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "home: {lights} lights and 1 sensor over the embedded broker, mirrored in {:.1} s; {runs} runs each",
        started.elapsed().as_secs_f64()
    );

    let light_ids: Vec<String> = sqlx::query_scalar(
        "SELECT entity_id FROM home.entities WHERE user_id = $1 AND domain = 'light' ORDER BY entity_id",
    )
    .bind(person)
    .fetch_all(&pool)
    .await?;
    let sensor: String = sqlx::query_scalar(
        "SELECT entity_id FROM home.entities WHERE user_id = $1 AND domain = 'sensor'",
    )
    .bind(person)
    .fetch_one(&pool)
    .await?;

    // The person's choice: the lights are the companion's to control.
    let mut policy = ExposurePolicy::none();
    for id in &light_ids {
        let id = EntityId::parse(id)?;
        policy.visible_entities.insert(id.clone());
        policy.controllable_entities.insert(id);
    }
    sqlx::query("INSERT INTO home.exposure (user_id, policy) VALUES ($1, $2)")
        .bind(person)
        .bind(serde_json::to_value(&policy)?)
        .execute(&pool)
        .await?;

    let control = control_latency(&plugin, &pool, &broker.url(), person, &light_ids, runs).await?;
    let watch = watch_latency(&pool, &devices, &mut noticed, person, &sensor, runs).await?;

    println!(
        "control -> MQTT command: p50 {:.2} ms, p99 {:.2} ms (aim: p99 < 20 ms)",
        ms(percentile(&control, 50)),
        ms(percentile(&control, 99)),
    );
    println!(
        "broker state change -> watch notice: p50 {:.2} ms, p99 {:.2} ms (aim: p99 < 100 ms)",
        ms(percentile(&watch, 50)),
        ms(percentile(&watch, 99)),
    );

    stop.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(5), background).await;
    broker.stop().await;
    pool.close().await;
    Ok(())
}

/// The database's clock, for the connection's timestamps (no chrono dependency of our own).
async fn chrono_now(
    pool: &PgPool,
) -> anyhow::Result<sqlx::types::chrono::DateTime<sqlx::types::chrono::Utc>> {
    Ok(sqlx::query_scalar("SELECT now()").fetch_one(pool).await?)
}

/// (a): `home_control` turning a light on (round robin) until its command is on the broker.
async fn control_latency(
    plugin: &HomePlugin,
    pool: &PgPool,
    broker: &str,
    person: Uuid,
    lights: &[String],
    runs: usize,
) -> anyhow::Result<Vec<Duration>> {
    let tool = plugin
        .tools()
        .into_iter()
        .find(|tool| tool.name == "home_control")
        .context("the plugin has no home_control tool")?;
    let (_subscriber, mut commands) =
        client(broker, "bench-commands", &["bench/light/+/set"]).await?;
    let context = ToolContext {
        person,
        db: pool.clone(),
        message: None,
        credential: None,
        profile: TurnProfile::known(Profile::defaults()),
        profiles: Arc::new(Defaults),
        asks: Default::default(),
        compact: false,
    };
    // The broker takes the subscription a moment after the client sends it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs {
        let light = &lights[i % lights.len()];
        while commands.try_recv().is_ok() {}
        let t0 = Instant::now();
        let answer = tool
            .call(context.clone(), json!({"entity_id": light, "action": "turn_on"}))
            .await
            .map_err(|e| anyhow::anyhow!("home_control on {light}: {}", e.0))?;
        // One command a call, to the light's own topic.
        let (t1, _topic) = tokio::time::timeout(WAIT, commands.recv())
            .await
            .with_context(|| {
                format!("no command for {light} on the broker (the tool said {answer})")
            })?
            .context("the command subscriber stopped")?;
        times.push(t1 - t0);
    }
    Ok(times)
}

/// (b): the watched sensor's state published until the watch's notice is handed over. The
/// watch fires on `open`; each run first publishes `closed` (unmeasured), so each `open` is a
/// change.
async fn watch_latency(
    pool: &PgPool,
    devices: &AsyncClient,
    noticed: &mut mpsc::UnboundedReceiver<Instant>,
    person: Uuid,
    sensor: &str,
    runs: usize,
) -> anyhow::Result<Vec<Duration>> {
    let watch = Watch {
        id: Uuid::now_v7(),
        entity_id: EntityId::parse(sensor)?,
        from: None,
        to: Some("open".into()),
        threshold: None,
        window: None,
    };
    watches::insert(pool, person, "Bench door opens", &watch).await?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        devices.publish("bench/door/state", QoS::AtMostOnce, false, "closed").await?;
        // Let `closed` be mirrored before the measured change.
        tokio::time::sleep(Duration::from_millis(20)).await;
        while noticed.try_recv().is_ok() {}
        let t0 = Instant::now();
        devices.publish("bench/door/state", QoS::AtMostOnce, false, "open").await?;
        let t1 = tokio::time::timeout(WAIT, noticed.recv())
            .await
            .context("no notice for the watch")?
            .context("the notifier stopped")?;
        times.push(t1 - t0);
    }
    Ok(times)
}

/// The nearest-rank percentile `p` of `times`.
fn percentile(times: &[Duration], p: usize) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
