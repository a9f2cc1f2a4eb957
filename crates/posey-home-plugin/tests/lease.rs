//! An MQTT connection's mirror lease in Postgres: one holder at a time, renewed by it, taken
//! over when it lapses or is released (naming who held it); and the fence on history and watch
//! notices, which writes nothing for a replica that no longer holds the lease.

use std::time::Duration;

use chrono::Utc;
use posey_home_plugin::db::connections::{Fence, release_mirror, take_mirror};
use posey_home_plugin::db::entities::EntityRow;
use posey_home_plugin::db::{history, notices};
use posey_plugin::Notice;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

const TTL: Duration = Duration::from_secs(30);

async fn database() -> (posey_testkit::TestDatabase, Uuid, Uuid) {
    let db = posey_testkit::TestDatabase::empty().await;
    for migration in posey_home_plugin::migrations::MIGRATIONS {
        sqlx::raw_sql(migration.sql).execute(&db.pool).await.expect(migration.name);
    }
    let (connection, person) = (Uuid::new_v4(), Uuid::new_v4());
    sqlx::query(
        "INSERT INTO home.connections (id, user_id, kind, name) VALUES ($1, $2, 'mqtt', 'Rig')",
    )
    .bind(connection)
    .bind(person)
    .execute(&db.pool)
    .await
    .expect("a connection");
    (db, connection, person)
}

/// Lets the lease run out, as when its holder's process died.
async fn lapse(db: &PgPool, connection: Uuid) {
    sqlx::query(
        "UPDATE home.connections SET mirror_lease_until = now() - interval '1 second' WHERE id = $1",
    )
    .bind(connection)
    .execute(db)
    .await
    .expect("lapsing");
}

#[tokio::test]
async fn one_replica_at_a_time_holds_a_connections_mirror_and_another_takes_it_over() {
    let (db, connection, _) = database().await;
    let db = &db.pool;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(take_mirror(db, connection, a, TTL).await.unwrap(), Some(None), "nobody held it");
    assert_eq!(take_mirror(db, connection, b, TTL).await.unwrap(), None, "a holds it");
    assert_eq!(take_mirror(db, connection, a, TTL).await.unwrap(), Some(None), "a renews");
    // a's process dies: once its lease lapses, b takes it, told from whom.
    lapse(db, connection).await;
    assert_eq!(take_mirror(db, connection, b, TTL).await.unwrap(), Some(Some(a)));
    assert_eq!(take_mirror(db, connection, a, TTL).await.unwrap(), None, "a no longer renews it");
    // b stops cleanly: a takes it over at once.
    release_mirror(db, None, b).await.unwrap();
    assert_eq!(take_mirror(db, connection, a, TTL).await.unwrap(), Some(Some(b)));
    // Releasing another's lease, or a connection that is gone, changes nothing.
    release_mirror(db, Some(connection), b).await.unwrap();
    assert_eq!(take_mirror(db, connection, b, TTL).await.unwrap(), None);
    assert_eq!(take_mirror(db, Uuid::new_v4(), a, TTL).await.unwrap(), None);
}

#[tokio::test]
async fn only_the_holder_writes_history_and_notices() {
    let (db, connection, person) = database().await;
    let db = &db.pool;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    take_mirror(db, connection, a, TTL).await.unwrap();
    let row = |state: &str| EntityRow {
        connection_id: connection,
        user_id: person,
        entity_id: "sensor.temperature".into(),
        domain: "sensor".into(),
        name: "Temperature".into(),
        area_id: None,
        area: None,
        device: None,
        device_class: None,
        state: state.into(),
        attributes: json!({}),
        last_changed: Utc::now(),
        last_updated: Utc::now(),
    };
    let fence = |holder| Some(Fence { connection, holder });
    history::record(db, &row("30"), fence(b)).await.unwrap();
    history::record(db, &row("30"), fence(a)).await.unwrap();
    history::record(db, &row("31"), None).await.unwrap();
    let states: Vec<String> = sqlx::query_scalar("SELECT state FROM home.history ORDER BY at")
        .fetch_all(db)
        .await
        .unwrap();
    assert_eq!(states, ["30", "31"], "b's write was fenced out; an unfenced one is kept");

    let watch = Uuid::new_v4();
    sqlx::query("INSERT INTO home.watches (id, user_id, entity_id, name) VALUES ($1, $2, 'sensor.temperature', 'Warm')")
        .bind(watch)
        .bind(person)
        .execute(db)
        .await
        .unwrap();
    let notice = |key: &str| Notice {
        person,
        key: key.into(),
        title: "Warm".into(),
        body: "It is 30.".into(),
        data: json!({}),
    };
    assert!(!notices::insert(db, watch, &notice("k1"), fence(b)).await.unwrap(), "b holds nothing");
    assert!(notices::insert(db, watch, &notice("k1"), fence(a)).await.unwrap());
    assert!(!notices::insert(db, watch, &notice("k1"), fence(a)).await.unwrap(), "once a key");
    // a stalled past its lease: what it still writes is fenced out, b's is kept.
    lapse(db, connection).await;
    assert!(!notices::insert(db, watch, &notice("k2"), fence(a)).await.unwrap());
    take_mirror(db, connection, b, TTL).await.unwrap();
    assert!(notices::insert(db, watch, &notice("k2"), fence(b)).await.unwrap());
    assert!(
        notices::insert(db, watch, &notice("k3"), None).await.unwrap(),
        "no fence: Home Assistant's"
    );
}
