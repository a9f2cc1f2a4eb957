//! The test harness's servers are real and answer: Postgres, Redis and an MQTT broker.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn each_test_gets_its_own_migrated_database() {
    let a = posey_testkit::TestDatabase::new().await;
    let b = posey_testkit::TestDatabase::new().await;
    assert_ne!(a.name, b.name);
    sqlx::query("CREATE TABLE app.only_in_a (x int)").execute(&a.pool).await.expect("create");
    let in_b: Option<String> = sqlx::query_scalar("SELECT to_regclass('app.only_in_a')::text")
        .fetch_one(&b.pool)
        .await
        .expect("query");
    assert_eq!(in_b, None);
}

#[tokio::test]
async fn redis_answers_ping() {
    let client = redis::Client::open(posey_testkit::redis_url()).expect("redis url");
    let mut conn = client.get_multiplexed_async_connection().await.expect("connect");
    let pong: String = redis::cmd("PING").query_async(&mut conn).await.expect("ping");
    assert_eq!(pong, "PONG");
}

#[tokio::test]
async fn the_mqtt_broker_accepts_a_connection() {
    let url = url::Url::parse(&posey_testkit::mqtt_url()).expect("mqtt url");
    let addr = (url.host_str().expect("host"), url.port().unwrap_or(1883));
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect to the broker");
    // MQTT 3.1.1 CONNECT: protocol "MQTT", level 4, clean session, keep-alive 60 s, client id.
    let client_id = b"posey-test";
    let mut body = vec![0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3c, 0x00];
    body.push(client_id.len() as u8);
    body.extend_from_slice(client_id);
    let mut packet = vec![0x10, body.len() as u8];
    packet.extend(body);
    stream.write_all(&packet).await.expect("send CONNECT");
    let mut connack = [0u8; 4];
    stream.read_exact(&mut connack).await.expect("read CONNACK");
    // CONNACK, remaining length 2, no session present, return code 0 (accepted).
    assert_eq!(connack, [0x20, 0x02, 0x00, 0x00]);
}
